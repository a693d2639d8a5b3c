// Multi-head softmax attention without mask or position terms: the attention of the
// attention-reconstruction loss (model.md), softmax_j(q kᵀ / sqrt(d_k)) v per head.
#include <cblas.h>
#include <math.h>

#include "ops.h"

void plain_attention_forward(float *out, float *probs, const float *q, const float *k, const float *v, int batch,
                             int queries, int keys, int d_model, int heads) {
    int T = queries, S = keys, d = d_model, dk = d / heads;
    float scale = 1.0f / sqrtf((float)dk);
    for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++) {
            long qoff = (long)b * T * d + h * dk, koff = (long)b * S * d + h * dk;
            float *p = probs + ((long)b * heads + h) * T * S; // (T, S)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, S, dk, scale, q + qoff, d, k + koff, d, 0.0f,
                        p, S);
            for (int i = 0; i < T; i++) {
                float *row = p + (long)i * S, mx = row[0], sum = 0.0f;
                for (int j = 1; j < S; j++) mx = row[j] > mx ? row[j] : mx;
                for (int j = 0; j < S; j++) sum += row[j] = expf(row[j] - mx);
                for (int j = 0; j < S; j++) row[j] /= sum;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dk, S, 1.0f, p, S, v + koff, d, 0.0f,
                        out + qoff, d);
        }
}

void plain_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                              const float *probs, const float *q, const float *k, const float *v, int batch,
                              int queries, int keys, int d_model, int heads) {
    int T = queries, S = keys, d = d_model, dkh = d / heads;
    float scale = 1.0f / sqrtf((float)dkh);
    float *ds = scratch; // (T, S)
    for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++) {
            long qoff = (long)b * T * d + h * dkh, koff = (long)b * S * d + h * dkh;
            const float *p = probs + ((long)b * heads + h) * T * S;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, S, dkh, 1.0f, dout + qoff, d, v + koff, d, 0.0f,
                        ds, S);
            if (dv)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, S, dkh, T, 1.0f, p, S, dout + qoff, d, 1.0f,
                            dv + koff, d);
            for (int i = 0; i < T; i++) {
                float *g = ds + (long)i * S, dot = 0.0f;
                const float *pr = p + (long)i * S;
                for (int j = 0; j < S; j++) dot += pr[j] * g[j];
                for (int j = 0; j < S; j++) g[j] = pr[j] * (g[j] - dot) * scale;
            }
            if (dq)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dkh, S, 1.0f, ds, S, k + koff, d, 1.0f,
                            dq + qoff, d);
            if (dk)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, S, dkh, T, 1.0f, ds, S, q + qoff, d, 1.0f,
                            dk + koff, d);
        }
}
