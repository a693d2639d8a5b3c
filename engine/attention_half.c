// One query's relative attention over fp16 memory keys/values and rel_key (half.h): attention.c's T = 1
// path (single_query) with the fp16 rows widened by F16C. Scores, softmax and sums stay fp32.
#include <math.h>

#include "half.h"
#include "vecmath.h"

#if defined(__AVX512F__)
#define FAST_SHAPE(d, H) ((d) == 128 && (H) == 4)
#define QK_ELEM uint16_t
#define QK_LOAD16(p) m512_load_half(p)
#define QK_PREFETCH_ROW(p) prefetch_halves(p, 128)
#define QK_NAME(name) name##_half
#include "query_kernels512.h"
#define scores_fast scores512_half
#define values_fast values512_half
#else
#define FAST_SHAPE(d, H) 0
static void scores_fast(float *p, const float *qcf, const float *qf, const uint16_t *kv_mem, const uint16_t *rel_key,
                        const float *rel_bias, int M, float scale) {}
static void values_fast(float *ctx, const float *p, const float *v_cur, const uint16_t *kv_mem, int M) {}
#endif

// (q + content_bias)·k + q·rel_key[δ] for one head, k and rel_key in fp16.
static float head_score_half(const float *qc, const float *q, const uint16_t *k, const uint16_t *rk, int dk) {
    v8f acc = v8_splat(0.0f);
    int e = 0;
    for (; e + 8 <= dk; e += 8) acc += v8_load(qc + e) * v8_load_half(k + e) + v8_load(q + e) * v8_load_half(rk + e);
    float s = v8_hsum(acc);
    for (; e < dk; e++) s += qc[e] * half_to_float(k[e]) + q[e] * half_to_float(rk[e]);
    return s;
}

// p (H, K), columns j < M = scores of the memory keys before the softmax (δ = M − j).
static void scores_half(float *p, const float *qc, const float *q, const uint16_t *kv_mem, const uint16_t *rel_key,
                        const float *rel_bias, int M, int d, int H, float scale) {
    int K = M + 1, dk = d / H;
    for (int j = 0; j < M; j++) {
        const uint16_t *k = kv_mem + (long)j * 2 * d, *rk = rel_key + (long)(M - j) * d;
        const float *rb = rel_bias + (long)(M - j) * H;
        if (j + 4 < M) { // the rows stream from L3 (see vec_gemv)
            prefetch_halves(k + 4L * 2 * d, d);
            prefetch_halves(rk - 4L * d, d);
        }
        for (int h = 0; h < H; h++) {
            float s = head_score_half(qc + h * dk, q + h * dk, k + h * dk, rk + h * dk, dk);
            p[(long)h * K + j] = (s + rb[h]) * scale;
        }
    }
}

// p (H, K), column M = the score of the query's own key (δ = 0).
static void score_own_key(float *p, const float *qc, const float *q, const float *k_cur, const uint16_t *rel_key,
                          const float *rel_bias, int M, int d, int H, float scale) {
    int K = M + 1, dk = d / H;
    for (int h = 0; h < H; h++) {
        float s = vec_dot(qc + h * dk, k_cur + h * dk, dk) + vec_dot_half(rel_key + h * dk, q + h * dk, dk);
        p[(long)h * K + M] = (s + rel_bias[h]) * scale;
    }
}

// ctx (d) = Σ_j p_hj v_j per head: the query's own value (fp32), then the memory values (fp16).
static void values_half(float *ctx, const float *p, const float *v_cur, const uint16_t *kv_mem, int M, int d, int H) {
    int K = M + 1, dk = d / H;
    for (int h = 0; h < H; h++)
        for (int e = 0; e < dk; e++) ctx[h * dk + e] = p[(long)h * K + M] * v_cur[h * dk + e];
    for (int j = 0; j < M; j++) {
        const uint16_t *v = kv_mem + (long)j * 2 * d + d;
        if (j + 4 < M) prefetch_halves(v + 4L * 2 * d, d);
        for (int h = 0; h < H; h++) vec_axpy_half(ctx + h * dk, p[(long)h * K + j], v + h * dk, dk);
    }
}

void attention_half_forward(float *ctx, float *probs, const float *qkv, const uint16_t *kv_mem,
                            const uint16_t *rel_key, const float *rel_bias, const float *content_bias, int M, int d,
                            int H) {
    int K = M + 1, fast = FAST_SHAPE(d, H);
    float qc[d], scale = 1.0f / sqrtf((float)(d / H));
    for (int e = 0; e < d; e++) qc[e] = qkv[e] + content_bias[e];
    if (fast) scores_fast(probs, qc, qkv, kv_mem, rel_key, rel_bias, M, scale);
    else scores_half(probs, qc, qkv, kv_mem, rel_key, rel_bias, M, d, H, scale);
    score_own_key(probs, qc, qkv, qkv + d, rel_key, rel_bias, M, d, H, scale);
    for (int h = 0; h < H; h++) vec_softmax_prefix(probs + (long)h * K, K, K);
    if (fast) values_fast(ctx, probs, qkv + 2 * d, kv_mem, M);
    else values_half(ctx, probs, qkv + 2 * d, kv_mem, M, d, H);
}
