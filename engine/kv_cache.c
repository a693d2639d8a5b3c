#include "kv_cache.h"

#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "workspace.h"

// Scratch for projecting rows: normalised rows, their statistics, folded weights and the [0 | b_v] bias.
typedef struct {
    float *xhat, *mean, *rstd, *proj, *bias2;
} ProjScratch;

static ProjScratch scratch_of(const KvCache *c) {
    float *base = c->rows + (long)c->n_layers * c->cap * 2 * c->d;
    long d = c->d, cap = c->cap;
    ProjScratch s = {base, base + cap * d, base + cap * d + cap, base + cap * d + 2 * cap, NULL};
    s.bias2 = s.proj + 2 * d * d + 2 * d;
    return s;
}

int kvcache_init(KvCache *c, const Model *m) {
    const Config *cfg = &m->cfg;
    memset(c, 0, sizeof *c);
    c->n_layers = cfg->n_layers;
    c->d = cfg->d_model;
    c->cap = 2 * (cfg->c_mem_len + cfg->mem_len + cfg->seq_len) + 1;
    long d = c->d, cap = c->cap;
    long total = (long)c->n_layers * cap * 2 * d + cap * d + 2 * cap + 2 * d * d + 2 * d + 2 * d;
    c->rows = calloc((size_t)total, sizeof(float));
    return c->rows ? 0 : -1;
}

void kvcache_free(KvCache *c) {
    free(c->rows);
    memset(c, 0, sizeof *c);
}

const float *kvcache_layer(const KvCache *c, int l) {
    return c->rows + ((long)l * c->cap + c->start) * 2 * c->d;
}

static float *layer_base(const KvCache *c, int l) { return c->rows + (long)l * c->cap * 2 * c->d; }

// [k | v] of n raw rows with layer l's current LayerNorm and projections, into out (n, 2d).
static void project(const KvCache *c, const Model *m, int l, const float *raw, int n, float *out) {
    if (n == 0) return;
    const LayerParams *lp = &m->p.layer[l];
    ProjScratch s = scratch_of(c);
    int d = c->d;
    normalize_rows(s.xhat, s.mean, s.rstd, raw, n, d);
    memset(s.bias2, 0, sizeof(float) * d);
    memcpy(s.bias2 + d, lp->bv, sizeof(float) * d);
    memory_projection_forward(out, s.proj, s.xhat, lp->attn_norm_w, lp->attn_norm_b, lp->wk, s.bias2, n, d, 2 * d);
}

void kvcache_rebuild(KvCache *c, const Model *m, const Memory *mem) {
    c->start = 0;
    c->cm = mem->cm;
    c->m = mem->m;
    long row = 2L * c->d;
    for (int l = 0; l < c->n_layers; l++) {
        float *base = layer_base(c, l);
        project(c, m, l, cmemory_rows(mem, l, 0), mem->cm, base);
        project(c, m, l, memory_rows(mem, l, 0), mem->m, base + mem->cm * row);
    }
}

// Moves the live rows of every layer to the front when the next rows would not fit.
static void make_room(KvCache *c, int extra) {
    if (c->start + c->cm + c->m + extra <= c->cap) return;
    long row = 2L * c->d;
    for (int l = 0; l < c->n_layers; l++) {
        float *base = layer_base(c, l);
        memmove(base, base + c->start * row, sizeof(float) * (c->cm + c->m) * row);
    }
    c->start = 0;
}

void kvcache_follow_update(KvCache *c, const Model *m, const Workspace *ws, const Memory *mem) {
    if (mem->mem_len == 0 && mem->c_mem_len == 0) return;
    int T = ws->T, d = c->d, n_old = ws->n_old, n = ws->n_comp;
    long row = 2L * d;
    make_room(c, T + n);
    for (int l = 0; l < c->n_layers; l++) {
        float *live = layer_base(c, l) + c->start * row;
        float *end = live + (c->cm + c->m) * row;
        const float *qkv = ws->layer[l].qkv; // (T, 3d): [q | k | v]
        for (int t = 0; t < T; t++) memcpy(end + t * row, qkv + (long)t * 3 * d + d, sizeof(float) * row);
        if (!n_old) continue;
        float *first_mem = live + c->cm * row;
        // the newest n compressed rows of mem are the ones just made (trimming only drops the oldest);
        // they take the place of the n_old memory rows they replace, the rest of memory moves up
        float *made = end + (long)T * row; // room past the appended rows
        project(c, m, l, cmemory_rows(mem, l, 0) + (long)(mem->cm - n) * d, n, made);
        memmove(first_mem + (long)n * row, first_mem + (long)n_old * row, sizeof(float) * (c->m + T - n_old) * row);
        memcpy(first_mem, made, sizeof(float) * n * row);
    }
    c->m += T - n_old;
    c->cm += n;
    if (c->cm > mem->c_mem_len) {
        c->start += c->cm - mem->c_mem_len;
        c->cm = mem->c_mem_len;
    }
}
