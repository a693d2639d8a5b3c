// Small float kernels written so gcc vectorises them (include after `#pragma GCC optimize("O3")`: -O2
// only vectorises loops whose trip count is a multiple of the vector width).
#ifndef MEMSCOPE_VECMATH_H
#define MEMSCOPE_VECMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define VEC_LANES 8

// e^x for x ≤ 0 without a libm call, so a loop of it vectorises: x = n·ln2 + r with |r| ≤ ln2/2, then
// e^r by its Taylor series to r⁷/7! (truncation below 1e-8 relative) and 2ⁿ from the exponent bits.
// Below −87 the result is clamped near 1.6e-38 instead of going subnormal; callers only use it for
// softmax weights relative to a maximum of 1, where that is zero to float precision.
static inline float exp_nonpositive(float x) {
    x = x < -87.0f ? -87.0f : x;
    float n = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693145751953125f - n * 1.42860682030941723e-6f; // ln2 in two parts: n·hi is exact
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = ((int32_t)n + 127) * (1 << 23);
    float two_n;
    memcpy(&two_n, &bits, sizeof two_n);
    return p * two_n;
}

// Σ a_i b_i in VEC_LANES partial sums, so the reduction vectorises without reassociating one float sum.
static inline float vec_dot(const float *a, const float *b, int n) {
    float part[VEC_LANES] = {0};
    int i = 0;
    for (; i + VEC_LANES <= n; i += VEC_LANES)
        for (int k = 0; k < VEC_LANES; k++) part[k] += a[i + k] * b[i + k];
    float s = 0.0f;
    for (; i < n; i++) s += a[i] * b[i];
    for (int k = 0; k < VEC_LANES; k++) s += part[k];
    return s;
}

static inline float vec_sum(const float *a, int n) {
    float part[VEC_LANES] = {0};
    int i = 0;
    for (; i + VEC_LANES <= n; i += VEC_LANES)
        for (int k = 0; k < VEC_LANES; k++) part[k] += a[i + k];
    float s = 0.0f;
    for (; i < n; i++) s += a[i];
    for (int k = 0; k < VEC_LANES; k++) s += part[k];
    return s;
}

// row[0, n) ← softmax(row[0, n)), row[n, cols) ← 0 (masked columns).
static inline void vec_softmax_prefix(float *row, int n, int cols) {
    float mx = row[0];
    for (int j = 1; j < n; j++) mx = row[j] > mx ? row[j] : mx;
    for (int j = 0; j < n; j++) row[j] = exp_nonpositive(row[j] - mx);
    float inv = 1.0f / vec_sum(row, n);
    for (int j = 0; j < n; j++) row[j] *= inv;
    for (int j = n; j < cols; j++) row[j] = 0.0f;
}

#endif
