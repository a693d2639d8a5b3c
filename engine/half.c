// The fp16 copy of the per-row weights for generation (half.h).
#include "half.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vecmath.h"

uint16_t *half_alloc(long n) {
    size_t bytes = (sizeof(uint16_t) * (size_t)n + 63) / 64 * 64 + 64;
    return aligned_alloc(64, bytes);
}

void half_from_floats(uint16_t *dst, const float *src, long n) {
    long i = 0;
#ifdef __F16C__
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm256_cvtps_ph((__m256)v8_load(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        memcpy(dst + i, &h, sizeof h);
    }
#endif
    for (; i < n; i++) dst[i] = half_from_float(src[i]);
}

// fp16 values per layer: [W_q; W_k; W_v], W_o, W_up, W_down, rel_key.
static long layer_halves(const Model *m) {
    long d = m->cfg.d_model, ff = m->cfg.d_ff;
    return 4 * d * d + 2 * ff * d + (long)m->rel_len * d;
}

int half_weights_init(HalfWeights *hw, const Model *m) {
    memset(hw, 0, sizeof *hw);
    hw->n_layers = m->cfg.n_layers;
    long per = layer_halves(m), d = m->cfg.d_model, ff = m->cfg.d_ff;
    hw->block = half_alloc(per * hw->n_layers);
    if (!hw->block) return -1;
    for (int l = 0; l < hw->n_layers; l++) {
        HalfLayer *h = &hw->layer[l];
        h->qkv = hw->block + l * per;
        h->wo = h->qkv + 3 * d * d;
        h->w_up = h->wo + d * d;
        h->w_down = h->w_up + ff * d;
        h->rel_key = h->w_down + d * ff;
    }
    return 0;
}

void half_weights_free(HalfWeights *hw) {
    free(hw->block);
    memset(hw, 0, sizeof *hw);
}

// Checks before converting: fp16 would turn a larger weight into Inf (and NaN stays NaN).
static int convert(uint16_t *dst, const float *src, long n, const char *name, int l, char *err, size_t errlen) {
    for (long i = 0; i < n; i++)
        if (!(fabsf(src[i]) <= 65504.0f)) {
            snprintf(err, errlen, "layers.%d.%s[%ld] = %g does not fit fp16 (|w| <= 65504); use full precision", l,
                     name, i, (double)src[i]);
            return -1;
        }
    half_from_floats(dst, src, n);
    return 0;
}

int half_weights_update(HalfWeights *hw, const Model *m, char *err, size_t errlen) {
    long d = m->cfg.d_model, ff = m->cfg.d_ff;
    for (int l = 0; l < hw->n_layers; l++) {
        const LayerParams *lp = &m->p.layer[l];
        const HalfLayer *h = &hw->layer[l];
        struct {
            uint16_t *dst;
            const float *src;
            long n;
            const char *name;
        } t[] = {{h->qkv, lp->wq, d * d, "attn.q.weight"},       {h->qkv + d * d, lp->wk, d * d, "attn.k.weight"},
                 {h->qkv + 2 * d * d, lp->wv, d * d, "attn.v.weight"}, {h->wo, lp->wo, d * d, "attn.o.weight"},
                 {h->w_up, lp->w_up, ff * d, "ffn.up.weight"},    {h->w_down, lp->w_down, d * ff, "ffn.down.weight"},
                 {h->rel_key, lp->rel_key, (long)m->rel_len * d, "attn.rel_key"}};
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
            if (convert(t[i].dst, t[i].src, t[i].n, t[i].name, l, err, errlen)) return -1;
    }
    return 0;
}
