// One query's scores and weighted values over memory rows, for d = 128, H = 4 (d_k = 32, the labml shape)
// with AVX-512: the query (q + content_bias and q, 2d floats) stays in registers while the key, value and
// rel_key rows stream past; per memory key the four heads' dot products, per value one fused multiply-add
// into the context, which stays in registers too. Generation reads these rows from L3 once per character.
//
// A template included once per storage type: the includer defines QK_ELEM (the stored element type),
// QK_LOAD16(p) (16 consecutive elements widened to an __m512), QK_PREFETCH_ROW(p) (the lines of d elements)
// and QK_NAME(name) (the function names for that type). The rows are [k | v] of 2d elements, rel_key rows d.
#include <immintrin.h>

// One head's (d_k = 32: two 16-lane halves) qc·k + q·rk, summed lane-wise only.
#define QK_HEAD_DOT(h)                                                                          \
    _mm512_fmadd_ps(qc[2 * (h)], QK_LOAD16(k + 32 * (h)),                                       \
                    _mm512_fmadd_ps(qc[2 * (h) + 1], QK_LOAD16(k + 32 * (h) + 16),              \
                                    _mm512_fmadd_ps(q[2 * (h)], QK_LOAD16(rk + 32 * (h)),       \
                                                    _mm512_mul_ps(q[2 * (h) + 1], QK_LOAD16(rk + 32 * (h) + 16)))))

// p (H, K), columns j < M: the memory keys' scores before the softmax (δ = M − j).
static void QK_NAME(scores512)(float *p, const float *qcf, const float *qf, const QK_ELEM *kv_mem,
                               const QK_ELEM *rel_key, const float *rel_bias, int M, float scale) {
    enum { d = 128, H = 4 };
    int K = M + 1;
    __m512 qc[8], q[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        qc[i] = _mm512_loadu_ps(qcf + 16 * i);
        q[i] = _mm512_loadu_ps(qf + 16 * i);
    }
    float by_key[4 * M + 1]; // (M, H), transposed into p (H, K) at the end
    for (int j = 0; j < M; j++) {
        const QK_ELEM *k = kv_mem + (long)j * 2 * d, *rk = rel_key + (long)(M - j) * d;
        if (j + 4 < M) {
            QK_PREFETCH_ROW(k + 4L * 2 * d);
            QK_PREFETCH_ROW(rk - 4L * d);
        }
        __m128 sc = m512_reduce4(QK_HEAD_DOT(0), QK_HEAD_DOT(1), QK_HEAD_DOT(2), QK_HEAD_DOT(3));
        __m128 rb = _mm_loadu_ps(rel_bias + (long)(M - j) * H);
        _mm_storeu_ps(by_key + 4 * j, _mm_mul_ps(_mm_add_ps(sc, rb), _mm_set1_ps(scale)));
    }
    for (int h = 0; h < H; h++)
        for (int j = 0; j < M; j++) p[h * K + j] = by_key[4 * j + h];
}

// ctx (d) = Σ_j p_hj v_j per head: the query's own value (fp32, v_cur) and the memory values.
static void QK_NAME(values512)(float *ctx, const float *p, const float *v_cur, const QK_ELEM *kv_mem, int M) {
    enum { d = 128 };
    int K = M + 1;
    __m512 acc[8]; // unrolled loops keep the accumulators in registers
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) // the query's own value first; head i / 2 owns 16-float block i
        acc[i] = _mm512_mul_ps(_mm512_set1_ps(p[(i / 2) * K + M]), _mm512_loadu_ps(v_cur + 16 * i));
    for (int j = 0; j < M; j++) {
        const QK_ELEM *v = kv_mem + (long)j * 2 * d + d;
        if (j + 4 < M) QK_PREFETCH_ROW(v + 4L * 2 * d);
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++)
            acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(p[(i / 2) * K + j]), QK_LOAD16(v + 16 * i), acc[i]);
    }
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) _mm512_storeu_ps(ctx + 16 * i, acc[i]);
}

#undef QK_HEAD_DOT
#undef QK_ELEM
#undef QK_LOAD16
#undef QK_PREFETCH_ROW
#undef QK_NAME
