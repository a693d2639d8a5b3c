// The compression functions the memory lab compares with model.md's conv, llm.c style like engine/ops.h:
// op_forward(outputs..., inputs..., dims) and op_backward(input grads..., output grad, saved inputs..., dims);
// backward ADDS into every gradient it writes and a NULL gradient pointer skips that gradient. Rows are
// contiguous: (N, d) is N rows of d floats. Every compression op maps n_out windows of c consecutive rows,
// (n_out·c, d), to n_out rows, (n_out, d).
#ifndef MEMSCOPE_COMPRESS_OPS_H
#define MEMSCOPE_COMPRESS_OPS_H

#include <stdint.h>

// engine/compress_pool.c: parameter-free pooling, kernel = stride = c.
void pool_mean_forward(float *out, const float *in, int n_out, int d, int c);
// out[t, i] = (1/c) Σ_k in[t·c + k, i]
void pool_mean_backward(float *din, const float *dout, int n_out, int d, int c);
void pool_max_forward(float *out, const float *in, int n_out, int d, int c);
// out[t, i] = max_k in[t·c + k, i]; the gradient goes to the first row holding the maximum
void pool_max_backward(float *din, const float *dout, const float *in, int n_out, int d, int c);

// engine/compress_dilated.c: the "dilated" compression function. Per window of c rows h0 (causal within the
// window: row k only sees rows ≤ k of its own window; rows before the window start count as zero):
//   h1[k] = h0[k] + b1 + W1[:,:,1]·relu(h0[k]) + W1[:,:,0]·relu(h0[k−1])   (Conv1d(d, d, kernel 2, dilation 1))
//   h2[k] = h1[k] + b2 + W2[:,:,1]·relu(h1[k]) + W2[:,:,0]·relu(h1[k−2])   (Conv1d(d, d, kernel 2, dilation 2))
//   out   = Conv1d(d, d, kernel c, stride c)(h2)  = W·h2 + b               (compress_forward of ops.h)
// Parameters of one layer, contiguous (dilated_params_floats): W1 (d, d, 2), b1 (d), W2 (d, d, 2), b2 (d),
// W (d, d, c), b (d); weights laid out (d_out, d_in, k) as PyTorch's Conv1d, tap k = 1 on the row itself.
// With W1 = W2 = 0 the residual blocks are the identity, so it starts as whatever W does (mean pooling).
long dilated_params_floats(int d, int c);
// scratch: dilated_scratch_floats(n_out, d, c) floats (both passes)
long dilated_scratch_floats(int n_out, int d, int c);
void dilated_forward(float *out, float *scratch, const float *in, const float *params, int n_out, int d, int c);
void dilated_backward(float *din, float *dparams, float *scratch, const float *dout, const float *in,
                      const float *params, int n_out, int d, int c);
// dparams laid out like params

// engine/most_used.c: "most-used" keeps, of the n·c rows about to leave memory, the n that received the most
// attention, in time order. sel (n_keep) gets the indices of the n_keep largest scores in ascending order;
// ties go to the newer row.
void most_used_select(int32_t *sel, const float *score, int n_rows, int n_keep);
void gather_rows_forward(float *out, const float *in, const int32_t *sel, int n, int d);
// out (n, d), in (·, d): out[i] = in[sel[i]]
void gather_rows_backward(float *din, const float *dout, const int32_t *sel, int n, int d);

// engine/autoencode.c: the decoder g of the "autoencode" compression loss, ConvTranspose1d(d → d, kernel = stride
// = c) with weight (d_in, d_out, c) as PyTorch: out[t·c + k, o] = bias[o] + Σ_i in[t, i] · weight[i, o, k].
// scratch: deconv_scratch_floats(n_in, d, c) floats
long deconv_scratch_floats(int n_in, int d, int c);
void deconv_forward(float *out, float *scratch, const float *in, const float *weight, const float *bias, int n_in,
                    int d, int c);
// out (n_in·c, d), in (n_in, d)
void deconv_backward(float *din, float *dweight, float *dbias, float *scratch, const float *dout, const float *in,
                     const float *weight, int n_in, int d, int c);
// Mean squared error over n elements: returns mean((a − b)²) and, with da, adds scale·2(a − b)/n into da.
float mse_forward_backward(float *da, const float *a, const float *b, long n, float scale);

#endif
