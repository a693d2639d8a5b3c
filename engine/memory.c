#include "memory.h"

#include <stdlib.h>
#include <string.h>

// Element counts of memory_init's seven arrays (in the order it allocates them), from mem's shape fields:
// memory_init allocates them and memory_bytes sums them, so the budget is the allocation.
static void memory_plan(const Memory *mem, size_t counts[7]) {
    size_t per = (size_t)mem->n_layers * mem->batch * mem->d;
    counts[0] = per * mem->mem_cap + 1;                                // mem (floats)
    counts[1] = per * mem->cmem_room + 1;                              // cmem (floats)
    counts[2] = (size_t)mem->mem_cap + 1;                              // mem_pos (longs)
    counts[3] = counts[4] = (size_t)mem->cmem_cap + 1;                 // cmem_first, cmem_last (longs)
    counts[5] = (size_t)mem->n_layers * mem->batch * mem->mem_cap + 1; // usage (floats)
    counts[6] = (size_t)mem->mem_cap + 1;                              // usage_reads (floats)
}

static const size_t memory_elem_size[7] = {sizeof(float), sizeof(float), sizeof(long), sizeof(long), sizeof(long),
                                           sizeof(float), sizeof(float)};

static void memory_shape(Memory *mem, int n_layers, int batch, int d, int mem_len, int c_mem_len, int seq_len) {
    memset(mem, 0, sizeof *mem);
    mem->n_layers = n_layers;
    mem->batch = batch;
    mem->d = d;
    mem->mem_len = mem_len;
    mem->c_mem_len = c_mem_len;
    mem->mem_cap = mem_len + seq_len;
    mem->cmem_cap = c_mem_len + seq_len;
    mem->cmem_room = mem->cmem_cap + (batch == 1 ? c_mem_len : 0); // see cstart in memory.h
    mem->n_streams = batch;
}

size_t memory_bytes(int n_layers, int batch, int d, int mem_len, int c_mem_len, int seq_len) {
    Memory shape;
    size_t counts[7], bytes = 0;
    memory_shape(&shape, n_layers, batch, d, mem_len, c_mem_len, seq_len);
    memory_plan(&shape, counts);
    for (int i = 0; i < 7; i++) bytes += counts[i] * memory_elem_size[i];
    return bytes;
}

int memory_init(Memory *mem, int n_layers, int batch, int d, int mem_len, int c_mem_len, int seq_len) {
    memory_shape(mem, n_layers, batch, d, mem_len, c_mem_len, seq_len);
    size_t counts[7];
    memory_plan(mem, counts);
    void *a[7];
    int ok = 1;
    for (int i = 0; i < 7; i++) {
        ok &= (a[i] = calloc(counts[i], memory_elem_size[i])) != NULL;
        mem->bytes += counts[i] * memory_elem_size[i];
    }
    mem->mem = a[0];
    mem->cmem = a[1];
    mem->mem_pos = a[2];
    mem->cmem_first = a[3];
    mem->cmem_last = a[4];
    mem->usage = a[5];
    mem->usage_reads = a[6];
    if (!ok) {
        memory_free(mem);
        return -1;
    }
    return 0;
}

void memory_free(Memory *mem) {
    free(mem->mem);
    free(mem->cmem);
    free(mem->mem_pos);
    free(mem->cmem_first);
    free(mem->cmem_last);
    free(mem->usage);
    free(mem->usage_reads);
    memset(mem, 0, sizeof *mem);
}

void memory_reset(Memory *mem) {
    mem->m = 0;
    mem->cm = 0;
    mem->cstart = 0;
}

float *memory_rows(const Memory *mem, int layer, int b) {
    return mem->mem + ((size_t)layer * mem->batch + b) * mem->mem_cap * mem->d;
}

float *cmemory_rows(const Memory *mem, int layer, int b) {
    return mem->cmem + (((size_t)layer * mem->batch + b) * mem->cmem_room + mem->cstart) * mem->d;
}

void memory_make_cmem_room(Memory *mem, int n) {
    if (mem->cstart + mem->cm + n <= mem->cmem_room || mem->cstart == 0) return;
    for (int l = 0; l < mem->n_layers; l++)
        for (int b = mem->stream_lo; b < mem->stream_lo + mem->n_streams; b++) {
            float *live = cmemory_rows(mem, l, b);
            memmove(live - (long)mem->cstart * mem->d, live, sizeof(float) * mem->cm * mem->d);
        }
    mem->cstart = 0;
}

void memory_drop_oldest_cmem(Memory *mem, int n) {
    mem->cstart += n;
    mem->cm -= n;
    memmove(mem->cmem_first, mem->cmem_first + n, sizeof(long) * mem->cm);
    memmove(mem->cmem_last, mem->cmem_last + n, sizeof(long) * mem->cm);
}

float *memory_usage(const Memory *mem, int layer, int b) {
    return mem->usage + ((size_t)layer * mem->batch + b) * mem->mem_cap;
}

static void copy_positions(Memory *dst, const Memory *src) {
    dst->m = src->m;
    dst->cm = src->cm;
    memcpy(dst->mem_pos, src->mem_pos, sizeof(long) * src->m);
    memcpy(dst->cmem_first, src->cmem_first, sizeof(long) * src->cm);
    memcpy(dst->cmem_last, src->cmem_last, sizeof(long) * src->cm);
    memcpy(dst->usage_reads, src->usage_reads, sizeof(float) * src->m);
}

void memory_copy(Memory *dst, const Memory *src) {
    size_t per = (size_t)src->n_layers * src->batch * src->d;
    memcpy(dst->mem, src->mem, sizeof(float) * per * src->mem_cap);
    memcpy(dst->cmem, src->cmem, sizeof(float) * per * src->cmem_room);
    dst->cstart = src->cstart;
    memcpy(dst->usage, src->usage, sizeof(float) * (size_t)src->n_layers * src->batch * src->mem_cap);
    copy_positions(dst, src);
}

void memory_copy_stream(Memory *dst, const Memory *src, int b) {
    dst->cstart = 0;
    for (int l = 0; l < src->n_layers; l++) {
        memcpy(memory_rows(dst, l, 0), memory_rows(src, l, b), sizeof(float) * src->m * src->d);
        memcpy(cmemory_rows(dst, l, 0), cmemory_rows(src, l, b), sizeof(float) * src->cm * src->d);
        memcpy(memory_usage(dst, l, 0), memory_usage(src, l, b), sizeof(float) * src->m);
    }
    copy_positions(dst, src);
}

void memory_gather(Memory *mem, int n_parts, void (*gather)(void *ctx, float *data, long n), void *ctx) {
    long per_part = mem->batch / n_parts, d = mem->d;
    for (int l = 0; l < mem->n_layers; l++) {
        gather(ctx, memory_rows(mem, l, 0), per_part * mem->mem_cap * d);
        gather(ctx, mem->cmem + (long)l * mem->batch * mem->cmem_room * d, per_part * mem->cmem_room * d);
        gather(ctx, memory_usage(mem, l, 0), per_part * mem->mem_cap);
    }
}

long memory_next_position(const Memory *mem) {
    if (mem->m > 0) return mem->mem_pos[mem->m - 1] + 1;
    if (mem->cm > 0) return mem->cmem_last[mem->cm - 1] + 1;
    return 0;
}
