// The compression function f_c: Conv1d(d → d, kernel = stride = c) over the time axis.
// out[t, o] = bias[o] + Σ_i Σ_k weight[o, i, k] · in[t·c + k, i]
#include <cblas.h>
#include <stdlib.h>

#include "ops.h"

// PyTorch stores (d_out, d_in, c); the window of c input rows is contiguous as (c, d_in), so the weight
// is regrouped to (d_out, c, d_in) and one GEMM handles every window.
static float *regroup_weight(const float *weight, int d, int c) {
    float *w = malloc(sizeof(float) * (size_t)d * d * c); // (d_out, c, d_in)
    if (!w) abort();
    for (int o = 0; o < d; o++)
        for (int i = 0; i < d; i++)
            for (int k = 0; k < c; k++) w[((long)o * c + k) * d + i] = weight[((long)o * d + i) * c + k];
    return w;
}

void compress_forward(float *out, const float *in, const float *weight, const float *bias, int n_out, int d,
                      int c) {
    if (n_out == 0) return;
    float *w = regroup_weight(weight, d, c);
    linear_forward(out, in, w, bias, n_out, d * c, d);
    free(w);
}

void compress_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                       const float *weight, int n_out, int d, int c) {
    if (n_out == 0) return;
    float *w = regroup_weight(weight, d, c);
    float *dw = calloc((size_t)d * d * c, sizeof(float)); // (d_out, c, d_in)
    if (!dw) abort();
    linear_backward(din, dweight ? dw : NULL, dbias, dout, in, w, n_out, d * c, d);
    if (dweight)
        for (int o = 0; o < d; o++)
            for (int i = 0; i < d; i++)
                for (int k = 0; k < c; k++) dweight[((long)o * d + i) * c + k] += dw[((long)o * c + k) * d + i];
    free(dw);
    free(w);
}
