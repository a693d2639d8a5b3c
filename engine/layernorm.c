// LayerNorm over the last axis, affine, eps 1e-5 (biased variance, as PyTorch).
#include <math.h>

#include "ops.h"

void layernorm_forward(float *out, float *mean, float *rstd, const float *in, const float *weight,
                       const float *bias, int n, int d) {
    for (int i = 0; i < n; i++) {
        const float *x = in + (long)i * d;
        float *y = out + (long)i * d;
        double sum = 0.0;
        for (int j = 0; j < d; j++) sum += x[j];
        float mu = (float)(sum / d);
        double var = 0.0;
        for (int j = 0; j < d; j++) var += (double)(x[j] - mu) * (x[j] - mu);
        float rs = 1.0f / sqrtf((float)(var / d) + LAYERNORM_EPS);
        for (int j = 0; j < d; j++) y[j] = (x[j] - mu) * rs * weight[j] + bias[j];
        mean[i] = mu;
        rstd[i] = rs;
    }
}

void layernorm_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                        const float *mean, const float *rstd, const float *weight, int n, int d) {
    for (int i = 0; i < n; i++) {
        const float *x = in + (long)i * d;
        const float *g = dout + (long)i * d;
        float mu = mean[i], rs = rstd[i];
        float sum_g = 0.0f, sum_gx = 0.0f; // Σ ĝ and Σ ĝ·x̂ with ĝ = g·weight
        for (int j = 0; j < d; j++) {
            float xhat = (x[j] - mu) * rs;
            float gh = g[j] * weight[j];
            sum_g += gh;
            sum_gx += gh * xhat;
            if (dweight) dweight[j] += g[j] * xhat;
            if (dbias) dbias[j] += g[j];
        }
        if (!din) continue;
        float *dx = din + (long)i * d;
        float mean_g = sum_g / d, mean_gx = sum_gx / d;
        for (int j = 0; j < d; j++) {
            float xhat = (x[j] - mu) * rs;
            dx[j] += rs * (g[j] * weight[j] - mean_g - xhat * mean_gx);
        }
    }
}
