// The training run object (engine/run.h): open, step, the epoch's end, validation with progress and cancel,
// save and resume, close, and a budget that is the allocation.
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/run.h"
#include "tests/fixtures.h"
#include "tests/harness.h"

static void open_small(Run *r, Corpus *corpus, int threads) {
    char err[512];
    fixture_word_corpus(corpus);
    Config cfg = fixture_small_config(corpus->vocab.size);
    CHECK_MSG(run_open(r, &cfg, corpus, NULL, threads, err, sizeof err) == 0, "%s", err);
}

TEST(run_steps_through_the_end_of_an_epoch_with_one_rule) {
    Corpus corpus;
    Run r;
    open_small(&r, &corpus, 1);
    RunPosition p = run_position(&r);
    CHECK(p.per_epoch > 2);
    CHECK_INT_EQ(p.epoch, 0);
    CHECK_INT_EQ(p.batch, 0);
    for (long i = 0; i < p.per_epoch - 1; i++) run_step(&r, NULL);
    CHECK_NEAR(run_epochs_done(&r), (double)(p.per_epoch - 1) / p.per_epoch, 1e-12);
    CHECK(!run_position(&r).new_epoch);
    run_step(&r, NULL); // the epoch's last batch
    CHECK(r.t.mem.cm > 0); // the memory holds compressed rows of the whole epoch
    RunPosition end = run_position(&r);
    CHECK_INT_EQ(end.epoch, 1); // the trainer moves on lazily; the run says where the next step reads
    CHECK_INT_EQ(end.batch, 0);
    CHECK(end.new_epoch);
    CHECK_INT_EQ(run_batches_done(&r), p.per_epoch);
    CHECK(run_epochs_done(&r) == 1.0);
    StepStats s;
    run_step(&r, &s); // the first batch again, from an empty memory: nothing old enough to compress yet
    CHECK_INT_EQ(r.t.epoch, 1);
    CHECK_INT_EQ(r.t.batch_index, 1);
    CHECK_INT_EQ(r.t.mem.cm, 0);
    CHECK_INT_EQ(s.compressed, 0);
    CHECK(!run_position(&r).new_epoch);
    CHECK_INT_EQ(run_batches_done(&r), p.per_epoch + 1);
    run_close(&r);
    CHECK(r.model == NULL);
    corpus_free(&corpus);
}

typedef struct {
    long calls, cancel_after, last_total;
} Ticks;

static int tick(void *ctx, long done, long total) {
    Ticks *k = ctx;
    k->calls++;
    k->last_total = total;
    return k->cancel_after && done >= k->cancel_after;
}

TEST(run_validation_reports_progress_and_can_be_cancelled) {
    Corpus corpus;
    Run r;
    open_small(&r, &corpus, 1);
    for (int i = 0; i < 5; i++) run_step(&r, NULL);
    long n = run_valid_segments(&r);
    CHECK(n > 3);
    Ticks full = {0, 0, 0};
    float v = run_validate_full(&r, tick, &full);
    CHECK(isfinite(v));
    CHECK_INT_EQ(full.calls, n);
    CHECK_INT_EQ(full.last_total, n);
    Ticks cut = {0, 2, 0};
    CHECK(isnan(run_validate_full(&r, tick, &cut)));
    CHECK_INT_EQ(cut.calls, 2);
    // a cancelled validation leaves nothing behind: the full figure again, bit for bit
    CHECK(run_validate_full(&r, NULL, NULL) == v);
    // partial validations continue through the split
    Ticks part = {0, 0, 0};
    CHECK(isfinite(run_validate(&r, 3, 0, tick, &part)));
    CHECK_INT_EQ(part.calls, 3);
    CHECK_INT_EQ(r.t.valid_index, 3);
    run_close(&r);
    corpus_free(&corpus);
}

