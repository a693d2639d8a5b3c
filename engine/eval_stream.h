// Evaluation of a whole text as one stream (evaluate_stream's loop) with what the memory lab needs from it:
// which predictions were right (argmax), and hooks that see every segment's attention and every compression.
#ifndef MEMSCOPE_EVAL_STREAM_H
#define MEMSCOPE_EVAL_STREAM_H

#include <stdint.h>

#include "generate.h"

typedef struct {
    double ce, bpc, ar;  // mean CE over every prediction; AR mean over segments that compressed
    long predictions, segments;
} EvalResult;

// The whole id stream as one stream (batch 1), consecutive segments with memory carried.
void evaluate_stream(Model *model, const int32_t *ids, long n, EvalResult *out);

typedef struct {
    // After the forward of ids[start, start + T), before the memory update: the workspace holds every layer's
    // attention over K = cm + m + T keys ([compressed; memory; current], the memory of mem as read).
    void (*segment)(void *ctx, Model *m, Workspace *ws, const Memory *mem, long start, int T);
    // After a memory update that removed rows (they are in the workspace, as for the AR loss).
    void (*compressed)(void *ctx, Model *m, Workspace *ws, long start);
    void *ctx;
} EvalHooks;

// The loop's running sums.
typedef struct {
    double ce_sum, ar_sum; // CE summed over predictions; AR summed over segments that compressed
    long ar_segments, segments;
} EvalSums;

// One step of the loop, shared by evaluate_stream_ex and memscope watch: the forward of ids[start, start + T)
// (T = min(Q, n − 1 − start)) over g's memory, then its memory update, hooks and sums as described below.
// Returns T.
int eval_stream_segment(Generator *g, const int32_t *ids, long n, long start, uint8_t *correct,
                        const EvalHooks *hooks, EvalSums *sums);

// evaluate_stream (same CE, bpc and AR), and with correct (n bytes, may be NULL): correct[p] = 1 when the model,
// having read ids[0, p), ranks ids[p] first (ties to the lower id), for p = 1 .. n−1; correct[0] = 0.
// hooks may be NULL.
void evaluate_stream_ex(Model *model, const int32_t *ids, long n, uint8_t *correct, const EvalHooks *hooks,
                        EvalResult *out);

#endif
