// A small test runner: every TEST runs in its own forked process; the run ends with "N passed, N failed".
#ifndef MEMSCOPE_HARNESS_H
#define MEMSCOPE_HARNESS_H

#include <math.h>
#include <stdio.h>

typedef void (*test_fn)(void);
void test_register(const char *name, const char *file, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));

#define TEST(name)                                                                   \
    static void name(void);                                                          \
    __attribute__((constructor)) static void register_##name(void) {                 \
        test_register(#name, __FILE__, name);                                         \
    }                                                                                \
    static void name(void)

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);              \
    } while (0)

#define CHECK_MSG(cond, ...)                                                         \
    do {                                                                             \
        if (!(cond)) test_fail(__FILE__, __LINE__, __VA_ARGS__);                     \
    } while (0)

#define CHECK_INT_EQ(a, b)                                                           \
    do {                                                                             \
        long long va_ = (long long)(a), vb_ = (long long)(b);                        \
        if (va_ != vb_) test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, va_, #b, vb_); \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                        \
    do {                                                                             \
        double va_ = (double)(a), vb_ = (double)(b);                                 \
        if (!(fabs(va_ - vb_) <= (tol)))                                             \
            test_fail(__FILE__, __LINE__, "%s = %.9g, %s = %.9g, differ by more than %g", #a, va_, #b, vb_, (double)(tol)); \
    } while (0)

// Path of a scratch directory unique to the running test (created on first use).
const char *test_tmpdir(void);
// test_tmpdir()/name, in one of 16 rotating buffers (so a few can be held at once).
const char *test_path(const char *name);

#endif
