#include "trainer.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "ar_loss.h"
#include "compression.h"
#include "forward.h"
#include "workspace.h"

int trainer_init(Trainer *t, Model *model, const Corpus *corpus, char *err, size_t errlen) {
    const Config *c = &model->cfg;
    *t = (Trainer){0};
    t->model = model;
    batcher_init(&t->train, corpus->ids, corpus->n_train, c->batch_size, c->seq_len);
    batcher_init(&t->valid, corpus->ids + corpus->n_train, corpus->n - corpus->n_train, c->batch_size, c->seq_len);
    if (t->train.n_steps < 1) {
        snprintf(err, errlen, "data: %s has %zu training characters, too few for one batch of %d streams × %d+1; "
                 "use a longer file or smaller batch_size/seq_len", corpus->source, corpus->n_train, c->batch_size,
                 c->seq_len);
        return -1;
    }
    t->n_streams = c->batch_size;
    trainer_set_threads(t, 1);
    if (memory_init(&t->mem, c->n_layers, c->batch_size, c->d_model, c->mem_len, c->c_mem_len, c->seq_len) ||
        memory_init(&t->valid_mem, c->n_layers, c->batch_size, c->d_model, c->mem_len, c->c_mem_len, c->seq_len)) {
        snprintf(err, errlen, "memory: out of memory");
        trainer_free(t);
        return -1;
    }
    t->inputs = malloc(sizeof(int32_t) * c->batch_size * c->seq_len);
    t->targets = malloc(sizeof(int32_t) * c->batch_size * c->seq_len);
    if (!t->inputs || !t->targets) abort();
    return 0;
}

// Sizes the buffers that follow the active compression set (the shards' AR gradients, the ranks' pack) when
// the threads or ranks are set, so that a step allocates only the first time after the set grew.
static void fit_set_buffers(Trainer *t) {
    long n = model_active_set(t->model)->block.layout.total;
    for (int k = 1; k < t->n_shards; k++) {
        if (t->shard_conv_floats[k] >= n && t->shard_conv_grads[k]) continue;
        free(t->shard_conv_grads[k]);
        t->shard_conv_grads[k] = malloc(sizeof(float) * (n + 1));
        if (!t->shard_conv_grads[k]) abort();
        t->shard_conv_floats[k] = n;
    }
    long pack = n + t->model->cfg.n_layers + 1;
    if (t->ranks && t->ar_pack_floats < pack) {
        free(t->ar_pack);
        t->ar_pack = malloc(sizeof(float) * pack);
        if (!t->ar_pack) abort();
        t->ar_pack_floats = pack;
    }
}

static void free_shards(Trainer *t) {
    for (int k = 0; k < t->n_shards; k++) {
        workspace_free(t->shard_ws[k]);
        free(t->shard_grads[k]);
        free(t->shard_conv_grads[k]);
        t->shard_ws[k] = NULL;
        t->shard_grads[k] = NULL;
        t->shard_conv_grads[k] = NULL;
        t->shard_conv_floats[k] = 0;
    }
    t->n_shards = 0;
    t->ws = NULL;
}

// Threads asked for → shards of B streams, and the streams of shard k of n.
static int shard_count(int threads, int B) {
    return threads < 1 ? 1 : threads > MAX_SHARDS ? MAX_SHARDS : threads > B ? B : threads;
}
static int shard_batch(int B, int n, int k) { return B / n + (k < B % n); }

void trainer_set_threads(Trainer *t, int n) {
    const Config *c = &t->model->cfg;
    int B = t->n_streams;
    n = shard_count(n, B);
    free_shards(t);
    int stream0 = t->stream_lo;
    for (int k = 0; k < n; k++) {
        int batch = shard_batch(B, n, k);
        t->shard_ws[k] = workspace_new_shard(t->model, batch, stream0);
        stream0 += batch;
        if (k == 0) continue;
        t->shard_grads[k] = calloc((size_t)t->model->main.layout.total, sizeof(float));
        if (!t->shard_grads[k]) abort();
        model_point_params(&t->shard_g[k], t->shard_grads[k], c);
    }
    t->shard_g[0] = t->model->g;
    t->n_shards = n;
    t->ws = t->shard_ws[0];
    fit_set_buffers(t);
}

