// The loops around the per-segment math, each against an independent oracle instead of
// against itself: the training step sequence over an epoch boundary against a hand-written loop that batches the
// ids itself and resets memory at each epoch start (model.md "Stream batching"); the evaluation loop against a
// plain loop that computes the CE from the logits, on texts whose length is and is not a multiple of Q; resume
// with every restored counter and position asserted; sampling away from T = 1 against softmax(logits / T), and
// the top-k edge.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ar_loss.h"
#include "engine/checkpoint.h"
#include "engine/eval_stream.h"
#include "engine/compression.h"
#include "engine/forward.h"
#include "engine/generate.h"
#include "engine/rng.h"
#include "engine/trainer.h"
#include "tests/fixtures.h"
#include "tests/harness.h"

static void check_same_memory(const Memory *a, const Memory *b, const char *when) {
    CHECK_MSG(a->m == b->m && a->cm == b->cm, "%s: memory lengths %d/%d vs %d/%d", when, a->m, a->cm, b->m, b->cm);
    for (int k = 0; k < a->m; k++) CHECK_MSG(a->mem_pos[k] == b->mem_pos[k], "%s: mem_pos[%d]", when, k);
    for (int k = 0; k < a->cm; k++)
        CHECK_MSG(a->cmem_first[k] == b->cmem_first[k] && a->cmem_last[k] == b->cmem_last[k], "%s: cmem[%d]", when, k);
}

// ---------------------------------------------------------------------------------------------------------
// Training: trainer_step against a hand-written epoch loop.

TEST(oracle_training_steps_over_an_epoch_boundary) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    const int B = cfg.batch_size, Q = cfg.seq_len;
    char err[512];
    Model *a = model_new(&cfg, 5, err, sizeof err), *b = model_new(&cfg, 5, err, sizeof err);
    CHECK(a && b);
    Trainer t;
    CHECK(!trainer_init(&t, a, &corpus, err, sizeof err));
    // model.md: the training ids reshaped to [B, N/B]; an epoch ends when the next segment plus its target would
    // run past a stream's end
    size_t stream_len = corpus.n_train / (size_t)B;
    long n_steps = 0;
    while ((size_t)(n_steps + 1) * Q + 1 <= stream_len) n_steps++;
    CHECK_INT_EQ(t.train.n_steps, n_steps);
    Workspace *ws = workspace_new(b, B);
    Memory mem;
    CHECK(!memory_init(&mem, cfg.n_layers, B, cfg.d_model, cfg.mem_len, cfg.c_mem_len, Q));
    int32_t *in = malloc(sizeof(int32_t) * B * Q), *tg = malloc(sizeof(int32_t) * B * Q);
    for (long s = 0; s < n_steps + 6; s++) {
        long epoch = s / n_steps, k = s % n_steps;
        if (k == 0) memory_reset(&mem); // memory is reset at each epoch start
        for (int r = 0; r < B; r++)
            for (int j = 0; j < Q; j++) {
                const int32_t *stream = corpus.ids + (size_t)r * stream_len;
                in[r * Q + j] = stream[k * Q + j];
                tg[r * Q + j] = stream[k * Q + j + 1];
            }
        StepStats want, got;
        train_on_segment(b, ws, &mem, in, tg, k * Q, &want);
        trainer_step(&t, &got);
        CHECK_MSG(got.ce == want.ce && got.ar_total == want.ar_total, "step %ld (epoch %ld, segment %ld): ce %.9g vs "
                  "%.9g, ar %.9g vs %.9g", s + 1, epoch, k, got.ce, want.ce, got.ar_total, want.ar_total);
        CHECK_INT_EQ(t.step, s + 1);
        CHECK_INT_EQ(t.epoch, epoch);
        CHECK_INT_EQ(t.batch_index, k + 1);
        char when[64];
        snprintf(when, sizeof when, "after step %ld", s + 1);
        check_same_memory(&t.mem, &mem, when);
        if (k == 0) { // the first segment of an epoch read an empty memory: it now holds that segment alone
            CHECK_INT_EQ(t.mem.m, Q < cfg.mem_len ? Q : cfg.mem_len);
            CHECK_INT_EQ(t.mem.cm, 0);
            CHECK_INT_EQ(t.mem.mem_pos[t.mem.m - 1], Q - 1);
        }
    }
    free(in);
    free(tg);
    memory_free(&mem);
    workspace_free(ws);
    trainer_free(&t);
    model_free(a);
    model_free(b);
    corpus_free(&corpus);
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation: evaluate_stream against a plain loop.

