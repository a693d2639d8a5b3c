#include "kv_cache.h"

#include <stdlib.h>
#include <string.h>

#include "half.h"
#include "ops.h"
#include "vecmath.h"
#include "workspace.h"

// Scratch for projecting rows: normalised rows and their statistics.
typedef struct {
    float *xhat, *mean, *rstd;
} ProjScratch;

static ProjScratch scratch_of(const KvCache *c) {
    float *base = c->rows + (long)c->n_layers * c->cap * 2 * c->d;
    long d = c->d, cap = c->cap;
    return (ProjScratch){base, base + cap * d, base + cap * d + cap};
}

static long folded_floats(int d) { return 2L * d * d + 2L * d; }

int kvcache_init(KvCache *c, const Model *m) {
    const Config *cfg = &m->cfg;
    memset(c, 0, sizeof *c);
    c->n_layers = cfg->n_layers;
    c->d = cfg->d_model;
    c->cap = 2 * (cfg->c_mem_len + cfg->mem_len + cfg->seq_len) + 1;
    long d = c->d, cap = c->cap;
    long total = (long)c->n_layers * cap * 2 * d + cap * d + 2 * cap;
    c->rows = calloc((size_t)total, sizeof(float));
    c->folded = calloc((size_t)(c->n_layers * folded_floats(c->d)), sizeof(float));
    return c->rows && c->folded ? 0 : -1;
}

void kvcache_free(KvCache *c) {
    free(c->rows);
    free(c->folded);
    free(c->rows16);
    free(c->folded16);
    memset(c, 0, sizeof *c);
}

const float *kvcache_layer(const KvCache *c, int l) {
    return c->rows + ((long)l * c->cap + c->start) * 2 * c->d;
}

static float *layer_base(const KvCache *c, int l) { return c->rows + (long)l * c->cap * 2 * c->d; }

const uint16_t *kvcache_layer_half(const KvCache *c, int l) {
    return c->rows16 + ((long)l * c->cap + c->start) * 2 * c->d;
}

// The fp16 mirror of rows [first, first + n) of every layer (row indices from the start of the room).
static void mirror_rows(const KvCache *c, int first, int n) {
    if (!c->rows16 || n <= 0) return;
    long row = 2L * c->d;
    for (int l = 0; l < c->n_layers; l++)
        half_from_floats(c->rows16 + ((long)l * c->cap + first) * row, layer_base(c, l) + first * row, n * row);
}

static void mirror_folded(const KvCache *c, int l) {
    long d = c->d;
    if (c->folded16) half_from_floats(c->folded16 + 2 * l * d * d, c->folded + l * folded_floats(c->d), 2 * d * d);
}

int kvcache_set_half(KvCache *c, int on) {
    if (!on) {
        free(c->rows16);
        free(c->folded16);
        c->rows16 = c->folded16 = NULL;
        return 0;
    }
    long d = c->d;
    if (!c->rows16) c->rows16 = half_alloc(c->n_layers * c->cap * 2 * d);
    if (!c->folded16) c->folded16 = half_alloc(c->n_layers * 2 * d * d);
    if (!c->rows16 || !c->folded16) return kvcache_set_half(c, 0), -1;
    for (int l = 0; l < c->n_layers; l++) mirror_folded(c, l);
    mirror_rows(c, c->start, c->cm + c->m);
    return 0;
}

// Folds layer l's LayerNorm affine into its [W_k; W_v]; b_v then joins the value half of the bias.
static void fold_weights(KvCache *c, const Model *m, int l) {
    const LayerParams *lp = &m->p.layer[l];
    int d = c->d;
    float *folded = c->folded + l * folded_floats(d), *folded_bias = folded + 2L * d * d;
    memory_projection_fold(folded, folded_bias, lp->attn_norm_w, lp->attn_norm_b, lp->wk, NULL, d, 2 * d);
    for (int j = 0; j < d; j++) folded_bias[d + j] += lp->bv[j];
    mirror_folded(c, l);
}

// [k | v] of n raw rows with layer l's LayerNorm and projections as folded at the last rebuild, into out (n, 2d).
static void project(const KvCache *c, int l, const float *raw, int n, float *out) {
    if (n == 0) return;
    ProjScratch s = scratch_of(c);
    int d = c->d;
    const float *folded = c->folded + l * folded_floats(d);
    normalize_rows(s.xhat, s.mean, s.rstd, raw, n, d);
    linear_forward(out, s.xhat, folded, folded + 2L * d * d, n, d, 2 * d);
}

