// Finite-difference gradient checks of every engine op (engine/ops.h), plus forward values against naive
// double-precision loops. For each op: L = Σ out ⊙ R with a fixed random R; the analytic gradient is the
// op's backward with dout = R, run once into zeroed buffers and once into randomly pre-filled buffers (it
// must ADD); the numeric gradient is a central difference of L computed in double (tests/gradcheck.c).
//
// Step, floor and tolerance per op. The forward runs in float, so L carries rounding noise that the
// central difference divides by 2·eps; the relative error |a − n| / max(|a| + |n|, floor) is therefore
// noise-dominated below some gradient size, and the floor is set there.
// - Ops linear in the checked input (embedding, linear, compress, relu) have no truncation error, so the
//   step can be large: eps 0.1 for linear/compress (relu and embedding are exact at 1e-3; relu inputs stay
//   ≥ 0.02 from the kink).
// - Smooth nonlinear ops (layernorm, softmax cross-entropy, both attentions) balance truncation (eps²) and
//   noise (1/eps) at eps = 1e-2: the absolute error is ~1e-4 at most, and ~2e-4 relative on gradients
//   above 0.1. Floor 0.1 (about the median gradient size here) and tolerance 2e-3 mean: absolute error
//   ≤ 2e-4, or ≤ 0.4% relative on the larger elements. Measured over 200 seeds, every tolerance below is
//   at least 2× the largest error seen, and a 0.5–1% scale error planted in any backward fails the check.
#include "tests/harness.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/ops.h"
#include "tests/gradcheck.h"
#include "tests/op_check.h"

// The ops' scratch: one buffer large enough for every case of this file.
static float *op_scratch(long n) {
    static float buf[1 << 16];
    CHECK(n <= (long)(sizeof buf / sizeof buf[0]));
    return buf;
}

#define LIN_EPS 1e-1   // linear and compress
#define LIN_FLOOR 1e-2
#define LN_EPS 1e-2    // layernorm
#define LN_FLOOR 1e-1
#define ATT_EPS 1e-2   // attention and plain attention
#define ATT_FLOOR 1e-1

// ---------------------------------------------------------------------------------------------------------
// Embedding

typedef struct {
    int n, d;
    const int32_t *tokens;
    float *table, *out, *R;
} EmbCtx;

static double emb_loss(void *p) {
    EmbCtx *c = p;
    embedding_forward(c->out, c->tokens, c->table, c->n, c->d);
    return gc_dot(c->out, c->R, (long)c->n * c->d);
}

TEST(gradcheck_embedding_repeated_tokens) {
    enum { V = 7, D = 5, N = 12 };
    static const int32_t tokens[N] = {3, 1, 3, 0, 6, 3, 1, 5, 3, 0, 2, 1}; // 4 never appears, 3 four times
    GcRng r;
    gc_rng_init(&r, 11);
    EmbCtx c = {N, D, tokens, fnormal(&r, V * D, 1.0), fnan(N * D), fnormal(&r, N * D, 1.0)};
    embedding_forward(c.out, tokens, c.table, N, D);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++)
            CHECK_MSG(c.out[i * D + j] == c.table[tokens[i] * D + j], "out[%d,%d] is not table[%d,%d]", i, j,
                      (int)tokens[i], j);

    Grad g = grad_make(&r, "embedding.dtable", c.table, V * D, 1e-3, 1e-3, 3e-5);
    embedding_backward(g.g0, c.R, tokens, N, D);
    embedding_backward(g.gacc, c.R, tokens, N, D);
    // dtable[v] = Σ of R over the positions holding token v; rows of absent tokens untouched.
    for (int v = 0; v < V; v++)
        for (int j = 0; j < D; j++) {
            double want = 0.0;
            for (int i = 0; i < N; i++)
                if (tokens[i] == v) want += c.R[i * D + j];
            CHECK_MSG(fabs(g.g0[v * D + j] - want) <= 1e-6 * (1 + fabs(want)), "dtable[%d,%d] = %.9g, expected %.9g",
                      v, j, (double)g.g0[v * D + j], want);
        }
    gradcheck_identical("dtable row of an absent token", g.gacc + 4 * D, g.pre + 4 * D, D);
    check_grads(&g, 1, emb_loss, &c, 100);
    release_all();
}

// ---------------------------------------------------------------------------------------------------------
// LayerNorm

typedef struct {
    int n, d;
    float *in, *weight, *bias, *out, *mean, *rstd, *R;
} LnCtx;

static double ln_loss(void *p) {
    LnCtx *c = p;
    layernorm_forward(c->out, c->mean, c->rstd, c->in, c->weight, c->bias, c->n, c->d);
    return gc_dot(c->out, c->R, (long)c->n * c->d);
}

static LnCtx ln_setup(GcRng *r, int n, int d) {
    LnCtx c = {n, d, fnormal(r, (long)n * d, 1.5), fnormal(r, d, 0.3), fnormal(r, d, 0.5), fnan((long)n * d),
               fnan(n), fnan(n), fnormal(r, (long)n * d, 1.0)};
    for (int i = 0; i < n; i++) // a different offset per row, so the mean matters
        for (int j = 0; j < d; j++) c.in[(long)i * d + j] += 0.7f * (float)(i - 2);
    for (int j = 0; j < d; j++) c.weight[j] += 1.0f;
    return c;
}

TEST(layernorm_forward_matches_double) {
    GcRng r;
    gc_rng_init(&r, 21);
    LnCtx c = ln_setup(&r, 6, 16);
    ln_loss(&c);
    double *want = dzeros(6 * 16), *wmean = dzeros(6), *wrstd = dzeros(6);
    for (int i = 0; i < 6; i++) {
        const float *x = c.in + i * 16;
        double mu = 0, var = 0;
        for (int j = 0; j < 16; j++) mu += x[j];
        mu /= 16;
        for (int j = 0; j < 16; j++) var += (x[j] - mu) * (x[j] - mu);
        var /= 16; // biased, as PyTorch
        double rs = 1.0 / sqrt(var + 1e-5);
        wmean[i] = mu;
        wrstd[i] = rs;
        for (int j = 0; j < 16; j++) want[i * 16 + j] = (x[j] - mu) * rs * c.weight[j] + c.bias[j];
    }
    check_close("layernorm.out", c.out, want, 6 * 16, 2e-6, 2e-6);
    check_close("layernorm.mean", c.mean, wmean, 6, 1e-6, 1e-6);
    check_close("layernorm.rstd", c.rstd, wrstd, 6, 0, 2e-6);
    release_all();
}

