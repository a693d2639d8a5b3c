// A small deterministic RNG (splitmix64): one 64-bit state, so checkpoints can store it exactly.
#ifndef MEMSCOPE_RNG_H
#define MEMSCOPE_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state;
} Rng;

void rng_seed(Rng *r, uint64_t seed);
uint64_t rng_next(Rng *r);
float rng_uniform(Rng *r);                 // [0, 1)
float rng_normal(Rng *r);                  // N(0, 1)
void rng_fill_uniform(Rng *r, float *x, long n, float lo, float hi);
void rng_fill_normal(Rng *r, float *x, long n, float mean, float std);

#endif
