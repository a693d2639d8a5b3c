// Engine-internal helpers of the memory lab (issue 6): compression parameter sets, the dispatch of the
// compression function, and the attention accounting of "most-used". Public choices are in model.h.
#ifndef MEMSCOPE_LAB_H
#define MEMSCOPE_LAB_H

#include <stdint.h>

#include "memory.h"
#include "model.h"

#define MOST_USED_MAX_ROWS 8192 // ≥ mem_len + seq_len for every valid config

// engine/params.c: where a set's tensors sit (in its params, or in any buffer laid out like its block)
long set_layer_floats(int fn, int d, int c);          // one layer's function tensors
float *set_fn_params(const ConvSet *cs, int layer, int d);
long set_fn_offset(const ConvSet *cs, int layer, int d);
long set_decoder_offset(const ConvSet *cs, int layer, int d); // weight (d, d, c) then bias (d)

// engine/most_used.c: attention accounting (see memory.h) and the choice of rows to keep
void memory_usage_accumulate(Memory *mem, const Workspace *ws, int heads); // after a forward over mem
void memory_usage_count_reads(Memory *mem, int T, int heads);              // once per forward (all shards)
void memory_usage_append(Memory *mem, int T);  // zeroes rows m..m+T−1 before they are counted in m
void memory_usage_evict(Memory *mem, int n_old); // drops the oldest n_old rows (before m shrinks)
// sel (n): the n most-attended of the oldest n_old rows of (layer, stream), ascending
void most_used_choose(int32_t *sel, const Memory *mem, int layer, int stream, int n_old, int n);

// engine/ar_loss.c: per-workspace lab scratch. Rows chosen by most-used at the last update: (L, B, rows_max).
int32_t *lab_selection(Workspace *ws, const Model *m);

// engine/compression.c: f_c of the active set on the evicted rows of one layer of a shard:
// out (B·n, d), in (B·n_old, d) stream after stream; most-used reads the selection of (layer, stream).
void compress_fn_forward(const Model *m, const ConvSet *cs, Workspace *ws, int layer, float *out, const float *in,
                         int n, int n_old);
// Its parameter gradient (when it has parameters) into dparams laid out like one layer of the set's function
// tensors; din may be NULL.
void compress_fn_backward(const Model *m, const ConvSet *cs, Workspace *ws, int layer, float *din, float *dparams,
                          const float *dout, const float *in, int n, int n_old);

#endif
