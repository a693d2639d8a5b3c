// The whole-model test case of tests/test_model.c and tests/test_lab_model.c: a tiny model (Q=3, N_m=4,
// N_cm=3, two streams) with noisy parameters and memory and compressed memory already filled by 4 segments.
#ifndef MEMSCOPE_TEST_MODEL_CASE_H
#define MEMSCOPE_TEST_MODEL_CASE_H

#include "engine/generate.h"
#include "engine/model.h"
#include "engine/workspace.h"
#include "tests/gradcheck.h"

typedef struct {
    Model *m;
    Workspace *ws;
    Memory start, scratch; // memory before the checked segment; a copy the loss may advance
    int32_t inputs[6], targets[6];
} ModelCase;

// V=7, d=8, H=2, L=2, d_ff=12, Q=3, N_m=4, N_cm=3, compression rate `rate`, B=2.
Config model_case_config(int rate);
// Noise on every main parameter, LayerNorm weights around 1, so zero-initialised tables are exercised too.
void model_case_randomise_main(Model *m, GcRng *r);
void model_case_fill_tokens(GcRng *r, int32_t *x, int n, int vocab);
// For c->m already made: its workspace and memories, 4 segments forwarded to fill both memories, then fresh
// inputs and targets for the checked segment.
void model_case_prime(ModelCase *c, GcRng *r);
void model_case_free(ModelCase *c);

// The labml preset (d 128, 4 heads: the AVX-512 one-query kernels where built for them) with V = 65, its
// initial weights and noise on the relative tables and content bias, which start at zero.
Model *model_case_labml(GcRng *r);

// Feeds the same 20 random chunks of 1 to 3 tokens to g (key/value cache) and to model_forward on `plain`
// with `mem` (every memory slot projected anew), checking after each that both memories have the same
// lengths; returns the largest difference between their logits.
double model_case_cached_vs_fresh(Model *m, Generator *g, Workspace *plain, Memory *mem, GcRng *r);

#endif
