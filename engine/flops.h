// FLOP counts of the model, for the benchmark.
#ifndef MEMSCOPE_FLOPS_H
#define MEMSCOPE_FLOPS_H

#include "config.h"

// Training FLOPs per token (forward + backward + AR loss) at steady state.
double train_flops_per_token(const Config *c);
// The same for the products the engine actually runs (fewer where the memory attention is absorbed).
double train_flops_executed_per_token(const Config *c);
// The matmul with the most FLOPs in a step: rows × in → out (rows divided by rows_split).
void largest_matmul(const Config *c, int rows_split, long *rows, long *in, long *out);

#endif
