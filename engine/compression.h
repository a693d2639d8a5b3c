// The memory step of model.md (2–4) and the compression function f_c of the active parameter set.
#ifndef MEMSCOPE_COMPRESSION_H
#define MEMSCOPE_COMPRESSION_H

#include "memory.h"
#include "model.h"
#include "workspace.h"

// Memory step of model.md 2–4 after a forward: appends the layer inputs, compresses the overflow with
// the active compression function (no gradient). Returns the number of rows removed (n·c, 0 when none) and
// leaves them in the workspace for the compression loss.
int model_update_memory(const Model *m, Workspace *ws, Memory *mem, long segment_pos);
// The same when the batch was split over n workspaces (shards of consecutive streams).
int model_update_memory_shards(const Model *m, Workspace *const *ws, int n, Memory *mem, long segment_pos);

// f_c of the set cs on the evicted rows of one layer of a shard: out (B·n, d), in (B·n_old, d) stream after
// stream; most-used gathers the rows it chose at the last memory update.
void compress_fn_forward(const Model *m, const CompressSet *cs, Workspace *ws, int layer, float *out, const float *in,
                         int n, int n_old);
// Its parameter gradient (when it has parameters) into dparams laid out like one layer of the set's function
// tensors; din may be NULL.
void compress_fn_backward(const Model *m, const CompressSet *cs, Workspace *ws, int layer, float *din, float *dparams,
                          const float *dout, const float *in, int n, int n_old);

#endif
