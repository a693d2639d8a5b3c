// FLOP and byte counts of the model, for the benchmark.
#ifndef MEMSCOPE_FLOPS_H
#define MEMSCOPE_FLOPS_H

#include "config.h"

// Training FLOPs per token (forward + backward + AR loss) at steady state.
double train_flops_per_token(const Config *c);
// The same for the products the engine actually runs (fewer where the memory attention is absorbed).
double train_flops_executed_per_token(const Config *c);
// The matmul with the most FLOPs in a step: rows × in → out (rows divided by rows_split).
void largest_matmul(const Config *c, int rows_split, long *rows, long *in, long *out);
// Bytes one generated character reads at steady state (memory and compressed memory full, keys and values
// cached): every layer's row products, the cached [k | v] rows and rel_key rows of its N_m + N_cm slots, and
// once per c characters the compression function's weights and the new compressed row's key/value
// projection; the head. `half` counts the opt-in fp16 path (weights, cached rows and tables in 2 bytes; the
// compression function stays fp32). Generation at batch 1 is bound by how fast these bytes arrive.
double generation_bytes_per_char(const Config *c, int half);
// GB/s one thread reads from a working set of `bytes` (generation's, larger than L2: it comes from L3): the
// ceiling that generation_bytes_per_char divides.
double read_gb_per_s(double bytes);

#endif
