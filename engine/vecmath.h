// Small float kernels on gcc's vector extension (8 floats, one AVX register): one-row products and the
// softmax of generation, and the row loops of the absorbed attention, where BLAS calls would cost more
// than the work and -O2 leaves plain loops scalar.
#ifndef MEMSCOPE_VECMATH_H
#define MEMSCOPE_VECMATH_H

#include <stdint.h>
#include <string.h>
#if defined(__F16C__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

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

// y += x (residual connections, bias rows); plain: gcc vectorises it.
static inline void vec_add_inplace(float *y, const float *x, long n) {
    for (long i = 0; i < n; i++) y[i] += x[i];
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

// ---- fp16 (IEEE binary16, stored as its bits): the opt-in half-precision generation path (engine/half.h)
// reads weights, relative-key tables and cached keys/values as fp16 to halve the bytes streamed per
// character; every product and sum stays fp32. F16C converts 8 at a time when the build targets it
// (-march=native); the scalar versions below give the same bits (round to nearest even) elsewhere.

static inline float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0 && man == 0) bits = sign;
    else if (exp == 0) { // subnormal: man · 2⁻²⁴, exact in float
        float f = (float)man * 0x1p-24f;
        return sign ? -f : f;
    } else if (exp == 0x1f) bits = sign | 0x7f800000 | (man << 13); // Inf, NaN
    else bits = sign | ((exp + 112) << 23) | (man << 13);           // rebias 15 → 127
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

// Rounds m / 2^shift to nearest, ties to even.
static inline uint32_t round_shift_even(uint32_t m, int shift) {
    uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    return q + (rem > half || (rem == half && (q & 1)));
}

static inline uint16_t half_from_float(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000, ax = x & 0x7fffffff;
    if (ax > 0x7f800000) return (uint16_t)(sign | 0x7e00);    // NaN
    if (ax >= 0x47800000) return (uint16_t)(sign | 0x7c00);   // ≥ 2¹⁶ (and Inf): Inf
    if (ax >= 0x38800000)                                     // normal half; a carry may round up to Inf
        return (uint16_t)(sign | round_shift_even(ax - 0x38000000, 13));
    if (ax < 0x33000000) return (uint16_t)sign;               // below 2⁻²⁵: zero
    uint32_t e = ax >> 23, man = (ax & 0x7fffff) | 0x800000;  // subnormal half: units of 2⁻²⁴
    return (uint16_t)(sign | round_shift_even(man, (int)(126 - e)));
}

static inline v8f v8_load_half(const uint16_t *p) {
#ifdef __F16C__
    __m128i h;
    memcpy(&h, p, sizeof h);
    return (v8f)_mm256_cvtph_ps(h);
#else
    v8f v;
    for (int i = 0; i < 8; i++) v[i] = half_to_float(p[i]);
    return v;
#endif
}

static inline float vec_dot_half(const uint16_t *w, const float *x, int n) {
    v8f acc = v8_splat(0.0f);
    int i = 0;
    for (; i + 8 <= n; i += 8) acc += v8_load_half(w + i) * v8_load(x + i);
    float s = v8_hsum(acc);
    for (; i < n; i++) s += half_to_float(w[i]) * x[i];
    return s;
}

// y += a·x, x in fp16
static inline void vec_axpy_half(float *y, float a, const uint16_t *x, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) v8_store(y + i, v8_load(y + i) + v8_splat(a) * v8_load_half(x + i));
    for (; i < n; i++) y[i] += a * half_to_float(x[i]);
}

// Asks for the 64-byte lines of n fp16 values ahead of their use.
static inline void prefetch_halves(const uint16_t *p, int n) {
    for (int i = 0; i < n; i += 32) __builtin_prefetch(p + i);
}

// Element i of rows stored in fp32 (half = 0) or fp16 (half = 1): kernels that serve both storages take the
// flag as a constant at each call, so every caller's loop is compiled for one.
static inline v8f v8_load_weights(const void *w, long i, int half) {
    return half ? v8_load_half((const uint16_t *)w + i) : v8_load((const float *)w + i);
}

static inline float load_weight(const void *w, long i, int half) {
    return half ? half_to_float(((const uint16_t *)w)[i]) : ((const float *)w)[i];
}

// The 64-byte lines of n elements of such a row, asked for ahead of their use.
static inline void prefetch_row(const void *p, int n, int half) {
    for (long i = 0; i < (long)n * (half ? 2 : 4); i += 64) __builtin_prefetch((const char *)p + i);
}

// y (out) = W x + bias for W (out, in) rows in fp32 (vec_gemv) or fp16 (vec_gemv_half): four rows at a time
// share each load of x. The weights stream from L3 (generation reads every layer's once per character), so
// the lines of rows ahead are prefetched while these are summed (measured 15% faster than leaving it to
// the hardware prefetcher). With AVX-512 the products are 16-wide fused multiply-adds into eight
// accumulators: the 3.1 MB of fp32 labml weights in 28 µs (112 GB/s from L3 on this Zen 4) against 32 µs
// 8-wide, and one vcvtph2ps widens 16 fp16 values (40 G weights/s, twice the 8-wide F16C form). One kernel
// serves both storages: `half` is a constant at every call, so each caller's loop is compiled for one.
#ifdef __AVX512F__
static inline __m512 m512_load_half(const uint16_t *p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}

