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

// engine/attention.c: relative multi-head attention of model.md over K keys whose last T rows are the
// queries' own segment. Key j is visible to query i when its distance δ = (K − T + i) − j ≥ 0.
typedef struct {
    int batch, queries, keys, d_model, heads, rel_len; // B, T, K, d, H, R
} AttentionDims;
void attention_forward(float *ctx, float *probs, float *scratch, const float *q, const float *k, const float *v,
                       const float *rel_key, const float *rel_bias, const float *content_bias, AttentionDims dm);
// ctx (B, T, d), probs (B, H, T, K), scratch (attention_scratch_floats), q (B, T, d), k (B, K, d),
// v (B, K, d), rel_key (R, H, d_k), rel_bias (R, H), content_bias (H, d_k)
void attention_backward(float *dq, float *dk, float *dv, float *drel_key, float *drel_bias,
                        float *dcontent_bias, float *scratch, const float *dctx, const float *probs,
                        const float *q, const float *k, const float *v, const float *rel_key,
                        const float *content_bias, AttentionDims dm);
long attention_scratch_floats(AttentionDims dm);

// engine/plain_attention.c: softmax(q kᵀ / sqrt(d_k)) v per head, no mask, no relative terms (AR loss).
void plain_attention_forward(float *out, float *probs, const float *q, const float *k, const float *v, int batch,
                             int queries, int keys, int d_model, int heads);
// out (B, T, d), probs (B, H, T, S), q (B, T, d), k (B, S, d), v (B, S, d)
void plain_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                              const float *probs, const float *q, const float *k, const float *v, int batch,
                              int queries, int keys, int d_model, int heads);
// scratch (T, S)

// engine/compress.c: Conv1d(d → d, kernel = stride = c) over time, weight (d_out, d_in, c) as PyTorch.
void compress_forward(float *out, const float *in, const float *weight, const float *bias, int n_out, int d, int c);
// out (n_out, d), in (n_out·c, d)
void compress_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                       const float *weight, int n_out, int d, int c);

#endif
