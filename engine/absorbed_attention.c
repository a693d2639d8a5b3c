// Relative attention with absorbed memory projections (absorbed_attention.h). Rows r = (b, h, i) of the
// (B, H, T, ·) buffers are the queries of one head; the products against the memory rows are one GEMM per
// stream over all its T·H query rows, the products with the weights one GEMM per head over all B·T rows.
// Backward, with ds the score gradient (scale included) and dctx the output gradient of a query and head:
//   G = W_vᵀ dctx,  dP_j = G · y_j + dctx · b_v                      (memory columns)
//   dW_v += dctx ⊗ c,  db_v += P dctx
//   A = Σ_j ds_j y_j = w ⊙ Σ_j ds_j x̂_j + b Σ_j ds_j,  d(q + cb) += W_k A,  dW_k += (q + cb) ⊗ A
//   dy_j = Σ_{i,h} (p_ij G + ds_ij ũ), so dw = Σ_{i,h} (G ⊙ Σ_j p_j x̂_j + ũ ⊙ Σ_j ds_j x̂_j) and
//   db = Σ_{i,h} (G P + ũ Σ_j ds_j): no (M, d) gradient is ever formed.
#pragma GCC optimize("O3") // vectorise the plain row loops too
#include "absorbed_attention.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "vecmath.h"

int absorbed_attention_pays(AttentionDims dm) {
    if (dm.mem_keys == 0) return 0;
    double T = dm.queries, M = dm.mem_keys, d = dm.d_model, H = dm.heads, dk = d / H;
    double absorbed = 2 * T * d * d + 2 * T * H * M * d, projected = 2 * M * d * d + 2 * T * H * M * dk;
    return M > 0 && 3 * absorbed < 2 * projected; // a margin for the smaller GEMMs' lower efficiency
}

long absorbed_attention_saved_floats(AttentionDims dm) {
    long n = (long)dm.batch * dm.heads * dm.queries;
    return n * (2L * dm.d_model + 1);
}

long absorbed_attention_scratch_floats(AttentionDims dm) {
    long BT = (long)dm.batch * dm.queries, n = BT * dm.heads, K = dm.mem_keys + dm.queries;
    return 2 * BT * dm.d_model + 3 * n * dm.d_model + 2 * n * K + 2 * n;
}

typedef struct {
    float *qc, *t1, *t2, *t3; // (B, T, d), three (n, d)
    float *pos, *ds;          // (H, B·T, K), (B, H, T, K)
    float *dqc;               // (B, T, d)
    float *row_a, *row_b;     // (n) each
} Scratch;

static Scratch carve(float *s, AttentionDims dm) {
    long BT = (long)dm.batch * dm.queries, n = BT * dm.heads, K = dm.mem_keys + dm.queries, d = dm.d_model;
    Scratch x;
    x.qc = s;
    x.t1 = x.qc + BT * d;
    x.t2 = x.t1 + n * d;
    x.t3 = x.t2 + n * d;
    x.pos = x.t3 + n * d;
    x.ds = x.pos + n * K;
    x.dqc = x.ds + n * K;
    x.row_a = x.dqc + BT * d;
    x.row_b = x.row_a + n;
    return x;
}

// (B, H, T, d) rows ↔ (H, B·T, d): the per-head weight products want a head's rows adjacent.
static void to_head_major(float *dst, const float *src, AttentionDims dm) {
    int B = dm.batch, H = dm.heads, T = dm.queries, d = dm.d_model;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            memcpy(dst + ((long)h * B + b) * T * d, src + ((long)b * H + h) * T * d, sizeof(float) * T * d);
}

static void from_head_major(float *dst, const float *src, AttentionDims dm) {
    int B = dm.batch, H = dm.heads, T = dm.queries, d = dm.d_model;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            memcpy(dst + ((long)b * H + h) * T * d, src + ((long)h * B + b) * T * d, sizeof(float) * T * d);
}

// out (n, d) = x ⊙ w + b ⊗ s: an affine LayerNorm applied to sums Σ_j a_j x̂_j with s = Σ_j a_j.
static void affine_rows(float *out, const float *x, const float *s, const float *w, const float *b, long n, int d) {
    for (long r = 0; r < n; r++)
        for (int c = 0; c < d; c++) out[r * d + c] = x[r * d + c] * w[c] + b[c] * s[r];
}

// qc (B·T, d) = q + content_bias
static void content_queries(float *qc, const float *qkv, const float *cb, long BT, int d) {
    for (long r = 0; r < BT; r++)
        for (int e = 0; e < d; e++) qc[r * d + e] = qkv[r * 3 * d + e] + cb[e];
}

