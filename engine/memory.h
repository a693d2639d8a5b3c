// Per-layer memory and compressed memory of B streams (model.md, "Memory and compression").
// Rows are stored un-normalised; every stream holds the same number of rows.
#ifndef MEMSCOPE_MEMORY_H
#define MEMSCOPE_MEMORY_H

#include <stddef.h>

typedef struct {
    int n_layers, batch, d;
    int mem_len, c_mem_len;  // N_m, N_cm
    int mem_cap, cmem_cap;   // room for one segment beyond N_m / N_cm before trimming
    int m, cm;               // rows held now
    // Trimming the oldest compressed rows moves cstart instead of the N_cm rows behind it: generation
    // (one stream) compresses every c characters, and moving N_cm rows of every layer then cost as much as
    // reading them. The live rows move back to the front only when the next ones would not fit. A training
    // batch compresses once per step, where the move is small beside the step: its room has no spare rows.
    int cstart;              // first live compressed row of each stream's room
    int cmem_room;           // rows of room per layer and stream: cmem_cap, + N_cm for one stream
    float *mem;              // (L, B, mem_cap, d)
    float *cmem;             // (L, B, cmem_room, d); live rows [cstart, cstart + cm)
    long *mem_pos;           // (mem_cap) stream position of the character each memory row was computed at
    long *cmem_first;        // (cmem_cap) first stream position a compressed row summarises
    long *cmem_last;         // (cmem_cap) last one
    // Attention accounting for the "most-used" compression function (engine/most_used.c), kept for every
    // function so a switch has history: usage[l][b][j] = Σ over heads and queries of every forward since
    // memory row j entered memory of the attention it received; usage_reads[j] = the (query, head) pairs of
    // those forwards (the same for every layer and stream).
    float *usage;            // (L, B, mem_cap)
    float *usage_reads;      // (mem_cap)
    // The streams this process computes (one rank of several: its share; else all): the rows of the others
    // are only held, for a save, and never moved.
    int stream_lo, n_streams;
    size_t bytes;            // allocated by memory_init (memory_bytes of its shape)
} Memory;

int memory_init(Memory *mem, int n_layers, int batch, int d, int mem_len, int c_mem_len, int seq_len);
// The bytes memory_init allocates for this shape (run_budget's share of the memories).
size_t memory_bytes(int n_layers, int batch, int d, int mem_len, int c_mem_len, int seq_len);
void memory_free(Memory *mem);
void memory_reset(Memory *mem);
// Copies rows and counts of src (same shape) into dst.
void memory_copy(Memory *dst, const Memory *src);
// Copies stream b of src into stream 0 of dst (dst has batch 1).
void memory_copy_stream(Memory *dst, const Memory *src, int b);
// The stream position after everything in mem (0 when it is empty): where text fed next continues.
long memory_next_position(const Memory *mem);

float *memory_rows(const Memory *mem, int layer, int b);  // (mem_cap, d)
float *cmemory_rows(const Memory *mem, int layer, int b); // (cm, d): the live compressed rows
// Moves the live compressed rows to the front of their room when n more would not fit after them.
void memory_make_cmem_room(Memory *mem, int n);
// Drops the oldest n compressed rows (their spans move up; the rows stay where they are).
void memory_drop_oldest_cmem(Memory *mem, int n);
float *memory_usage(const Memory *mem, int layer, int b);  // (mem_cap)
// Data parallelism: the streams split into n_parts equal runs, part r held by rank r. gather(ctx, data, n)
// must copy part r's n floats at data + r·n to part 0's (in place); each layer's rows go through it.
void memory_gather(Memory *mem, int n_parts, void (*gather)(void *ctx, float *data, long n), void *ctx);

#endif
