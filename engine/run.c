// A training run as one object (run.h): the model, the trainer, the position, validation and saving.
#include "run.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

RunBudget run_budget(const Config *cfg, int batch, int threads) {
    Config c = *cfg;
    c.batch_size = batch;
    return (RunBudget){model_new_bytes(&c), trainer_plan_bytes(&c, threads)};
}

size_t run_bytes(const Run *r) { return model_bytes(r->model) + trainer_bytes(&r->t); }

void run_set_threads(Run *r, int threads) {
    trainer_set_threads(&r->t, threads);
    // Each shard's BLAS calls run on its own thread: OpenBLAS workers would only spin against the shards.
    openblas_set_num_threads(r->t.n_shards > 1 ? 1 : threads);
}

// The checkpoint's optimizer, memory and position (a full one), then its loss history (either kind).
static int load_training_state(Run *r, const Checkpoint *ck, char *err, size_t errlen) {
    if (ck->has_state && checkpoint_load_state(ck, &r->t, err, errlen)) return -1;
    return checkpoint_load_history(ck, &r->t, err, errlen);
}

int run_open(Run *r, const Config *cfg, const Corpus *corpus, const Checkpoint *ck, int threads, char *err,
             size_t errlen) {
    memset(r, 0, sizeof *r);
    r->corpus = corpus;
    r->model = model_new(cfg, cfg->seed, err, errlen);
    if (!r->model) return -1;
    if ((ck && checkpoint_load_weights(ck, r->model, err, errlen)) ||
        trainer_init(&r->t, r->model, corpus, err, errlen)) {
        model_free(r->model);
        r->model = NULL;
        return -1;
    }
    run_set_threads(r, threads);
    if (ck && load_training_state(r, ck, err, errlen)) {
        run_close(r);
        return -2;
    }
    return 0;
}

Model *run_take_model(Run *r) {
    Model *m = r->model;
    if (m) trainer_free(&r->t);
    memset(r, 0, sizeof *r);
    return m;
}

void run_close(Run *r) { model_free(run_take_model(r)); }

int run_set_ranks(Run *r, const Ranks *ranks, char *err, size_t errlen) {
    return trainer_set_ranks(&r->t, ranks, err, errlen);
}

void run_step(Run *r, StepStats *out) { trainer_step(&r->t, out); }

RunPosition run_position(const Run *r) {
    RunPosition p = {0, 0, r->t.train.n_steps, 0};
    trainer_next_position(&r->t, &p.epoch, &p.batch);
    p.new_epoch = p.epoch != r->t.epoch;
    return p;
}

long run_steps(const Run *r) { return r->t.step; }
const Memory *run_memory(const Run *r) { return &r->t.mem; }
Workspace *run_workspace(Run *r) { return r->t.ws; }
long run_stream_len(const Run *r) { return (long)r->t.train.stream_len; }
const History *run_history(const Run *r, int valid) { return valid ? &r->t.valid_history : &r->t.train_history; }
int run_threads(const Run *r) { return r->t.n_shards; }
int run_streams(const Run *r) { return r->t.n_streams; }

long run_batches_done(const Run *r) {
    RunPosition p = run_position(r);
    return p.epoch * p.per_epoch + p.batch;
}

double run_epochs_done(const Run *r) {
    RunPosition p = run_position(r);
    return p.epoch + (p.per_epoch ? (double)p.batch / p.per_epoch : 0.0);
}

// Once the memory is full a step compresses seq_len / rate rows; two steps fill the memory itself.
int run_warmup_steps(const Config *c) {
    int per_step = c->seq_len / c->compression_rate;
    return 2 + (per_step > 0 ? (c->c_mem_len + per_step - 1) / per_step : 0);
}

long run_valid_segments(const Run *r) { return r->t.valid.n_steps; }

float run_validate(Run *r, long n, int whole, ValidProgress progress, void *ctx) {
    return trainer_validate_segments(&r->t, n, whole, progress, ctx);
}

float run_validate_full(Run *r, ValidProgress progress, void *ctx) {
    return run_validate(r, run_valid_segments(r), 1, progress, ctx);
}

void run_record_valid(Run *r, float ce) { history_push(&r->t.valid_history, r->t.step, ce); }

int run_save(Run *r, const char *path, char *err, size_t errlen) {
    trainer_gather_memory(&r->t);
    if (r->t.ranks && r->t.ranks->rank != 0) return 0;
    return checkpoint_save(path, r->model, &r->corpus->vocab, &r->t, err, errlen);
}