// part_start[p + 1]: where the gradients of backward part p begin (model_backward_parts: -1 the embedding,
// l layer l, n_layers the final norm and the head); part_start[n_layers + 2] is the block's end. 0 when the
// layout is not the one expected (then the sums wait for the whole backward).
static int find_parts(Trainer *t) {
    const TensorLayout *lay = &t->model->main.layout;
    int L = t->model->cfg.n_layers;
    memset(t->part_start, 0, sizeof t->part_start);
    for (int i = 0; i < lay->n; i++) {
        int l;
        if (sscanf(lay->tensors[i].name, "layers.%d.", &l) == 1 && l >= 0 && l < L && !t->part_start[l + 1])
            t->part_start[l + 1] = lay->tensors[i].offset;
        else if (!strcmp(lay->tensors[i].name, "norm.weight")) t->part_start[L + 1] = lay->tensors[i].offset;
    }
    t->part_start[L + 2] = lay->total;
    for (int p = 0; p < L + 2; p++)
        if (t->part_start[p + 1] <= t->part_start[p]) return 0;
    return 1;
}

int trainer_set_ranks(Trainer *t, const Ranks *ranks, char *err, size_t errlen) {
    int B = t->model->cfg.batch_size, N = ranks->n_ranks;
    if (B % N) {
        snprintf(err, errlen, "batch_size %d does not split over %d ranks: each rank trains batch_size/N streams; "
                 "use a batch_size divisible by %d or another number of ranks", B, N, N);
        return -1;
    }
    t->ranks = N > 1 ? ranks : NULL;
    t->parts_found = find_parts(t);
    t->n_streams = t->mem.n_streams = t->valid_mem.n_streams = B / N;
    t->stream_lo = t->mem.stream_lo = t->valid_mem.stream_lo = ranks->rank * t->n_streams;
    trainer_set_threads(t, t->n_shards);
    return 0;
}

void trainer_gather_memory(Trainer *t) {
    if (t->ranks) memory_gather(&t->mem, t->ranks->n_ranks, t->ranks->gather, t->ranks->ctx);
}

// What trainer_init and trainer_set_threads allocate, shard by shard as trainer_set_threads lays them out.
size_t trainer_plan_bytes(const Config *c, int threads) {
    int B = c->batch_size, n = shard_count(threads, B);
    size_t bytes = 2 * memory_bytes(c->n_layers, B, c->d_model, c->mem_len, c->c_mem_len, c->seq_len) +
                   2 * sizeof(int32_t) * (size_t)B * c->seq_len;
    size_t shard_grads = sizeof(float) * ((size_t)model_main_floats(c) + (size_t)model_active_set_floats(c) + 1);
    for (int k = 0; k < n; k++) bytes += workspace_bytes(c, shard_batch(B, n, k)) + (k ? shard_grads : 0);
    return bytes;
}

size_t trainer_bytes(const Trainer *t) {
    size_t bytes = t->mem.bytes + t->valid_mem.bytes + 2 * sizeof(int32_t) * (size_t)t->model->cfg.batch_size *
                   t->model->cfg.seq_len + sizeof(float) * (size_t)t->ar_pack_floats;
    for (int k = 0; k < t->n_shards; k++) {
        bytes += t->shard_ws[k]->bytes;
        if (!k) continue;
        bytes += sizeof(float) * (size_t)t->model->main.layout.total;
        if (t->shard_conv_grads[k]) bytes += sizeof(float) * ((size_t)t->shard_conv_floats[k] + 1);
    }
    return bytes;
}

void trainer_free(Trainer *t) {
    free_shards(t);
    free(t->ar_pack);
    memory_free(&t->mem);
    memory_free(&t->valid_mem);
    free(t->inputs);
    free(t->targets);
    *t = (Trainer){0};
}

// The flat loops over the main block (summing the shards' gradients with the sum of squares, then Adam)
// run on the shards' threads, each over its own range: serial, they held back the second thread.
typedef enum { RANGE_SUM_SHARDS, RANGE_SQUARES, RANGE_ADAM } RangeKind;

typedef struct {
    Trainer *t;
    int part;
    RangeKind kind; // told apart by a flag, not by lr (lr may be 0)
    float lr, coef;
    double sq;
} RangeJob;

static void *run_range(void *arg) {
    RangeJob *j = arg;
    Trainer *t = j->t;
    ParamBlock *b = &t->model->main;
    long n = b->layout.total, lo = n * j->part / t->n_shards, hi = n * (j->part + 1) / t->n_shards;
    if (j->kind == RANGE_ADAM) {
        adam_update(b->params + lo, b->grads + lo, b->adam_m + lo, b->adam_v + lo, hi - lo, j->lr, b->adam_t, j->coef);
        return NULL;
    }
    if (j->kind == RANGE_SUM_SHARDS)
        for (int k = 1; k < t->n_shards; k++)
            for (long i = lo; i < hi; i++) b->grads[i] += t->shard_grads[k][i];
    if (j->kind == RANGE_SQUARES || !t->ranks) j->sq = sum_of_squares(b->grads + lo, hi - lo);
    return NULL;
}