// out (B·T, d_k) per head, stride d, = rows (H, B·T, d) · W[h]ᵀ, W (d, d) row blocks of d_k per head.
static void rows_times_head_weights(float *out, float beta, const float *rows, const float *w, AttentionDims dm) {
    int BT = dm.batch * dm.queries, d = dm.d_model, dk = d / dm.heads;
    for (int h = 0; h < dm.heads; h++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, BT, dk, d, 1.0f, rows + (long)h * BT * d, d,
                    w + (long)h * dk * d, d, beta, out + h * dk, d);
}

// out (H, B·T, d) = per head a[:, h] (B·T, d_k, stride lda) · W[h] (d_k, d)
static void head_slices_times_weights(float *out, const float *a, int lda, const float *w, AttentionDims dm) {
    int BT = dm.batch * dm.queries, d = dm.d_model, dk = d / dm.heads;
    for (int h = 0; h < dm.heads; h++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, BT, d, dk, 1.0f, a + h * dk, lda, w + (long)h * dk * d,
                    d, 0.0f, out + (long)h * BT * d, d);
}

// dW[h] (d_k, d) += a[:, h]ᵀ (d_k, B·T; stride lda) · rows (H, B·T, d)
static void head_weight_grads(float *dw, const float *a, int lda, const float *rows, AttentionDims dm) {
    int BT = dm.batch * dm.queries, d = dm.d_model, dk = d / dm.heads;
    for (int h = 0; h < dm.heads; h++)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dk, d, BT, 1.0f, a + h * dk, lda, rows + (long)h * BT * d,
                    d, 1.0f, dw + (long)h * dk * d, d);
}

// Per stream: out (T·H rows, stride ldo) = rows (T·H, d) · x̂ᵀ, or with trans_x = 0,
// out (T·H, d) = rows (T·H, M; stride K) · x̂ (M, d).
static void against_memory(float *out, int ldo, const float *rows, int ldr, const float *xhat, int trans_x,
                           AttentionDims dm) {
    int R = dm.heads * dm.queries, M = dm.mem_keys, d = dm.d_model;
    for (int b = 0; b < dm.batch; b++) {
        const float *x = xhat + (long)b * M * d;
        if (trans_x)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, M, d, 1.0f, rows + (long)b * R * ldr, ldr, x, d,
                        0.0f, out + (long)b * R * ldo, ldo);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, d, M, 1.0f, rows + (long)b * R * ldr, ldr, x, d,
                        0.0f, out + (long)b * R * ldo, ldo);
    }
}

// pos (H, B·T, K): q_i · rel_key[δ, h] + rel_bias[δ, h] for every distance δ < K.
static void position_products(float *pos, const float *qkv, const float *rel_key, const float *rel_bias,
                              AttentionDims dm) {
    int BT = dm.batch * dm.queries, K = dm.mem_keys + dm.queries, d = dm.d_model, H = dm.heads, dk = d / H;
    for (int h = 0; h < H; h++) {
        float *pos_h = pos + (long)h * BT * K;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, BT, K, dk, 1.0f, qkv + h * dk, 3 * d, rel_key + h * dk,
                    H * dk, 0.0f, pos_h, K);
        for (long bi = 0; bi < BT; bi++)
            for (int delta = 0; delta < K; delta++) pos_h[bi * K + delta] += rel_bias[(long)delta * H + h];
    }
}

// Completes the scores of query i of one head (memory columns hold ũ·x̂ on entry, k_cur the segment's
// keys of this stream and head, rows 3d apart), then the softmax; masked columns end as 0.
static void score_row(float *row, float mem_shift, const float *qc_i, const float *pos_i, const float *k_cur, int i,
                      AttentionDims dm) {
    int T = dm.queries, M = dm.mem_keys, K = M + T, d = dm.d_model, dk = d / dm.heads, last = K - T + i;
    float scale = 1.0f / sqrtf((float)dk);
    for (int j = 0; j < M; j++) row[j] = (row[j] + mem_shift + pos_i[last - j]) * scale; // δ = last − j
    for (int t = 0; t <= i; t++) row[M + t] = (vec_dot(qc_i, k_cur + (long)t * 3 * d, dk) + pos_i[i - t]) * scale;
    vec_softmax_prefix(row, last + 1, K);
}

static void scores_and_softmax(float *probs, float *pm, const Scratch *s, const float *u, const float *qkv,
                               AbsorbedWeights w, AttentionDims dm) {
    int B = dm.batch, T = dm.queries, M = dm.mem_keys, K = M + T, d = dm.d_model, H = dm.heads, dk = d / H;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < T; i++) {
                long r = ((long)b * H + h) * T + i, bi = (long)b * T + i;
                float *row = probs + r * K;
                score_row(row, vec_dot(u + r * d, w.ln_b, d), s->qc + bi * d + h * dk, s->pos + ((long)h * B * T + bi) * K,
                          qkv + (long)b * T * 3 * d + d + h * dk, i, dm);
                pm[r] = vec_sum(row, M);
            }
}

