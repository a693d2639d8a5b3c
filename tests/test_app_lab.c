// The TUI's memory-lab parts on the app side: the Figure-2 buckets against a hand count and against the
// engine's own accounting (engine/attention_stats.h), the UI's compression names against the engine's,
// and recall accuracy on held-out recall text against a direct evaluation.
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/config_help.h"
#include "app/recall_corpus.h"
#include "app/tui_fill.h"
#include "app/tui_recall.h"
#include "engine/attention_stats.h"
#include "engine/eval_stream.h"
#include "ui/cmdline.h"

TEST(app_lab_ui_compression_names_are_the_engines) {
    ui_compress_choices_from_engine();
    const UiCompressChoices *ch = &ui_compress_choices;
    int n = 0;
    for (; ch->fn_names[n]; n++) {
        CHECK(!strcmp(ch->fn_names[n], compress_fn_name(n)));
        CHECK_INT_EQ(compress_fn_parse(ch->fn_names[n]), n);
    }
    CHECK_INT_EQ(n, COMPRESS_FN_COUNT);
    for (n = 0; ch->loss_names[n]; n++) CHECK(!strcmp(ch->loss_names[n], compress_loss_name(n)));
    CHECK_INT_EQ(n, COMPRESS_LOSS_COUNT);
    CHECK(ch->fn_known("most_used") && !ch->fn_known("median") && ch->loss_known("none") && !ch->loss_known("mse"));
}

TEST(app_lab_buckets_match_a_hand_count) {
    // H = 1, T = 2, 12 compressed, 6 memory keys, uniform rows: query i spreads 1 over its 18 + i + 1 keys.
    int H = 1, T = 2, cm = 12, mm = 6, K = cm + mm + T;
    float p[2 * 20] = {0};
    for (int i = 0; i < T; i++)
        for (int j = 0; j <= cm + mm + i; j++) p[i * K + j] = 1.0f / (float)(cm + mm + i + 1);
    p[0 * K + 11] += 0.5f; // the newest compressed slot of query 0 gets more
    static TuiBucketAcc acc;
    tui_buckets_reset(&acc);
    tui_buckets_add(&acc, 1, p, H, T, K, cm, mm);
    // compressed bucket 5 = slots 10, 11: query 0 mean (1/19 + 1/19 + 0.5) / 2, query 1 mean 1/20
    double q0 = (2.0 / 19 + 0.5) / 2, q1 = 1.0 / 20;
    CHECK_NEAR(acc.sum[1][UI_GROUP_CMEM][5], q0 + q1, 1e-6);
    CHECK_NEAR(acc.n[1][UI_GROUP_CMEM][5], 2, 0);
    CHECK_NEAR(acc.sq[1][UI_GROUP_CMEM][5], q0 * q0 + q1 * q1, 1e-6);
    // current: query 0 sees 1 key (only bucket 5 is non-empty), query 1 sees 2 (buckets 2 and 5)
    CHECK_NEAR(acc.n[1][UI_GROUP_CUR][5], 2, 0);
    CHECK_NEAR(acc.n[1][UI_GROUP_CUR][2], 1, 0);
    CHECK_NEAR(acc.n[1][UI_GROUP_CUR][0], 0, 0);
    CHECK_NEAR(acc.sum[UI_MAX_LAYERS][UI_GROUP_CMEM][5], q0 + q1, 1e-6); // pooled
    CHECK_NEAR(acc.n[0][UI_GROUP_CMEM][5], 0, 0);                       // other layers untouched
    tui_buckets_decay(&acc, 0.5);
    CHECK_NEAR(acc.sum[1][UI_GROUP_CMEM][5], (q0 + q1) / 2, 1e-6);
    static UiBuckets out;
    acc.steps = 1;
    tui_recon_add(&acc, 0, 2.0f, 0.9);
    tui_recon_add(&acc, 0, 4.0f, 0.9);
    tui_buckets_fill(&out, &acc, 2);
    CHECK_INT_EQ(out.n_layers, 2);
    CHECK_NEAR(out.layer[1].mean[UI_GROUP_CMEM][5], (q0 + q1) / 2, 1e-6);
    CHECK_NEAR(out.layer[1].std[UI_GROUP_CMEM][5], (q0 - q1) / 2, 1e-5);
    CHECK(isnan(out.layer[0].mean[UI_GROUP_CMEM][5]));
    CHECK_NEAR(out.recon_mean[0], (0.9 * 2 + 4) / 1.9, 1e-5); // the newer loss weighs more
    CHECK(isnan(out.recon_mean[1]));
    tui_buckets_reset(&acc); // nothing sampled: no rows to draw
    tui_buckets_fill(&out, &acc, 2);
    CHECK_INT_EQ(out.n_layers, 0);
}

typedef struct {
    AttentionStats *stats;
    TuiBucketAcc *acc;
    int calls;
} Both;

static void both_segment(void *ctx, Model *m, Workspace *ws, const Memory *mem, long start, int T) {
    Both *b = ctx;
    attention_stats_add_segment(b->stats, m, ws, mem->cm, mem->m);
    for (int l = 0; l < m->cfg.n_layers; l++)
        tui_buckets_add(b->acc, l, workspace_attention(ws, l), m->cfg.n_heads, T, workspace_keys(ws), mem->cm, mem->m);
    b->calls++;
}

