// The recall task of the memory lab: the generator, reading the answers back, accuracy by distance, and the
// evaluation pass that scores every prediction (engine/eval_stream.c).
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/recall_corpus.h"
#include "engine/eval_stream.h"
#include "engine/model.h"
#include "tests/gradcheck.h"
#include "tests/harness.h"

TEST(recall_corpus_is_deterministic_printable_and_seeded) {
    RecallSpec s = recall_default_spec();
    s.bytes = 50000;
    size_t n1, n2, n3;
    unsigned char *a = recall_generate(&s, &n1), *b = recall_generate(&s, &n2);
    s.seed++;
    unsigned char *c = recall_generate(&s, &n3);
    CHECK(a && b && c && n1 == 50000 && n2 == n1 && n3 == n1);
    CHECK(!memcmp(a, b, n1));
    CHECK(memcmp(a, c, n1) != 0);
    for (size_t i = 0; i < n1; i++) CHECK_MSG((a[i] >= 0x20 && a[i] < 0x7f) || a[i] == '\n', "byte %zu is 0x%02x", i, a[i]);
    size_t nd;
    unsigned char *d = recall_corpus_generate(&nd);
    RecallSpec def = recall_default_spec();
    size_t ne;
    unsigned char *e = recall_generate(&def, &ne);
    CHECK(nd == 1000000 && ne == nd && !memcmp(d, e, nd));
    free(a);
    free(b);
    free(c);
    free(d);
    free(e);
}

// Every question of a generated text is found, repeats its fact's value, and lies at the distance the spec asks.
static void check_generated(RecallSpec s) {
    size_t n;
    unsigned char *text = recall_generate(&s, &n);
    RecallAnswer *ans;
    long count = recall_find_answers(text, n, &ans);
    long questions = 0;
    for (size_t i = 0; i + 8 <= n; i++) questions += !memcmp(text + i, "what is ", 8);
    // the last question may be cut off by the end of the text
    CHECK_MSG(count == questions || count == questions - 1, "%ld answers for %ld questions", count, questions);
    CHECK(count > 100);
    long near = 0, slack = 0;
    for (long i = 0; i < count; i++) {
        const RecallAnswer *a = &ans[i];
        CHECK(a->len == s.value_digits && a->distance == a->pos - a->source);
        CHECK(!memcmp(text + a->pos, text + a->source, (size_t)a->len));
        CHECK(text[a->pos - 1] == '?' && !memcmp(text + a->source - 4, " is ", 4));
        CHECK_MSG(a->distance >= s.min_distance && a->distance >= s.value_digits + 14, "distance %ld", a->distance);
        near += a->distance <= s.near;
        slack = a->distance - s.max_distance > slack ? a->distance - s.max_distance : slack;
    }
    // a question waits at most for the others due before it (each ≤ 22 characters) and the word in progress
    CHECK_MSG(slack <= 8 + 22 * (s.max_pending - 1) + 8, "an answer %ld characters beyond max_distance", slack);
    double share = (double)near / count;
    CHECK_MSG(fabs(share - s.near_percent / 100.0) < 0.08, "%.3f of the answers within %d", share, s.near);
    free(ans);
    free(text);
}

TEST(recall_answers_repeat_their_facts_at_the_asked_distance) {
    RecallSpec s = recall_default_spec();
    s.bytes = 200000;
    check_generated(s);
    s.max_pending = 3;
    s.value_digits = 4;
    s.min_distance = 30;
    s.near = 60;
    s.near_percent = 30;
    s.max_distance = 200;
    check_generated(s);
}

TEST(recall_reader_takes_the_latest_fact_and_skips_non_recalls) {
    const char *t = "key AB is 12. x key CD is 7. what is AB? 12. key AB is 99. y what is AB?99. what is CD? 8. "
                    "what is ZZ? 1. what is CD? 7.";
    RecallAnswer *ans;
    long n = recall_find_answers((const unsigned char *)t, strlen(t), &ans);
    CHECK_INT_EQ(n, 3);
    const char *first = strstr(t, "AB? 12") + 4, *second = strstr(t, "AB?99") + 3, *third = strstr(t, "CD? 7") + 4;
    CHECK_INT_EQ(ans[0].pos, first - t);
    CHECK_INT_EQ(ans[0].source, strstr(t, "AB is 12") + 6 - t);
    CHECK_INT_EQ(ans[0].len, 2);
    CHECK_INT_EQ(ans[1].pos, second - t);
    CHECK_INT_EQ(ans[1].source, strstr(t, "AB is 99") + 6 - t);
    CHECK_INT_EQ(ans[2].pos, third - t);
    CHECK_INT_EQ(ans[2].distance, third - (strstr(t, "CD is 7") + 6));
    free(ans);
    CHECK_INT_EQ(recall_find_answers((const unsigned char *)"no facts here", 13, &ans), 0);
    CHECK(ans == NULL);
}