TEST(gradcheck_layernorm) {
    enum { N = 6, D = 16 };
    GcRng r;
    gc_rng_init(&r, 22);
    LnCtx c = ln_setup(&r, N, D);
    ln_loss(&c);
    Grad g[3] = {grad_make(&r, "layernorm.din", c.in, N * D, LN_EPS, LN_FLOOR, 2e-3),
                 grad_make(&r, "layernorm.dweight", c.weight, D, LN_EPS, LN_FLOOR, 5e-4),
                 grad_make(&r, "layernorm.dbias", c.bias, D, LN_EPS, LN_FLOOR, 5e-4)};
    layernorm_backward(g[0].g0, g[1].g0, g[2].g0, c.R, c.in, c.mean, c.rstd, c.weight, N, D);
    layernorm_backward(g[0].gacc, g[1].gacc, g[2].gacc, c.R, c.in, c.mean, c.rstd, c.weight, N, D);

    // din = NULL (a detached input): dweight and dbias come out exactly as with din.
    float *dw = fcopy(g[1].pre, D), *db = fcopy(g[2].pre, D);
    layernorm_backward(NULL, dw, db, c.R, c.in, c.mean, c.rstd, c.weight, N, D);
    gradcheck_identical("layernorm.dweight (din NULL)", dw, g[1].gacc, D);
    gradcheck_identical("layernorm.dbias (din NULL)", db, g[2].gacc, D);

    check_grads(g, 3, ln_loss, &c, 200);
    release_all();
}

// ---------------------------------------------------------------------------------------------------------
// Linear

typedef struct {
    int n, in_dim, out_dim;
    float *in, *weight, *bias, *out, *R; // bias may be NULL
} LinCtx;

static double lin_loss(void *p) {
    LinCtx *c = p;
    gc_fill_const(c->out, (long)c->n * c->out_dim, NAN); // every output must be written (beta = 0 too)
    linear_forward(c->out, c->in, c->weight, c->bias, c->n, c->in_dim, c->out_dim);
    return gc_dot(c->out, c->R, (long)c->n * c->out_dim);
}

static void linear_case(int with_bias) {
    enum { N = 5, IN = 7, OUT = 6 };
    GcRng r;
    gc_rng_init(&r, 31 + with_bias);
    LinCtx c = {N, IN, OUT, fnormal(&r, N * IN, 1.0), fnormal(&r, OUT * IN, 0.5),
                with_bias ? fnormal(&r, OUT, 1.0) : NULL, fnan(N * OUT), fnormal(&r, N * OUT, 1.0)};
    lin_loss(&c);
    double *want = dzeros(N * OUT);
    for (int i = 0; i < N; i++)
        for (int o = 0; o < OUT; o++) {
            double s = with_bias ? c.bias[o] : 0.0;
            for (int k = 0; k < IN; k++) s += (double)c.in[i * IN + k] * c.weight[o * IN + k];
            want[i * OUT + o] = s;
        }
    check_close("linear.out", c.out, want, N * OUT, 1e-5, 1e-5);

    Grad g[3] = {grad_make(&r, "linear.din", c.in, N * IN, LIN_EPS, LIN_FLOOR, 1e-3),
                 grad_make(&r, "linear.dweight", c.weight, OUT * IN, LIN_EPS, LIN_FLOOR, 1e-3),
                 grad_make(&r, "linear.dbias", with_bias ? c.bias : NULL, OUT, LIN_EPS, LIN_FLOOR, 1e-3)};
    linear_backward(g[0].g0, g[1].g0, with_bias ? g[2].g0 : NULL, c.R, c.in, c.weight, N, IN, OUT);
    linear_backward(g[0].gacc, g[1].gacc, with_bias ? g[2].gacc : NULL, c.R, c.in, c.weight, N, IN, OUT);

    // din = NULL (a detached input): the weight gradient is unchanged.
    float *dw = fcopy(g[1].pre, OUT * IN);
    linear_backward(NULL, dw, NULL, c.R, c.in, c.weight, N, IN, OUT);
    gradcheck_identical("linear.dweight (din NULL)", dw, g[1].gacc, OUT * IN);

    check_grads(g, with_bias ? 3 : 2, lin_loss, &c, 300 + 10 * with_bias);
    release_all();
}

TEST(gradcheck_linear_with_bias) { linear_case(1); }
TEST(gradcheck_linear_without_bias) { linear_case(0); }

// ---------------------------------------------------------------------------------------------------------
// ReLU

typedef struct {
    int n;
    float *in, *out, *R;
} ReluCtx;

static double relu_loss(void *p) {
    ReluCtx *c = p;
    relu_forward(c->out, c->in, c->n);
    return gc_dot(c->out, c->R, c->n);
}

TEST(gradcheck_relu) {
    enum { N = 64 };
    GcRng r;
    gc_rng_init(&r, 41);
    ReluCtx c = {N, fzeros(N), fnan(N), fnormal(&r, N, 1.0)};
    gc_fill_away_from_zero(&r, c.in, N, 1.0, 0.02); // ≫ 2·eps from the kink
    relu_loss(&c);
    for (int i = 0; i < N; i++)
        CHECK_MSG(c.out[i] == (c.in[i] > 0 ? c.in[i] : 0.0f), "relu(%.9g) = %.9g", (double)c.in[i], (double)c.out[i]);
    Grad g = grad_make(&r, "relu.din", c.in, N, 1e-3, 1e-3, 1e-8);
    relu_backward(g.g0, c.R, c.in, N);
    relu_backward(g.gacc, c.R, c.in, N);
    for (int i = 0; i < N; i++)
        if (c.in[i] < 0) gradcheck_identical("relu.din where in < 0", g.gacc + i, g.pre + i, 1);
    check_grads(&g, 1, relu_loss, &c, 400);
    release_all();
}

