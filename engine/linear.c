// Fully connected layer through cblas_sgemm; weights stored (out, in) as PyTorch's nn.Linear.
#include <cblas.h>
#include <string.h>

#include "ops.h"
#include "vecmath.h"

void linear_forward(float *out, const float *in, const float *weight, const float *bias, int n, int in_dim,
                    int out_dim) {
    if (n == 1) { // one row (generation): one dot per output; a BLAS call costs more than the work here
        vec_gemv(out, weight, in, bias, out_dim, in_dim);
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
