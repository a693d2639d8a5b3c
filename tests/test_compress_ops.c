// Finite-difference gradient checks of the memory lab's compression ops (engine/compress_ops.h), in the style of
// tests/test_gradcheck_ops.c: forward against naive double loops, then every gradient with L = Σ out ⊙ R, the
// backward run once into zeros and once into pre-filled buffers (it must ADD), and a central difference of L.
// Steps, floors and tolerances follow test_gradcheck_ops.c: ops linear in the checked input (pooling, gather,
// deconv) use eps 0.1 with floor 1e-2 and tolerance 1e-3; max pooling and the dilated stack are piecewise
// linear (ReLU, max), so their inputs are drawn away from every kink and they use eps 1e-2 with floor 0.1 and
// tolerance 2e-3 (the float forward's rounding noise divided by 2·eps stays under ~1e-4 absolute).
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/compress_ops.h"
#include "engine/ops.h"
#include "tests/gradcheck.h"
#include "tests/op_check.h"
#include "tests/harness.h"

// The ops' scratch: one buffer large enough for every case of this file.
static float *op_scratch(long n) {
    static float buf[1 << 16];
    CHECK(n <= (long)(sizeof buf / sizeof buf[0]));
    return buf;
}

#define LIN_EPS 1e-1
#define LIN_FLOOR 1e-2
#define KINK_EPS 1e-2
#define KINK_FLOOR 1e-1

// ---------------------------------------------------------------------------------------------------------
// Mean and max pooling

typedef struct {
    int n_out, d, c, max;
    float *in, *out, *R;
} PoolCtx;

static double pool_loss(void *p) {
    PoolCtx *c = p;
    gc_fill_const(c->out, (long)c->n_out * c->d, NAN);
    if (c->max) pool_max_forward(c->out, c->in, c->n_out, c->d, c->c);
    else pool_mean_forward(c->out, c->in, c->n_out, c->d, c->c);
    return gc_dot(c->out, c->R, (long)c->n_out * c->d);
}

// Values on a grid 0.05 apart, shuffled: every window has one clear maximum per column.
static void fill_separated(GcRng *r, float *x, long n) {
    for (long i = 0; i < n; i++) x[i] = (float)(0.05 * (double)(i - n / 2));
    for (long i = n - 1; i > 0; i--) {
        long j = gc_rng_int(r, (int)(i + 1));
        float t = x[i];
        x[i] = x[j];
        x[j] = t;
    }
}

static void pool_case(int max, int rate) {
    enum { NOUT = 3, D = 5 };
    GcRng r;
    gc_rng_init(&r, 1000 + 10 * max + rate);
    long nin = (long)NOUT * rate * D;
    PoolCtx c = {NOUT, D, rate, max, fzeros(nin), fnan(NOUT * D), fnormal(&r, NOUT * D, 1.0)};
    if (max) fill_separated(&r, c.in, nin);
    else gc_fill_normal(&r, c.in, nin, 1.0);
    pool_loss(&c);
    double *want = dzeros(NOUT * D);
    for (int t = 0; t < NOUT; t++)
        for (int i = 0; i < D; i++) {
            double acc = max ? -INFINITY : 0.0;
            for (int k = 0; k < rate; k++) {
                double v = c.in[((long)t * rate + k) * D + i];
                acc = max ? fmax(acc, v) : acc + v / rate;
            }
            want[t * D + i] = acc;
        }
    printf("    %s pooling c=%d\n", max ? "max" : "mean", rate);
    check_close(max ? "pool_max.out" : "pool_mean.out", c.out, want, NOUT * D, 1e-6, 1e-6);
    Grad g = grad_make(&r, max ? "pool_max.din" : "pool_mean.din", c.in, nin, max ? KINK_EPS * 0.1 : LIN_EPS,
                       LIN_FLOOR, 1e-3);
    if (max) {
        pool_max_backward(g.g0, c.R, c.in, NOUT, D, rate);
        pool_max_backward(g.gacc, c.R, c.in, NOUT, D, rate);
    } else {
        pool_mean_backward(g.g0, c.R, NOUT, D, rate);
        pool_mean_backward(g.gacc, c.R, NOUT, D, rate);
    }
    check_grads(&g, 1, pool_loss, &c, 1100 + (unsigned)rate);
    release_all();
}

