// LayerNorm + projection of detached rows (the memories, model.md: stored un-normalised, normalised
// at use with the layer's current LN_att). The rows carry no gradient of their own, so the backward
// needs no input-gradient GEMM: with x̂ the normalised rows, y = x̂ ⊙ w + b and out = y Wᵀ + bias,
//   G = doutᵀ x̂ (out_dim, d),  s = Σ_rows dout
//   dW = G ⊙ w (scaling column j by w_j) + s ⊗ b,  dw_j = Σ_o W_oj G_oj,  db_j = Σ_o s_o W_oj,  dbias = s
// so one GEMM of the size of the weight gradient replaces the two of a plain LayerNorm + linear.
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "ops.h"

void normalize_rows(float *xhat, float *mean, float *rstd, const float *in, int n, int d) {
    for (int i = 0; i < n; i++) {
        const float *x = in + (long)i * d;
        float *y = xhat + (long)i * d;
        row_stats(x, d, &mean[i], &rstd[i]);
        float mu = mean[i], rs = rstd[i];
        for (int j = 0; j < d; j++) y[j] = (x[j] - mu) * rs;
    }
}

void memory_projection_fold(float *folded, float *folded_bias, const float *ln_weight, const float *ln_bias,
                            const float *weight, const float *bias, int d, int out_dim) {
    for (int o = 0; o < out_dim; o++) {
        const float *w_row = weight + (long)o * d;
        float *f_row = folded + (long)o * d;
        float acc = bias ? bias[o] : 0.0f;
        for (int j = 0; j < d; j++) {
            f_row[j] = w_row[j] * ln_weight[j];
            acc += w_row[j] * ln_bias[j];
        }
        folded_bias[o] = acc;
    }
}

void memory_projection_forward(float *out, float *scratch, const float *xhat, const float *ln_weight,
                               const float *ln_bias, const float *weight, const float *bias, int n, int d,
                               int out_dim) {
    float *folded = scratch;                          // (out_dim, d) = W ⊙ w
    float *folded_bias = scratch + (long)out_dim * d; // (out_dim) = W b + bias
    memory_projection_fold(folded, folded_bias, ln_weight, ln_bias, weight, bias, d, out_dim);
    linear_forward(out, xhat, folded, folded_bias, n, d, out_dim);
}

void memory_projection_backward(float *dweight, float *dbias, float *dln_weight, float *dln_bias, float *scratch,
                                const float *dout, const float *xhat, const float *ln_weight, const float *ln_bias,
                                const float *weight, int n, int d, int out_dim) {
    float *g = scratch;                        // (out_dim, d)
    float *s = scratch + (long)out_dim * d;    // (out_dim)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out_dim, d, n, 1.0f, dout, out_dim, xhat, d, 0.0f, g, d);
    memset(s, 0, sizeof(float) * out_dim);
    for (int i = 0; i < n; i++)
        for (int o = 0; o < out_dim; o++) s[o] += dout[(long)i * out_dim + o];
    for (int o = 0; o < out_dim; o++) {
        const float *w_row = weight + (long)o * d, *g_row = g + (long)o * d;
        float *dw_row = dweight + (long)o * d;
        for (int j = 0; j < d; j++) {
            dw_row[j] += g_row[j] * ln_weight[j] + s[o] * ln_bias[j];
            dln_weight[j] += w_row[j] * g_row[j];
            dln_bias[j] += s[o] * w_row[j];
        }
        if (dbias) dbias[o] += s[o];
    }
}
