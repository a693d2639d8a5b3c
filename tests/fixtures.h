// Shared test fixtures: a small word corpus that checkpoint and memory-lab tests train on.
#ifndef MEMSCOPE_TEST_FIXTURES_H
#define MEMSCOPE_TEST_FIXTURES_H

#include "engine/checkpoint.h"
#include "engine/data.h"
#include "engine/trainer.h"

// 3,000 characters of seeded words ("the memory of a king is long\n..."): 8 distinct words, so a tiny model's
// loss falls within a few hundred steps.
void fixture_word_corpus(Corpus *c);

// The small model those tests train: d 16, 2 heads, 2 layers, Q = N_m = N_cm = 4, c = 2, B = 4, lr 1e-2.
Config fixture_small_config(int vocab);

// n trainer steps; losses[i] = CE + AR of step i.
void fixture_run_steps(Trainer *t, int n, float *losses);

// The whole file at path, malloc'd (one spare byte), its size in *n; fails the test when unreadable.
unsigned char *fixture_read_file(const char *path, size_t *n);

// Resumes from an open checkpoint: a model of cfg initialised with seed (so only the file can make it match),
// its weights and then a trainer on corpus with the saved optimizer and data position; fails the test on
// any error. The caller frees both.
Model *fixture_resume(const Checkpoint *ck, const Config *cfg, uint64_t seed, const Corpus *corpus, Trainer *t);

// Steps [from, to) of two runs' losses are the same floats, bit for bit (an exact resume).
void fixture_check_same_losses(const float *straight, const float *resumed, int from, int to);

#endif