TEST(gradcheck_pool_mean_rate1) { pool_case(0, 1); }
TEST(gradcheck_pool_mean_rate3) { pool_case(0, 3); }
TEST(gradcheck_pool_max_rate2) { pool_case(1, 2); }
TEST(gradcheck_pool_max_rate4) { pool_case(1, 4); }

// Max pooling sends each output's gradient to exactly one row of its window; ties go to the first.
TEST(pool_max_gradient_goes_to_first_maximum) {
    float in[4] = {1.0f, 3.0f, 3.0f, 2.0f}, out[1], din[4] = {0}, dout[1] = {5.0f};
    pool_max_forward(out, in, 1, 1, 4);
    CHECK(out[0] == 3.0f);
    pool_max_backward(din, dout, in, 1, 1, 4);
    CHECK(din[0] == 0.0f && din[1] == 5.0f && din[2] == 0.0f && din[3] == 0.0f);
}

// ---------------------------------------------------------------------------------------------------------
// Dilated stack

// out and, when h1/h0 given, the pre-activations in double (to keep the test inputs away from the ReLU kinks).
static void dilated_naive(double *out, double *h1_out, const float *in, const float *p, int n_out, int d, int c) {
    int S = n_out * c;
    const float *w1 = p, *b1 = w1 + 2L * d * d, *w2 = b1 + d, *b2 = w2 + 2L * d * d, *w = b2 + d, *b = w + (long)c * d * d;
    double *h0 = calloc((size_t)S * d, sizeof(double)), *h1 = calloc((size_t)S * d, sizeof(double)),
           *h2 = calloc((size_t)S * d, sizeof(double));
    CHECK(h0 && h1 && h2);
    for (long i = 0; i < (long)S * d; i++) h0[i] = in[i];
    const double *src[2] = {h0, h1};
    double *dst[2] = {h1, h2};
    const float *ws[2] = {w1, w2}, *bs[2] = {b1, b2};
    for (int blk = 0; blk < 2; blk++) {
        int dil = blk ? 2 : 1;
        for (int s = 0; s < S; s++)
            for (int o = 0; o < d; o++) {
                double acc = src[blk][(long)s * d + o] + bs[blk][o];
                for (int i = 0; i < d; i++) {
                    double cur = fmax(0.0, src[blk][(long)s * d + i]);
                    double prev = s % c >= dil ? fmax(0.0, src[blk][(long)(s - dil) * d + i]) : 0.0;
                    acc += ws[blk][((long)o * d + i) * 2 + 1] * cur + ws[blk][((long)o * d + i) * 2] * prev;
                }
                dst[blk][(long)s * d + o] = acc;
            }
    }
    for (int t = 0; t < n_out; t++)
        for (int o = 0; o < d; o++) {
            double acc = b[o];
            for (int i = 0; i < d; i++)
                for (int k = 0; k < c; k++) acc += w[((long)o * d + i) * c + k] * h2[((long)t * c + k) * d + i];
            out[t * d + o] = acc;
        }
    if (h1_out) memcpy(h1_out, h1, sizeof(double) * S * d);
    free(h0);
    free(h1);
    free(h2);
}

typedef struct {
    int n_out, d, c;
    float *in, *params, *out, *R;
} DilCtx;

static double dil_loss(void *p) {
    DilCtx *c = p;
    gc_fill_const(c->out, (long)c->n_out * c->d, NAN);
    dilated_forward(c->out, op_scratch(dilated_scratch_floats(c->n_out, c->d, c->c)), c->in, c->params, c->n_out,
                    c->d, c->c);
    return gc_dot(c->out, c->R, (long)c->n_out * c->d);
}

