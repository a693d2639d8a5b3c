// The compression function f_c: Conv1d(d → d, kernel = stride = c) over the time axis.
// out[t, o] = bias[o] + Σ_i Σ_k weight[o, i, k] · in[t·c + k, i]
// With each window of c rows rearranged from (c, d_in) to (d_in, c) order, the conv is one linear layer
// with PyTorch's (d_out, d_in·c) weight as it is stored.
#include <stdlib.h>

#include "ops.h"

// win (n_out, d·c): win[t][i·c + k] = in[t·c + k][i]
static float *windows(const float *in, int n_out, int d, int c) {
    float *win = malloc(sizeof(float) * (size_t)n_out * d * c + 1);
    if (!win) abort();
    for (int t = 0; t < n_out; t++)
        for (int k = 0; k < c; k++)
            for (int i = 0; i < d; i++) win[((long)t * d + i) * c + k] = in[((long)t * c + k) * d + i];
    return win;
}

void compress_forward(float *out, const float *in, const float *weight, const float *bias, int n_out, int d,
                      int c) {
    if (n_out == 0) return;
    float *win = windows(in, n_out, d, c);
    linear_forward(out, win, weight, bias, n_out, d * c, d);
    free(win);
}

void compress_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                       const float *weight, int n_out, int d, int c) {
    if (n_out == 0) return;
    float *win = windows(in, n_out, d, c);
    float *dwin = din ? calloc((size_t)n_out * d * c + 1, sizeof(float)) : NULL;
    if (din && !dwin) abort();
    linear_backward(dwin, dweight, dbias, dout, win, weight, n_out, d * c, d);
    if (din)
        for (int t = 0; t < n_out; t++)
            for (int k = 0; k < c; k++)
                for (int i = 0; i < d; i++) din[((long)t * c + k) * d + i] += dwin[((long)t * d + i) * c + k];
    free(dwin);
    free(win);
}