// One stream, consecutive segments of up to Q inputs, memory carried; CE from the logits in double.
static void plain_eval(Model *m, const int32_t *ids, long n, double *ce, double *ar, long *segments) {
    const Config *c = &m->cfg;
    Workspace *ws = workspace_new(m, 1);
    Memory mem;
    CHECK(!memory_init(&mem, c->n_layers, 1, c->d_model, c->mem_len, c->c_mem_len, c->seq_len));
    double sum = 0, ar_sum = 0;
    long ar_n = 0, pos = 0;
    *segments = 0;
    while (pos + 1 < n) {
        int T = n - 1 - pos < c->seq_len ? (int)(n - 1 - pos) : c->seq_len;
        model_forward(m, ws, &mem, ids + pos, NULL, T);
        const float *logits = workspace_logits(ws);
        for (int t = 0; t < T; t++) {
            const float *l = logits + (long)t * c->vocab_size;
            double mx = l[0], z = 0;
            for (int v = 1; v < c->vocab_size; v++) mx = fmax(mx, l[v]);
            for (int v = 0; v < c->vocab_size; v++) z += exp(l[v] - mx);
            sum += log(z) + mx - l[ids[pos + t + 1]];
        }
        if (model_update_memory(m, ws, &mem, pos)) {
            ar_sum += model_ar_loss(m, ws, NULL, 0);
            ar_n++;
        }
        (*segments)++;
        pos += T;
    }
    *ce = sum / (double)(n - 1);
    *ar = ar_n ? ar_sum / ar_n : 0;
    memory_free(&mem);
    workspace_free(ws);
}

TEST(oracle_eval_loop_against_a_plain_loop) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    char err[512];
    Model *m = model_new(&cfg, 9, err, sizeof err);
    Trainer t; // a few steps, so the weights are not the initial ones
    CHECK(!trainer_init(&t, m, &corpus, err, sizeof err));
    float losses[30];
    fixture_run_steps(&t, 30, losses);
    trainer_free(&t);
    const int Q = cfg.seq_len;
    // n - 1 predictions: a multiple of Q, one more, one fewer; n itself a multiple of Q; and shorter than Q
    const long lengths[] = {4 * 100 + 1, 4 * 100 + 2, 4 * 100, 4 * 100 - 2, 3, 2};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        long n = lengths[i];
        EvalResult r;
        evaluate_stream(m, corpus.ids + 17, n, &r);
        double ce, ar;
        long segments;
        plain_eval(m, corpus.ids + 17, n, &ce, &ar, &segments);
        CHECK_INT_EQ(segments, (n - 1 + Q - 1) / Q);
        CHECK_INT_EQ(r.segments, segments);
        CHECK_INT_EQ(r.predictions, n - 1);
        CHECK_NEAR(r.ce, ce, 2e-5 * fmax(1.0, ce));
        CHECK_NEAR(r.ar, ar, 2e-5 * fmax(1.0, ar));
    }
    model_free(m);
    corpus_free(&corpus);
}

// ---------------------------------------------------------------------------------------------------------
// Resume: every counter and position the checkpoint restores, asserted.

