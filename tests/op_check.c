#include "tests/op_check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"

#define MAX_ALLOCS 256
static void *allocs[MAX_ALLOCS];
static int n_allocs;

void *track(void *p) {
    CHECK_MSG(p != NULL, "out of memory");
    CHECK_MSG(n_allocs < MAX_ALLOCS, "raise MAX_ALLOCS");
    allocs[n_allocs++] = p;
    return p;
}

void release_all(void) {
    while (n_allocs) free(allocs[--n_allocs]);
}

float *fzeros(long n) { return track(calloc((size_t)(n > 0 ? n : 1), sizeof(float))); }

float *fnan(long n) {
    float *p = fzeros(n);
    gc_fill_const(p, n, NAN);
    return p;
}

float *fnormal(GcRng *r, long n, double scale) {
    float *p = fzeros(n);
    gc_fill_normal(r, p, n, scale);
    return p;
}

float *fcopy(const float *src, long n) {
    float *p = fzeros(n);
    memcpy(p, src, sizeof(float) * (size_t)n);
    return p;
}

double *dzeros(long n) { return track(calloc((size_t)(n > 0 ? n : 1), sizeof(double))); }

Grad grad_make(GcRng *r, const char *name, float *x, long n, double eps, double abs_floor, double tol) {
    Grad g = {name, x, n, fzeros(n), NULL, fnormal(r, n, 1.0), eps, abs_floor, tol};
    g.gacc = fcopy(g.pre, n);
    return g;
}

double check_grads(Grad *g, int count, LossFn f, void *ctx, unsigned seed) {
    double worst = 0;
    for (int t = 0; t < count; t++) {
        gradcheck_accumulates(g[t].name, g[t].g0, g[t].gacc, g[t].pre, g[t].n);
        GradcheckOpts o = gradcheck_default_opts();
        o.eps = g[t].eps;
        o.floor = g[t].floor;
        o.tol = g[t].tol;
        o.seed = seed + (unsigned)t;
        double e = gradcheck_tensor_ex(g[t].name, g[t].x, g[t].n, g[t].g0, f, ctx, &o);
        worst = e > worst ? e : worst;
    }
    return worst;
}

void check_close(const char *name, const float *got, const double *want, long n, double atol, double rtol) {
    for (long i = 0; i < n; i++)
        CHECK_MSG(isfinite(got[i]) && fabs(got[i] - want[i]) <= atol + rtol * fabs(want[i]),
                  "%s[%ld] = %.9g, expected %.9g (naive double)", name, i, (double)got[i], want[i]);
}
