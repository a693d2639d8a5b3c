// Relative attention (model.md) whose memory keys and values are never materialised: the projections are
// absorbed into the queries. With y_j = x̂_j ⊙ w + b a memory row after LN_att, k_j = W_k y_j and
// v_j = W_v y_j + b_v, so per head
//   (q + cb) · k_j = ũ · y_j   with ũ = W_kᵀ (q + cb)   (d floats per query and head)
//   Σ_j p_j v_j   = W_v c + P b_v   with c = Σ_j p_j y_j, P = Σ_j p_j   (memory keys only)
// Projecting M memory rows costs M·2d² per stream; the absorbed form costs 2·T·d² + 2·T·H·M·d, far less
// when the segment is short next to the memory (labml: T 8, H 4, M 136). The weight and LayerNorm
// gradients of the memory rows come from the same (T·H, d) products (derivation in absorbed_attention.c).
#ifndef MEMSCOPE_ABSORBED_ATTENTION_H
#define MEMSCOPE_ABSORBED_ATTENTION_H

#include "ops.h"

typedef struct {
    const float *ln_w, *ln_b;                        // (d), (d) LN_att, applied to memory rows here
    const float *wk, *wv, *bv;                       // (d, d), (d, d), (d)
    const float *rel_key, *rel_bias, *content_bias;  // (R, H, d_k), (R, H), (H, d_k)
} AbsorbedWeights;

typedef struct {
    float *ln_w, *ln_b, *wk, *wv, *bv, *rel_key, *rel_bias, *content_bias; // as AbsorbedWeights
} AbsorbedGrads;

// What the backward needs from the forward, n = B·H·T rows in (b, h, i) order.
typedef struct {
    float *u;   // (B, H, T, d) ũ = W_kᵀ (q + cb) per head
    float *cx;  // (B, H, T, d) Σ_{j < M} p_ij x̂_j
    float *pm;  // (B, H, T)    Σ_{j < M} p_ij
} AbsorbedSaved;

// Whether the absorbed form does clearly fewer multiply-adds than projecting the memory rows (a workspace's
// default; workspace_set_memory_attention chooses otherwise).
int absorbed_attention_pays(AttentionDims dm);
long absorbed_attention_scratch_floats(AttentionDims dm);
long absorbed_attention_saved_floats(AttentionDims dm); // u + cx + pm

void absorbed_attention_forward(float *ctx, float *probs, AbsorbedSaved sv, float *scratch, const float *qkv,
                                const float *xhat, AbsorbedWeights w, AttentionDims dm);
// ctx (B, T, d), probs (B, H, T, K), qkv (B, T, 3d) [q | k | v] of the segment rows (LN, bias included),
// xhat (B, M, d) memory rows normalised without the affine part
void absorbed_attention_backward(float *dqkv, AbsorbedGrads g, float *scratch, const float *dctx, const float *probs,
                                 AbsorbedSaved sv, const float *qkv, const float *xhat, AbsorbedWeights w,
                                 AttentionDims dm);
// dqkv (B, T, 3d) gradient of the segment rows' [q | k | v]; every gradient is added into

#endif
