// Keys and values of the memory rows, kept while the weights do not change (generation, evaluation):
// a new character then costs one row of projections plus attention over the slots, instead of
// re-projecting every memory row. Batch 1 only.
#ifndef MEMSCOPE_KV_CACHE_H
#define MEMSCOPE_KV_CACHE_H

#include "memory.h"
#include "model.h"

typedef struct KvCache {
    int n_layers, d, cap; // rows of room per layer
    int start;            // first live row; rows [start, start + cm + m) are [cmem; mem], like Memory
    int cm, m;
    float *rows;          // (L, cap, 2d) [k | v]
    float *folded;        // (L, 2d·d + 2d): per layer [W_k; W_v] ⊙ LN weight, and [W_k; W_v]·LN bias + [0 | b_v]
} KvCache;

int kvcache_init(KvCache *c, const Model *m);
void kvcache_free(KvCache *c);
// Projects every row of mem (batch 1) with the model's current weights (and keeps those weights folded
// with the LayerNorm for the rows to come).
void kvcache_rebuild(KvCache *c, const Model *m, const Memory *mem);
// [k | v] rows of layer l: (cm + m, 2d)
const float *kvcache_layer(const KvCache *c, int l);
// Mirrors the last model_update_memory: appends the segment's own keys/values from the forward, drops
// the rows that were compressed, projects the new compressed rows and keeps the last N_cm.
void kvcache_follow_update(KvCache *c, const Model *m, const Workspace *ws, const Memory *mem);

#endif
