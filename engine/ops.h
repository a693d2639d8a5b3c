// The engine's ops, llm.c style: op_forward(outputs..., inputs..., dims) and
// op_backward(input grads..., output grad, saved inputs..., dims). Backward ADDS into every gradient
// it writes. Where a signature says "may be NULL" (layernorm, linear, compress, plain attention), a NULL
// gradient pointer skips that gradient (detached inputs); elsewhere every gradient pointer is required.
// Rows are contiguous: a (N, d) tensor is N rows of d floats.
#ifndef MEMSCOPE_OPS_H
#define MEMSCOPE_OPS_H

#include <stdint.h>

#define LAYERNORM_EPS 1e-5f

// engine/embedding.c
void embedding_forward(float *out, const int32_t *tokens, const float *table, int n, int d);
// out (n, d), tokens (n), table (V, d)
void embedding_backward(float *dtable, const float *dout, const int32_t *tokens, int n, int d);

// engine/layernorm.c
void row_stats(const float *x, int d, float *mean, float *rstd); // mean and 1/sqrt(var + eps) of one row
void layernorm_forward(float *out, float *mean, float *rstd, const float *in, const float *weight,
                       const float *bias, int n, int d);
// out (n, d), mean (n), rstd (n), in (n, d), weight (d), bias (d)
void layernorm_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                        const float *mean, const float *rstd, const float *weight, int n, int d);

// engine/linear.c: out = in · Wᵀ + bias (bias may be NULL)
void linear_forward(float *out, const float *in, const float *weight, const float *bias, int n, int in_dim,
                    int out_dim);
// out (n, out_dim), in (n, in_dim), weight (out_dim, in_dim), bias (out_dim)
void linear_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                     const float *weight, int n, int in_dim, int out_dim);

// engine/relu.c
void relu_forward(float *out, const float *in, int n);
void relu_backward(float *din, const float *dout, const float *in, int n);

// engine/crossentropy.c: mean over n rows of -log softmax(logits)[target]; probs kept for backward.
float crossentropy_forward(float *probs, float *losses, const float *logits, const int32_t *targets, int n,
                           int vocab);
// probs (n, V), losses (n), logits (n, V), targets (n)
void crossentropy_backward(float *dlogits, const float *probs, const int32_t *targets, float dloss, int n,
                           int vocab);
// dloss is the gradient of the scalar mean loss (1.0 for the training loss).

// engine/attention.c: relative multi-head attention of model.md. Each stream's K = M + T keys are its M
// memory rows ([compressed; memory], oldest first) followed by its own T segment rows; key j is visible
// to query i when its distance δ = (K − T + i) − j ≥ 0. Rows are read through AttentionRows, so q, k and
// v may be column slices of fused projections.
typedef struct {
    int batch, queries, mem_keys, d_model, heads, rel_len; // B, T, M, d, H, R
} AttentionDims;
typedef struct {
    float *q, *k_cur, *v_cur; // (B, T, ·) rows, cur_stride floats apart
    float *k_mem, *v_mem;     // (B, M, ·) rows, mem_stride floats apart (unused when M = 0)
    int cur_stride, mem_stride;
} AttentionRows;
void attention_forward(float *ctx, float *probs, float *scratch, AttentionRows in, const float *rel_key,
                       const float *rel_bias, const float *content_bias, AttentionDims dm);
// ctx (B, T, d), probs (B, H, T, K), scratch (attention_scratch_floats), rel_key (R, H, d_k),
// rel_bias (R, H), content_bias (H, d_k)
void attention_backward(AttentionRows grad, float *drel_key, float *drel_bias, float *dcontent_bias,
                        float *scratch, const float *dctx, const float *probs, AttentionRows in,
                        const float *rel_key, const float *content_bias, AttentionDims dm);
// grad: gradients of q, k, v in the same layout as in (k_mem/v_mem may be NULL: memory is detached)
long attention_scratch_floats(AttentionDims dm);

// engine/query_attention.c: attention_forward of one query (T = 1, one stream: generation) against M memory
// rows stored in fp32 (half = 0) or fp16 (half = 1, the opt-in path of half.h; rel_key then fp16 too).
typedef struct {
    const float *q, *k, *v;      // the query's own rows (d each)
    const void *k_mem, *v_mem;   // (M, ·) rows, mem_stride elements apart
    long mem_stride;
    int half;
} QueryRows;
void query_attention_forward(float *ctx, float *probs, QueryRows in, const void *rel_key, const float *rel_bias,
                             const float *content_bias, int M, int d, int H);
// ctx (d), probs (H, M + 1), rel_key (R, H, d_k), rel_bias (R, H), content_bias (H, d_k)

// engine/plain_attention.c: softmax(q kᵀ / sqrt(d_k)) v per head, no mask, no relative terms (AR loss).
void plain_attention_forward(float *out, float *probs, const float *q, const float *k, const float *v, int batch,
                             int queries, int keys, int d_model, int heads);
// out (B, T, d), probs (B, H, T, S), q (B, T, d), k (B, S, d), v (B, S, d)
void plain_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                              const float *probs, const float *q, const float *k, const float *v, int batch,
                              int queries, int keys, int d_model, int heads);
// scratch (T, S)

// engine/memory_projection.c: LayerNorm + linear over detached rows (memories), without input gradient.
void normalize_rows(float *xhat, float *mean, float *rstd, const float *in, int n, int d);
// xhat (n, d), mean (n), rstd (n), in (n, d): LayerNorm without the affine part
void memory_projection_forward(float *out, float *scratch, const float *xhat, const float *ln_weight,
                               const float *ln_bias, const float *weight, const float *bias, int n, int d,
                               int out_dim);
// out (n, out_dim) = (xhat ⊙ ln_weight + ln_bias) · weightᵀ + bias; scratch (out_dim·d + out_dim);
// folded (out_dim, d) = weight ⊙ ln_weight, folded_bias (out_dim) = weight · ln_bias + bias: out = xhat foldedᵀ + folded_bias
void memory_projection_fold(float *folded, float *folded_bias, const float *ln_weight, const float *ln_bias,
                            const float *weight, const float *bias, int d, int out_dim);
// weight (out_dim, d); bias (out_dim) may be NULL
void memory_projection_backward(float *dweight, float *dbias, float *dln_weight, float *dln_bias, float *scratch,
                                const float *dout, const float *xhat, const float *ln_weight, const float *ln_bias,
                                const float *weight, int n, int d, int out_dim);
// dbias may be NULL

// engine/compress.c: Conv1d(d → d, kernel = stride = c) over time, weight (d_out, d_in, c) as PyTorch.
// scratch: compress_scratch_floats(n_out, d, c) floats (the windows rearranged, and their gradient).
long compress_scratch_floats(int n_out, int d, int c);
void compress_forward(float *out, float *scratch, const float *in, const float *weight, const float *bias, int n_out,
                      int d, int c);
// out (n_out, d), in (n_out·c, d)
void compress_backward(float *din, float *dweight, float *dbias, float *scratch, const float *dout, const float *in,
                       const float *weight, int n_out, int d, int c);

#endif
