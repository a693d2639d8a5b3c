// The decoder g of the "autoencode" compression loss (Rae et al. 2019: reconstruct the evicted memories from
// their compression): ConvTranspose1d(d → d, kernel = stride = c), weight (d_in, d_out, c) as PyTorch. Viewed
// as (d_in, d_out·c) the weight maps each input row to one window of c output rows in (d_out, c) order, so the
// op is one GEMM and a rearrangement.
#include <cblas.h>

#include "compress_ops.h"

long deconv_scratch_floats(int n_in, int d, int c) { return (long)n_in * d * c; }

void deconv_forward(float *out, float *scratch, const float *in, const float *weight, const float *bias, int n_in,
                    int d, int c) {
    if (n_in == 0) return;
    long wide = (long)d * c;
    float *win = scratch; // win[t][o·c + k] = out[t·c + k][o] − bias[o]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n_in, (int)wide, d, 1.0f, in, d, weight, (int)wide, 0.0f,
                win, (int)wide);
    for (int t = 0; t < n_in; t++)
        for (int k = 0; k < c; k++) {
            float *o = out + ((long)t * c + k) * d;
            const float *w = win + t * wide + k;
            for (int e = 0; e < d; e++) o[e] = w[(long)e * c] + (bias ? bias[e] : 0.0f);
        }
}

void deconv_backward(float *din, float *dweight, float *dbias, float *scratch, const float *dout, const float *in,
                     const float *weight, int n_in, int d, int c) {
    if (n_in == 0) return;
    long wide = (long)d * c;
    float *dwin = scratch; // every element is written below
    for (int t = 0; t < n_in; t++)
        for (int k = 0; k < c; k++) {
            const float *g = dout + ((long)t * c + k) * d;
            float *w = dwin + t * wide + k;
            for (int e = 0; e < d; e++) w[(long)e * c] = g[e];
        }
    if (din) // din (n_in, d) += dwin (n_in, d·c) · weightᵀ
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n_in, d, (int)wide, 1.0f, dwin, (int)wide, weight,
                    (int)wide, 1.0f, din, d);
    if (dweight) // dweight (d, d·c) += inᵀ · dwin
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, (int)wide, n_in, 1.0f, in, d, dwin, (int)wide, 1.0f,
                    dweight, (int)wide);
    if (dbias)
        for (long r = 0; r < (long)n_in * c; r++)
            for (int e = 0; e < d; e++) dbias[e] += dout[r * d + e];
}

float mse_forward_backward(float *da, const float *a, const float *b, long n, float scale) {
    if (n == 0) return 0.0f;
    double sum = 0.0;
    for (long i = 0; i < n; i++) {
        float diff = a[i] - b[i];
        sum += (double)diff * diff;
        if (da) da[i] += 2.0f * scale * diff / (float)n;
    }
    return (float)(sum / n);
}