// ---------------------------------------------------------------------------------------------------------
// Cross-entropy

typedef struct {
    int n, vocab;
    const int32_t *targets;
    float *logits, *probs, *losses;
    float dloss;
} CeCtx;

// L = dloss · mean loss, the mean taken in double over the per-row losses.
static double ce_loss(void *p) {
    CeCtx *c = p;
    crossentropy_forward(c->probs, c->losses, c->logits, c->targets, c->n, c->vocab);
    double s = 0.0;
    for (int i = 0; i < c->n; i++) s += c->losses[i];
    return c->dloss * s / c->n;
}

// Per-row loss and probabilities in double, with the max subtracted.
static double ce_naive(double *probs, double *losses, const float *logits, const int32_t *targets, int n, int V) {
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (long)i * V;
        double mx = z[0], sum = 0.0;
        for (int v = 1; v < V; v++) mx = fmax(mx, z[v]);
        for (int v = 0; v < V; v++) sum += exp(z[v] - mx);
        for (int v = 0; v < V; v++) probs[(long)i * V + v] = exp(z[v] - mx) / sum;
        losses[i] = log(sum) + mx - z[targets[i]];
        total += losses[i];
    }
    return total / n;
}

TEST(crossentropy_forward_matches_double) {
    enum { N = 5, V = 11 };
    static const int32_t targets[N] = {3, 0, 10, 3, 7};
    GcRng r;
    gc_rng_init(&r, 51);
    float *logits = fnormal(&r, N * V, 2.0);
    for (int v = 0; v < V; v++) logits[3 * V + v] += 1000.0f; // large logits must not overflow
    for (int v = 0; v < V; v++) logits[4 * V + v] -= 1000.0f;
    logits[2 * V + 10] = 40.0f; // a confident right answer: loss ≈ 0
    float *probs = fnan(N * V), *losses = fnan(N);
    float mean = crossentropy_forward(probs, losses, logits, targets, N, V);
    double *wp = dzeros(N * V), *wl = dzeros(N);
    double wmean = ce_naive(wp, wl, logits, targets, N, V);
    check_close("crossentropy.probs", probs, wp, N * V, 1e-7, 1e-5);
    check_close("crossentropy.losses", losses, wl, N, 1e-6, 1e-5);
    CHECK_NEAR(mean, wmean, 1e-6 + 1e-6 * wmean);
    for (int i = 0; i < N; i++) {
        double s = 0;
        for (int v = 0; v < V; v++) s += probs[i * V + v];
        CHECK_NEAR(s, 1.0, 1e-5);
    }
    // Uniform logits: loss = ln V exactly in theory.
    float *flat = fzeros(V);
    int32_t t0 = 4;
    CHECK_NEAR(crossentropy_forward(probs, losses, flat, &t0, 1, V), log((double)V), 1e-6);
    release_all();
}

TEST(gradcheck_crossentropy) {
    enum { N = 4, V = 9 };
    static const int32_t targets[N] = {2, 8, 2, 0};
    GcRng r;
    gc_rng_init(&r, 52);
    CeCtx c = {N, V, targets, fnormal(&r, N * V, 2.0), fnan(N * V), fnan(N), 0.7f};
    ce_loss(&c);
    Grad g = grad_make(&r, "crossentropy.dlogits", c.logits, N * V, 1e-2, 1e-2, 1e-3);
    crossentropy_backward(g.g0, c.probs, targets, c.dloss, N, V);
    crossentropy_backward(g.gacc, c.probs, targets, c.dloss, N, V);
    // Closed form: dloss/n · (p − onehot), in double from the double probabilities.
    double *wp = dzeros(N * V), *wl = dzeros(N), *want = dzeros(N * V);
    ce_naive(wp, wl, c.logits, targets, N, V);
    for (int i = 0; i < N; i++)
        for (int v = 0; v < V; v++) want[i * V + v] = 0.7 / N * (wp[i * V + v] - (v == targets[i]));
    check_close("crossentropy.dlogits (closed form)", g.g0, want, N * V, 1e-7, 1e-5);
    check_grads(&g, 1, ce_loss, &c, 500);
    release_all();
}

// ---------------------------------------------------------------------------------------------------------
// Relative attention (model.md)

// The tests keep every stream's K keys in one (B, K, d) array; the op takes memory keys (B, M, d) and the
// segment's keys (B, T, d) as two blocks, so the calls below split and merge.
typedef struct {
    int batch, queries, keys, d_model, heads, rel_len;
} AttnTestDims;

static AttentionDims op_dims(AttnTestDims t) {
    return (AttentionDims){t.batch, t.queries, t.keys - t.queries, t.d_model, t.heads, t.rel_len};
}

// full (B, K, d) <-> mem (B, M, d) + cur (B, T, d)
static void split_keys(float *mem, float *cur, const float *full, AttnTestDims t) {
    int M = t.keys - t.queries, d = t.d_model;
    for (int b = 0; b < t.batch; b++) {
        memcpy(mem + (long)b * M * d, full + (long)b * t.keys * d, sizeof(float) * M * d);
        memcpy(cur + (long)b * t.queries * d, full + ((long)b * t.keys + M) * d, sizeof(float) * t.queries * d);
    }
}

static void merge_keys(float *full, const float *mem, const float *cur, AttnTestDims t) {
    int M = t.keys - t.queries, d = t.d_model;
    for (int b = 0; b < t.batch; b++) {
        memcpy(full + (long)b * t.keys * d, mem + (long)b * M * d, sizeof(float) * M * d);
        memcpy(full + ((long)b * t.keys + M) * d, cur + (long)b * t.queries * d, sizeof(float) * t.queries * d);
    }
}

typedef struct {
    float *km, *kc, *vm, *vc;
} SplitKV;

