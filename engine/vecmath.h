// Small float kernels on gcc's vector extension (8 floats, one AVX register): one-row products and the
// softmax of generation, and the row loops of the absorbed attention, where BLAS calls would cost more
// than the work and -O2 leaves plain loops scalar.
#ifndef MEMSCOPE_VECMATH_H
#define MEMSCOPE_VECMATH_H

#include <stdint.h>
#include <string.h>

// Built without AVX (e.g. the fuzz replay, no -march=native) gcc warns that passing 32-byte vectors changes
// the ABI; these helpers are static inline and never cross a translation unit.
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

static inline v8f v8_load(const float *p) {
    v8f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void v8_store(float *p, v8f v) { memcpy(p, &v, sizeof v); }

static inline v8f v8_splat(float x) { return (v8f){x, x, x, x, x, x, x, x}; }

static inline float v8_hsum(v8f v) { return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7])); }

// e^x for x ≤ 0: x = n·ln2 + r with |r| ≤ ln2/2 (n rounded by the 1.5·2²³ trick), e^r by its Taylor series
// to r⁷/7! (truncation below 1e-8 relative), 2ⁿ from the exponent bits. Below −87 the result is clamped
// near 1.6e-38 instead of going subnormal: callers use it for softmax weights against a maximum of 1.
static inline v8f v8_exp_nonpositive(v8f x) {
    const v8f lo = v8_splat(-87.0f), magic = v8_splat(12582912.0f);
    v8i below = x < lo; // all ones where true
    x = (v8f)(((v8i)x & ~below) | ((v8i)lo & below));
    v8f n = (x * v8_splat(1.44269504088896341f) + magic) - magic;
    v8f r = x - n * v8_splat(0.693145751953125f) - n * v8_splat(1.42860682030941723e-6f); // n·hi is exact
    v8f p = v8_splat(1.0f / 5040.0f);
    p = p * r + v8_splat(1.0f / 720.0f);
    p = p * r + v8_splat(1.0f / 120.0f);
    p = p * r + v8_splat(1.0f / 24.0f);
    p = p * r + v8_splat(1.0f / 6.0f);
    p = p * r + v8_splat(0.5f);
    p = p * r + v8_splat(1.0f);
    p = p * r + v8_splat(1.0f);
    v8i bits = (__builtin_convertvector(n, v8i) + 127) << 23;
    return p * (v8f)bits;
}

static inline float exp_nonpositive(float x) {
    float lanes[8] = {x};
    return v8_exp_nonpositive(v8_load(lanes))[0];
}

static inline float vec_dot(const float *a, const float *b, int n) {
    v8f acc0 = v8_splat(0.0f), acc1 = v8_splat(0.0f);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 += v8_load(a + i) * v8_load(b + i);
        acc1 += v8_load(a + i + 8) * v8_load(b + i + 8);
    }
    if (i + 8 <= n) {
        acc0 += v8_load(a + i) * v8_load(b + i);
        i += 8;
    }
    float s = v8_hsum(acc0 + acc1);
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

static inline float vec_sum(const float *a, int n) {
    v8f acc = v8_splat(0.0f);
    int i = 0;
    for (; i + 8 <= n; i += 8) acc += v8_load(a + i);
    float s = v8_hsum(acc);
    for (; i < n; i++) s += a[i];
    return s;
}

// y += a·x
static inline void vec_axpy(float *y, float a, const float *x, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) v8_store(y + i, v8_load(y + i) + v8_splat(a) * v8_load(x + i));
    for (; i < n; i++) y[i] += a * x[i];
}

// Asks for the 64-byte lines of n floats ahead of their use (rows read one after another from L3).
static inline void prefetch_floats(const float *p, int n) {
    for (int i = 0; i < n; i += 16) __builtin_prefetch(p + i);
}

// y (out) = W x + bias, W (out, in) rows: four rows at a time share each load of x. The weights stream
// from L3 (generation reads every layer's once per character), so the next four rows are prefetched
// while these are summed (measured 15% faster than leaving it to the hardware prefetcher).
static inline void vec_gemv(float *y, const float *w, const float *x, const float *bias, int out, int in) {
    int o = 0;
    if (in % 8 == 0)
        for (; o + 4 <= out; o += 4) {
            const float *w0 = w + (long)o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
            v8f a0 = v8_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < in; i += 8) {
                if (i % 16 == 0) // one prefetch per 64-byte line of each of the next four rows
                    for (int r = 4; r < 8; r++) __builtin_prefetch(w0 + (long)r * in + i);
                v8f xv = v8_load(x + i);
                a0 += v8_load(w0 + i) * xv;
                a1 += v8_load(w1 + i) * xv;
                a2 += v8_load(w2 + i) * xv;
                a3 += v8_load(w3 + i) * xv;
            }
            y[o] = v8_hsum(a0);
            y[o + 1] = v8_hsum(a1);
            y[o + 2] = v8_hsum(a2);
            y[o + 3] = v8_hsum(a3);
        }
    for (; o < out; o++) y[o] = vec_dot(w + (long)o * in, x, in);
    if (bias)
        for (o = 0; o < out; o++) y[o] += bias[o];
}

// row[0, n) ← softmax(row[0, n)), row[n, cols) ← 0 (masked columns).
// The maximum is taken 8 lanes at a time (the same value as a scalar scan: max does not round) and the
// normalisation multiplies 8 at a time (the same products), so the result is bit-identical to scalar loops.
static inline float vec_max(const float *a, int n) {
    float mx = a[0];
    int j = 0;
    if (n >= 8) {
        v8f m = v8_load(a);
        for (j = 8; j + 8 <= n; j += 8) {
            v8f x = v8_load(a + j);
            v8i gt = x > m;
            m = (v8f)(((v8i)x & gt) | ((v8i)m & ~gt));
        }
        for (int k = 0; k < 8; k++) mx = m[k] > mx ? m[k] : mx;
    }
    for (; j < n; j++) mx = a[j] > mx ? a[j] : mx;
    return mx;
}

static inline void vec_softmax_prefix(float *row, int n, int cols) {
    float mx = vec_max(row, n);
    int j = 0;
    for (; j + 8 <= n; j += 8) v8_store(row + j, v8_exp_nonpositive(v8_load(row + j) - v8_splat(mx)));
    for (; j < n; j++) row[j] = exp_nonpositive(row[j] - mx);
    float inv = 1.0f / vec_sum(row, n);
    for (j = 0; j + 8 <= n; j += 8) v8_store(row + j, v8_load(row + j) * v8_splat(inv));
    for (; j < n; j++) row[j] *= inv;
    for (j = n; j < cols; j++) row[j] = 0.0f;
}

#endif