TEST(oracle_resume_restores_every_counter_and_position) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    char err[512], path[600];
    snprintf(path, sizeof path, "%s/resume.safetensors", test_tmpdir());
    Model *m = model_new(&cfg, 3, err, sizeof err);
    Trainer t;
    CHECK(!trainer_init(&t, m, &corpus, err, sizeof err));
    float losses[400];
    fixture_run_steps(&t, (int)t.train.n_steps + 7, losses); // into the second epoch
    CHECK(!model_set_rate(m, 1, err, sizeof err));           // a second conv set with its own Adam steps
    fixture_run_steps(&t, 3, losses);
    trainer_validate_segments(&t, 5, 0, NULL, NULL);
    CHECK_INT_EQ(t.epoch, 1);
    CHECK_INT_EQ(t.valid_index, 5);
    CHECK_MSG(!checkpoint_save(path, m, &corpus.vocab, &t, err, sizeof err), "%s", err);

    Checkpoint ck;
    CHECK_MSG(!checkpoint_open(&ck, path, err, sizeof err), "%s", err);
    CHECK_INT_EQ(ck.step, t.step);
    Trainer r;
    Model *m2 = fixture_resume(&ck, &ck.cfg, 77, &corpus, &r);
    checkpoint_close(&ck);
    CHECK_INT_EQ(r.step, t.step);
    CHECK_INT_EQ(r.epoch, t.epoch);
    CHECK_INT_EQ(r.batch_index, t.batch_index);
    CHECK_INT_EQ(r.valid_index, t.valid_index);
    CHECK_INT_EQ(m2->main.adam_t, m->main.adam_t);
    CHECK_INT_EQ(m2->cfg.compression_rate, 1);
    CHECK_INT_EQ(m2->n_sets, m->n_sets);
    for (int i = 0; i < m->n_sets; i++) {
        const CompressSet *want = &m->sets[i];
        int found = 0;
        for (int k = 0; k < m2->n_sets; k++)
            if (m2->sets[k].fn == want->fn && m2->sets[k].rate == want->rate) {
                found = 1;
                CHECK_MSG(m2->sets[k].block.adam_t == want->block.adam_t, "rate %d: adam_t %ld vs %ld", want->rate,
                          m2->sets[k].block.adam_t, want->block.adam_t);
            }
        CHECK_MSG(found, "set fn %d rate %d missing", want->fn, want->rate);
    }
    CHECK(m->sets[0].block.adam_t != m->sets[1].block.adam_t); // the two counters differ: each was restored
    check_same_memory(&r.mem, &t.mem, "after resume");
    for (int l = 0; l < cfg.n_layers; l++)
        for (int b = 0; b < cfg.batch_size; b++) {
            size_t at = ((size_t)l * cfg.batch_size + b) * t.mem.mem_cap * cfg.d_model;
            CHECK(!memcmp(r.mem.mem + at, t.mem.mem + at, sizeof(float) * t.mem.m * cfg.d_model));
        }
    StepStats a, b; // and the next step is the same step
    trainer_step(&t, &a);
    trainer_step(&r, &b);
    CHECK(a.ce == b.ce && a.step == b.step);
    trainer_free(&t);
    trainer_free(&r);
    model_free(m);
    model_free(m2);
    corpus_free(&corpus);
}

// ---------------------------------------------------------------------------------------------------------
// Sampling: empirical frequencies against softmax(logits / T) over the allowed tokens.

static void check_frequencies(const float *logits, int V, float T, int top_k, const int *allowed) {
    double p[8], z = 0;
    for (int v = 0; v < V; v++) z += p[v] = allowed[v] ? exp(logits[v] / T) : 0.0;
    for (int v = 0; v < V; v++) p[v] /= z;
    Rng rng;
    rng_seed(&rng, 1234 + (uint64_t)(T * 100) + (uint64_t)top_k);
    const long N = 200000;
    long count[8] = {0};
    for (long i = 0; i < N; i++) count[sample_logits(logits, V, T, top_k, &rng)]++;
    for (int v = 0; v < V; v++) {
        double f = (double)count[v] / N, sigma = sqrt(p[v] * (1 - p[v]) / N);
        CHECK_MSG(fabs(f - p[v]) <= 5 * sigma + 1e-9, "T %g top-k %d token %d: frequency %.5f, softmax %.5f", T, top_k,
                  v, f, p[v]);
        if (!allowed[v]) CHECK_MSG(count[v] == 0, "T %g top-k %d: token %d outside the top k was drawn", T, top_k, v);
    }
}

TEST(oracle_sampling_frequencies_away_from_t1_and_the_top_k_edge) {
    const float logits[5] = {2.0f, 1.0f, 1.0f, 0.5f, -1.0f};
    const int all[5] = {1, 1, 1, 1, 1};
    for (int k = 0; k < 3; k++) {
        float T = k == 0 ? 0.5f : k == 1 ? 2.0f : 1.0f;
        check_frequencies(logits, 5, T, 0, all);
        check_frequencies(logits, 5, T, 5, all); // k = V: every token
        const int top1[5] = {1, 0, 0, 0, 0}, top2[5] = {1, 1, 1, 0, 0}, top4[5] = {1, 1, 1, 1, 0};
        check_frequencies(logits, 5, T, 1, top1);
        check_frequencies(logits, 5, T, 2, top2); // the 2nd largest ties with the 3rd: both stay in
        check_frequencies(logits, 5, T, 4, top4);
    }
    Rng rng; // T = 0 is the argmax whatever top-k says
    rng_seed(&rng, 5);
    for (int i = 0; i < 100; i++) CHECK_INT_EQ(sample_logits(logits, 5, 0.0f, 3, &rng), 0);
}