// Runs run_range on every part (part 0 here); returns the sum of the parts' sums of squares.
static double on_all_ranges(Trainer *t, RangeKind kind, float lr, float coef) {
    RangeJob jobs[MAX_SHARDS];
    pthread_t threads[MAX_SHARDS];
    int started[MAX_SHARDS] = {0};
    for (int k = 0; k < t->n_shards; k++) jobs[k] = (RangeJob){t, k, kind, lr, coef, 0.0};
    for (int k = 1; k < t->n_shards; k++) started[k] = pthread_create(&threads[k], NULL, run_range, &jobs[k]) == 0;
    for (int k = 0; k < t->n_shards; k++)
        if (!k || !started[k]) run_range(&jobs[k]);
    double sq = 0.0;
    for (int k = 0; k < t->n_shards; k++) {
        if (k && started[k]) pthread_join(threads[k], NULL);
        sq += jobs[k].sq;
    }
    return sq;
}

static double global_grad_sq(const Model *m, double main_sq) {
    double s = main_sq;
    for (int i = 0; i < m->n_sets; i++)
        if (m->sets[i].used) s += sum_of_squares(m->sets[i].block.grads, m->sets[i].block.layout.total);
    return s;
}

static void apply_update(Trainer *t, float clip_coef) {
    Model *m = t->model;
    const Config *c = &m->cfg;
    m->main.adam_t++;
    on_all_ranges(t, RANGE_ADAM, adam_lr(c, m->main.adam_t), clip_coef);
    for (int i = 0; i < m->n_sets; i++) {
        ParamBlock *b = &m->sets[i].block;
        if (!m->sets[i].used) continue;
        b->adam_t++;
        adam_update(b->params, b->grads, b->adam_m, b->adam_v, b->layout.total, adam_lr(c, b->adam_t),
                    b->adam_t, clip_coef);
    }
}

// One shard's share of a pass: forward (and backward with its share of the loss) over its streams.
typedef enum { JOB_FORWARD, JOB_FORWARD_BACKWARD, JOB_AR } JobKind;

typedef struct {
    Trainer *t;
    int k;
    JobKind kind;
    const Memory *mem;
    const int32_t *inputs, *targets; // (B, Q) of the whole batch
    float loss;
} ShardJob;

static float shard_weight(const Trainer *t, int k) {
    return (float)workspace_batch(t->shard_ws[k]) / (float)t->model->cfg.batch_size;
}

static float *conv_grads_of(Trainer *t, int k) {
    return k ? t->shard_conv_grads[k] : model_active_set(t->model)->block.grads;
}

// model_backward_parts' callback: part's gradients are final, so their sum across ranks can start.
static void sum_part(void *ctx, int part) {
    Trainer *t = ctx;
    float *g = t->model->main.grads;
    long lo = t->part_start[part + 1], hi = t->part_start[part + 2];
    t->ranks->start_sum(t->ranks->ctx, g + lo, hi - lo);
}

static void *run_shard(void *arg) {
    ShardJob *j = arg;
    Trainer *t = j->t;
    Workspace *ws = t->shard_ws[j->k];
    if (j->kind == JOB_AR) {
        memset(t->shard_ar[j->k], 0, sizeof t->shard_ar[j->k]);
        j->loss = model_ar_loss_into(t->model, ws, t->shard_ar[j->k], conv_grads_of(t, j->k), shard_weight(t, j->k));
        return NULL;
    }
    int Q = t->model->cfg.seq_len;
    long off = (long)workspace_stream0(ws) * Q;
    j->loss = model_forward(t->model, ws, j->mem, j->inputs + off, j->targets + off, Q);
    if (j->kind == JOB_FORWARD_BACKWARD && j->k) // zeroed here, on the shard's own thread
        memset(t->shard_grads[j->k], 0, sizeof(float) * t->model->main.layout.total);
    if (j->kind == JOB_FORWARD_BACKWARD && isfinite(j->loss) && t->by_layer) // one shard: it writes the model's
        model_backward_parts(t->model, ws, j->inputs + off, j->targets + off, shard_weight(t, j->k), &t->model->g,
                             sum_part, t);
    else if (j->kind == JOB_FORWARD_BACKWARD && isfinite(j->loss))
        model_backward_into(t->model, ws, j->inputs + off, j->targets + off, shard_weight(t, j->k), &t->shard_g[j->k]);
    return NULL;
}

