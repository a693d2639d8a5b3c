// The memory step of model.md (2–4): append each layer's input, move the overflow beyond N_m through
// the active compression function into the compressed memory, keep the last N_cm compressed rows.
// The memory lab's other compression functions (compress_ops.h) go through the same step so that they can be
// compared with model.md's conv; most-used also needs the attention each memory row received (most_used.h).
#include "compression.h"

#include <string.h>

#include "compress_ops.h"
#include "most_used.h"
#include "ops.h"

// Appends a shard's layer inputs after the m rows its streams hold (the caller then advances m).
static void append_segment(Memory *mem, const Workspace *ws) {
    int T = ws->T, d = mem->d;
    for (int l = 0; l < mem->n_layers; l++)
        for (int b = 0; b < ws->batch; b++)
            memcpy(memory_rows(mem, l, ws->stream0 + b) + (long)mem->m * d, ws->layer[l].x_in + (long)b * T * d,
                   sizeof(float) * T * d);
}

// Moves the oldest n_old rows of the shard's streams into ws->to_compress (L, B_shard, n_old, d).
static void take_oldest(Memory *mem, Workspace *ws, int n_old) {
    int d = mem->d, B = ws->batch, keep = mem->m - n_old;
    for (int l = 0; l < mem->n_layers; l++)
        for (int b = 0; b < B; b++) {
            float *rows = memory_rows(mem, l, ws->stream0 + b);
            memcpy(ws->to_compress + ((long)l * B + b) * n_old * d, rows, sizeof(float) * n_old * d);
            memmove(rows, rows + (long)n_old * d, sizeof(float) * keep * d);
        }
}

static void append_compressed(Memory *mem, const Workspace *ws, int l, int n) {
    int d = mem->d;
    for (int b = 0; b < ws->batch; b++)
        memcpy(cmemory_rows(mem, l, ws->stream0 + b) + (long)mem->cm * d, ws->comp + (long)b * n * d,
               sizeof(float) * n * d);
}

void compress_fn_forward(const Model *m, const CompressSet *cs, Workspace *ws, int l, float *out, const float *in, int n,
                         int n_old) {
    int d = m->cfg.d_model, B = ws->batch, c = cs->rate;
    switch (cs->fn) {
    case COMPRESS_CONV:
        compress_forward(out, ws->compress_scratch, in, conv_weight(cs, l, d), conv_bias(cs, l, d), B * n, d, c);
        break;
    case COMPRESS_MEAN: pool_mean_forward(out, in, B * n, d, c); break;
    case COMPRESS_MAX: pool_max_forward(out, in, B * n, d, c); break;
    case COMPRESS_DILATED: dilated_forward(out, ws->compress_scratch, in, set_fn_params(cs, l, d), B * n, d, c); break;
    case COMPRESS_MOST_USED: {
        const int32_t *sel = ws->selection + (long)l * B * ws->rows_max;
        for (int b = 0; b < B; b++)
            gather_rows_forward(out + (long)b * n * d, in + (long)b * n_old * d, sel + (long)b * ws->rows_max, n, d);
        break;
    }
    }
}

void compress_fn_backward(const Model *m, const CompressSet *cs, Workspace *ws, int l, float *din, float *dparams,
                          const float *dout, const float *in, int n, int n_old) {
    int d = m->cfg.d_model, B = ws->batch, c = cs->rate;
    switch (cs->fn) {
    case COMPRESS_CONV:
        compress_backward(din, dparams, dparams ? dparams + (long)d * d * c : NULL, ws->compress_scratch, dout, in,
                          conv_weight(cs, l, d), B * n, d, c);
        break;
    case COMPRESS_MEAN: pool_mean_backward(din, dout, B * n, d, c); break;
    case COMPRESS_MAX: pool_max_backward(din, dout, in, B * n, d, c); break;
    case COMPRESS_DILATED:
        dilated_backward(din, dparams, ws->compress_scratch, dout, in, set_fn_params(cs, l, d), B * n, d, c);
        break;
    case COMPRESS_MOST_USED: {
        const int32_t *sel = ws->selection + (long)l * B * ws->rows_max;
        if (din)
            for (int b = 0; b < B; b++)
                gather_rows_backward(din + (long)b * n_old * d, dout + (long)b * n * d, sel + (long)b * ws->rows_max, n,
                                     d);
        break;
    }
    }
}