static double dilated_case(int rate, unsigned seed) {
    enum { NOUT = 2, D = 5 };
    long np = dilated_params_floats(D, rate), nin = (long)NOUT * rate * D;
    CHECK_INT_EQ(np, 2 * (2 * D * D + D) + rate * D * D + D);
    GcRng r;
    DilCtx c = {NOUT, D, rate, fzeros(nin), fzeros(np), fnan(NOUT * D), fzeros(NOUT * D)};
    double *h1 = dzeros(nin), *want = dzeros(NOUT * D);
    // redraw until no pre-activation (h0 or h1) lies within 0.1 of a kink
    for (unsigned attempt = 0;; attempt++) {
        CHECK_MSG(attempt < 2000, "no input away from the ReLU kinks");
        gc_rng_init(&r, seed * 7919 + attempt);
        gc_fill_away_from_zero(&r, c.in, nin, 1.0, 0.1);
        gc_fill_normal(&r, c.params, np, 0.3);
        dilated_naive(want, h1, c.in, c.params, NOUT, D, rate);
        int ok = 1;
        for (long i = 0; i < nin; i++) ok &= fabs(h1[i]) > 0.1;
        if (ok) break;
    }
    gc_fill_normal(&r, c.R, NOUT * D, 1.0);
    printf("    dilated c=%d n_out=%d d=%d\n", rate, NOUT, D);
    dil_loss(&c);
    check_close("dilated.out", c.out, want, NOUT * D, 1e-5, 1e-5);
    // the six parameter tensors are checked one by one as slices of params
    long off[7] = {0, 2L * D * D, 2L * D * D + D, 4L * D * D + D, 4L * D * D + 2 * D, 4L * D * D + 2 * D + (long)rate * D * D,
                   np};
    const char *names[6] = {"dilated.dconv1.weight", "dilated.dconv1.bias", "dilated.dconv2.weight",
                            "dilated.dconv2.bias",   "dilated.dreduce.weight", "dilated.dreduce.bias"};
    Grad din = grad_make(&r, "dilated.din", c.in, nin, KINK_EPS, KINK_FLOOR, 2e-3);
    Grad dp = grad_make(&r, "dilated.dparams", c.params, np, KINK_EPS, KINK_FLOOR, 2e-3);
    dilated_backward(din.g0, dp.g0, op_scratch(dilated_scratch_floats(NOUT, D, rate)), c.R, c.in, c.params, NOUT, D,
                     rate);
    dilated_backward(din.gacc, dp.gacc, op_scratch(dilated_scratch_floats(NOUT, D, rate)), c.R, c.in, c.params, NOUT,
                     D, rate);
    // din = NULL: the parameter gradient is unchanged; dparams = NULL: din is unchanged
    float *dp2 = fcopy(dp.pre, np), *din2 = fcopy(din.pre, nin);
    dilated_backward(NULL, dp2, op_scratch(dilated_scratch_floats(NOUT, D, rate)), c.R, c.in, c.params, NOUT, D, rate);
    dilated_backward(din2, NULL, op_scratch(dilated_scratch_floats(NOUT, D, rate)), c.R, c.in, c.params, NOUT, D, rate);
    gradcheck_identical("dilated.dparams (din NULL)", dp2, dp.gacc, np);
    gradcheck_identical("dilated.din (dparams NULL)", din2, din.gacc, nin);
    Grad g[7];
    g[0] = din;
    for (int t = 0; t < 6; t++)
        g[t + 1] = (Grad){names[t], c.params + off[t], off[t + 1] - off[t], dp.g0 + off[t], dp.gacc + off[t],
                          dp.pre + off[t], KINK_EPS, KINK_FLOOR, 2e-3};
    double worst = check_grads(g, 7, dil_loss, &c, seed * 10);
    release_all();
    return worst;
}

TEST(gradcheck_dilated_rate2) { dilated_case(2, 1); }
TEST(gradcheck_dilated_rate4) { dilated_case(4, 2); }
TEST(gradcheck_dilated_rate1) { dilated_case(1, 3); }

// With both residual blocks zero the dilated stack is its reduction conv alone (how a new set starts).
TEST(dilated_with_zero_blocks_is_the_reduction_conv) {
    enum { NOUT = 3, D = 4, C = 4 };
    GcRng r;
    gc_rng_init(&r, 77);
    long np = dilated_params_floats(D, C);
    float *p = fzeros(np), *in = fnormal(&r, NOUT * C * D, 1.0), *a = fnan(NOUT * D), *b = fnan(NOUT * D);
    float *w = p + 4L * D * D + 2 * D, *bias = w + (long)C * D * D;
    gc_fill_normal(&r, w, (long)C * D * D + D, 0.5);
    dilated_forward(a, op_scratch(dilated_scratch_floats(NOUT, D, C)), in, p, NOUT, D, C);
    compress_forward(b, op_scratch(compress_scratch_floats(NOUT, D, C)), in, w, bias, NOUT, D, C);
    for (int i = 0; i < NOUT * D; i++) CHECK_NEAR(a[i], b[i], 1e-6);
    release_all();
}

