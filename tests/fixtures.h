// Shared test fixtures: a small word corpus that checkpoint and memory-lab tests train on.
#ifndef MEMSCOPE_TEST_FIXTURES_H
#define MEMSCOPE_TEST_FIXTURES_H

#include "engine/data.h"

// 3,000 characters of seeded words ("the memory of a king is long\n..."): 8 distinct words, so a tiny model's
// loss falls within a few hundred steps.
void fixture_word_corpus(Corpus *c);

#endif