// ctx += P b_v + Σ over the segment's own keys p_ij v_j
static void add_segment_values(float *ctx, const float *probs, const float *pm, const float *qkv, const float *bv,
                               AttentionDims dm) {
    int B = dm.batch, T = dm.queries, M = dm.mem_keys, K = M + T, d = dm.d_model, H = dm.heads, dk = d / H;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < T; i++) {
                long r = ((long)b * H + h) * T + i;
                float *out = ctx + ((long)b * T + i) * d + h * dk;
                vec_axpy(out, pm[r], bv + h * dk, dk);
                for (int t = 0; t <= i; t++)
                    vec_axpy(out, probs[r * K + M + t], qkv + ((long)b * T + t) * 3 * d + 2 * d + h * dk, dk);
            }
}

void absorbed_attention_forward(float *ctx, float *probs, AbsorbedSaved sv, float *scratch, const float *qkv,
                                const float *xhat, AbsorbedWeights w, AttentionDims dm) {
    int T = dm.queries, K = dm.mem_keys + T, d = dm.d_model;
    long BT = (long)dm.batch * T, n = BT * dm.heads;
    Scratch s = carve(scratch, dm);
    content_queries(s.qc, qkv, w.content_bias, BT, d);
    head_slices_times_weights(s.t2, s.qc, d, w.wk, dm);
    from_head_major(sv.u, s.t2, dm);
    for (long r = 0; r < n; r++)
        for (int c = 0; c < d; c++) s.t1[r * d + c] = sv.u[r * d + c] * w.ln_w[c];
    against_memory(probs, K, s.t1, d, xhat, 1, dm);
    position_products(s.pos, qkv, w.rel_key, w.rel_bias, dm);
    scores_and_softmax(probs, sv.pm, &s, sv.u, qkv, w, dm);
    against_memory(sv.cx, d, probs, K, xhat, 0, dm);
    affine_rows(s.t1, sv.cx, sv.pm, w.ln_w, w.ln_b, n, d);
    to_head_major(s.t2, s.t1, dm);
    rows_times_head_weights(ctx, 0.0f, s.t2, w.wv, dm);
    add_segment_values(ctx, probs, sv.pm, qkv, w.bv, dm);
}

static void softmax_backward_row(float *g, const float *p, int n, float scale) {
    float acc = vec_dot(p, g, n);
    for (int j = 0; j < n; j++) g[j] = p[j] * (g[j] - acc) * scale;
}

// dw += Σ_r a_r ⊙ x_r, db += Σ_r a_r s_r: the LayerNorm gradients of the memory rows (header comment).
static void memory_ln_grads(float *dw, float *db, const float *a, const float *x, const float *s, long n, int d) {
    for (long r = 0; r < n; r++)
        for (int c = 0; c < d; c++) {
            dw[c] += a[r * d + c] * x[r * d + c];
            db[c] += a[r * d + c] * s[r];
        }
}

static void value_bias_grads(float *dbv, const float *dctx, const float *pm, AttentionDims dm) {
    int B = dm.batch, T = dm.queries, d = dm.d_model, H = dm.heads, dk = d / H;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < T; i++)
                vec_axpy(dbv + h * dk, pm[((long)b * H + h) * T + i], dctx + ((long)b * T + i) * d + h * dk, dk);
}

// Per query row: completes dP (memory columns hold G·(w ⊙ x̂) on entry, row_a = G·b), adds the segment
// values' gradient Σ_i p_ij dctx_i, then turns dP into ds and keeps Σ_{j<M} ds in row_b.
static void score_grads(float *dqkv, const Scratch *s, const float *dctx, const float *probs, const float *qkv,
                        const float *bv, AttentionDims dm) {
    int B = dm.batch, T = dm.queries, M = dm.mem_keys, K = M + T, d = dm.d_model, H = dm.heads, dk = d / H;
    float scale = 1.0f / sqrtf((float)dk);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < T; i++) {
                long r = ((long)b * H + h) * T + i, bi = (long)b * T + i;
                float *g = s->ds + r * K;
                const float *p = probs + r * K, *dctx_i = dctx + bi * d + h * dk;
                float shift = s->row_a[r] + vec_dot(dctx_i, bv + h * dk, dk);
                for (int j = 0; j < M; j++) g[j] += shift;
                for (int t = 0; t < T; t++) {
                    long seg = ((long)b * T + t) * 3 * d + 2 * d + h * dk;
                    g[M + t] = t > i ? 0.0f : vec_dot(dctx_i, qkv + seg, dk);
                    if (t <= i) vec_axpy(dqkv + seg, p[M + t], dctx_i, dk);
                }
                softmax_backward_row(g, p, K, scale);
                s->row_b[r] = vec_sum(g, M);
            }
}

