// LayerNorm over the last axis, affine, eps 1e-5 (biased variance, as PyTorch).
#include <math.h>

#include "ops.h"
#include "vecmath.h"

#define LANES 16

// Σ x in sixteen independent partial sums (two 8-float registers), so the reduction runs vectorised
// without reassociating a single float sum; the partial sums are then added in lane order.
static float finish_lanes(v8f lo, v8f hi, float tail) {
    float part[LANES];
    v8_store(part, lo);
    v8_store(part + 8, hi);
    for (int k = 0; k < LANES; k++) tail += part[k];
    return tail;
}

static float lane_sum(const float *x, int d) {
    v8f lo = v8_splat(0.0f), hi = lo;
    int j = 0;
    for (; j + LANES <= d; j += LANES) {
        lo += v8_load(x + j);
        hi += v8_load(x + j + 8);
    }
    float s = 0.0f;
    for (; j < d; j++) s += x[j];
    return finish_lanes(lo, hi, s);
}

static float lane_centered_squares(const float *x, float mu, int d) {
    v8f lo = v8_splat(0.0f), hi = lo, m = v8_splat(mu);
    int j = 0;
    for (; j + LANES <= d; j += LANES) {
        v8f a = v8_load(x + j) - m, b = v8_load(x + j + 8) - m;
        lo += a * a;
        hi += b * b;
    }
    float s = 0.0f;
    for (; j < d; j++) s += (x[j] - mu) * (x[j] - mu);
    return finish_lanes(lo, hi, s);
}

void row_stats(const float *x, int d, float *mean, float *rstd) {
    float mu = lane_sum(x, d) / (float)d;
    *mean = mu;
    *rstd = 1.0f / sqrtf(lane_centered_squares(x, mu, d) / (float)d + LAYERNORM_EPS);
}

void layernorm_forward(float *out, float *mean, float *rstd, const float *in, const float *weight,
                       const float *bias, int n, int d) {
    for (int i = 0; i < n; i++) {
        const float *x = in + (long)i * d;
        float *y = out + (long)i * d;
        row_stats(x, d, &mean[i], &rstd[i]);
        float mu = mean[i], rs = rstd[i];
        int j = 0;
        for (; j + 8 <= d; j += 8)
            v8_store(y + j, (v8_load(x + j) - v8_splat(mu)) * v8_splat(rs) * v8_load(weight + j) + v8_load(bias + j));
        for (; j < d; j++) y[j] = (x[j] - mu) * rs * weight[j] + bias[j];
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
