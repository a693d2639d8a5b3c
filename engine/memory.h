// Per-layer memory and compressed memory of B streams (model.md, "Memory and compression").
// Rows are stored un-normalised; every stream holds the same number of rows.
#ifndef MEMSCOPE_MEMORY_H
#define MEMSCOPE_MEMORY_H

typedef struct {
    int n_layers, batch, d;
    int mem_len, c_mem_len;  // N_m, N_cm
    int mem_cap, cmem_cap;   // room for one segment beyond N_m / N_cm before trimming
    int m, cm;               // rows held now
    float *mem;              // (L, B, mem_cap, d)
    float *cmem;             // (L, B, cmem_cap, d)
    long *mem_pos;           // (mem_cap) stream position of the character each memory row was computed at
    long *cmem_first;        // (cmem_cap) first stream position a compressed row summarises
    long *cmem_last;         // (cmem_cap) last one
    // Attention accounting for the "most-used" compression function (engine/most_used.c), kept for every
    // function so a switch has history: usage[l][b][j] = Σ over heads and queries of every forward since
    // memory row j entered memory of the attention it received; usage_reads[j] = the (query, head) pairs of
    // those forwards (the same for every layer and stream).
    float *usage;            // (L, B, mem_cap)
    float *usage_reads;      // (mem_cap)
} Memory;

int memory_init(Memory *mem, int n_layers, int batch, int d, int mem_len, int c_mem_len, int seq_len);
void memory_free(Memory *mem);
void memory_reset(Memory *mem);
// Copies rows and counts of src (same shape) into dst.
void memory_copy(Memory *dst, const Memory *src);
// Copies stream b of src into stream 0 of dst (dst has batch 1).
void memory_copy_stream(Memory *dst, const Memory *src, int b);

float *memory_rows(const Memory *mem, int layer, int b);  // (mem_cap, d)
float *cmemory_rows(const Memory *mem, int layer, int b); // (cmem_cap, d)
float *memory_usage(const Memory *mem, int layer, int b);  // (mem_cap)

#endif