// Causal within the window and windows independent: changing row k of a window changes only that window's
// output, and only through rows ≥ k (checked on the second block's input via a row that feeds nothing earlier).
TEST(dilated_windows_are_independent) {
    enum { NOUT = 3, D = 4, C = 4 };
    GcRng r;
    gc_rng_init(&r, 78);
    long np = dilated_params_floats(D, C), nin = NOUT * C * D;
    float *p = fnormal(&r, np, 0.4), *in = fnormal(&r, nin, 1.0), *a = fnan(NOUT * D), *b = fnan(NOUT * D);
    dilated_forward(a, op_scratch(dilated_scratch_floats(NOUT, D, C)), in, p, NOUT, D, C);
    in[(1 * C + 2) * D + 1] += 1.0f; // a row of window 1
    dilated_forward(b, op_scratch(dilated_scratch_floats(NOUT, D, C)), in, p, NOUT, D, C);
    for (int t = 0; t < NOUT; t++) {
        int changed = 0;
        for (int o = 0; o < D; o++) changed |= a[t * D + o] != b[t * D + o];
        CHECK_MSG(changed == (t == 1), "window %d %s", t, changed ? "changed" : "did not change");
    }
    release_all();
}

// ---------------------------------------------------------------------------------------------------------
// Most-used selection and the row gather

TEST(most_used_keeps_the_most_attended_rows_in_time_order) {
    float score[8] = {0.1f, 0.7f, 0.2f, 0.7f, 0.05f, 0.9f, 0.3f, 0.0f};
    int32_t sel[4];
    most_used_select(sel, score, 8, 3);
    CHECK(sel[0] == 1 && sel[1] == 3 && sel[2] == 5);
    most_used_select(sel, score, 8, 1);
    CHECK(sel[0] == 5);
    // ties go to the newer row
    float flat[6] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    most_used_select(sel, flat, 6, 2);
    CHECK(sel[0] == 4 && sel[1] == 5);
    most_used_select(sel, score, 8, 4);
    CHECK(sel[0] == 1 && sel[1] == 3 && sel[2] == 5 && sel[3] == 6);
}

typedef struct {
    int n, d;
    const int32_t *sel;
    float *in, *out, *R;
} GatherCtx;

static double gather_loss(void *p) {
    GatherCtx *c = p;
    gather_rows_forward(c->out, c->in, c->sel, c->n, c->d);
    return gc_dot(c->out, c->R, (long)c->n * c->d);
}

TEST(gradcheck_gather_rows) {
    enum { ROWS = 8, N = 3, D = 5 };
    static const int32_t sel[N] = {1, 4, 6};
    GcRng r;
    gc_rng_init(&r, 1200);
    GatherCtx c = {N, D, sel, fnormal(&r, ROWS * D, 1.0), fnan(N * D), fnormal(&r, N * D, 1.0)};
    gather_loss(&c);
    for (int i = 0; i < N; i++)
        for (int e = 0; e < D; e++) CHECK(c.out[i * D + e] == c.in[sel[i] * D + e]);
    Grad g = grad_make(&r, "gather.din", c.in, ROWS * D, LIN_EPS, LIN_FLOOR, 1e-3);
    gather_rows_backward(g.g0, c.R, sel, N, D);
    gather_rows_backward(g.gacc, c.R, sel, N, D);
    gradcheck_identical("gather.din of a row not kept", g.gacc + 0, g.pre + 0, D);
    check_grads(&g, 1, gather_loss, &c, 1201);
    release_all();
}

// ---------------------------------------------------------------------------------------------------------
// The autoencode loss's decoder (ConvTranspose1d) and the MSE

typedef struct {
    int n_in, d, c;
    float *in, *weight, *bias, *out, *R;
} DeconvCtx;

static double deconv_loss(void *p) {
    DeconvCtx *c = p;
    gc_fill_const(c->out, (long)c->n_in * c->c * c->d, NAN);
    deconv_forward(c->out, op_scratch(deconv_scratch_floats(c->n_in, c->d, c->c)), c->in, c->weight, c->bias, c->n_in,
                   c->d, c->c);
    return gc_dot(c->out, c->R, (long)c->n_in * c->c * c->d);
}

