// Training and validation over a corpus: stream batching, memories, the optimizer step.
#ifndef MEMSCOPE_TRAINER_H
#define MEMSCOPE_TRAINER_H

#include "data.h"
#include "history.h"
#include "model.h"

typedef struct {
    long step;        // optimizer steps taken after this one
    float ce, bpc, ar_total, lr, grad_norm;
    float ar[64];     // per layer
    int compressed;   // rows removed from memory this step
    int skipped;      // loss or gradient not finite: the step was not applied
} StepStats;

#define MAX_SHARDS 8

typedef struct {
    Model *model;
    Workspace *ws;       // the first shard's workspace (it holds stream 0), shared by training and validation
    int n_shards;        // the batch is split into this many shards of consecutive streams, one thread each
    Workspace *shard_ws[MAX_SHARDS];
    float *shard_grads[MAX_SHARDS]; // gradient blocks of shards 1.. (shard 0 writes the model's own)
    float *shard_conv_grads[MAX_SHARDS]; // their AR gradients of the active convs
    long shard_conv_floats[MAX_SHARDS];
    float shard_ar[MAX_SHARDS][64];
    ModelParams shard_g[MAX_SHARDS];
    Memory mem;          // training memory
    Memory valid_mem;    // validation memory
    Batcher train, valid;
    long step;           // optimizer steps taken
    long epoch;          // 0-based epoch of the next step
    long batch_index;    // segment of the epoch the next step reads
    long valid_index;    // next segment of a running partial validation
    int32_t *inputs, *targets; // (B, Q)
    History train_history; // training CE of every applied step (trainer_step pushes it)
    History valid_history; // validation CE at the steps it was measured (whoever validates pushes it)
} Trainer;

int trainer_init(Trainer *t, Model *model, const Corpus *corpus, char *err, size_t errlen);
void trainer_free(Trainer *t);
// Splits each step over n threads (shards of the batch; at most batch_size, MAX_SHARDS). Each shard runs
// its own forward and backward; gradients are summed before the optimizer step. With n > 1 keep BLAS at
// one thread per caller.
void trainer_set_threads(Trainer *t, int n);
void trainer_step(Trainer *t, StepStats *out);
// One optimizer step on a given segment (B, Q): forward, CE backward, memory update, AR, clip, Adam.
void train_on_segment(Model *m, Workspace *ws, Memory *mem, const int32_t *inputs, const int32_t *targets,
                      long segment_pos, StepStats *out);
// Mean CE over the whole validation split from a fresh validation memory (the figure of model.md).
float trainer_validate_full(Trainer *t);
// The same, calling progress after every segment (done of total); a non-zero return cancels the validation,
// which then returns NAN. The validation memory and position are reset either way.
typedef int (*ValidProgress)(void *ctx, long done, long total);
float trainer_validate_full_progress(Trainer *t, ValidProgress progress, void *ctx);
// Mean CE over the next n validation segments, continuing the validation memory (wraps around).
float trainer_validate_some(Trainer *t, int n);

#endif