// Compresses the rows a shard removed with the active function and appends them to its streams.
static void compress_shard(const Model *m, const CompressSet *cs, Memory *mem, Workspace *ws, int n, int n_old) {
    int d = mem->d, B = ws->batch, c = cs->rate;
    if (cs->fn == COMPRESS_MOST_USED) { // choose before the rows (and their usage) leave memory
        int32_t *sel = ws->selection;
        for (int l = 0; l < mem->n_layers; l++)
            for (int b = 0; b < B; b++)
                most_used_choose(sel + ((long)l * B + b) * ws->rows_max, mem, l, ws->stream0 + b, n_old, n);
    }
    take_oldest(mem, ws, n_old);
    for (int l = 0; l < mem->n_layers; l++) {
        compress_fn_forward(m, cs, ws, l, ws->comp, ws->to_compress + (long)l * B * n_old * d, n, n_old);
        append_compressed(mem, ws, l, n);
    }
    ws->n_old = n_old;
    ws->n_comp = n;
    ws->rate = c;
}

// Where each new compressed slot came from: its window of c rows; for most-used (a different row per layer
// and stream) the span its row may lie in, [pos[i], pos[i + n_old − n]].
static void record_spans(Memory *mem, int n, int c, int fn) {
    int n_old = n * c;
    for (int i = 0; i < n; i++) {
        int first = fn == COMPRESS_MOST_USED ? i : i * c, last = fn == COMPRESS_MOST_USED ? i + n_old - n : i * c + c - 1;
        mem->cmem_first[mem->cm + i] = mem->mem_pos[first];
        mem->cmem_last[mem->cm + i] = mem->mem_pos[last];
    }
    memmove(mem->mem_pos, mem->mem_pos + n_old, sizeof(long) * (mem->m - n_old));
    memory_usage_evict(mem, n_old);
}

static void keep_last_compressed(Memory *mem) {
    if (mem->cm > mem->c_mem_len) memory_drop_oldest_cmem(mem, mem->cm - mem->c_mem_len);
}

int model_update_memory_shards(const Model *m, Workspace *const *ws, int n_shards, Memory *mem, long segment_pos) {
    for (int k = 0; k < n_shards; k++) ws[k]->n_old = ws[k]->n_comp = 0;
    if (mem->mem_len == 0 && mem->c_mem_len == 0) return 0;
    int T = ws[0]->T, H = m->cfg.n_heads;
    for (int k = 0; k < n_shards; k++) memory_usage_accumulate(mem, ws[k], H);
    memory_usage_count_reads(mem, T, H);
    for (int k = 0; k < n_shards; k++) append_segment(mem, ws[k]);
    memory_usage_append(mem, T);
    for (int t = 0; t < T; t++) mem->mem_pos[mem->m + t] = segment_pos + t;
    mem->m += T;
    if (mem->m <= mem->mem_len) return 0;
    const CompressSet *cs = &m->sets[m->active];
    int c = cs->rate;
    int n = (mem->m - mem->mem_len + c - 1) / c, n_old = n * c;
    memory_make_cmem_room(mem, n);
    for (int k = 0; k < n_shards; k++) compress_shard(m, cs, mem, ws[k], n, n_old);
    record_spans(mem, n, c, cs->fn);
    mem->m -= n_old;
    mem->cm += n;
    keep_last_compressed(mem);
    return n_old;
}

int model_update_memory(const Model *m, Workspace *ws, Memory *mem, long segment_pos) {
    return model_update_memory_shards(m, &ws, 1, mem, segment_pos);
}
