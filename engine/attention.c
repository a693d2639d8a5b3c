// Relative multi-head attention (model.md): per head, over keys [compressed | memory | current].
// score(i,j) = [(q_i + content_bias)·k_j + q_i·rel_key[δ] + rel_bias[δ]] / sqrt(d_k), δ = (K−T+i)−j,
// keys with δ < 0 masked. Each (batch, head) pair is a handful of strided GEMMs: heads are column
// slices of the projections, and the memory keys and the segment's own keys are two row blocks.
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "ops.h"

long attention_scratch_floats(AttentionDims dm) {
    int dk = dm.d_model / dm.heads, K = dm.mem_keys + dm.queries;
    return (long)dm.queries * dk * 2 + 3L * dm.queries * K;
}

// The rows of one (stream, head): pointers to its first element and the row strides.
typedef struct {
    float *q, *k_mem, *v_mem, *k_cur, *v_cur;
    int qs, ms; // row strides of current rows (q, k_cur, v_cur) and memory rows
} HeadRows;

static HeadRows head_rows(AttentionRows r, AttentionDims dm, int b, int h) {
    int dk = dm.d_model / dm.heads, T = dm.queries, M = dm.mem_keys;
    long cur = (long)b * T * r.cur_stride + h * dk, mem = (long)b * M * r.mem_stride + h * dk;
    HeadRows hr = {r.q ? r.q + cur : NULL, NULL, NULL, r.k_cur + cur, r.v_cur + cur, r.cur_stride, r.mem_stride};
    if (M && r.k_mem) hr.k_mem = r.k_mem + mem;
    if (M && r.v_mem) hr.v_mem = r.v_mem + mem;
    return hr;
}

// c (T, K) = a (T, d_k) · [k_mem; k_cur]ᵀ, the two key blocks landing in columns [0, M) and [M, K).
// One query (the backward of a one-character step) goes through GEMV, which does not pack the keys first.
static void times_keys_t(float *c, const float *a, int lda, const HeadRows *x, float beta, int T, int M, int dk) {
    int K = M + T;
    if (T == 1) {
        if (M) cblas_sgemv(CblasRowMajor, CblasNoTrans, M, dk, 1.0f, x->k_mem, x->ms, a, 1, beta, c, 1);
        cblas_sgemv(CblasRowMajor, CblasNoTrans, 1, dk, 1.0f, x->k_cur, x->qs, a, 1, beta, c + M, 1);
        return;
    }
    if (M)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, M, dk, 1.0f, a, lda, x->k_mem, x->ms, beta, c, K);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, dk, 1.0f, a, lda, x->k_cur, x->qs, beta, c + M, K);
}

// out (T, d_k) = p (T, K) · [v_mem; v_cur]; T > 1 (one query goes through query_attention_forward)
static void times_values(float *out, int ldo, const float *p, const HeadRows *x, int T, int M, int dk) {
    int K = M + T;
    if (M) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dk, M, 1.0f, p, K, x->v_mem, x->ms, 0.0f, out, ldo);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dk, T, 1.0f, p + M, K, x->v_cur, x->qs, M ? 1.0f : 0.0f,
                out, ldo);
}

static void softmax_rows(float *s, int rows, int cols) {
    for (int i = 0; i < rows; i++) {
        float *row = s + (long)i * cols;
        float mx = -INFINITY;
        for (int j = 0; j < cols; j++) mx = row[j] > mx ? row[j] : mx;
        float sum = 0.0f;
        for (int j = 0; j < cols; j++) {
            row[j] = row[j] == -INFINITY ? 0.0f : expf(row[j] - mx);
            sum += row[j];
        }
        float inv = 1.0f / sum;
        for (int j = 0; j < cols; j++) row[j] *= inv;
    }
}

// qc (T, d_k) = q_h + content_bias_h, contiguous.
static void add_content_bias(float *qc, const float *qh, int qs, const float *cb, int T, int dk) {
    for (int i = 0; i < T; i++)
        for (int e = 0; e < dk; e++) qc[(long)i * dk + e] = qh[(long)i * qs + e] + cb[e];
}

// s (T, K) of one head before the softmax; T > 1 (one query goes through query_attention_forward).
static void head_scores(float *s, float *scratch, const HeadRows *x, const float *relk, const float *relb,
                        const float *cb, AttentionDims dm) {
    int T = dm.queries, M = dm.mem_keys, K = M + T, H = dm.heads, dk = dm.d_model / H;
    float *qc = scratch;                  // (T, d_k)
    float *pos = scratch + 2L * T * dk;   // (T, K): q_i · rel_key[δ]
    float scale = 1.0f / sqrtf((float)dk);
    add_content_bias(qc, x->q, x->qs, cb, T, dk);
    times_keys_t(s, qc, dk, x, 0.0f, T, M, dk);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, K, dk, 1.0f, x->q, x->qs, relk, H * dk, 0.0f, pos, K);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < K; j++) {
            int delta = K - T + i - j;
            float *sij = s + (long)i * K + j;
            *sij = delta < 0 ? -INFINITY : (*sij + pos[(long)i * K + delta] + relb[(long)delta * H]) * scale;
        }
}