static void deconv_case(int rate, int n_in) {
    enum { D = 6 };
    GcRng r;
    gc_rng_init(&r, 1300 + rate * 10 + n_in);
    long nw = (long)D * D * rate, nout = (long)n_in * rate * D;
    DeconvCtx c = {n_in, D, rate, fnormal(&r, n_in * D, 1.0), fnormal(&r, nw, 0.4), fnormal(&r, D, 1.0), fnan(nout),
                   fnormal(&r, nout, 1.0)};
    printf("    deconv c=%d n_in=%d d=%d\n", rate, n_in, D);
    deconv_loss(&c);
    double *want = dzeros(nout);
    for (int t = 0; t < n_in; t++)
        for (int k = 0; k < rate; k++)
            for (int o = 0; o < D; o++) {
                double s = c.bias[o];
                for (int i = 0; i < D; i++) s += (double)c.in[t * D + i] * c.weight[((long)i * D + o) * rate + k];
                want[((long)t * rate + k) * D + o] = s;
            }
    check_close("deconv.out", c.out, want, nout, 1e-5, 1e-5);
    Grad g[3] = {grad_make(&r, "deconv.din", c.in, n_in * D, LIN_EPS, LIN_FLOOR, 1e-3),
                 grad_make(&r, "deconv.dweight", c.weight, nw, LIN_EPS, LIN_FLOOR, 1e-3),
                 grad_make(&r, "deconv.dbias", c.bias, D, LIN_EPS, LIN_FLOOR, 1e-3)};
    deconv_backward(g[0].g0, g[1].g0, g[2].g0, op_scratch(deconv_scratch_floats(n_in, D, rate)), c.R, c.in, c.weight,
                    n_in, D, rate);
    deconv_backward(g[0].gacc, g[1].gacc, g[2].gacc, op_scratch(deconv_scratch_floats(n_in, D, rate)), c.R, c.in,
                    c.weight, n_in, D, rate);
    float *dw = fcopy(g[1].pre, nw);
    deconv_backward(NULL, dw, NULL, op_scratch(deconv_scratch_floats(n_in, D, rate)), c.R, c.in, c.weight, n_in, D,
                    rate);
    gradcheck_identical("deconv.dweight (din NULL)", dw, g[1].gacc, nw);
    check_grads(g, 3, deconv_loss, &c, 1310 + (unsigned)rate);
    release_all();
}

TEST(gradcheck_deconv_rate1) { deconv_case(1, 3); }
TEST(gradcheck_deconv_rate2) { deconv_case(2, 3); }
TEST(gradcheck_deconv_rate4_single_row) { deconv_case(4, 1); }

// The identity decoder (W[i, o, k] = [i == o]) repeats each row c times: how a new decoder starts.
TEST(deconv_identity_repeats_rows) {
    enum { N = 2, D = 3, C = 3 };
    float in[N * D] = {1, 2, 3, 4, 5, 6}, w[D * D * C] = {0}, out[N * C * D];
    for (int i = 0; i < D; i++)
        for (int k = 0; k < C; k++) w[(i * D + i) * C + k] = 1.0f;
    deconv_forward(out, op_scratch(deconv_scratch_floats(N, D, C)), in, w, NULL, N, D, C);
    for (int t = 0; t < N; t++)
        for (int k = 0; k < C; k++)
            for (int o = 0; o < D; o++) CHECK(out[(t * C + k) * D + o] == in[t * D + o]);
}

typedef struct {
    long n;
    float *a, *b;
} MseCtx;

static double mse_loss(void *p) {
    MseCtx *c = p;
    return mse_forward_backward(NULL, c->a, c->b, c->n, 0.0f);
}

TEST(gradcheck_mse) {
    enum { N = 30 };
    GcRng r;
    gc_rng_init(&r, 1400);
    MseCtx c = {N, fnormal(&r, N, 1.0), fnormal(&r, N, 1.0)};
    double want = 0;
    for (int i = 0; i < N; i++) want += (double)(c.a[i] - c.b[i]) * (c.a[i] - c.b[i]) / N;
    CHECK_NEAR(mse_loss(&c), want, 1e-6);
    Grad g = grad_make(&r, "mse.da", c.a, N, LIN_EPS, LIN_FLOOR, 1e-3);
    mse_forward_backward(g.g0, c.a, c.b, N, 1.0f);
    mse_forward_backward(g.gacc, c.a, c.b, N, 1.0f);
    check_grads(&g, 1, mse_loss, &c, 1401);
    release_all();
}
