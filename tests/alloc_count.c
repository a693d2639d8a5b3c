// The allocation counter of alloc_count.h: the linker sends the binary's malloc, calloc and realloc here.
#include "tests/alloc_count.h"

#include <stdatomic.h>
#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *p, size_t n);

static atomic_long allocations;

void *__wrap_malloc(size_t n) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __real_malloc(n);
}

void *__wrap_calloc(size_t count, size_t size) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __real_calloc(count, size);
}

void *__wrap_realloc(void *p, size_t n) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __real_realloc(p, n);
}

long alloc_count(void) { return atomic_load(&allocations); }
