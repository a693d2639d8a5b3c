// memscope watch's reader: a trained model reads one text as one stream, segment by segment, exactly as
// `memscope eval` does (engine/eval_stream.h's step), and can go back. Every K segments (K from a memory
// budget) and for the last few segments read, the reader keeps the memory, the cached keys/values and the
// running sums; going back restores the nearest kept state at or before the target and reads forward from
// it, so the state reached is the one reading from the start gives, bit for bit. No optimizer, no gradient:
// the model's weights are only read.
#ifndef MEMSCOPE_APP_WATCH_READER_H
#define MEMSCOPE_APP_WATCH_READER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/eval_stream.h"
#include "engine/generate.h"

#define WATCH_MAX_EVENT 64 // compressed slots one segment can make that the reader describes

// One kept state: the memory's live rows, the cache's live rows, positions and sums, packed.
typedef struct {
    long segment;   // segments read when it was taken; -1 = empty
    long pos;       // characters read (where the next segment starts)
    int m, cm, cstart, cache_start;
    EvalSums sums;
    float *floats;  // mem rows, cmem rows, usage, usage_reads, cache rows
    long *longs;    // mem_pos, cmem_first, cmem_last
} WatchState;

// What the last segment read showed: the attention of every layer over its keys, where those keys came from
// (the memory as it was read), and the compression it caused.
typedef struct {
    long start;             // first input position; -1 before any segment
    int T, K, n_cmem, n_mem;
    float *probs;           // (L, H, T, K) of stream 0
    long *cmem_first, *cmem_last, *mem_pos; // provenance of the keys (n_cmem, n_cmem, n_mem)
    int n_new;              // compressed slots this segment made (0: no compression)
    long new_first[WATCH_MAX_EVENT], new_last[WATCH_MAX_EVENT];
    float recon[64];        // model.md's attention-reconstruction loss of that compression, per layer
} WatchSegment;

typedef struct {
    Model *model;
    const int32_t *ids;
    long n;
    Generator g;
    long segment, pos;      // segments and characters read
    long n_segments;        // segments in the whole text
    EvalSums sums;
    float *loss;            // (n) −log p of character p given the ones before; NAN until read
    int every;              // K: a coarse state every K segments
    int spacing;            // going back, the recent states kept on the way are this many segments apart
    WatchState *coarse;     // (n_segments / K + 1), index segment / K
    WatchState *recent;     // (n_recent) states after recent segments read (see keep_state)
    int n_recent;
    size_t state_bytes;
    WatchSegment last;
    long segments_computed; // segments run through the model so far (what going back cost)
    long jump_to;           // a jump under way (watch_jump_begin) ends after this many segments; -1 = none
    long jump_total, jump_done; // segments the jump reads in all, and so far
} WatchReader;

// budget: bytes the kept states may take (coarse + recent). Returns 0, or -1 when out of memory.
int watch_reader_init(WatchReader *w, Model *model, const int32_t *ids, long n, size_t budget);
void watch_reader_free(WatchReader *w);
// Reads the next segment; returns its length (0 at the end of the text).
int watch_next(WatchReader *w);
// Goes to the state after `segment` segments (clamped to [0, n_segments]), with `last` describing segment
// segment − 1 as if it had just been read.
void watch_goto(WatchReader *w, long segment);
// The same in steps, so a screen stays alive through a long jump: begin restores the nearest kept state (when
// going back, or when one is nearer) and sets jump_to; each step reads at most max_segments and returns 1
// while the jump is unfinished. The state reached equals watch_goto's, bit for bit.
void watch_jump_begin(WatchReader *w, long segment);
int watch_jump_step(WatchReader *w, long max_segments);
// Stops a jump where it got to (one more segment is read for its picture); no-op without a jump.
void watch_jump_cancel(WatchReader *w);
// The segment that holds input position pos (clamped).
long watch_segment_of(const WatchReader *w, long pos);
// CE so far (nats per character over the characters predicted), NAN before the first segment.
double watch_ce(const WatchReader *w);

#endif
