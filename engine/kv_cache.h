// Keys and values of the memory rows, kept while the weights do not change (generation, evaluation):
// a new character then costs one row of projections plus attention over the slots, instead of
// re-projecting every memory row. Batch 1 only.
#ifndef MEMSCOPE_KV_CACHE_H
#define MEMSCOPE_KV_CACHE_H

#include <stdint.h>

#include "memory.h"
#include "model.h"
#include "workspace.h"

typedef struct KvCache {
    int n_layers, d, cap; // rows of room per layer
    int start;            // first live row; rows [start, start + cm + m) are [cmem; mem], like Memory
    int cm, m;
    float *rows;          // (L, cap, 2d) [k | v]
    float *folded;        // (L, 2d·d + 2d): per layer [W_k; W_v] ⊙ LN weight, and [W_k; W_v]·LN bias + [0 | b_v]
    // opt-in fp16 generation (half.h): the rows mirrored in fp16 at the same places, and the folded weights
    // in fp16 for the compressed rows made one at a time; NULL when off
    uint16_t *rows16;     // (L, cap, 2d)
    uint16_t *folded16;   // (L, 2d, d)
} KvCache;

int kvcache_init(KvCache *c, const Model *m);
void kvcache_free(KvCache *c);
// Projects every row of mem (batch 1) with the model's current weights (and keeps those weights folded
// with the LayerNorm for the rows to come).
void kvcache_rebuild(KvCache *c, const Model *m, const Memory *mem);
// [k | v] rows of layer l: (cm + m, 2d)
const float *kvcache_layer(const KvCache *c, int l);
// Keeps (on != 0) or drops the fp16 mirror; on rebuilds it from the current rows and folded weights.
int kvcache_set_half(KvCache *c, int on);
// fp16 [k | v] rows of layer l: (cm + m, 2d); needs kvcache_set_half
const uint16_t *kvcache_layer_half(const KvCache *c, int l);
// Mirrors the last model_update_memory: appends the segment's own keys/values from the forward, drops
// the rows that were compressed, projects the new compressed rows and keeps the last N_cm.
void kvcache_follow_update(KvCache *c, const Model *m, const Workspace *ws, const Memory *mem);

#endif