static SplitKV split_kv(const float *k, const float *v, AttnTestDims t) {
    long nm = (long)t.batch * (t.keys - t.queries) * t.d_model + 1, nc = (long)t.batch * t.queries * t.d_model;
    SplitKV s = {malloc(sizeof(float) * nm), malloc(sizeof(float) * nc), malloc(sizeof(float) * nm),
                 malloc(sizeof(float) * nc)};
    split_keys(s.km, s.kc, k, t);
    split_keys(s.vm, s.vc, v, t);
    return s;
}

static void free_split(SplitKV *s) {
    free(s->km);
    free(s->kc);
    free(s->vm);
    free(s->vc);
}

static AttentionRows rows_of(float *q, SplitKV *s, AttnTestDims t) {
    return (AttentionRows){q, s->kc, s->vc, s->km, s->vm, t.d_model, t.d_model};
}

static void attention_forward_full(float *ctx, float *probs, float *scratch, float *q, const float *k, const float *v,
                                   const float *rel_key, const float *rel_bias, const float *content_bias,
                                   AttnTestDims t) {
    SplitKV in = split_kv(k, v, t);
    attention_forward(ctx, probs, scratch, rows_of(q, &in, t), rel_key, rel_bias, content_bias, op_dims(t));
    free_split(&in);
}

static void attention_backward_full(float *dq, float *dk, float *dv, float *drk, float *drb, float *dcb,
                                    float *scratch, const float *dctx, const float *probs, float *q, const float *k,
                                    const float *v, const float *rel_key, const float *content_bias, AttnTestDims t) {
    SplitKV in = split_kv(k, v, t), grad = split_kv(dk, dv, t);
    attention_backward(rows_of(dq, &grad, t), drk, drb, dcb, scratch, dctx, probs, rows_of(q, &in, t), rel_key,
                       content_bias, op_dims(t));
    merge_keys(dk, grad.km, grad.kc, t);
    merge_keys(dv, grad.vm, grad.vc, t);
    free_split(&in);
    free_split(&grad);
}

typedef struct {
    AttnTestDims dm;
    float *q, *k, *v, *rel_key, *rel_bias, *content_bias; // inputs
    float *ctx, *probs, *scratch, *R;
} AttnCtx;

static long attn_ctx_n(AttnTestDims dm) { return (long)dm.batch * dm.queries * dm.d_model; }
static long attn_kv_n(AttnTestDims dm) { return (long)dm.batch * dm.keys * dm.d_model; }
static long attn_probs_n(AttnTestDims dm) { return (long)dm.batch * dm.heads * dm.queries * dm.keys; }

static double attn_loss(void *p) {
    AttnCtx *c = p;
    attention_forward_full(c->ctx, c->probs, c->scratch, c->q, c->k, c->v, c->rel_key, c->rel_bias, c->content_bias,
                      c->dm);
    return gc_dot(c->ctx, c->R, attn_ctx_n(c->dm));
}

static AttnCtx attn_setup(GcRng *r, int B, int T, int K, int d, int H, int R) {
    AttnCtx c;
    c.dm = (AttnTestDims){B, T, K, d, H, R};
    int dk = d / H;
    c.q = fnormal(r, (long)B * T * d, 1.0);
    c.k = fnormal(r, (long)B * K * d, 1.0);
    c.v = fnormal(r, (long)B * K * d, 1.0);
    c.rel_key = fnormal(r, (long)R * H * dk, 0.5);
    c.rel_bias = fnormal(r, (long)R * H, 0.5);
    c.content_bias = fnormal(r, (long)H * dk, 0.5);
    c.ctx = fnan(attn_ctx_n(c.dm));
    c.probs = fnan(attn_probs_n(c.dm));
    c.scratch = fnan(attention_scratch_floats(op_dims(c.dm))); // garbage: the ops must not read scratch before writing
    c.R = fnormal(r, attn_ctx_n(c.dm), 1.0);
    return c;
}

// model.md's formula, straight, in double: ctx (B, T, d), probs (B, H, T, K).
static void attn_naive(double *ctx, double *probs, const AttnCtx *c) {
    int B = c->dm.batch, T = c->dm.queries, K = c->dm.keys, d = c->dm.d_model, H = c->dm.heads, dk = d / H;
    double *s = dzeros(K);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < T; i++) {
                const float *qi = c->q + ((long)b * T + i) * d + h * dk;
                double mx = -INFINITY, sum = 0.0;
                for (int j = 0; j < K; j++) {
                    int delta = (K - T + i) - j;
                    if (delta < 0) {
                        s[j] = -INFINITY;
                        continue;
                    }
                    const float *kj = c->k + ((long)b * K + j) * d + h * dk;
                    const float *rk = c->rel_key + ((long)delta * H + h) * dk;
                    double acc = c->rel_bias[(long)delta * H + h];
                    for (int e = 0; e < dk; e++)
                        acc += ((double)qi[e] + c->content_bias[h * dk + e]) * kj[e] + (double)qi[e] * rk[e];
                    s[j] = acc / sqrt((double)dk);
                    mx = fmax(mx, s[j]);
                }
                for (int j = 0; j < K; j++) sum += s[j] == -INFINITY ? 0.0 : exp(s[j] - mx);
                double *p = probs + (((long)b * H + h) * T + i) * K;
                for (int j = 0; j < K; j++) p[j] = s[j] == -INFINITY ? 0.0 : exp(s[j] - mx) / sum;
                for (int e = 0; e < dk; e++) {
                    double o = 0.0;
                    for (int j = 0; j < K; j++) o += p[j] * c->v[((long)b * K + j) * d + h * dk + e];
                    ctx[((long)b * T + i) * d + h * dk + e] = o;
                }
            }
}

static void attn_backward_into(AttnCtx *c, float *dq, float *dk, float *dv, float *drk, float *drb, float *dcb) {
    gc_fill_const(c->scratch, attention_scratch_floats(op_dims(c->dm)), NAN);
    attention_backward_full(dq, dk, dv, drk, drb, dcb, c->scratch, c->R, c->probs, c->q, c->k, c->v, c->rel_key,
                       c->content_bias, c->dm);
}