// Runs the job on every shard (shard 0 on this thread) and returns the sum of the shards' weighted losses.
static float on_all_shards(Trainer *t, JobKind kind, const Memory *mem, const int32_t *inputs, const int32_t *targets) {
    ShardJob jobs[MAX_SHARDS];
    pthread_t threads[MAX_SHARDS];
    int started[MAX_SHARDS] = {0};
    for (int k = 0; k < t->n_shards; k++) jobs[k] = (ShardJob){t, k, kind, mem, inputs, targets, 0.0f};
    for (int k = 1; k < t->n_shards; k++) started[k] = pthread_create(&threads[k], NULL, run_shard, &jobs[k]) == 0;
    for (int k = 0; k < t->n_shards; k++)
        if (!k || !started[k]) run_shard(&jobs[k]); // a thread that could not start runs here
    float total = 0.0f;
    for (int k = 0; k < t->n_shards; k++) {
        if (k && started[k]) pthread_join(threads[k], NULL);
        total += kind == JOB_AR ? jobs[k].loss : shard_weight(t, k) * jobs[k].loss;
    }
    return total;
}

static float sharded_pass(Trainer *t, const Memory *mem, const int32_t *inputs, const int32_t *targets,
                          int backward) {
    return on_all_shards(t, backward ? JOB_FORWARD_BACKWARD : JOB_FORWARD, mem, inputs, targets);
}


// AR loss of every shard in parallel, each into its own conv gradients, then summed.
static float shards_ar_loss(Trainer *t, float *ar, int compressed) {
    int L = t->model->cfg.n_layers;
    memset(ar, 0, sizeof(float) * L);
    if (!compressed) return 0.0f;
    CompressSet *cs = model_active_set(t->model);
    long n = cs->block.layout.total;
    fit_set_buffers(t);
    for (int k = 1; k < t->n_shards; k++) memset(t->shard_conv_grads[k], 0, sizeof(float) * n);
    float total = on_all_shards(t, JOB_AR, NULL, NULL, NULL);
    for (int k = 0; k < t->n_shards; k++) {
        for (int l = 0; l < L; l++) ar[l] += t->shard_ar[k][l];
        if (k)
            for (long i = 0; i < n; i++) cs->block.grads[i] += t->shard_conv_grads[k][i];
    }
    if (t->model->cfg.compress_loss != COMPRESS_LOSS_NONE) cs->used = 1; // model_ar_loss's rule: "none" trains nothing
    return total;
}

// The ranks' AR gradients of the active convs and their per-layer AR losses, summed in one call.
static void sum_ar_across_ranks(Trainer *t, StepStats *s) {
    int L = t->model->cfg.n_layers;
    ParamBlock *b = &model_active_set(t->model)->block;
    long n = b->layout.total, total = n + L + 1;
    fit_set_buffers(t);
    memcpy(t->ar_pack, b->grads, sizeof(float) * n);
    memcpy(t->ar_pack + n, s->ar, sizeof(float) * L);
    t->ar_pack[n + L] = s->ar_total;
    t->ranks->sum(t->ranks->ctx, t->ar_pack, total);
    memcpy(b->grads, t->ar_pack, sizeof(float) * n);
    memcpy(s->ar, t->ar_pack + n, sizeof(float) * L);
    s->ar_total = t->ar_pack[n + L];
}

