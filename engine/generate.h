// Generation with memory (model.md, Generation) and sampling, on its own batch-1 memory so the
// training memory is never touched; and evaluation of a whole text as one stream.
#ifndef MEMSCOPE_GENERATE_H
#define MEMSCOPE_GENERATE_H

#include <stddef.h>

#include "half.h"
#include "kv_cache.h"
#include "model.h"
#include "workspace.h"

typedef struct {
    Model *model;
    Workspace *ws;  // batch 1
    Memory mem;
    KvCache cache;  // keys/values of mem's rows for the current weights
    long pos;       // characters fed so far
    int half;       // opt-in: single characters go through fp16 copies (half.h); off by default
    HalfWeights hw; // those copies, made from the weights at generator_set_half / reset / set_memory
} Generator;

int generator_init(Generator *g, Model *model);
void generator_free(Generator *g);
void generator_reset(Generator *g);
// Starts from stream `stream` of another memory (e.g. the training memory, which stays untouched) and
// projects its rows once with the current weights. Call it again after the weights change.
void generator_set_memory(Generator *g, const Memory *src, int stream);
// Opt-in fp16 generation (half.h): from now on each single character fed reads fp16 copies of the layer
// weights, relative-key tables and cached memory keys/values: fewer bytes streamed per character, so faster,
// but not bit-exact (app/half_fidelity.h measures how close). Segments of more than one character (prompts)
// stay fp32. The copies follow the weights at
// generator_reset and generator_set_memory. Returns -1 with a message in err (and stays fp32) when a
// weight does not fit fp16, or on out of memory.
int generator_set_half(Generator *g, int on, char *err, size_t errlen);
// Feeds n ids in segments of at most seq_len, updating memory after each; returns the logits (V)
// that predict the character after the last one fed.
const float *generator_feed(Generator *g, const int32_t *ids, long n);

// Greedy when temperature <= 0; otherwise softmax(logits / temperature) over the top_k largest
// (all when top_k <= 0).
int sample_logits(const float *logits, int vocab, float temperature, int top_k, Rng *rng);
// The most likely id (the first of equals): greedy sampling's choice.
int logits_argmax(const float *logits, int vocab);

#endif
