// What every op's gradient test needs (tests/test_gradcheck_ops.c, tests/test_compress_ops.c): buffers
// released at the end of the test, one differentiable input with its two gradient buffers, and the checks.
#ifndef MEMSCOPE_TEST_OP_CHECK_H
#define MEMSCOPE_TEST_OP_CHECK_H

#include "tests/gradcheck.h"

// Buffers: every allocation of a test is released by release_all at its end (a failure exits the forked
// test process anyway).
void *track(void *p);
void release_all(void);
float *fzeros(long n);
float *fnan(long n); // NaN-filled: catches outputs that are never written
float *fnormal(GcRng *r, long n, double scale);
float *fcopy(const float *src, long n);
double *dzeros(long n);

// One differentiable input: its values, the gradient into zeros, the gradient into a pre-filled buffer.
typedef struct {
    const char *name;
    float *x;
    long n;
    float *g0, *gacc, *pre;
    double eps, floor, tol; // step (scaled by max(1, |x|)), relative-error floor, tolerance
} Grad;

Grad grad_make(GcRng *r, const char *name, float *x, long n, double eps, double abs_floor, double tol);
// The accumulate check (backward must ADD), then the finite-difference check, for each tensor; returns the
// largest relative error.
double check_grads(Grad *g, int count, LossFn f, void *ctx, unsigned seed);
// got[i] within atol + rtol·|want[i]| of a naive double computation.
void check_close(const char *name, const float *got, const double *want, long n, double atol, double rtol);

#endif
