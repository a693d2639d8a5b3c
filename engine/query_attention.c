// One query's relative attention (generation: T = 1) over memory rows stored in fp32 or, for the opt-in fp16
// path (half.h), fp16: the products are dots of d_k floats, far too small for BLAS calls. All heads go together
// so each key, value and rel_key row (d elements) is read once, front to back, rather than in d_k slices at a
// stride. Scores, softmax and sums stay fp32; the query's own q, k, v are fp32.
#include <math.h>

#include "ops.h"
#include "vecmath.h"

#if defined(__AVX512F__)
#define QK_ELEM float
#define QK_LOAD16(p) _mm512_loadu_ps(p)
#define QK_PREFETCH_ROW(p) prefetch_floats(p, 128)
#define QK_NAME(name) name##_f32
#include "query_kernels512.h"
#define QK_ELEM uint16_t
#define QK_LOAD16(p) m512_load_half(p)
#define QK_PREFETCH_ROW(p) prefetch_halves(p, 128)
#define QK_NAME(name) name##_half
#include "query_kernels512.h"

// The registers-resident kernels of query_kernels512.h: the labml shape, memory rows [k | v] adjacent.
static int fast_query(const QueryRows *x, int M, int d, int H) {
    return d == 128 && H == 4 && M > 0 && x->mem_stride == 2 * d &&
           (const char *)x->v_mem == (const char *)x->k_mem + (long)d * (x->half ? 2 : 4);
}

static void scores_fast(float *p, const float *qc, const QueryRows *x, const void *rel_key, const float *rel_bias,
                        int M, float scale) {
    if (x->half) scores512_half(p, qc, x->q, x->k_mem, rel_key, rel_bias, M, scale);
    else scores512_f32(p, qc, x->q, x->k_mem, rel_key, rel_bias, M, scale);
}

static void values_fast(float *ctx, const float *p, const QueryRows *x, int M) {
    if (x->half) values512_half(ctx, p, x->v, x->k_mem, M);
    else values512_f32(ctx, p, x->v, x->k_mem, M);
}
#else
static int fast_query(const QueryRows *x, int M, int d, int H) { return 0; }
static void scores_fast(float *p, const float *qc, const QueryRows *x, const void *rel_key, const float *rel_bias,
                        int M, float scale) {}
static void values_fast(float *ctx, const float *p, const QueryRows *x, int M) {}
#endif

// (q + content_bias)·k + q·rel_key[δ] for one head: content and position terms share one accumulator.
// k and rk are stored as k_half and rk_half say.
static float head_score(const float *qc, const float *q, const void *k, int k_half, const void *rk, int rk_half,
                        int dk) {
    v8f acc = v8_splat(0.0f);
    int e = 0;
    for (; e + 8 <= dk; e += 8)
        acc += v8_load(qc + e) * v8_load_weights(k, e, k_half) + v8_load(q + e) * v8_load_weights(rk, e, rk_half);
    float s = v8_hsum(acc);
    for (; e < dk; e++) s += qc[e] * load_weight(k, e, k_half) + q[e] * load_weight(rk, e, rk_half);
    return s;
}

static const void *element(const void *p, long i, int half) { return (const char *)p + i * (half ? 2 : 4); }

// p (H, K), columns j < M: the memory keys' scores before the softmax (δ = M − j).
static void memory_scores(float *p, const float *qc, const QueryRows *x, const void *rel_key, const float *rel_bias,
                          int M, int d, int H, float scale) {
    int K = M + 1, dk = d / H, half = x->half;
    for (int j = 0; j < M; j++) {
        const void *k = element(x->k_mem, (long)j * x->mem_stride, half);
        const void *rk = element(rel_key, (long)(M - j) * d, half);
        const float *rb = rel_bias + (long)(M - j) * H;
        if (j + 4 < M) { // the rows stream from L3 (see vec_gemv)
            prefetch_row(element(k, 4L * x->mem_stride, half), d, half);
            prefetch_row(element(rk, -4L * d, half), d, half);
        }
        for (int h = 0; h < H; h++) {
            float s = head_score(qc + h * dk, x->q + h * dk, element(k, h * dk, half), half,
                                 element(rk, h * dk, half), half, dk);
            p[(long)h * K + j] = (s + rb[h]) * scale;
        }
    }
}

// ctx (d) = Σ_j p_hj v_j per head: the query's own value, then the memory values.
static void memory_values(float *ctx, const float *p, const QueryRows *x, int M, int d, int H) {
    int K = M + 1, dk = d / H, half = x->half;
    for (int h = 0; h < H; h++)
        for (int e = 0; e < dk; e++) ctx[h * dk + e] = p[(long)h * K + M] * x->v[h * dk + e];
    for (int j = 0; j < M; j++) {
        const void *v = element(x->v_mem, (long)j * x->mem_stride, half);
        if (j + 4 < M) prefetch_row(element(v, 4L * x->mem_stride, half), d, half);
        for (int h = 0; h < H; h++) {
            float a = p[(long)h * K + j];
            float *y = ctx + h * dk;
            const void *vh = element(v, h * dk, half);
            int e = 0;
            for (; e + 8 <= dk; e += 8) v8_store(y + e, v8_load(y + e) + v8_splat(a) * v8_load_weights(vh, e, half));
            for (; e < dk; e++) y[e] += a * load_weight(vh, e, half);
        }
    }
}

void query_attention_forward(float *ctx, float *probs, QueryRows x, const void *rel_key, const float *rel_bias,
                             const float *content_bias, int M, int d, int H) {
    int K = M + 1, dk = d / H, fast = fast_query(&x, M, d, H);
    float qc[d], scale = 1.0f / sqrtf((float)dk);
    for (int e = 0; e < d; e++) qc[e] = x.q[e] + content_bias[e];
    if (fast) scores_fast(probs, qc, &x, rel_key, rel_bias, M, scale);
    else memory_scores(probs, qc, &x, rel_key, rel_bias, M, d, H, scale);
    for (int h = 0; h < H; h++) // the query's own key, δ = 0
        probs[(long)h * K + M] = (head_score(qc + h * dk, x.q + h * dk, x.k + h * dk, 0,
                                             element(rel_key, h * dk, x.half), x.half, dk) + rel_bias[h]) * scale;
    for (int h = 0; h < H; h++) vec_softmax_prefix(probs + (long)h * K, K, K);
    if (fast) values_fast(ctx, probs, &x, M);
    else memory_values(ctx, probs, &x, M, d, H);
}
