// The "dilated" compression function of the memory lab (see compress_ops.h for the exact design): two residual
// causal Conv1d(d → d, kernel 2) blocks with dilation 1 then 2 and a ReLU before each, inside each window of c
// rows, then the stride-c Conv1d of model.md. Receptive field: the whole window for c ≤ 4 (1 + 1 + 2 rows).
// Each kernel-2 conv is one linear layer over "pairs": row s holds [x[s−dil] | x[s]] interleaved as (d_in, 2),
// which is PyTorch's (d_out, d_in, 2) weight as stored.
#include <string.h>

#include "compress_ops.h"
#include "ops.h"

long dilated_params_floats(int d, int c) { return 2 * (2L * d * d + d) + (long)c * d * d + d; }

typedef struct {
    const float *w1, *b1, *w2, *b2, *w, *b;
} DilatedView;

static DilatedView view(const float *p, int d, int c) {
    DilatedView v;
    v.w1 = p;
    v.b1 = v.w1 + 2L * d * d;
    v.w2 = v.b1 + d;
    v.b2 = v.w2 + 2L * d * d;
    v.w = v.b2 + d;
    v.b = v.w + (long)c * d * d;
    return v;
}

// pairs[s][i·2 + 0] = relu(x[s − dil][i]) within the window (else 0), pairs[s][i·2 + 1] = relu(x[s][i])
static void make_pairs(float *pairs, const float *x, int S, int d, int c, int dil) {
    for (int s = 0; s < S; s++) {
        int k = s % c;
        float *p = pairs + (long)s * 2 * d;
        const float *cur = x + (long)s * d, *prev = k >= dil ? x + (long)(s - dil) * d : NULL;
        for (int i = 0; i < d; i++) {
            p[2 * i] = prev && prev[i] > 0.0f ? prev[i] : 0.0f;
            p[2 * i + 1] = cur[i] > 0.0f ? cur[i] : 0.0f;
        }
    }
}

// dx += relu'(x) ⊙ (gradient of x through the pairs)
static void pairs_backward(float *dx, const float *dpairs, const float *x, int S, int d, int c, int dil) {
    for (int s = 0; s < S; s++) {
        int k = s % c;
        const float *dp = dpairs + (long)s * 2 * d;
        for (int i = 0; i < d; i++) {
            if (x[(long)s * d + i] > 0.0f) dx[(long)s * d + i] += dp[2 * i + 1];
            if (k >= dil && x[(long)(s - dil) * d + i] > 0.0f) dx[(long)(s - dil) * d + i] += dp[2 * i];
        }
    }
}

// y = x + linear(pairs(x), w, b)
static void residual_block(float *y, float *pairs, const float *x, const float *w, const float *b, int S, int d, int c,
                           int dil) {
    make_pairs(pairs, x, S, d, c, dil);
    linear_forward(y, pairs, w, b, S, 2 * d, d);
    for (long i = 0; i < (long)S * d; i++) y[i] += x[i];
}

long dilated_scratch_floats(int n_out, int d, int c) {
    long Sd = (long)n_out * c * d;
    return 10 * Sd + compress_scratch_floats(n_out, d, c); // the backward's; the forward needs less
}

void dilated_forward(float *out, float *scratch, const float *in, const float *params, int n_out, int d, int c) {
    if (n_out == 0) return;
    int S = n_out * c;
    long Sd = (long)S * d;
    DilatedView v = view(params, d, c);
    float *pairs = scratch, *h1 = pairs + 2 * Sd, *h2 = h1 + Sd;
    residual_block(h1, pairs, in, v.w1, v.b1, S, d, c, 1);
    residual_block(h2, pairs, h1, v.w2, v.b2, S, d, c, 2);
    compress_forward(out, h2 + Sd, h2, v.w, v.b, n_out, d, c);
}

void dilated_backward(float *din, float *dparams, float *scratch, const float *dout, const float *in,
                      const float *params, int n_out, int d, int c) {
    if (n_out == 0) return;
    int S = n_out * c;
    long Sd = (long)S * d;
    DilatedView v = view(params, d, c);
    float *dw1 = NULL, *db1 = NULL, *dw2 = NULL, *db2 = NULL, *dw = NULL, *db = NULL;
    if (dparams) {
        DilatedView g = view(dparams, d, c);
        dw1 = (float *)g.w1, db1 = (float *)g.b1, dw2 = (float *)g.w2, db2 = (float *)g.b2, dw = (float *)g.w,
        db = (float *)g.b;
    }
    // the forward again, keeping both blocks' pairs
    float *pairs1 = scratch, *pairs2 = pairs1 + 2 * Sd, *h1 = pairs2 + 2 * Sd, *h2 = h1 + Sd;
    float *dh2 = h2 + Sd, *dh1 = dh2 + Sd, *dpairs = dh1 + Sd, *rest = dpairs + 2 * Sd;
    residual_block(h1, pairs1, in, v.w1, v.b1, S, d, c, 1);
    residual_block(h2, pairs2, h1, v.w2, v.b2, S, d, c, 2);
    memset(dh2, 0, sizeof(float) * Sd);
    memset(dpairs, 0, sizeof(float) * 2 * Sd);
    compress_backward(dh2, dw, db, rest, dout, h2, v.w, n_out, d, c);
    // h2 = h1 + block2(h1)
    memcpy(dh1, dh2, sizeof(float) * Sd);
    linear_backward(dpairs, dw2, db2, dh2, pairs2, v.w2, S, 2 * d, d);
    pairs_backward(dh1, dpairs, h1, S, d, c, 2);
    // h1 = h0 + block1(h0)
    if (din) {
        memset(dpairs, 0, sizeof(float) * 2 * Sd);
        linear_backward(dpairs, dw1, db1, dh1, pairs1, v.w1, S, 2 * d, d);
        for (long i = 0; i < Sd; i++) din[i] += dh1[i];
        pairs_backward(din, dpairs, in, S, d, c, 1);
    } else {
        linear_backward(NULL, dw1, db1, dh1, pairs1, v.w1, S, 2 * d, d);
    }
}