// Gradients through the segment's own keys (into dqc and dqkv's k) and gathers ds by distance into
// pos (H, B·T, K) for the relative tables; rel_bias directly.
static void segment_key_grads(float *dqkv, float *drel_bias, const Scratch *s, const float *qkv, AttentionDims dm) {
    int B = dm.batch, T = dm.queries, M = dm.mem_keys, K = M + T, d = dm.d_model, H = dm.heads, dk = d / H;
    long BT = (long)B * T;
    memset(s->pos, 0, sizeof(float) * H * BT * K);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < T; i++) {
                long r = ((long)b * H + h) * T + i, bi = (long)b * T + i;
                const float *g = s->ds + r * K;
                for (int t = 0; t <= i; t++) {
                    long seg = ((long)b * T + t) * 3 * d + d + h * dk;
                    vec_axpy(s->dqc + bi * d + h * dk, g[M + t], qkv + seg, dk);
                    vec_axpy(dqkv + seg, g[M + t], s->qc + bi * d + h * dk, dk);
                }
                float *dpos = s->pos + ((long)h * BT + bi) * K;
                for (int j = 0; j <= K - T + i; j++) {
                    int delta = K - T + i - j;
                    dpos[delta] = g[j];
                    drel_bias[(long)delta * H + h] += g[j];
                }
            }
}

// rel_key and q gradients of the position terms q · rel_key[δ], then q and content_bias from dqc.
static void query_grads(float *dqkv, float *drel_key, float *dcb, const Scratch *s, const float *qkv,
                        const float *rel_key, AttentionDims dm) {
    int BT = dm.batch * dm.queries, K = dm.mem_keys + dm.queries, d = dm.d_model, H = dm.heads, dk = d / H;
    for (int h = 0; h < H; h++) {
        const float *dpos = s->pos + (long)h * BT * K;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, dk, BT, 1.0f, dpos, K, qkv + h * dk, 3 * d, 1.0f,
                    drel_key + h * dk, H * dk);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, BT, dk, K, 1.0f, dpos, K, rel_key + h * dk, H * dk,
                    1.0f, dqkv + h * dk, 3 * d);
    }
    for (long bi = 0; bi < BT; bi++) {
        vec_axpy(dqkv + bi * 3 * d, 1.0f, s->dqc + bi * d, d);
        vec_axpy(dcb, 1.0f, s->dqc + bi * d, d);
    }
}

void absorbed_attention_backward(float *dqkv, AbsorbedGrads g, float *scratch, const float *dctx, const float *probs,
                                 AbsorbedSaved sv, const float *qkv, const float *xhat, AbsorbedWeights w,
                                 AttentionDims dm) {
    int K = dm.mem_keys + dm.queries, d = dm.d_model;
    long BT = (long)dm.batch * dm.queries, n = BT * dm.heads;
    Scratch s = carve(scratch, dm);
    content_queries(s.qc, qkv, w.content_bias, BT, d);
    memset(s.dqc, 0, sizeof(float) * BT * d);
    // values: G = W_vᵀ dctx per head (into t1), c = w ⊙ cx + b P
    head_slices_times_weights(s.t2, dctx, d, w.wv, dm);
    from_head_major(s.t1, s.t2, dm);
    affine_rows(s.t3, sv.cx, sv.pm, w.ln_w, w.ln_b, n, d);
    to_head_major(s.t2, s.t3, dm);
    head_weight_grads(g.wv, dctx, d, s.t2, dm);
    value_bias_grads(g.bv, dctx, sv.pm, dm);
    memory_ln_grads(g.ln_w, g.ln_b, s.t1, sv.cx, sv.pm, n, d);
    for (long r = 0; r < n; r++) {
        s.row_a[r] = vec_dot(s.t1 + r * d, w.ln_b, d);
        for (int c = 0; c < d; c++) s.t3[r * d + c] = s.t1[r * d + c] * w.ln_w[c];
    }
    // scores
    against_memory(s.ds, K, s.t3, d, xhat, 1, dm);
    score_grads(dqkv, &s, dctx, probs, qkv, w.bv, dm);
    // keys: Σ_j ds_j x̂_j (into t1), A = w ⊙ that + b Σ_j ds_j
    against_memory(s.t1, d, s.ds, K, xhat, 0, dm);
    memory_ln_grads(g.ln_w, g.ln_b, sv.u, s.t1, s.row_b, n, d);
    affine_rows(s.t3, s.t1, s.row_b, w.ln_w, w.ln_b, n, d);
    to_head_major(s.t2, s.t3, dm);
    rows_times_head_weights(s.dqc, 1.0f, s.t2, w.wk, dm);
    head_weight_grads(g.wk, s.qc, d, s.t2, dm);
    segment_key_grads(dqkv, g.rel_bias, &s, qkv, dm);
    query_grads(dqkv, g.rel_key, g.content_bias, &s, qkv, w.rel_key, dm);
}
