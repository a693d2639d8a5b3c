// How far the opt-in fp16 generation (engine/half.h) is from full precision on a trained checkpoint: memscope
// bench --load CKPT prints it.
#ifndef MEMSCOPE_HALF_FIDELITY_H
#define MEMSCOPE_HALF_FIDELITY_H

#include "engine/data.h"
#include "engine/model.h"

typedef struct {
    long chars;               // held-out characters fed one at a time to both generators
    double max_dlogit;        // max over them and the vocabulary of |logit fp16 − logit fp32|
    double ce32, ce16;        // mean CE of the next character
    double argmax_agree;      // fraction of positions where both predict the same most likely character
    long greedy_n, greedy_prefix; // greedy continuations of the same prompt: length, identical leading characters
    double greedy_agree;      // fraction of equal positions of the two continuations
} HalfFidelity;

// Over up to n_chars characters of ids (the held-out text), then greedy_n characters greedily continued from
// its first 64. Returns -1 (after a line on stderr) when fp16 is refused or out of memory.
int half_fidelity(Model *m, const int32_t *ids, long n_chars, long greedy_n, HalfFidelity *f);

#endif