// The training step of model.md over the batch in t->inputs/targets: forward over the old memories,
// CE backward, memory update and compression, AR loss and backward, clip, Adam.
static void step_on_batch(Trainer *t, Memory *mem, const int32_t *inputs, const int32_t *targets, long segment_pos,
                          StepStats *out) {
    Model *m = t->model;
    const Config *c = &m->cfg;
    StepStats s = {0};
    const Ranks *r = t->ranks;
    model_zero_grad(m);
    int by_layer = t->by_layer = r && r->sum_by_layer && t->n_shards == 1 && t->parts_found;
    s.ce = sharded_pass(t, mem, inputs, targets, 1);
    t->by_layer = 0;
    if (by_layer && !isfinite(s.ce)) // no backward ran here, but the other ranks' sums need this rank's parts
        for (int p = c->n_layers; p >= -1; p--) sum_part(t, p);
    if (r) r->sum(r->ctx, &s.ce, 1); // before the test below: every rank must agree
    if (!isfinite(s.ce)) { // a non-finite forward must not reach the memory either
        if (r) r->finish_sums(r->ctx);
        s.skipped = 1;
        s.bpc = s.lr = s.grad_norm = s.ce;
        *out = s;
        return;
    }
    double main_sq = on_all_ranges(t, RANGE_SUM_SHARDS, 0.0f, 1.0f); // sums the shards' gradients into the model's
    if (r && !by_layer) r->start_sum(r->ctx, m->main.grads, m->main.layout.total); // may run during the memory update and AR
    s.compressed = model_update_memory_shards(m, t->shard_ws, t->n_shards, mem, segment_pos);
    s.ar_total = shards_ar_loss(t, s.ar, s.compressed);
    if (r) {
        if (s.compressed) sum_ar_across_ranks(t, &s); // the same on every rank: all hold the same row counts
        r->finish_sums(r->ctx);
        main_sq = on_all_ranges(t, RANGE_SQUARES, 0.0f, 1.0f);
    }
    double norm = sqrt(global_grad_sq(m, main_sq));
    s.grad_norm = (float)norm;
    s.skipped = !isfinite(s.ar_total) || !isfinite(norm);
    if (!s.skipped) {
        // as torch.nn.utils.clip_grad_norm_
        float coef = c->clip > 0.0f ? (float)(c->clip / (norm + 1e-6)) : 1.0f;
        apply_update(t, coef);
    }
    s.bpc = s.ce / (float)M_LN2;
    s.lr = adam_lr(c, m->main.adam_t);
    *out = s;
}

void train_on_segment(Model *m, Workspace *ws, Memory *mem, const int32_t *inputs, const int32_t *targets,
                      long segment_pos, StepStats *out) {
    Trainer one = {.model = m, .ws = ws, .n_shards = 1, .shard_ws = {ws}, .shard_g = {m->g}};
    step_on_batch(&one, mem, inputs, targets, segment_pos, out);
}

void trainer_next_position(const Trainer *t, long *epoch, long *batch_index) {
    int wraps = t->batch_index >= t->train.n_steps;
    *epoch = t->epoch + wraps;
    *batch_index = wraps ? 0 : t->batch_index;
}

void trainer_step(Trainer *t, StepStats *out) {
    const Config *c = &t->model->cfg;
    long epoch, index;
    trainer_next_position(t, &epoch, &index);
    if (epoch != t->epoch) { // a new epoch reads every stream from its start: the memory starts empty
        t->epoch = epoch;
        t->batch_index = index;
        memory_reset(&t->mem);
    }
    batcher_get(&t->train, t->batch_index, t->inputs, t->targets);
    StepStats s;
    step_on_batch(t, &t->mem, t->inputs, t->targets, t->batch_index * c->seq_len, &s);
    if (!s.skipped) {
        t->step++;
        history_push(&t->train_history, t->step, s.ce);
    }
    t->batch_index++;
    s.step = t->step;
    if (out) *out = s;
}

static float validate_segment(Trainer *t, long k) {
    const Config *c = &t->model->cfg;
    batcher_get(&t->valid, k, t->inputs, t->targets);
    float ce = sharded_pass(t, &t->valid_mem, t->inputs, t->targets, 0);
    if (t->ranks) t->ranks->sum(t->ranks->ctx, &ce, 1);
    model_update_memory_shards(t->model, t->shard_ws, t->n_shards, &t->valid_mem, k * c->seq_len);
    return ce;
}

// The next segment of the running validation (wrapping around, with a fresh memory, at the split's end).
static float validate_next(Trainer *t) {
    if (t->valid_index >= t->valid.n_steps) {
        t->valid_index = 0;
        memory_reset(&t->valid_mem);
    }
    return validate_segment(t, t->valid_index++);
}

float trainer_validate_segments(Trainer *t, long n, int whole, ValidProgress progress, void *ctx) {
    if (t->valid.n_steps < 1 || n < 1) return NAN;
    if (whole) {
        memory_reset(&t->valid_mem);
        t->valid_index = 0;
    }
    double sum = 0.0;
    int cancelled = 0;
    for (long k = 0; k < n && !cancelled; k++) {
        sum += validate_next(t);
        if (progress) cancelled = progress(ctx, k + 1, n);
    }
    if (whole) {
        memory_reset(&t->valid_mem);
        t->valid_index = 0;
    }
    return cancelled ? NAN : (float)(sum / n);
}

