// Forward and backward of the Compressive Transformer over one segment (model.md, Architecture).
#ifndef MEMSCOPE_FORWARD_H
#define MEMSCOPE_FORWARD_H

#include <stdint.h>

#include "memory.h"
#include "model.h"
#include "workspace.h"

// Forward one segment of T ≤ seq_len tokens per stream over the current memories.
// inputs, targets (B, T); targets may be NULL (no loss). Returns the mean CE (0 without targets).
float model_forward(const Model *m, Workspace *ws, const Memory *mem, const int32_t *inputs,
                    const int32_t *targets, int T);
// Backward of the mean CE of the last forward (memory must be unchanged since).
void model_backward(Model *m, Workspace *ws, const Memory *mem, const int32_t *inputs, const int32_t *targets);
// The same, with the loss scaled by dloss and the gradients added into g (a gradient shard or &m->g).
void model_backward_into(const Model *m, Workspace *ws, const int32_t *inputs, const int32_t *targets, float dloss,
                         ModelParams *g);
// The same, calling done(ctx, part) as soon as a part's gradients are final: part n_layers (the final norm
// and the head) first, then each layer from the last, then -1 (the embedding). Data parallelism starts
// summing a part across ranks while the backward goes on.
void model_backward_parts(const Model *m, Workspace *ws, const int32_t *inputs, const int32_t *targets, float dloss,
                          ModelParams *g, void (*done)(void *ctx, int part), void *ctx);

#endif
