// Opt-in fp16 generation: a character costs one row of every layer's products plus attention over
// the cached memory slots, and at the labml shape that is bandwidth-bound (≈5 MB streamed from L3 per
// character). A generation-only fp16 copy of the per-row weights, the relative-key tables and the cached
// memory keys/values halves those bytes; F16C widens them to fp32, and every product and sum stays fp32.
// Off by default: sampling then gives exactly the fp32 results.
#ifndef MEMSCOPE_HALF_H
#define MEMSCOPE_HALF_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

// Room for n fp16 values on a 64-byte boundary (free() releases it): with rows of a multiple of 32 values
// every 32-byte load of 16 stays within one cache line (malloc's 16-byte alignment split every other one).
uint16_t *half_alloc(long n);
// dst (n) = src rounded to fp16, to nearest even (F16C when built for it, else vecmath.h's half_from_float)
void half_from_floats(uint16_t *dst, const float *src, long n);

typedef struct {
    uint16_t *qkv;     // (3d, d) [W_q; W_k; W_v]
    uint16_t *wo;      // (d, d)
    uint16_t *w_up;    // (d_ff, d)
    uint16_t *w_down;  // (d, d_ff)
    uint16_t *rel_key; // (R, H, d_k)
} HalfLayer;

typedef struct HalfWeights {
    int n_layers;
    HalfLayer layer[CONFIG_MAX_LAYERS];
    uint16_t *block; // every layer's tensors above, one allocation
} HalfWeights;

int half_weights_init(HalfWeights *hw, const Model *m);
void half_weights_free(HalfWeights *hw);
// Converts the model's current weights (round to nearest even). Returns -1, with the tensor named in err, when
// a weight is beyond fp16's range (|w| > 65504) or not finite: the copy would turn it into Inf.
int half_weights_update(HalfWeights *hw, const Model *m, char *err, size_t errlen);

#endif