// Forward vs the naive formula, then every gradient (accumulating, finite differences), then the rows of the
// relative tables that no key pair reaches (δ ≥ K) must get exactly nothing.
static void attention_case(int T, int K, int R, unsigned seed) {
    enum { B = 2, D = 8, H = 2, DK = D / H };
    GcRng r;
    gc_rng_init(&r, seed);
    AttnCtx c = attn_setup(&r, B, T, K, D, H, R);
    printf("    attention B=%d T=%d K=%d d=%d H=%d R=%d\n", B, T, K, D, H, R);
    attn_loss(&c);
    double *wctx = dzeros(attn_ctx_n(c.dm)), *wprobs = dzeros(attn_probs_n(c.dm));
    attn_naive(wctx, wprobs, &c);
    check_close("attention.ctx", c.ctx, wctx, attn_ctx_n(c.dm), 2e-6, 2e-6);
    check_close("attention.probs", c.probs, wprobs, attn_probs_n(c.dm), 1e-6, 2e-6);
    for (long i = 0; i < attn_probs_n(c.dm); i++)
        if (wprobs[i] == 0.0) CHECK_MSG(c.probs[i] == 0.0f, "masked probs[%ld] = %.9g, not 0", i, (double)c.probs[i]);

    Grad g[6] = {grad_make(&r, "attention.dq", c.q, (long)B * T * D, ATT_EPS, ATT_FLOOR, 2e-3),
                 grad_make(&r, "attention.dk", c.k, attn_kv_n(c.dm), ATT_EPS, ATT_FLOOR, 2e-3),
                 grad_make(&r, "attention.dv", c.v, attn_kv_n(c.dm), ATT_EPS, ATT_FLOOR, 2e-3),
                 grad_make(&r, "attention.drel_key", c.rel_key, (long)R * H * DK, ATT_EPS, ATT_FLOOR, 2e-3),
                 grad_make(&r, "attention.drel_bias", c.rel_bias, (long)R * H, ATT_EPS, ATT_FLOOR, 2e-3),
                 grad_make(&r, "attention.dcontent_bias", c.content_bias, H * DK, ATT_EPS, ATT_FLOOR, 2e-3)};
    attn_backward_into(&c, g[0].g0, g[1].g0, g[2].g0, g[3].g0, g[4].g0, g[5].g0);
    attn_backward_into(&c, g[0].gacc, g[1].gacc, g[2].gacc, g[3].gacc, g[4].gacc, g[5].gacc);

    for (int delta = K; delta < R; delta++) {
        for (int e = 0; e < H * DK; e++)
            CHECK_MSG(g[3].g0[(long)delta * H * DK + e] == 0.0f, "drel_key[δ=%d][%d] = %.9g for δ ≥ K = %d", delta, e,
                      (double)g[3].g0[(long)delta * H * DK + e], K);
        for (int h = 0; h < H; h++)
            CHECK_MSG(g[4].g0[delta * H + h] == 0.0f, "drel_bias[δ=%d][%d] = %.9g for δ ≥ K = %d", delta, h,
                      (double)g[4].g0[delta * H + h], K);
    }
    if (R > K) {
        gradcheck_identical("drel_key rows δ ≥ K (pre-filled)", g[3].gacc + (long)K * H * DK,
                            g[3].pre + (long)K * H * DK, (long)(R - K) * H * DK);
        gradcheck_identical("drel_bias rows δ ≥ K (pre-filled)", g[4].gacc + K * H, g[4].pre + K * H,
                            (long)(R - K) * H);
    }
    check_grads(g, 6, attn_loss, &c, seed * 10);
    release_all();
}

TEST(gradcheck_attention_no_memory) { // T == K: keys are the segment itself
    attention_case(5, 5, 7, 61);
}
TEST(gradcheck_attention_with_memory) { // K > T: compressed + memory slots before the segment
    attention_case(4, 9, 11, 62);
}
TEST(gradcheck_attention_generation) { // one query over memory, R == K (every row of the tables used)
    attention_case(1, 6, 6, 63);
}
TEST(gradcheck_attention_single_key) { // T = K = 1: p = 1, so only dv is nonzero; everything else exactly 0
    attention_case(1, 1, 3, 64);
}

// A query must not see keys after it: changing k or v of such a key leaves its output bit for bit, other
// batch rows are independent, and the backward sends nothing to invisible keys.
TEST(attention_causal_mask) {
    enum { B = 2, T = 4, K = 7, D = 8, H = 2, R = 8 };
    GcRng r;
    gc_rng_init(&r, 65);
    AttnCtx c = attn_setup(&r, B, T, K, D, H, R);
    attn_loss(&c);
    float *base = fcopy(c.ctx, attn_ctx_n(c.dm));
    float *k0 = fcopy(c.k, attn_kv_n(c.dm)), *v0 = fcopy(c.v, attn_kv_n(c.dm));
    for (int b = 0; b < B; b++)
        for (int j = K - T + 1; j < K; j++) { // keys inside the segment that some query cannot see
            for (int e = 0; e < D; e++) {
                c.k[((long)b * K + j) * D + e] += 3.0f;
                c.v[((long)b * K + j) * D + e] -= 5.0f;
            }
            attn_loss(&c);
            int seen_change = 0;
            for (int bb = 0; bb < B; bb++)
                for (int i = 0; i < T; i++) {
                    int visible = bb == b && (K - T + i) - j >= 0;
                    const float *now = c.ctx + ((long)bb * T + i) * D, *was = base + ((long)bb * T + i) * D;
                    if (!visible) {
                        for (int e = 0; e < D; e++)
                            CHECK_MSG(now[e] == was[e],
                                      "ctx[b=%d,i=%d,%d] changed (%.9g -> %.9g) when key %d of batch %d changed", bb,
                                      i, e, (double)was[e], (double)now[e], j, b);
                    } else
                        for (int e = 0; e < D; e++) seen_change |= now[e] != was[e];
                }
            CHECK_MSG(seen_change, "no query saw key %d of batch %d change", j, b);
            memcpy(c.k, k0, sizeof(float) * (size_t)attn_kv_n(c.dm));
            memcpy(c.v, v0, sizeof(float) * (size_t)attn_kv_n(c.dm));
        }

    // Backward with dctx only on query i of batch 1: invisible keys and batch 0 get exact zeros.
    attn_loss(&c);
    for (int i = 0; i < T; i++) {
        gc_fill_const(c.R, attn_ctx_n(c.dm), 0.0f);
        for (int e = 0; e < D; e++) c.R[((long)1 * T + i) * D + e] = (float)gc_rng_normal(&r);
        float *dq = fzeros((long)B * T * D), *dk = fzeros(attn_kv_n(c.dm)), *dv = fzeros(attn_kv_n(c.dm));
        float *drk = fzeros((long)R * D), *drb = fzeros((long)R * H), *dcb = fzeros(D);
        attn_backward_into(&c, dq, dk, dv, drk, drb, dcb);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < K; j++) {
                int visible = b == 1 && (K - T + i) - j >= 0;
                for (int e = 0; e < D; e++) {
                    long at = ((long)b * K + j) * D + e;
                    if (!visible)
                        CHECK_MSG(dk[at] == 0.0f && dv[at] == 0.0f,
                                  "query %d of batch 1 sends gradient to key %d of batch %d: dk %.9g dv %.9g", i, j, b,
                                  (double)dk[at], (double)dv[at]);
                }
            }
        for (int b = 0; b < B; b++)
            for (int i2 = 0; i2 < T; i2++)
                for (int e = 0; e < D; e++)
                    if (!(b == 1 && i2 == i))
                        CHECK_MSG(dq[((long)b * T + i2) * D + e] == 0.0f, "dq[b=%d,i=%d] nonzero from query %d", b, i2,
                                  i);
        // This query reaches distances 0 .. K−T+i only.
        for (int delta = K - T + i + 1; delta < R; delta++)
            for (int h = 0; h < H; h++)
                CHECK_MSG(drb[delta * H + h] == 0.0f, "drel_bias[δ=%d] nonzero from query %d", delta, i);
    }
    release_all();
}