TEST(run_saves_and_reopens_to_the_same_next_step) {
    Corpus corpus;
    Run r, again;
    char err[512];
    open_small(&r, &corpus, 2);
    long per_epoch = run_position(&r).per_epoch;
    for (long i = 0; i < per_epoch + 3; i++) run_step(&r, NULL); // past the epoch's end
    history_push(&r.t.valid_history, r.t.step, 2.5f);
    const char *path = test_path("run.safetensors");
    CHECK_MSG(run_save(&r, path, err, sizeof err) == 0, "%s", err);
    Checkpoint ck;
    CHECK_MSG(checkpoint_open(&ck, path, err, sizeof err) == 0, "%s", err);
    // the same shards, so the same sums
    CHECK_MSG(run_open(&again, &ck.cfg, &corpus, &ck, 2, err, sizeof err) == 0, "%s", err);
    CHECK_INT_EQ(again.t.step, r.t.step);
    CHECK_INT_EQ(run_batches_done(&again), run_batches_done(&r));
    CHECK_INT_EQ(history_len(&again.t.valid_history), 1);
    for (int i = 0; i < 3; i++) {
        StepStats a, b;
        run_step(&r, &a);
        run_step(&again, &b);
        CHECK_MSG(a.ce == b.ce && a.ar_total == b.ar_total, "step %d: %.9g/%.9g against %.9g/%.9g", i, a.ce,
                  a.ar_total, b.ce, b.ar_total);
    }
    run_close(&again);
    checkpoint_close(&ck);
    run_close(&r);
    corpus_free(&corpus);
}

TEST(run_open_refuses_with_one_line_and_leaves_nothing_open) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    cfg.batch_size = 4000; // more streams than characters
    Run r;
    char err[512] = "";
    CHECK_INT_EQ(run_open(&r, &cfg, &corpus, NULL, 1, err, sizeof err), -1);
    CHECK_MSG(strstr(err, "too few for one batch") && !strchr(err, '\n'), "%s", err);
    CHECK(r.model == NULL);
    corpus_free(&corpus);
}

TEST(run_take_model_keeps_the_trained_model) {
    Corpus corpus;
    Run r;
    open_small(&r, &corpus, 1);
    run_step(&r, NULL);
    Model *m = r.model;
    CHECK(run_take_model(&r) == m);
    CHECK(r.model == NULL);
    CHECK_INT_EQ(m->main.adam_t, 1);
    model_free(m);
    corpus_free(&corpus);
}

// In-use bytes of the C heap (glibc): small chunks and mmap'd ones.
static double heap_in_use(void) {
    struct mallinfo2 mi = mallinfo2();
    return (double)mi.uordblks + (double)mi.hblkhd;
}

// The budget is what opening allocates: exactly the bytes the allocators counted, and (where the C heap can
// be asked, not under ASan) what the heap grew by, within malloc's own bookkeeping.
static void check_budget(Config cfg, const Corpus *corpus, int threads) {
    char err[512];
    RunBudget b = run_budget(&cfg, cfg.batch_size, threads);
    double before = heap_in_use();
    Run r;
    CHECK_MSG(run_open(&r, &cfg, corpus, NULL, threads, err, sizeof err) == 0, "%s", err);
    double grew = heap_in_use() - before;
    CHECK_INT_EQ(b.params, model_bytes(r.model));
    CHECK_INT_EQ(b.params + b.activations, run_bytes(&r));
#ifndef __SANITIZE_ADDRESS__
    double budget = (double)(b.params + b.activations);
    CHECK_MSG(grew >= budget && grew <= budget * 1.01 + 16384, "heap grew %.0f bytes, budget %.0f (threads %d)",
              grew, budget, threads);
#else
    (void)grew;
#endif
    run_close(&r);
}

TEST(run_budget_is_the_bytes_opening_allocates) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    cfg.d_model = 64;
    cfg.d_ff = 256;
    cfg.seq_len = 16;
    cfg.mem_len = 16;
    cfg.c_mem_len = 16;
    cfg.batch_size = 6;
    check_budget(cfg, &corpus, 1);
    check_budget(cfg, &corpus, 4); // shards of 2, 2, 1, 1 streams and three gradient blocks
    cfg.compress = COMPRESS_DILATED; // a second parameter set, with decoders
    cfg.compress_loss = COMPRESS_LOSS_AUTOENCODE;
    check_budget(cfg, &corpus, 2);
    corpus_free(&corpus);
}

TEST(run_budget_grows_with_batch_and_threads_as_the_allocation_does) {
    Config cfg = fixture_small_config(40);
    RunBudget one = run_budget(&cfg, 4, 1), two = run_budget(&cfg, 4, 2), wide = run_budget(&cfg, 8, 1);
    CHECK_INT_EQ(one.params, two.params);
    // a second thread adds a gradient block and a second (smaller) workspace
    CHECK(two.activations >= one.activations + sizeof(float) * (size_t)model_main_floats(&cfg));
    CHECK(wide.activations > one.activations);
    CHECK_INT_EQ(wide.params, one.params);
}
