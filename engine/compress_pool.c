// Parameter-free compression functions of the memory lab: mean and max pooling over windows of c rows
// (kernel = stride = c), the paper's "mean pooling" and "max pooling" (Rae et al. 2019, Table 5).
#include "compress_ops.h"

void pool_mean_forward(float *out, const float *in, int n_out, int d, int c) {
    float inv = 1.0f / (float)c;
    for (int t = 0; t < n_out; t++) {
        float *o = out + (long)t * d;
        const float *w = in + (long)t * c * d;
        for (int i = 0; i < d; i++) o[i] = w[i];
        for (int k = 1; k < c; k++)
            for (int i = 0; i < d; i++) o[i] += w[(long)k * d + i];
        for (int i = 0; i < d; i++) o[i] *= inv;
    }
}

void pool_mean_backward(float *din, const float *dout, int n_out, int d, int c) {
    if (!din) return;
    float inv = 1.0f / (float)c;
    for (int t = 0; t < n_out; t++)
        for (int k = 0; k < c; k++)
            for (int i = 0; i < d; i++) din[((long)t * c + k) * d + i] += inv * dout[(long)t * d + i];
}

void pool_max_forward(float *out, const float *in, int n_out, int d, int c) {
    for (int t = 0; t < n_out; t++) {
        float *o = out + (long)t * d;
        const float *w = in + (long)t * c * d;
        for (int i = 0; i < d; i++) o[i] = w[i];
        for (int k = 1; k < c; k++)
            for (int i = 0; i < d; i++)
                if (w[(long)k * d + i] > o[i]) o[i] = w[(long)k * d + i];
    }
}

void pool_max_backward(float *din, const float *dout, const float *in, int n_out, int d, int c) {
    if (!din) return;
    for (int t = 0; t < n_out; t++) {
        const float *w = in + (long)t * c * d;
        for (int i = 0; i < d; i++) {
            int best = 0;
            for (int k = 1; k < c; k++)
                if (w[(long)k * d + i] > w[(long)best * d + i]) best = k;
            din[((long)t * c + best) * d + i] += dout[(long)t * d + i];
        }
    }
}
