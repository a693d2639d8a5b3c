// The "most-used" compression function's attention accounting (the usage columns of memory.h) and its choice
// of the rows to keep.
#ifndef MEMSCOPE_MOST_USED_H
#define MEMSCOPE_MOST_USED_H

#include <stdint.h>

#include "memory.h"
#include "workspace.h"

#define MOST_USED_MAX_ROWS 8192 // ≥ mem_len + seq_len for every valid config

void memory_usage_accumulate(Memory *mem, const Workspace *ws, int heads); // after a forward over mem
void memory_usage_count_reads(Memory *mem, int T, int heads);              // once per forward (all shards)
void memory_usage_append(Memory *mem, int T);  // zeroes rows m..m+T−1 before they are counted in m
void memory_usage_evict(Memory *mem, int n_old); // drops the oldest n_old rows (before m shrinks)
// sel (n): the n most-attended of the oldest n_old rows of (layer, stream), ascending
void most_used_choose(int32_t *sel, const Memory *mem, int layer, int stream, int n_old, int n);

#endif
