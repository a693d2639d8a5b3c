// The opt-in fp16 generation's forward of one character (half.h).
#ifndef MEMSCOPE_FORWARD_HALF_H
#define MEMSCOPE_FORWARD_HALF_H

#include <stdint.h>

#include "half.h"
#include "kv_cache.h"
#include "memory.h"
#include "model.h"
#include "workspace.h"

// model_forward of one token (T = 1, batch 1) through the fp16 copies, with memory keys/values from cache's
// fp16 rows (kvcache_set_half). Fills the workspace as model_forward does (layer inputs, [q | k | v], attention
// probabilities, logits), so model_update_memory and kvcache_follow_update follow it unchanged.
void model_forward_half(const Model *m, Workspace *ws, const HalfWeights *hw, const KvCache *cache,
                        const Memory *mem, int32_t token);

#endif