// [Σ a0, Σ a1, Σ a2, Σ a3]: four lane sums in one shuffle tree instead of four.
static inline __m128 m512_reduce4(__m512 a0, __m512 a1, __m512 a2, __m512 a3) {
    __m512 s01 = _mm512_add_ps(_mm512_shuffle_f32x4(a0, a1, 0x44), _mm512_shuffle_f32x4(a0, a1, 0xee));
    __m512 s23 = _mm512_add_ps(_mm512_shuffle_f32x4(a2, a3, 0x44), _mm512_shuffle_f32x4(a2, a3, 0xee));
    // quarter h of t: head h's four partial sums; then every element of quarter h: their total
    __m512 t = _mm512_add_ps(_mm512_shuffle_f32x4(s01, s23, 0x88), _mm512_shuffle_f32x4(s01, s23, 0xdd));
    t = _mm512_add_ps(t, _mm512_permute_ps(t, 0x4e));
    t = _mm512_add_ps(t, _mm512_permute_ps(t, 0xb1));
    __m512i firsts = _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_castps512_ps128(_mm512_permutexvar_ps(firsts, t));
}

static inline __m512 m512_load_weights(const void *w, long i, int half) {
    return half ? m512_load_half((const uint16_t *)w + i) : _mm512_loadu_ps((const float *)w + i);
}

static inline void gemv_rows4(float *y, const void *w, const float *x, int in, int half) {
    long esize = half ? 2 : 4, row = in * esize;
    const char *w0 = w, *w1 = w0 + row, *w2 = w1 + row, *w3 = w2 + row;
    int ahead = half ? 4 : 8; // rows; fp16 rows are half as long
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    for (int i = 0; i < in; i += 32) {
        for (int r = ahead; r < ahead + 4; r++)
            for (long line = 0; line < 32 * esize; line += 64) __builtin_prefetch(w0 + r * row + i * esize + line);
        __m512 x0 = _mm512_loadu_ps(x + i), x1 = _mm512_loadu_ps(x + i + 16);
        a0 = _mm512_fmadd_ps(m512_load_weights(w0, i, half), x0, a0);
        a1 = _mm512_fmadd_ps(m512_load_weights(w1, i, half), x0, a1);
        a2 = _mm512_fmadd_ps(m512_load_weights(w2, i, half), x0, a2);
        a3 = _mm512_fmadd_ps(m512_load_weights(w3, i, half), x0, a3);
        b0 = _mm512_fmadd_ps(m512_load_weights(w0, i + 16, half), x1, b0);
        b1 = _mm512_fmadd_ps(m512_load_weights(w1, i + 16, half), x1, b1);
        b2 = _mm512_fmadd_ps(m512_load_weights(w2, i + 16, half), x1, b2);
        b3 = _mm512_fmadd_ps(m512_load_weights(w3, i + 16, half), x1, b3);
    }
    _mm_storeu_ps(y, m512_reduce4(_mm512_add_ps(a0, b0), _mm512_add_ps(a1, b1), _mm512_add_ps(a2, b2),
                                  _mm512_add_ps(a3, b3)));
}
#define GEMV_STEP 32
#else
static inline void gemv_rows4(float *y, const void *w, const float *x, int in, int half) {
    long esize = half ? 2 : 4, row = in * esize;
    const char *w0 = w, *w1 = w0 + row, *w2 = w1 + row, *w3 = w2 + row;
    v8f a0 = v8_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
    for (int i = 0; i < in; i += 8) {
        if (i * esize % 64 == 0) // one prefetch per 64-byte line of each of the next four rows
            for (int r = 4; r < 8; r++) __builtin_prefetch(w0 + r * row + i * esize);
        v8f xv = v8_load(x + i);
        a0 += v8_load_weights(w0, i, half) * xv;
        a1 += v8_load_weights(w1, i, half) * xv;
        a2 += v8_load_weights(w2, i, half) * xv;
        a3 += v8_load_weights(w3, i, half) * xv;
    }
    y[0] = v8_hsum(a0);
    y[1] = v8_hsum(a1);
    y[2] = v8_hsum(a2);
    y[3] = v8_hsum(a3);
}
#define GEMV_STEP 8
#endif

static inline void gemv_weights(float *y, const void *w, const float *x, const float *bias, int out, int in,
                                int half) {
    long row = (long)in * (half ? 2 : 4);
    int o = 0;
    if (in % GEMV_STEP == 0)
        for (; o + 4 <= out; o += 4) gemv_rows4(y + o, (const char *)w + o * row, x, in, half);
    for (; o < out; o++)
        y[o] = half ? vec_dot_half((const uint16_t *)w + (long)o * in, x, in)
                    : vec_dot((const float *)w + (long)o * in, x, in);
    if (bias)
        for (o = 0; o < out; o++) y[o] += bias[o];
}

static inline void vec_gemv(float *y, const float *w, const float *x, const float *bias, int out, int in) {
    gemv_weights(y, w, x, bias, out, in, 0);
}

static inline void vec_gemv_half(float *y, const uint16_t *w, const float *x, const float *bias, int out, int in) {
    gemv_weights(y, w, x, bias, out, in, 1);
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
