#include "memory.h"

#include <stdlib.h>
#include <string.h>

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

// Every array of a memory comes from here: it counts the bytes into mem->bytes and, for a plan
// (memory_bytes), allocates nothing, so the budget and the allocation are the same code.
static void *memory_array(Memory *mem, int plan_only, size_t count, size_t size) {
    mem->bytes += count * size;
    return plan_only ? NULL : calloc(count, size);
}

// Lays out (plan_only: counts) the arrays of mem's shape; -1 when one could not be allocated.
static int memory_build(Memory *mem, int plan_only) {
    size_t per = (size_t)mem->n_layers * mem->batch * mem->d;
    mem->mem = memory_array(mem, plan_only, per * mem->mem_cap + 1, sizeof(float));
    mem->cmem = memory_array(mem, plan_only, per * mem->cmem_room + 1, sizeof(float));
    mem->mem_pos = memory_array(mem, plan_only, (size_t)mem->mem_cap + 1, sizeof(long));
    mem->cmem_first = memory_array(mem, plan_only, (size_t)mem->cmem_cap + 1, sizeof(long));
    mem->cmem_last = memory_array(mem, plan_only, (size_t)mem->cmem_cap + 1, sizeof(long));
    mem->usage = memory_array(mem, plan_only, (size_t)mem->n_layers * mem->batch * mem->mem_cap + 1, sizeof(float));
    mem->usage_reads = memory_array(mem, plan_only, (size_t)mem->mem_cap + 1, sizeof(float));
    return plan_only || (mem->mem && mem->cmem && mem->mem_pos && mem->cmem_first && mem->cmem_last && mem->usage &&
                         mem->usage_reads) ? 0 : -1;
}

size_t memory_bytes(int n_layers, int batch, int d, int mem_len, int c_mem_len, int seq_len) {
    Memory plan;
    memory_shape(&plan, n_layers, batch, d, mem_len, c_mem_len, seq_len);
    memory_build(&plan, 1);
    return plan.bytes;
}

int memory_init(Memory *mem, int n_layers, int batch, int d, int mem_len, int c_mem_len, int seq_len) {
    memory_shape(mem, n_layers, batch, d, mem_len, c_mem_len, seq_len);
    if (memory_build(mem, 0)) {
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
