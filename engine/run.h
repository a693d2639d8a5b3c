// A training run: one model, its trainer over a corpus, and where it stands. `memscope train`, the TUI's
// trainer thread, `lab`, `bench` and the other ranks of memscope-mpi all open, step, validate, save and
// close a run through these functions rather than wiring a Model and a Trainer each their own way.
#ifndef MEMSCOPE_RUN_H
#define MEMSCOPE_RUN_H

#include <stddef.h>

#include "checkpoint.h"
#include "data.h"
#include "model.h"
#include "trainer.h"

typedef struct {
    Model *model;
    Trainer t;
    const Corpus *corpus; // borrowed: it must outlive the run
} Run;

// Bytes a run of cfg with `batch` streams on `threads` training threads allocates when it opens: the
// parameter blocks (parameters, gradients, Adam m and v) and the rest (memories, workspaces, gradient
// shards, the batch). Computed by the layout code the allocations use, so it is the allocation, not an
// estimate; what grows later (compression sets the user adds, the shards' gradients of a larger set, the
// loss history) is not in it.
typedef struct {
    size_t params, activations;
} RunBudget;
RunBudget run_budget(const Config *cfg, int batch, int threads);
// What the run's model and trainer hold now (run_budget's two parts summed, plus what grew since).
size_t run_bytes(const Run *r);

// Opens a run of cfg (validated by config_validate; vocab_size must be the corpus's) on corpus: the model
// from cfg->seed, or with ck its weights; then, when ck holds the training state, the optimizer, memory and
// data position exactly as they were saved, and ck's loss history. Splits each step over `threads` threads
// (BLAS stays at one thread per caller when there are several). On failure nothing is left open and err
// holds one line: -1 when the weights or the corpus were refused, -2 when the checkpoint's training state
// or history was.
int run_open(Run *r, const Config *cfg, const Corpus *corpus, const Checkpoint *ck, int threads, char *err,
             size_t errlen);
void run_close(Run *r);
// Closes the trainer and hands the model to the caller (who frees it with model_free).
Model *run_take_model(Run *r);

void run_set_threads(Run *r, int threads);
// Makes the run one of ranks->n_ranks processes (memscope-mpi): see trainer_set_ranks.
int run_set_ranks(Run *r, const Ranks *ranks, char *err, size_t errlen);

// One optimizer step on the next batch (the epoch moves on when the last batch was read).
void run_step(Run *r, StepStats *out);

// Where the next step reads, with the epoch's end resolved: after the last batch of an epoch the run stands
// at batch 0 of the next one (and that step starts with an empty memory: new_epoch).
typedef struct {
    long epoch;     // 0-based
    long batch;     // segment of the epoch
    long per_epoch; // segments per epoch
    int new_epoch;  // the next step starts this epoch (the training memory is reset before it)
} RunPosition;
RunPosition run_position(const Run *r);
long run_batches_done(const Run *r); // batches read since the first epoch began: epoch · per_epoch + batch
double run_epochs_done(const Run *r); // the same in epochs (1.5: half way through the second)
// Steps until the memory and the compressed memory are full, so later steps are steady-state ones.
int run_warmup_steps(const Config *c);

// What the app reads of a run (it never reaches into the trainer inside):
long run_steps(const Run *r);                        // optimizer steps taken
const Memory *run_memory(const Run *r);              // the training memory (every stream)
Workspace *run_workspace(Run *r);                    // stream 0's shard: the last forward's activations
long run_stream_len(const Run *r);                   // one training stream's characters (stream 0: text[0, len))
const History *run_history(const Run *r, int valid); // the training (0) or validation (1) loss curve
int run_threads(const Run *r);                       // training threads (shards of the batch)
int run_streams(const Run *r);                       // streams this process trains (its ranks' share)

// Segments of the validation split (0: shorter than one batch, no validation).
long run_valid_segments(const Run *r);
// Mean validation CE over n segments, calling progress(ctx, done, n) after each: whole = 1 from a fresh
// validation memory over the split's start (n = run_valid_segments for model.md's figure), whole = 0 the
// next n segments of the running validation. A non-zero progress return cancels: NAN.
float run_validate(Run *r, long n, int whole, ValidProgress progress, void *ctx);
// The whole validation split: model.md's validation figure.
float run_validate_full(Run *r, ValidProgress progress, void *ctx);
// Records a validation figure at the run's current step in its loss history (saved with the checkpoint,
// drawn by the TUI). The caller decides which figures make the curve (train: the periodic ones).
void run_record_valid(Run *r, float ce);

// Writes the full checkpoint (weights, optimizer, memory, position, history) atomically to path through
// engine/output_file. With ranks, every rank must call it (the memory is gathered) and rank 0 writes.
int run_save(Run *r, const char *path, char *err, size_t errlen);

#endif
