// Training and validation over a corpus: stream batching, memories, the optimizer step.
#ifndef MEMSCOPE_TRAINER_H
#define MEMSCOPE_TRAINER_H

#include "data.h"
#include "history.h"
#include "model.h"
#include "workspace.h"

typedef struct {
    long step;        // optimizer steps taken after this one
    float ce, bpc, ar_total, lr, grad_norm;
    float ar[CONFIG_MAX_LAYERS]; // per layer
    int compressed;   // rows removed from memory this step
    int skipped;      // loss or gradient not finite: the step was not applied
} StepStats;

#define MAX_SHARDS 8

// Data parallelism across processes (memscope-mpi): each rank computes its own streams and the ranks sum
// their partial losses and gradients through these callbacks, which the app implements on MPI; the engine
// knows no MPI. Every sum is in place and leaves the same total on every rank.
typedef struct {
    int rank, n_ranks;
    void *ctx;
    void (*sum)(void *ctx, float *data, long n);
    // The same sum, started without waiting (it may run while the caller computes); finish_sums waits
    // for every started one.
    void (*start_sum)(void *ctx, float *data, long n);
    void (*finish_sums)(void *ctx);
    // In place: rank r's n floats at data + r·n reach rank 0 (the others' data stays as it was).
    void (*gather)(void *ctx, float *data, long n);
    // With one thread per rank, start each layer's gradient sum as soon as the backward pass has finished
    // it (else the whole block's after the backward).
    int sum_by_layer;
} Ranks;

typedef struct {
    Model *model;
    Workspace *ws;       // the first shard's workspace (it holds stream 0), shared by training and validation
    int n_shards;        // the batch is split into this many shards of consecutive streams, one thread each
    Workspace *shard_ws[MAX_SHARDS];
    float *shard_grads[MAX_SHARDS]; // gradient blocks of shards 1.. (shard 0 writes the model's own)
    float *shard_conv_grads[MAX_SHARDS]; // their AR gradients of the active compression set
    long shard_conv_floats[MAX_SHARDS];
    float shard_ar[MAX_SHARDS][CONFIG_MAX_LAYERS];
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
    History valid_history; // validation CE at the steps it was measured (run_record_valid: the caller chooses)
    // One of several ranks: the memories keep all B streams (a save needs them), but this rank reads and
    // writes only [stream_lo, stream_lo + n_streams); NULL ranks: one process, all streams.
    const Ranks *ranks;
    int stream_lo, n_streams;
    float *ar_pack;      // (set floats + L + 1) the AR gradients and losses summed across ranks in one go
    long ar_pack_floats;
    int by_layer;        // this step's gradient sums start layer by layer during the backward pass
    int parts_found;     // part_start is known
    long part_start[CONFIG_MAX_LAYERS + 3]; // where part p's gradients begin in the main block, at [p + 1] (see
                                            // model_backward_parts); the embedding, the layers, the head, the end
} Trainer;

int trainer_init(Trainer *t, Model *model, const Corpus *corpus, char *err, size_t errlen);
void trainer_free(Trainer *t);
// Bytes trainer_init and trainer_set_threads(threads) allocate for config c (memories, workspaces, gradient
// shards and their compression-set gradients, the batch), counted by the code that lays them out;
// trainer_bytes: what t holds now (with the ranks' pack, and the shards' set gradients as grown since).
size_t trainer_plan_bytes(const Config *c, int threads);
size_t trainer_bytes(const Trainer *t);
// Splits each step over n threads (shards of the batch; at most batch_size, MAX_SHARDS). Each shard runs
// its own forward and backward; gradients are summed before the optimizer step. With n > 1 keep BLAS at
// one thread per caller.
void trainer_set_threads(Trainer *t, int n);
void trainer_step(Trainer *t, StepStats *out);
// The epoch and batch the next step reads: the epoch moves on lazily, when a step starts after the last batch.
void trainer_next_position(const Trainer *t, long *epoch, long *batch_index);
// Makes the trainer one of ranks->n_ranks: it keeps the same number of threads over its share of the
// streams. The batch must split evenly (else -1 and one line naming B and N in err). ranks must outlive t.
int trainer_set_ranks(Trainer *t, const Ranks *ranks, char *err, size_t errlen);
// Copies every rank's streams of the training memory to rank 0 (collective), which then holds the memory one
// process would: call it before rank 0 saves. The other ranks never touch streams not theirs, so the pages
// of those stay unallocated there.
void trainer_gather_memory(Trainer *t);
// One optimizer step on a given segment (B, Q): forward, CE backward, memory update, AR, clip, Adam.
void train_on_segment(Model *m, Workspace *ws, Memory *mem, const int32_t *inputs, const int32_t *targets,
                      long segment_pos, StepStats *out);
// Called after every validation segment (done of total); a non-zero return cancels the validation.
typedef int (*ValidProgress)(void *ctx, long done, long total);
// Mean CE over n validation segments, calling progress after each: whole = 1 the split from a fresh
// validation memory (n = the split's segments: the figure of model.md; the memory and position are reset
// afterwards too), whole = 0 the next n of the running validation (wrapping around). NAN when progress
// cancelled it.
float trainer_validate_segments(Trainer *t, long n, int whole, ValidProgress progress, void *ctx);

#endif