// project through the fp16 folded weights, row by row (follow_update makes one or a few rows at a time).
static void project_half(const KvCache *c, int l, const float *raw, int n, float *out) {
    if (n == 0) return;
    ProjScratch s = scratch_of(c);
    int d = c->d;
    normalize_rows(s.xhat, s.mean, s.rstd, raw, n, d);
    const float *bias = c->folded + l * folded_floats(d) + 2L * d * d;
    for (int i = 0; i < n; i++)
        vec_gemv_half(out + 2L * i * d, c->folded16 + 2L * l * d * d, s.xhat + (long)i * d, bias, 2 * d, d);
}

void kvcache_rebuild(KvCache *c, const Model *m, const Memory *mem) {
    c->start = 0;
    c->cm = mem->cm;
    c->m = mem->m;
    long row = 2L * c->d;
    for (int l = 0; l < c->n_layers; l++) {
        float *base = layer_base(c, l);
        fold_weights(c, m, l);
        project(c, l, cmemory_rows(mem, l, 0), mem->cm, base);
        project(c, l, memory_rows(mem, l, 0), mem->m, base + mem->cm * row);
    }
    mirror_rows(c, 0, c->cm + c->m);
}

// Moves the live rows of every layer to the front when the next rows would not fit; returns 1 when it did.
static int make_room(KvCache *c, int extra) {
    if (c->start + c->cm + c->m + extra <= c->cap) return 0;
    long row = 2L * c->d;
    for (int l = 0; l < c->n_layers; l++) {
        float *base = layer_base(c, l);
        memmove(base, base + c->start * row, sizeof(float) * (c->cm + c->m) * row);
    }
    c->start = 0;
    return 1;
}

void kvcache_follow_update(KvCache *c, const Model *m, const Workspace *ws, const Memory *mem) {
    if (mem->mem_len == 0 && mem->c_mem_len == 0) return;
    int T = ws->T, d = c->d, n_old = ws->n_old, n = ws->n_comp;
    long row = 2L * d;
    int moved = make_room(c, T + n);
    // rows from here on change: the appended ones, and with compression every memory row
    int first_changed = c->start + c->cm + (n_old ? 0 : c->m), end = c->start + c->cm + c->m + T + n - n_old;
    for (int l = 0; l < c->n_layers; l++) {
        float *live = layer_base(c, l) + c->start * row;
        float *end_rows = live + (c->cm + c->m) * row;
        const float *qkv = ws->layer[l].qkv; // (T, 3d): [q | k | v]
        for (int t = 0; t < T; t++) memcpy(end_rows + t * row, qkv + (long)t * 3 * d + d, sizeof(float) * row);
        if (!n_old) continue;
        float *first_mem = live + c->cm * row;
        // the newest n compressed rows of mem are the ones just made (trimming only drops the oldest);
        // they take the place of the n_old memory rows they replace, the rest of memory moves up. When
        // trimming kept fewer than n (N_cm < n, e.g. N_cm = 0), only the kept ones exist: the others are
        // the oldest made and are trimmed below, so they are left as zeros.
        float *made = end_rows + (long)T * row; // room past the appended rows
        int kept = n < mem->cm ? n : mem->cm;
        memset(made, 0, sizeof(float) * (n - kept) * row);
        const float *raw = cmemory_rows(mem, l, 0) + (long)(mem->cm - kept) * d;
        if (c->folded16 && T == 1) project_half(c, l, raw, kept, made + (long)(n - kept) * row); // prompts stay fp32
        else project(c, l, raw, kept, made + (long)(n - kept) * row);
        memmove(first_mem + (long)n * row, first_mem + (long)n_old * row, sizeof(float) * (c->m + T - n_old) * row);
        memcpy(first_mem, made, sizeof(float) * n * row);
    }
    mirror_rows(c, moved ? c->start : first_changed, end - (moved ? c->start : first_changed));
    c->m += T - n_old;
    c->cm += n;
    if (c->cm > mem->c_mem_len) {
        c->start += c->cm - mem->c_mem_len;
        c->cm = mem->c_mem_len;
    }
}
