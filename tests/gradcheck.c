// Finite-difference gradient checker and the deterministic RNG of the gradient tests (see gradcheck.h).
#include "tests/gradcheck.h"

#include <math.h>
#include <stdio.h>

// ---------------------------------------------------------------------------------------------------------
// RNG

void gc_rng_init(GcRng *r, uint64_t seed) {
    r->state = seed;
    r->has_spare = 0;
    r->spare = 0.0;
}

uint64_t gc_rng_u64(GcRng *r) {
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double gc_rng_uniform(GcRng *r) { return (double)(gc_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0); }

double gc_rng_normal(GcRng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = 1.0 - gc_rng_uniform(r); // (0, 1]: log is finite
    double u2 = gc_rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
    r->spare = rad * sin(th);
    r->has_spare = 1;
    return rad * cos(th);
}

int gc_rng_int(GcRng *r, int n) { return (int)(gc_rng_uniform(r) * n); }

void gc_fill_normal(GcRng *r, float *x, long n, double scale) {
    for (long i = 0; i < n; i++) x[i] = (float)(scale * gc_rng_normal(r));
}

void gc_fill_uniform(GcRng *r, float *x, long n, double lo, double hi) {
    for (long i = 0; i < n; i++) x[i] = (float)(lo + (hi - lo) * gc_rng_uniform(r));
}

void gc_fill_away_from_zero(GcRng *r, float *x, long n, double scale, double margin) {
    for (long i = 0; i < n; i++) {
        double v = scale * gc_rng_normal(r);
        if (fabs(v) < margin) v = v < 0 ? v - margin : v + margin;
        x[i] = (float)v;
    }
}

void gc_fill_const(float *x, long n, float value) {
    for (long i = 0; i < n; i++) x[i] = value;
}

double gc_dot(const float *a, const float *b, long n) {
    double s = 0.0;
    for (long i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

// ---------------------------------------------------------------------------------------------------------
// Checker

GradcheckOpts gradcheck_default_opts(void) {
    return (GradcheckOpts){1e-2, GRADCHECK_DEFAULT_EPS, GRADCHECK_DEFAULT_FLOOR, 200, 1, 0};
}

double gradcheck_rel_error(double a, double b, double abs_floor) {
    double den = fabs(a) + fabs(b);
    if (den < abs_floor) den = abs_floor;
    return fabs(a - b) / den;
}

double gradcheck_numeric(float *x, long i, LossFn f, void *ctx, double eps) {
    float x0 = x[i];
    double h = eps * fmax(1.0, fabs((double)x0));
    // The step actually taken is what the float inputs can represent, not h itself.
    float xp = (float)((double)x0 + h), xm = (float)((double)x0 - h);
    x[i] = xp;
    double lp = f(ctx);
    x[i] = xm;
    double lm = f(ctx);
    x[i] = x0;
    return (lp - lm) / ((double)xp - (double)xm);
}

double gradcheck_tensor_at(const char *file, int line, const char *name, float *x, long n, const float *analytic,
                           LossFn f, void *ctx, const GradcheckOpts *o) {
    long m = n <= o->max_checks ? n : o->max_checks;
    GcRng rng;
    gc_rng_init(&rng, 0x5EEDull * 1000003ull + o->seed);
    double worst = 0.0, worst_a = 0.0, worst_n = 0.0, worst_abs = 0.0;
    long worst_i = -1, n_bad = 0;
    for (long k = 0; k < m; k++) {
        // All elements when small; else one random element in each of m equal strata (distinct, spread out).
        long i = m == n ? k : (long)(((double)k + gc_rng_uniform(&rng)) * (double)n / (double)m);
        if (i >= n) i = n - 1;
        double a = analytic[i];
        double num = gradcheck_numeric(x, i, f, ctx, o->eps);
        if (!isfinite(a) || !isfinite(num))
            test_fail(file, line, "gradcheck %s[%ld]: not finite: analytic %.9g, numeric %.9g", name, i, a, num);
        double err = gradcheck_rel_error(a, num, o->floor);
        worst_abs = fmax(worst_abs, fabs(a - num));
        if (err > o->tol) n_bad++;
        if (err > worst || worst_i < 0) {
            worst = err;
            worst_a = a;
            worst_n = num;
            worst_i = i;
        }
    }
    if (!o->quiet)
        printf("    gradcheck %-26s n=%-6ld checked=%-4ld max rel err %.2e (tol %.0e, floor %.0e) max abs err %.2e; "
               "worst [%ld] analytic %+.6e numeric %+.6e\n",
               name, n, m, worst, o->tol, o->floor, worst_abs, worst_i, worst_a, worst_n);
    if (n_bad)
        test_fail(file, line,
                  "gradcheck %s: %ld of %ld checked elements over tolerance %g (floor %g); worst [%ld]: analytic %.9g, "
                  "numeric %.9g, rel err %.3g",
                  name, n_bad, m, o->tol, o->floor, worst_i, worst_a, worst_n, worst);
    return worst;
}

void gradcheck_accumulates_at(const char *file, int line, const char *name, const float *zeroed,
                              const float *accumulated, const float *prefill, long n) {
    for (long i = 0; i < n; i++) {
        double g = zeroed[i], p = prefill[i], got = (double)accumulated[i] - p;
        double tol = 1e-5 * (fabs(p) + fabs(g)) + 1e-30;
        if (!isfinite(got) || !(fabs(got - g) <= tol))
            test_fail(file, line,
                      "%s does not accumulate: [%ld] prefilled %.9g, after backward %.9g (adds %.9g), "
                      "into zeros gives %.9g",
                      name, i, p, (double)accumulated[i], got, g);
    }
}

void gradcheck_identical_at(const char *file, int line, const char *name, const float *a, const float *b,
                            long n) {
    for (long i = 0; i < n; i++) {
        // Compare bit patterns through the values; NaN never equals itself, so check it explicitly.
        int same = (a[i] == b[i] && signbit(a[i]) == signbit(b[i])) || (isnan(a[i]) && isnan(b[i]));
        if (!same) test_fail(file, line, "%s[%ld] changed: %.9g vs %.9g", name, i, (double)a[i], (double)b[i]);
    }
}

double tensor_rel_error(const float *a, const float *b, long n) {
    double diff = 0, scale = 0;
    for (long i = 0; i < n; i++) {
        diff = fmax(diff, fabs((double)a[i] - b[i]));
        scale = fmax(scale, fabs((double)b[i]));
    }
    return scale > 0 ? diff / scale : diff;
}
