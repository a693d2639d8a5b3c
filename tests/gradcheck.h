// Finite-difference gradient checking for float code, llm.c / ggml style.
//
// Build a scalar loss L(x) in double (typically L = Σ out ⊙ R with a fixed random R, see gc_dot), compute
// the analytic gradient with the op's backward (dout = R), then call gradcheck_tensor on every input: it
// perturbs elements of x by ±eps (eps = base·max(1, |x|)), evaluates L twice and compares
// (L+ − L−) / (x+ − x−) with the analytic value by |a − n| / max(|a| + |n|, floor). It prints the worst
// element of the tensor and fails the running test (test_fail, with the tensor name, index, analytic and
// numeric values) when that error is over the tolerance or anything is not finite. x is restored exactly.
#ifndef MEMSCOPE_GRADCHECK_H
#define MEMSCOPE_GRADCHECK_H

#include <stdint.h>

#include "tests/harness.h"

// ---------------------------------------------------------------------------------------------------------
// Deterministic RNG for test inputs: splitmix64, Box–Muller for normals.

typedef struct {
    uint64_t state;
    int has_spare;
    double spare;
} GcRng;

void gc_rng_init(GcRng *r, uint64_t seed);
uint64_t gc_rng_u64(GcRng *r);
double gc_rng_uniform(GcRng *r); // [0, 1), 53 bits
double gc_rng_normal(GcRng *r);  // N(0, 1)
int gc_rng_int(GcRng *r, int n); // [0, n)
void gc_fill_normal(GcRng *r, float *x, long n, double scale);
void gc_fill_uniform(GcRng *r, float *x, long n, double lo, double hi);
// Normals pushed away from 0: every |x| ≥ margin (inputs of ReLU-like kinks).
void gc_fill_away_from_zero(GcRng *r, float *x, long n, double scale, double margin);
void gc_fill_const(float *x, long n, float value); // e.g. NAN to catch outputs that are never written

// Σ a[i]·b[i] accumulated in double: the usual loss L = Σ out ⊙ R.
double gc_dot(const float *a, const float *b, long n);

// ---------------------------------------------------------------------------------------------------------
// The checker.

typedef double (*LossFn)(void *ctx);

typedef struct {
    double tol;     // largest allowed relative error
    double eps;     // base step; the step for x is eps·max(1, |x|)
    double floor;   // denominator floor of the relative error (an absolute tolerance for tiny gradients)
    int max_checks; // elements checked: all when n ≤ max_checks, else a random subset of that size
    unsigned seed;  // picks the subset
    int quiet;      // 1: do not print the per-tensor summary line
} GradcheckOpts;

#define GRADCHECK_DEFAULT_EPS 1e-3
#define GRADCHECK_DEFAULT_FLOOR 1e-3
GradcheckOpts gradcheck_default_opts(void); // tol 1e-2, eps 1e-3, floor 1e-3, 200 checks, seed 1

// |a − b| / max(|a| + |b|, floor)
double gradcheck_rel_error(double a, double b, double abs_floor);
// max |a − b| / max |b| over n floats: a tensor-wide relative error that small entries cannot inflate.
double tensor_rel_error(const float *a, const float *b, long n);

// Returns the largest relative error seen; fails the test (reported at file:line) when it is over o->tol.
double gradcheck_tensor_at(const char *file, int line, const char *name, float *x, long n, const float *analytic,
                           LossFn f, void *ctx, const GradcheckOpts *o);

// The numeric derivative of f with respect to x[i] alone (central difference, double).
double gradcheck_numeric(float *x, long i, LossFn f, void *ctx, double eps);

// The usual form: default eps and floor.
#define gradcheck_tensor(name, x, n, analytic, f, ctx, tol, max_checks, seed)                          \
    gradcheck_tensor_at(__FILE__, __LINE__, (name), (x), (n), (analytic), (f), (ctx),                    \
                        &(GradcheckOpts){(tol), GRADCHECK_DEFAULT_EPS, GRADCHECK_DEFAULT_FLOOR,          \
                                         (max_checks), (seed), 0})
#define gradcheck_tensor_ex(name, x, n, analytic, f, ctx, opts)                                         \
    gradcheck_tensor_at(__FILE__, __LINE__, (name), (x), (n), (analytic), (f), (ctx), (opts))

// Backward must ADD into gradients. Given the gradient computed into a zeroed buffer (zeroed), the same
// backward run into a buffer that held prefill[] beforehand (accumulated), checks accumulated − prefill ≈
// zeroed element by element (tolerance rel·(|prefill| + |zeroed|) + abs) and fails the test otherwise.
void gradcheck_accumulates_at(const char *file, int line, const char *name, const float *zeroed,
                              const float *accumulated, const float *prefill, long n);
#define gradcheck_accumulates(name, zeroed, accumulated, prefill, n)                                    \
    gradcheck_accumulates_at(__FILE__, __LINE__, (name), (zeroed), (accumulated), (prefill), (n))

// Fails unless a[i] == b[i] bit for bit (e.g. a gradient that must not be touched).
void gradcheck_identical_at(const char *file, int line, const char *name, const float *a, const float *b,
                            long n);
#define gradcheck_identical(name, a, b, n) gradcheck_identical_at(__FILE__, __LINE__, (name), (a), (b), (n))

#endif