// ---------------------------------------------------------------------------------------------------------
// Plain attention (the AR loss)

typedef struct {
    int B, T, S, d, H;
    float *q, *k, *v, *out, *probs, *R;
} PlainCtx;

static double plain_loss(void *p) {
    PlainCtx *c = p;
    plain_attention_forward(c->out, c->probs, c->q, c->k, c->v, c->B, c->T, c->S, c->d, c->H);
    return gc_dot(c->out, c->R, (long)c->B * c->T * c->d);
}

static void plain_case(int T, int S, unsigned seed) {
    enum { B = 2, D = 8, H = 2, DK = D / H };
    GcRng r;
    gc_rng_init(&r, seed);
    long nq = (long)B * T * D, nk = (long)B * S * D, np = (long)B * H * T * S;
    PlainCtx c = {B, T, S, D, H, fnormal(&r, nq, 1.0), fnormal(&r, nk, 1.0), fnormal(&r, nk, 1.0), fnan(nq), fnan(np),
                  fnormal(&r, nq, 1.0)};
    printf("    plain attention B=%d T=%d S=%d d=%d H=%d\n", B, T, S, D, H);
    plain_loss(&c);
    double *want = dzeros(nq), *s = dzeros(S);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < T; i++) {
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j < S; j++) {
                    double acc = 0;
                    for (int e = 0; e < DK; e++)
                        acc += (double)c.q[((long)b * T + i) * D + h * DK + e] * c.k[((long)b * S + j) * D + h * DK + e];
                    s[j] = acc / sqrt((double)DK);
                    mx = fmax(mx, s[j]);
                }
                for (int j = 0; j < S; j++) sum += exp(s[j] - mx);
                for (int e = 0; e < DK; e++) {
                    double o = 0;
                    for (int j = 0; j < S; j++) o += exp(s[j] - mx) / sum * c.v[((long)b * S + j) * D + h * DK + e];
                    want[((long)b * T + i) * D + h * DK + e] = o;
                }
            }
    check_close("plain_attention.out", c.out, want, nq, 2e-6, 2e-6);

    Grad g[3] = {grad_make(&r, "plain_attention.dq", c.q, nq, ATT_EPS, ATT_FLOOR, 1e-3),
                 grad_make(&r, "plain_attention.dk", c.k, nk, ATT_EPS, ATT_FLOOR, 1e-3),
                 grad_make(&r, "plain_attention.dv", c.v, nk, ATT_EPS, ATT_FLOOR, 1e-3)};
    float *scratch = fnan((long)T * S);
    plain_attention_backward(g[0].g0, g[1].g0, g[2].g0, scratch, c.R, c.probs, c.q, c.k, c.v, B, T, S, D, H);
    gc_fill_const(scratch, (long)T * S, NAN);
    plain_attention_backward(g[0].gacc, g[1].gacc, g[2].gacc, scratch, c.R, c.probs, c.q, c.k, c.v, B, T, S, D, H);

    // dq = NULL (the AR loss's queries are detached): dk and dv come out exactly the same.
    float *dk = fcopy(g[1].pre, nk), *dv = fcopy(g[2].pre, nk);
    gc_fill_const(scratch, (long)T * S, NAN);
    plain_attention_backward(NULL, dk, dv, scratch, c.R, c.probs, c.q, c.k, c.v, B, T, S, D, H);
    gradcheck_identical("plain_attention.dk (dq NULL)", dk, g[1].gacc, nk);
    gradcheck_identical("plain_attention.dv (dq NULL)", dv, g[2].gacc, nk);

    check_grads(g, 3, plain_loss, &c, seed * 10);
    release_all();
}

TEST(gradcheck_plain_attention_more_keys) { plain_case(3, 5, 71); }
TEST(gradcheck_plain_attention_fewer_keys) { plain_case(4, 2, 72); } // compressed keys: S < T

// ---------------------------------------------------------------------------------------------------------
// Compression conv

typedef struct {
    int n_out, d, c;
    float *in, *weight, *bias, *out, *R;
} CompCtx;

static double comp_loss(void *p) {
    CompCtx *c = p;
    gc_fill_const(c->out, (long)c->n_out * c->d, NAN);
    compress_forward(c->out, op_scratch(compress_scratch_floats(c->n_out, c->d, c->c)), c->in, c->weight, c->bias,
                     c->n_out, c->d, c->c);
    return gc_dot(c->out, c->R, (long)c->n_out * c->d);
}

