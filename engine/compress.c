// The compression function f_c: Conv1d(d → d, kernel = stride = c) over the time axis.
// out[t, o] = bias[o] + Σ_i Σ_k weight[o, i, k] · in[t·c + k, i]
// With each window of c rows rearranged from (c, d_in) to (d_in, c) order, the conv is one linear layer
// with PyTorch's (d_out, d_in·c) weight as it is stored.
#include <string.h>

#include "ops.h"

long compress_scratch_floats(int n_out, int d, int c) { return 2L * n_out * d * c; }

// win (n_out, d·c): win[t][i·c + k] = in[t·c + k][i]
static void windows(float *win, const float *in, int n_out, int d, int c) {
    for (int t = 0; t < n_out; t++)
        for (int k = 0; k < c; k++)
            for (int i = 0; i < d; i++) win[((long)t * d + i) * c + k] = in[((long)t * c + k) * d + i];
}

void compress_forward(float *out, float *scratch, const float *in, const float *weight, const float *bias, int n_out,
                      int d, int c) {
    if (n_out == 0) return;
    windows(scratch, in, n_out, d, c);
    linear_forward(out, scratch, weight, bias, n_out, d * c, d);
}

void compress_backward(float *din, float *dweight, float *dbias, float *scratch, const float *dout, const float *in,
                       const float *weight, int n_out, int d, int c) {
    if (n_out == 0) return;
    long wide = (long)n_out * d * c;
    float *win = scratch, *dwin = din ? scratch + wide : NULL;
    windows(win, in, n_out, d, c);
    if (din) memset(dwin, 0, sizeof(float) * wide);
    linear_backward(dwin, dweight, dbias, dout, win, weight, n_out, d * c, d);
    if (din)
        for (int t = 0; t < n_out; t++)
            for (int k = 0; k < c; k++)
                for (int i = 0; i < d; i++) din[((long)t * c + k) * d + i] += dwin[((long)t * d + i) * c + k];
}
