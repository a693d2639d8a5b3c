// Counts the heap allocations made by the code linked into the test binary: run_tests is linked with
// -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc (Makefile), so every call to those from an engine, app or
// test object passes through here (allocations inside libc, BLAS or curses are not seen).
#ifndef MEMSCOPE_TEST_ALLOC_COUNT_H
#define MEMSCOPE_TEST_ALLOC_COUNT_H

long alloc_count(void); // malloc, calloc and realloc calls so far, from every thread

#endif