static void compress_case(int rate) {
    enum { NOUT = 3, D = 6 };
    GcRng r;
    gc_rng_init(&r, 80 + rate);
    long nin = (long)NOUT * rate * D, nw = (long)D * D * rate;
    CompCtx c = {NOUT, D, rate, fnormal(&r, nin, 1.0), fnormal(&r, nw, 0.4), fnormal(&r, D, 1.0), fnan(NOUT * D),
                 fnormal(&r, NOUT * D, 1.0)};
    printf("    compress c=%d n_out=%d d=%d\n", rate, NOUT, D);
    comp_loss(&c);
    // out[t, o] = b[o] + Σ_i Σ_k W[o, i, k] · in[t·c + k, i], W laid out (d_out, d_in, c) as PyTorch.
    double *want = dzeros(NOUT * D);
    for (int t = 0; t < NOUT; t++)
        for (int o = 0; o < D; o++) {
            double s = c.bias[o];
            for (int i = 0; i < D; i++)
                for (int k = 0; k < rate; k++)
                    s += (double)c.weight[((long)o * D + i) * rate + k] * c.in[((long)t * rate + k) * D + i];
            want[t * D + o] = s;
        }
    check_close("compress.out", c.out, want, NOUT * D, 1e-5, 1e-5);

    Grad g[3] = {grad_make(&r, "compress.din", c.in, nin, LIN_EPS, LIN_FLOOR, 1e-3),
                 grad_make(&r, "compress.dweight", c.weight, nw, LIN_EPS, LIN_FLOOR, 1e-3),
                 grad_make(&r, "compress.dbias", c.bias, D, LIN_EPS, LIN_FLOOR, 1e-3)};
    compress_backward(g[0].g0, g[1].g0, g[2].g0, op_scratch(compress_scratch_floats(NOUT, D, rate)), c.R, c.in,
                      c.weight, NOUT, D, rate);
    compress_backward(g[0].gacc, g[1].gacc, g[2].gacc, op_scratch(compress_scratch_floats(NOUT, D, rate)), c.R, c.in,
                      c.weight, NOUT, D, rate);

    // din = NULL (the AR loss: only the conv's parameters get gradient).
    float *dw = fcopy(g[1].pre, nw), *db = fcopy(g[2].pre, D);
    compress_backward(NULL, dw, db, op_scratch(compress_scratch_floats(NOUT, D, rate)), c.R, c.in, c.weight, NOUT, D,
                      rate);
    gradcheck_identical("compress.dweight (din NULL)", dw, g[1].gacc, nw);
    gradcheck_identical("compress.dbias (din NULL)", db, g[2].gacc, D);

    check_grads(g, 3, comp_loss, &c, 800 + 10 * (unsigned)rate);
    release_all();
}

TEST(gradcheck_compress_rate1) { compress_case(1); }
TEST(gradcheck_compress_rate2) { compress_case(2); }
TEST(gradcheck_compress_rate3) { compress_case(3); }

// A rate used for the first time starts as mean pooling (model.md): W[o,i,k] = [o==i]/c, bias 0.
TEST(compress_mean_pooling_weights_average_windows) {
    enum { NOUT = 2, D = 4, C = 3 };
    GcRng r;
    gc_rng_init(&r, 90);
    float *in = fnormal(&r, NOUT * C * D, 1.0), *w = fzeros(D * D * C), *b = fzeros(D), *out = fnan(NOUT * D);
    for (int o = 0; o < D; o++)
        for (int k = 0; k < C; k++) w[(o * D + o) * C + k] = 1.0f / C;
    compress_forward(out, op_scratch(compress_scratch_floats(NOUT, D, C)), in, w, b, NOUT, D, C);
    for (int t = 0; t < NOUT; t++)
        for (int o = 0; o < D; o++) {
            double mean = 0;
            for (int k = 0; k < C; k++) mean += in[(t * C + k) * D + o];
            CHECK_NEAR(out[t * D + o], mean / C, 1e-6);
        }
    release_all();
}

TEST(compress_zero_windows_touches_nothing) {
    enum { D = 4, C = 2 };
    float out[D], din[D], dw[D * D * C], db[D], in[D], w[D * D * C], b[D];
    gc_fill_const(out, D, 7.0f);
    gc_fill_const(din, D, 7.0f);
    gc_fill_const(dw, D * D * C, 7.0f);
    gc_fill_const(db, D, 7.0f);
    gc_fill_const(in, D, 1.0f);
    gc_fill_const(w, D * D * C, 1.0f);
    gc_fill_const(b, D, 1.0f);
    compress_forward(out, op_scratch(compress_scratch_floats(0, D, C)), in, w, b, 0, D, C);
    compress_backward(din, dw, db, op_scratch(compress_scratch_floats(0, D, C)), out, in, w, 0, D, C);
    for (int i = 0; i < D; i++) CHECK(out[i] == 7.0f && din[i] == 7.0f && db[i] == 7.0f);
    for (int i = 0; i < D * D * C; i++) CHECK(dw[i] == 7.0f);
}

// ---------------------------------------------------------------------------------------------------------
// The checker itself: it must fail loudly on a wrong gradient (a checker that prints a mismatch and passes
// is the classic bug), sample large tensors, and its RNG must be deterministic and roughly N(0, 1).

typedef struct {
    long n;
    float *x, *c;
} QuadCtx;

static double quad_loss(void *p) { // L = Σ c_i x_i², dL/dx_i = 2 c_i x_i
    QuadCtx *q = p;
    double s = 0.0;
    for (long i = 0; i < q->n; i++) s += (double)q->c[i] * q->x[i] * q->x[i];
    return s;
}