void attention_forward(float *ctx, float *probs, float *scratch, AttentionRows in, const float *rel_key,
                       const float *rel_bias, const float *content_bias, AttentionDims dm) {
    int B = dm.batch, T = dm.queries, M = dm.mem_keys, K = M + T, d = dm.d_model, H = dm.heads, dk = d / H;
    for (int b = 0; b < B && T == 1; b++) {
        HeadRows x = head_rows(in, dm, b, 0);
        QueryRows one = {x.q, x.k_cur, x.v_cur, x.k_mem, x.v_mem, x.ms, 0};
        query_attention_forward(ctx + (long)b * d, probs + (long)b * H * K, one, rel_key, rel_bias, content_bias, M,
                                d, H);
    }
    for (int b = 0; b < B && T > 1; b++)
        for (int h = 0; h < H; h++) {
            HeadRows x = head_rows(in, dm, b, h);
            float *p = probs + ((long)b * H + h) * T * K; // (T, K)
            float *out = ctx + (long)b * T * d + h * dk;  // (T, d_k) stride d
            head_scores(p, scratch, &x, rel_key + h * dk, rel_bias + h, content_bias + h * dk, dm);
            softmax_rows(p, T, K);
            times_values(out, d, p, &x, T, M, dk);
        }
}

// dS = p ⊙ (dP − Σ_j p dP) · scale, in place over dP.
static void softmax_backward_rows(float *dp, const float *p, int rows, int cols, float scale) {
    for (int i = 0; i < rows; i++) {
        float *g = dp + (long)i * cols;
        const float *pr = p + (long)i * cols;
        float dot = 0.0f;
        for (int j = 0; j < cols; j++) dot += pr[j] * g[j];
        for (int j = 0; j < cols; j++) g[j] = pr[j] * (g[j] - dot) * scale;
    }
}

// Gathers dS by distance: drel (T, K) with drel[i][δ] = dS[i][j]; also the rel_bias gradient.
static void scatter_by_distance(float *drel, float *drel_bias_h, const float *ds, int T, int K, int H) {
    memset(drel, 0, sizeof(float) * (size_t)T * K);
    for (int i = 0; i < T; i++)
        for (int j = 0; j <= K - T + i; j++) {
            int delta = K - T + i - j;
            float g = ds[(long)i * K + j];
            drel[(long)i * K + delta] = g;
            drel_bias_h[(long)delta * H] += g;
        }
}

// d[k_mem; k_cur] += aᵀ (T, K)ᵀ · b (T, d_k): the gradient of keys (or values) of one head.
static void keys_grad(const HeadRows *g, int values, const float *a, const float *b, int ldb, int T, int M, int dk) {
    int K = M + T;
    float *mem = values ? g->v_mem : g->k_mem, *cur = values ? g->v_cur : g->k_cur;
    if (M && mem) cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, dk, T, 1.0f, a, K, b, ldb, 1.0f, mem, g->ms);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, dk, T, 1.0f, a + M, K, b, ldb, 1.0f, cur, g->qs);
}

static void head_backward(const HeadRows *g, const HeadRows *x, float *drel_key_h, float *drel_bias_h,
                          float *dcb_h, float *scratch, const float *dctx_h, const float *p, const float *relk,
                          const float *cb, AttentionDims dm) {
    int T = dm.queries, M = dm.mem_keys, K = M + T, H = dm.heads, d = dm.d_model, dk = d / H;
    float *qc = scratch, *dqc = scratch + (long)T * dk; // (T, d_k) each
    float *ds = scratch + 2L * T * dk, *drel = ds + 2L * T * K; // (T, K) each
    // dP = dctx · vᵀ, and the value gradient pᵀ dctx
    HeadRows values = *x;
    values.k_mem = x->v_mem;
    values.k_cur = x->v_cur;
    times_keys_t(ds, dctx_h, d, &values, 0.0f, T, M, dk);
    keys_grad(g, 1, p, dctx_h, d, T, M, dk);
    softmax_backward_rows(ds, p, T, K, 1.0f / sqrtf((float)dk));
    // content term (q + content_bias) · k
    add_content_bias(qc, x->q, x->qs, cb, T, dk);
    if (M) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dk, M, 1.0f, ds, K, x->k_mem, x->ms, 0.0f, dqc, dk);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dk, T, 1.0f, ds + M, K, x->k_cur, x->qs, M ? 1.0f : 0.0f,
                dqc, dk);
    for (int i = 0; i < T; i++)
        for (int e = 0; e < dk; e++) {
            g->q[(long)i * g->qs + e] += dqc[(long)i * dk + e];
            dcb_h[e] += dqc[(long)i * dk + e];
        }
    keys_grad(g, 0, ds, qc, dk, T, M, dk);
    // position terms q · rel_key[δ] + rel_bias[δ]
    scatter_by_distance(drel, drel_bias_h, ds, T, K, H);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, dk, T, 1.0f, drel, K, x->q, x->qs, 1.0f, drel_key_h, H * dk);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dk, K, 1.0f, drel, K, relk, H * dk, 1.0f, g->q, g->qs);
}

void attention_backward(AttentionRows grad, float *drel_key, float *drel_bias, float *dcontent_bias,
                        float *scratch, const float *dctx, const float *probs, AttentionRows in,
                        const float *rel_key, const float *content_bias, AttentionDims dm) {
    int B = dm.batch, T = dm.queries, K = dm.mem_keys + T, d = dm.d_model, H = dm.heads, dk = d / H;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            HeadRows g = head_rows(grad, dm, b, h), x = head_rows(in, dm, b, h);
            head_backward(&g, &x, drel_key + h * dk, drel_bias + h, dcontent_bias + h * dk, scratch,
                          dctx + (long)b * T * d + h * dk, probs + ((long)b * H + h) * T * K, rel_key + h * dk,
                          content_bias + h * dk, dm);
        }
}
