// Fully connected layer through cblas_sgemm; weights stored (out, in) as PyTorch's nn.Linear.
#include <cblas.h>
#include <string.h>

#include "ops.h"

void linear_forward(float *out, const float *in, const float *weight, const float *bias, int n, int in_dim,
                    int out_dim) {
    if (n == 1) { // one row (generation): a GEMV reads the weight once, where a GEMM would first pack it
        if (bias) memcpy(out, bias, sizeof(float) * out_dim);
        cblas_sgemv(CblasRowMajor, CblasNoTrans, out_dim, in_dim, 1.0f, weight, in_dim, in, 1, bias ? 1.0f : 0.0f, out,
                    1);
        return;
    }
    float beta = 0.0f;
    if (bias) {
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out_dim; o++) out[(long)i * out_dim + o] = bias[o];
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out_dim, in_dim, 1.0f, in, in_dim, weight, in_dim,
                beta, out, out_dim);
}

void linear_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                     const float *weight, int n, int in_dim, int out_dim) {
    if (din)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in_dim, out_dim, 1.0f, dout, out_dim, weight,
                    in_dim, 1.0f, din, in_dim);
    if (dweight)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out_dim, in_dim, n, 1.0f, dout, out_dim, in, in_dim,
                    1.0f, dweight, in_dim);
    if (dbias)
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out_dim; o++) dbias[o] += dout[(long)i * out_dim + o];
}