static int child_exit_status(void (*fn)(void *), void *arg) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY); // the expected failure message would only confuse
        if (devnull >= 0) dup2(devnull, 2);
        fn(arg);
        _exit(0);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void check_wrong_gradient(void *p) {
    QuadCtx *q = p;
    float *g = fzeros(q->n);
    for (long i = 0; i < q->n; i++) g[i] = 2.0f * q->c[i] * q->x[i];
    g[q->n / 2] *= 1.05f; // one element 5% off
    GradcheckOpts o = gradcheck_default_opts();
    o.quiet = 1;
    gradcheck_tensor_ex("deliberately wrong", q->x, q->n, g, quad_loss, q, &o);
}

TEST(gradcheck_helper_fails_on_wrong_gradient) {
    GcRng r;
    gc_rng_init(&r, 91);
    QuadCtx q = {50, fnormal(&r, 50, 1.0), fnormal(&r, 50, 1.0)};
    CHECK_MSG(child_exit_status(check_wrong_gradient, &q) == 1, "a 5%% gradient error passed the checker");
    release_all();
}

TEST(gradcheck_helper_samples_large_tensors) {
    enum { N = 100000 };
    GcRng r;
    gc_rng_init(&r, 92);
    QuadCtx q = {N, fnormal(&r, N, 1.0), fnormal(&r, N, 1.0)};
    float *g = fzeros(N), *x0 = fcopy(q.x, N);
    for (long i = 0; i < N; i++) g[i] = 2.0f * q.c[i] * q.x[i];
    double err = gradcheck_tensor("quadratic (50 of 100000)", q.x, N, g, quad_loss, &q, 1e-4, 50, 3);
    CHECK(err < 1e-4);
    gradcheck_identical("x after gradcheck", q.x, x0, N); // restored exactly
    release_all();
}

TEST(gradcheck_rng_is_deterministic_and_normal) {
    GcRng a, b;
    gc_rng_init(&a, 7);
    gc_rng_init(&b, 7);
    double s = 0, s2 = 0;
    enum { N = 20000 };
    for (int i = 0; i < N; i++) {
        double u = gc_rng_normal(&a);
        CHECK(u == gc_rng_normal(&b));
        s += u;
        s2 += u * u;
    }
    CHECK_NEAR(s / N, 0.0, 0.03);
    CHECK_NEAR(s2 / N, 1.0, 0.05);
    for (int i = 0; i < 1000; i++) {
        int k = gc_rng_int(&a, 7);
        CHECK(k >= 0 && k < 7);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Memory projection: LayerNorm + linear over detached rows, with the weight-gradient trick of
// engine/memory_projection.c (no input gradient)

typedef struct {
    int n, d, o;
    float *x, *xhat, *mean, *rstd, *ln_w, *ln_b, *w, *b, *out, *scratch, *R;
} MemProjCtx;

static double memproj_loss(void *p) {
    MemProjCtx *c = p;
    normalize_rows(c->xhat, c->mean, c->rstd, c->x, c->n, c->d);
    memory_projection_forward(c->out, c->scratch, c->xhat, c->ln_w, c->ln_b, c->w, c->b, c->n, c->d, c->o);
    return gc_dot(c->out, c->R, (long)c->n * c->o);
}

TEST(gradcheck_memory_projection) {
    enum { N = 7, D = 6, O = 10 };
    GcRng r;
    gc_rng_init(&r, 31);
    MemProjCtx c = {.n = N, .d = D, .o = O};
    c.x = fnormal(&r, N * D, 2.0);
    c.xhat = fnan(N * D);
    c.mean = fnan(N);
    c.rstd = fnan(N);
    c.ln_w = fnormal(&r, D, 1.0);
    c.ln_b = fnormal(&r, D, 0.5);
    c.w = fnormal(&r, O * D, 0.5);
    c.b = fnormal(&r, O, 0.5);
    c.out = fnan(N * O);
    c.scratch = fnan(O * D + O);
    c.R = fnormal(&r, N * O, 1.0);
    memproj_loss(&c);
    // forward = layernorm_forward then linear_forward
    float *y = fzeros(N * D), *mean = fzeros(N), *rstd = fzeros(N), *want = fzeros(N * O);
    layernorm_forward(y, mean, rstd, c.x, c.ln_w, c.ln_b, N, D);
    linear_forward(want, y, c.w, c.b, N, D, O);
    for (int i = 0; i < N * O; i++) CHECK_NEAR(c.out[i], want[i], 1e-5 * (1 + fabs(want[i])));
    Grad g[4] = {grad_make(&r, "memory_projection.dweight", c.w, O * D, 1e-2, 1e-1, 2e-3),
                 grad_make(&r, "memory_projection.dbias", c.b, O, 1e-2, 1e-1, 2e-3),
                 grad_make(&r, "memory_projection.dln_weight", c.ln_w, D, 1e-2, 1e-1, 2e-3),
                 grad_make(&r, "memory_projection.dln_bias", c.ln_b, D, 1e-2, 1e-1, 2e-3)};
    memory_projection_backward(g[0].g0, g[1].g0, g[2].g0, g[3].g0, c.scratch, c.R, c.xhat, c.ln_w, c.ln_b, c.w, N, D, O);
    memory_projection_backward(g[0].gacc, g[1].gacc, g[2].gacc, g[3].gacc, c.scratch, c.R, c.xhat, c.ln_w, c.ln_b, c.w,
                               N, D, O);
    // the same gradients as layernorm_backward + linear_backward
    float *dw = fzeros(O * D), *db = fzeros(O), *dlw = fzeros(D), *dlb = fzeros(D), *dy = fzeros(N * D);
    linear_backward(dy, dw, db, c.R, y, c.w, N, D, O);
    layernorm_backward(NULL, dlw, dlb, dy, c.x, mean, rstd, c.ln_w, N, D);
    for (int i = 0; i < O * D; i++) CHECK_NEAR(g[0].g0[i], dw[i], 1e-4 * (1 + fabs(dw[i])));
    for (int i = 0; i < D; i++) CHECK_NEAR(g[2].g0[i], dlw[i], 1e-4 * (1 + fabs(dlw[i])));
    for (int i = 0; i < D; i++) CHECK_NEAR(g[3].g0[i], dlb[i], 1e-4 * (1 + fabs(dlb[i])));
    check_grads(g, 4, memproj_loss, &c, 900);
    release_all();
}