TEST(recall_buckets_follow_the_reach_of_the_config) {
    Config c = {.seq_len = 16, .mem_len = 32, .c_mem_len = 16, .compression_rate = 4};
    RecallReport r;
    recall_report_init(&r, &c);
    CHECK_INT_EQ(r.n, 5);
    long want[5][2] = {{0, 32}, {32, 48}, {48, 64}, {64, 112}, {112, LONG_MAX}};
    for (int k = 0; k < 5; k++) CHECK(r.b[k].lo == want[k][0] && r.b[k].hi == want[k][1]);
    // no compressed memory: the two compressed buckets are empty and left out
    c.c_mem_len = 0;
    recall_report_init(&r, &c);
    CHECK_INT_EQ(r.n, 3);
    CHECK(r.b[2].lo == 48 && r.b[2].hi == LONG_MAX);
    // scoring: a 2-character answer at distance 40 with one right character, one at 100 all right
    c.c_mem_len = 16;
    recall_report_init(&r, &c);
    RecallAnswer a[3] = {{10, 0, 2, 40}, {20, 0, 2, 100}, {199, 0, 2, 100}}; // the last runs past the scored text
    uint8_t correct[200] = {0};
    correct[10] = 1;
    correct[20] = correct[21] = 1;
    recall_report_add(&r, a, 3, correct, 200);
    CHECK(r.b[1].chars == 2 && r.b[1].chars_right == 1 && r.b[1].answers == 1 && r.b[1].answers_right == 0);
    CHECK(r.b[3].chars == 2 && r.b[3].chars_right == 2 && r.b[3].answers_right == 1);
    CHECK(r.chars == 4 && r.answers == 2 && r.answers_right == 1);
    char json[4096];
    recall_report_json(&r, json, sizeof json);
    CHECK(strstr(json, "\"hi\":null") && strstr(json, "\"char_accuracy\":0.5000") && strstr(json, "\"answers\":2"));
}

// evaluate_stream_ex gives evaluate_stream's numbers, and correct[p] is the argmax test of the logits a
// generator produces after reading ids[0, p).
TEST(eval_stream_scores_every_prediction) {
    Config cfg = {.vocab_size = 7, .d_model = 8, .n_heads = 2, .n_layers = 2, .d_ff = 12, .seq_len = 3, .mem_len = 4,
                  .c_mem_len = 3, .compression_rate = 2, .batch_size = 1, .lr = 1e-3f, .warmup = 0, .clip = 1.0f};
    char err[256];
    Model *m = model_new(&cfg, 9, err, sizeof err);
    GcRng r;
    gc_rng_init(&r, 5);
    gc_fill_normal(&r, m->main.params, m->main.layout.total, 0.5);
    enum { N = 40 };
    int32_t ids[N];
    for (int i = 0; i < N; i++) ids[i] = gc_rng_int(&r, 7);
    EvalResult a, b;
    uint8_t correct[N];
    evaluate_stream(m, ids, N, &a);
    evaluate_stream_ex(m, ids, N, correct, NULL, &b);
    CHECK(a.ce == b.ce && a.ar == b.ar && a.segments == b.segments && a.predictions == b.predictions);
    CHECK(correct[0] == 0);
    Generator g;
    CHECK(!generator_init(&g, m));
    int right = 0;
    for (int p = 1; p < N; p++) { // feeding in the same segments as the evaluation
        if ((p - 1) % 3 == 0) {
            int T = N - 1 - (p - 1) < 3 ? N - 1 - (p - 1) : 3;
            generator_feed(&g, ids + p - 1, T);
        }
        const float *logits = workspace_logits(g.ws) + (long)((p - 1) % 3) * 7;
        int best = 0;
        for (int v = 1; v < 7; v++)
            if (logits[v] > logits[best]) best = v;
        CHECK_MSG(correct[p] == (best == ids[p]), "position %d", p);
        right += correct[p];
    }
    CHECK(right > 0);
    generator_free(&g);
    model_free(m);
}
