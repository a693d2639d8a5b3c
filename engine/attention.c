// Relative multi-head attention (model.md): per head, over keys [compressed | memory | current].
// score(i,j) = [(q_i + content_bias)·k_j + q_i·rel_key[δ] + rel_bias[δ]] / sqrt(d_k), δ = (K−T+i)−j,
// keys with δ < 0 masked. Each (batch, head) pair is a handful of strided GEMMs: heads are column
// slices of the (rows, d) projections, so no transposes are needed.
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "ops.h"

long attention_scratch_floats(AttentionDims dm) {
    int dk = dm.d_model / dm.heads;
    return (long)dm.queries * dk * 2 + 3L * dm.queries * dm.keys;
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
static void add_content_bias(float *qc, const float *qh, const float *cb, int T, int dk, int d) {
    for (int i = 0; i < T; i++)
        for (int e = 0; e < dk; e++) qc[(long)i * dk + e] = qh[(long)i * d + e] + cb[e];
}

static void head_scores(float *s, float *scratch, const float *qh, const float *kh, const float *relk,
                        const float *relb, const float *cb, AttentionDims dm) {
    int T = dm.queries, K = dm.keys, d = dm.d_model, H = dm.heads, dk = d / H;
    float *qc = scratch;                  // (T, d_k)
    float *pos = scratch + 2L * T * dk;   // (T, K): q_i · rel_key[δ]
    float scale = 1.0f / sqrtf((float)dk);
    add_content_bias(qc, qh, cb, T, dk, d);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, K, dk, 1.0f, qc, dk, kh, d, 0.0f, s, K);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, K, dk, 1.0f, qh, d, relk, H * dk, 0.0f, pos, K);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < K; j++) {
            int delta = K - T + i - j;
            float *sij = s + (long)i * K + j;
            *sij = delta < 0 ? -INFINITY : (*sij + pos[(long)i * K + delta] + relb[(long)delta * H]) * scale;
        }
}

void attention_forward(float *ctx, float *probs, float *scratch, const float *q, const float *k, const float *v,
                       const float *rel_key, const float *rel_bias, const float *content_bias, AttentionDims dm) {
    int B = dm.batch, T = dm.queries, K = dm.keys, d = dm.d_model, H = dm.heads, dk = d / H;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const float *qh = q + (long)b * T * d + h * dk; // (T, d_k) stride d
            const float *kh = k + (long)b * K * d + h * dk; // (K, d_k) stride d
            const float *vh = v + (long)b * K * d + h * dk; // (K, d_k) stride d
            float *p = probs + ((long)b * H + h) * T * K;   // (T, K)
            head_scores(p, scratch, qh, kh, rel_key + h * dk, rel_bias + h, content_bias + h * dk, dm);
            softmax_rows(p, T, K);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dk, K, 1.0f, p, K, vh, d, 0.0f,
                        ctx + (long)b * T * d + h * dk, d);
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

void attention_backward(float *dq, float *dk, float *dv, float *drel_key, float *drel_bias,
                        float *dcontent_bias, float *scratch, const float *dctx, const float *probs,
                        const float *q, const float *k, const float *v, const float *rel_key,
                        const float *content_bias, AttentionDims dm) {
    int B = dm.batch, T = dm.queries, K = dm.keys, d = dm.d_model, H = dm.heads, dkh = d / H;
    float scale = 1.0f / sqrtf((float)dkh);
    float *qc = scratch;                     // (T, d_k)
    float *dqc = scratch + (long)T * dkh;    // (T, d_k)
    float *ds = scratch + 2L * T * dkh;      // (T, K)
    float *drel = ds + 2L * T * K;           // (T, K)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            long qoff = (long)b * T * d + h * dkh, koff = (long)b * K * d + h * dkh;
            const float *p = probs + ((long)b * H + h) * T * K;
            const float *relk = rel_key + h * dkh;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, K, dkh, 1.0f, dctx + qoff, d, v + koff, d, 0.0f,
                        ds, K);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, dkh, T, 1.0f, p, K, dctx + qoff, d, 1.0f,
                        dv + koff, d);
            softmax_backward_rows(ds, p, T, K, scale);
            // content term: (q + content_bias) · k
            add_content_bias(qc, q + qoff, content_bias + h * dkh, T, dkh, d);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dkh, K, 1.0f, ds, K, k + koff, d, 0.0f, dqc,
                        dkh);
            for (int i = 0; i < T; i++)
                for (int e = 0; e < dkh; e++) {
                    dq[qoff + (long)i * d + e] += dqc[(long)i * dkh + e];
                    dcontent_bias[h * dkh + e] += dqc[(long)i * dkh + e];
                }
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, dkh, T, 1.0f, ds, K, qc, dkh, 1.0f, dk + koff, d);
            // position terms: q · rel_key[δ] + rel_bias[δ]
            scatter_by_distance(drel, drel_bias + h, ds, T, K, H);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, dkh, T, 1.0f, drel, K, q + qoff, d, 1.0f,
                        drel_key + h * dkh, H * dkh);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dkh, K, 1.0f, drel, K, relk, H * dkh, 1.0f,
                        dq + qoff, d);
        }
}