static Model *tiny_model(int vocab) {
    Config cfg = {.vocab_size = vocab, .d_model = 16, .n_heads = 2, .n_layers = 2, .d_ff = 32, .seq_len = 8,
                  .mem_len = 8, .c_mem_len = 16, .compression_rate = 2, .batch_size = 2, .lr = 1e-3f,
                  .warmup = 10, .clip = 1.0f, .seed = 1};
    char err[256];
    Model *m = model_new(&cfg, 3, err, sizeof err);
    CHECK_MSG(m != NULL, "%s", err);
    return m;
}

TEST(app_lab_buckets_agree_with_the_engines_attention_stats) {
    Model *m = tiny_model(20);
    int32_t ids[400];
    for (int i = 0; i < 400; i++) ids[i] = (i * 7 + i / 13) % 20;
    AttentionStats stats;
    CHECK(attention_stats_init(&stats, m) == 0);
    static TuiBucketAcc acc;
    tui_buckets_reset(&acc);
    Both both = {&stats, &acc, 0};
    EvalHooks hooks = {both_segment, NULL, &both};
    EvalResult res;
    evaluate_stream_ex(m, ids, 400, NULL, &hooks, &res);
    CHECK(both.calls > 40);
    static UiBuckets out;
    acc.steps = 1;
    tui_buckets_fill(&out, &acc, 2);
    int compared = 0;
    for (int l = -1; l < 2; l++)
        for (int g = 0; g < UI_GROUP_COUNT; g++)
            for (int k = 0; k < UI_BUCKETS; k++) {
                const UiBucketRow *row = l < 0 ? &out.pooled : &out.layer[l];
                double want = attention_stats_mean(&stats, l, g, k), sd = attention_stats_std(&stats, l, g, k);
                CHECK_NEAR(row->mean[g][k], want, 1e-5);
                CHECK_NEAR(row->std[g][k], sd, 1e-4);
                compared += attention_stats_count(&stats, l, g, k) > 0;
            }
    CHECK_INT_EQ(compared, 3 * UI_GROUP_COUNT * UI_BUCKETS); // memory full: every bucket has samples
    attention_stats_free(&stats);
    model_free(m);
}

TEST(app_lab_recall_windows_score_like_a_direct_evaluation) {
    RecallSpec spec = recall_default_spec();
    spec.bytes = 100000; // a 10,000-character validation split: two windows
    size_t n;
    unsigned char *text = recall_generate(&spec, &n);
    CHECK(text != NULL);
    Corpus c;
    char err[256];
    CHECK(corpus_from_text(&c, text, n, "recall test", err, sizeof err) == 0);
    Model *m = tiny_model(c.vocab.size);
    static TuiRecall r;
    tui_recall_init(&r, &c);
    CHECK(r.active && r.acc.active);
    CHECK_INT_EQ(r.window, TUI_RECALL_WINDOW);
    CHECK(tui_recall_due(&r, now_seconds()));
    CHECK(tui_recall_run(&r, m, 7, now_seconds()) == 0);
    CHECK(!tui_recall_due(&r, now_seconds())); // at least TUI_RECALL_MIN_INTERVAL until the next
    // The same window scored directly: the first TUI_RECALL_WINDOW characters of the validation split.
    const unsigned char *vt = c.text + c.n_train;
    uint8_t *correct = malloc(TUI_RECALL_WINDOW);
    RecallAnswer *answers = NULL;
    long na = recall_find_answers(vt, TUI_RECALL_WINDOW, &answers);
    CHECK(na >= 20);
    EvalResult res;
    evaluate_stream_ex(m, c.ids + c.n_train, TUI_RECALL_WINDOW, correct, NULL, &res);
    RecallReport rep;
    recall_report_init(&rep, &m->cfg);
    recall_report_add(&rep, answers, na, correct, TUI_RECALL_WINDOW);
    CHECK_INT_EQ(r.acc.n, rep.n);
    CHECK_INT_EQ(r.acc.evals, 1);
    CHECK_INT_EQ(r.acc.step, 7);
    long chars = 0;
    for (int i = 0; i < rep.n; i++) {
        CHECK_NEAR(r.acc.b[i].chars, rep.b[i].chars, 0);
        CHECK_NEAR(r.acc.b[i].chars_right, rep.b[i].chars_right, 0);
        CHECK_NEAR(r.acc.b[i].answers, rep.b[i].answers, 0);
        chars += rep.b[i].chars;
    }
    CHECK(chars > 0);
    // The next window follows; the first one's counts then weigh TUI_RECALL_DECAY.
    UiRecall first = r.acc;
    CHECK(tui_recall_run(&r, m, 8, now_seconds()) == 0);
    CHECK_INT_EQ(r.offset, 2 * TUI_RECALL_WINDOW);
    double total = 0, want = 0;
    for (int i = 0; i < rep.n; i++) total += r.acc.b[i].chars, want += first.b[i].chars * TUI_RECALL_DECAY;
    CHECK(total > want + 10); // plus the second window's answers
    free(answers);
    free(correct);
    model_free(m);
    corpus_free(&c);
}

TEST(app_lab_recall_is_off_for_other_text) {
    const char *line = "ROMEO: what is love? JULIET: key to the heart is 7.\n";
    size_t len = strlen(line), n = 0;
    unsigned char *text = malloc(len * 400);
    for (int i = 0; i < 400; i++, n += len) memcpy(text + n, line, len);
    Corpus c;
    char err[256];
    CHECK(corpus_from_text(&c, text, n, "not recall", err, sizeof err) == 0);
    static TuiRecall r;
    tui_recall_init(&r, &c);
    CHECK(!r.active && !r.acc.active);
    CHECK(!tui_recall_due(&r, 1e12));
    corpus_free(&c);
}
