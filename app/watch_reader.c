// The watch reader: eval's step with hooks that keep the last segment's picture, plus kept states.
#include "app/watch_reader.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ar_loss.h"
#include "engine/memory.h"
#include "engine/workspace.h"

static long mini(long a, long b) { return a < b ? a : b; }

// States are taken after a memory update, when m ≤ N_m and cm ≤ N_cm (engine/compression.c trims to them).
static size_t state_floats(const Model *m) {
    const Config *c = &m->cfg;
    size_t rows = (size_t)c->mem_len + c->c_mem_len;
    return (size_t)c->n_layers * rows * c->d_model * 3 + (size_t)c->n_layers * c->mem_len + c->mem_len;
}

static size_t state_longs(const Model *m) {
    const Config *c = &m->cfg;
    return (size_t)c->mem_len + 2 * (size_t)c->c_mem_len;
}

static int state_alloc(WatchState *s, const Model *m) {
    s->segment = -1;
    s->floats = malloc(sizeof(float) * state_floats(m));
    s->longs = malloc(sizeof(long) * state_longs(m));
    return s->floats && s->longs ? 0 : -1;
}

static void state_free(WatchState *s) {
    free(s->floats);
    free(s->longs);
}

// Copies the live rows between the generator and a kept state (save != 0: into s), at the same offsets
// within their rooms, so a restored reader computes exactly what the saved one would have.
static void state_copy(WatchReader *w, WatchState *s, int save) {
    Memory *mem = &w->g.mem;
    KvCache *kc = &w->g.cache;
    if (save) {
        if (mem->m > mem->mem_len || mem->cm > mem->c_mem_len) abort(); // the rooms of state_floats
        s->m = mem->m, s->cm = mem->cm, s->cstart = mem->cstart, s->cache_start = kc->start;
        s->segment = w->segment, s->pos = w->pos, s->sums = w->sums;
    } else {
        mem->m = s->m, mem->cm = s->cm, mem->cstart = s->cstart;
        kc->start = s->cache_start, kc->cm = s->cm, kc->m = s->m;
        w->segment = s->segment, w->pos = s->pos, w->sums = s->sums;
    }
    int d = mem->d, m = s->m, cm = s->cm;
    float *f = s->floats;
    long *l = s->longs;
#define MOVE(dst_in_state, live, count, type)                                                            \
    do {                                                                                                \
        if (save) memcpy(dst_in_state, live, sizeof(type) * (size_t)(count));                           \
        else memcpy(live, dst_in_state, sizeof(type) * (size_t)(count));                                \
        dst_in_state += (count);                                                                        \
    } while (0)
    for (int layer = 0; layer < mem->n_layers; layer++) {
        MOVE(f, memory_rows(mem, layer, 0), (long)m * d, float);
        MOVE(f, cmemory_rows(mem, layer, 0), (long)cm * d, float);
        MOVE(f, memory_usage(mem, layer, 0), m, float);
        MOVE(f, kc->rows + ((long)layer * kc->cap + kc->start) * 2 * d, (long)(cm + m) * 2 * d, float);
    }
    MOVE(f, mem->usage_reads, m, float);
    MOVE(l, mem->mem_pos, m, long);
    MOVE(l, mem->cmem_first, cm, long);
    MOVE(l, mem->cmem_last, cm, long);
#undef MOVE
}

static long dist(long a, long b) { return a > b ? a - b : b - a; }

// The room of [lo, hi) to reuse for the state now: an empty one, else (sparse) the one furthest from it in
// either direction, else (dense) the one furthest ahead of it (going back never needs it), else the oldest.
static int victim(const WatchReader *w, int lo, int hi, int sparse) {
    int v = lo;
    long now = w->segment;
    for (int i = lo; i < hi; i++) {
        long r = w->recent[i].segment, best = w->recent[v].segment;
        if (r < 0) return i;
        int better = sparse ? dist(r, now) > dist(best, now)
                            : r > now ? r > best : best < now && r < best;
        if (better) v = i;
    }
    return v;
}

// Keeps the state after the segment just read: as a coarse state every K segments; among the recent ones, in
// the sparse half when the segment is a multiple of `spacing` (those cover about one coarse interval around
// where the reader is), else in the dense half when `recent` says so.
static void keep_state(WatchReader *w, int recent) {
    if (w->segment % w->every == 0 && w->coarse[w->segment / w->every].segment < 0)
        state_copy(w, &w->coarse[w->segment / w->every], 1);
    int half = w->n_recent / 2, sparse = w->segment % w->spacing == 0;
    if (!w->n_recent || !(recent || sparse)) return;
    for (int i = 0; i < w->n_recent; i++)
        if (w->recent[i].segment == w->segment) return;
    int i = sparse && half ? victim(w, 0, half, 1) : victim(w, half, w->n_recent, 0);
    state_copy(w, &w->recent[i], 1);
}

int watch_reader_init(WatchReader *w, Model *model, const int32_t *ids, long n, size_t budget) {
    memset(w, 0, sizeof *w);
    const Config *c = &model->cfg;
    w->model = model, w->ids = ids, w->n = n;
    w->n_segments = n < 2 ? 0 : (n - 2) / c->seq_len + 1;
    w->state_bytes = state_floats(model) * sizeof(float) + state_longs(model) * sizeof(long);
    size_t fit = budget / w->state_bytes;
    w->n_recent = (int)mini(48, (long)(fit / 3));
    long coarse_room = (long)fit - w->n_recent;
    w->every = (int)(coarse_room > 0 ? w->n_segments / coarse_room + 1 : w->n_segments + 1);
    w->spacing = w->n_recent >= 2 ? w->every / (w->n_recent / 2) + 1 : w->every + 1;
    w->last.start = -1;
    w->jump_to = -1;
    long n_coarse = w->n_segments / w->every + 1;
    size_t keys = (size_t)config_rel_len(c);
    w->coarse = calloc((size_t)n_coarse, sizeof *w->coarse);
    w->recent = calloc((size_t)w->n_recent + 1, sizeof *w->recent);
    w->loss = malloc(sizeof(float) * (size_t)(n + 1));
    w->last.probs = malloc(sizeof(float) * (size_t)c->n_layers * c->n_heads * c->seq_len * keys);
    w->last.cmem_first = malloc(sizeof(long) * keys * 3);
    if (!w->coarse || !w->recent || !w->loss || !w->last.probs || !w->last.cmem_first || generator_init(&w->g, model))
        return -1;
    w->last.cmem_last = w->last.cmem_first + keys;
    w->last.mem_pos = w->last.cmem_last + keys;
    for (long i = 0; i < n; i++) w->loss[i] = NAN;
    for (long i = 0; i < n_coarse; i++)
        if (state_alloc(&w->coarse[i], model)) return -1; // taken lazily: the rooms are only reserved here
    for (int i = 0; i < w->n_recent; i++)
        if (state_alloc(&w->recent[i], model)) return -1;
    keep_state(w, 1);
    return 0;
}

void watch_reader_free(WatchReader *w) {
    long n_coarse = w->every ? w->n_segments / w->every + 1 : 0;
    for (long i = 0; w->coarse && i < n_coarse; i++) state_free(&w->coarse[i]);
    for (int i = 0; w->recent && i < w->n_recent; i++) state_free(&w->recent[i]);
    free(w->coarse);
    free(w->recent);
    free(w->loss);
    free(w->last.probs);
    free(w->last.cmem_first);
    if (w->g.model) generator_free(&w->g);
    memset(w, 0, sizeof *w);
}

// ---- the hooks: per-character losses always; the picture of the segment only when it will be shown

typedef struct {
    WatchReader *w;
    int picture;
    long compressed_upto; // the last position compressed before this segment (-1: none)
} HookCtx;

static void on_segment(void *ctx, Model *m, Workspace *ws, const Memory *mem, long start, int T) {
    HookCtx *h = ctx;
    WatchReader *w = h->w;
    // the forward's cross-entropy already holds each position's -log p (one stream: row t is position t)
    memcpy(w->loss + start + 1, workspace_losses(ws), sizeof(float) * (size_t)T);
    h->compressed_upto = mem->cm ? mem->cmem_last[mem->cm - 1] : -1;
    if (!h->picture) return;
    WatchSegment *s = &w->last;
    int H = m->cfg.n_heads, K = workspace_keys(ws);
    s->start = start, s->T = T, s->K = K, s->n_cmem = mem->cm, s->n_mem = mem->m, s->n_new = 0;
    for (int l = 0; l < m->cfg.n_layers; l++)
        memcpy(s->probs + (long)l * H * T * K, workspace_attention(ws, l), sizeof(float) * (size_t)H * T * K);
    memcpy(s->cmem_first, mem->cmem_first, sizeof(long) * mem->cm);
    memcpy(s->cmem_last, mem->cmem_last, sizeof(long) * mem->cm);
    memcpy(s->mem_pos, mem->mem_pos, sizeof(long) * mem->m);
}

static void on_compressed(void *ctx, Model *m, Workspace *ws, long start) {
    HookCtx *h = ctx;
    if (!h->picture) return;
    WatchSegment *s = &h->w->last;
    const Memory *mem = &h->w->g.mem;
    for (int i = 0; i < mem->cm && s->n_new < WATCH_MAX_EVENT; i++)
        if (mem->cmem_last[i] > h->compressed_upto) {
            s->new_first[s->n_new] = mem->cmem_first[i];
            s->new_last[s->n_new++] = mem->cmem_last[i];
        }
    model_attention_reconstruction(m, ws, s->recon);
}

// Reads one segment; the picture of it is kept when asked. Going back to `target`, the states on the way are
// kept sparsely (every `spacing`-th) and densely over the last `spacing` segments: about half the recent
// states cover a whole coarse interval, the other half the steps just before the target, so each step back
// re-reads one segment (its picture) and, once per `spacing` steps, `spacing` segments.
static int read_segment(WatchReader *w, int picture, long target) {
    if (w->pos >= w->n - 1) return 0;
    HookCtx h = {.w = w, .picture = picture};
    EvalHooks hooks = {.segment = on_segment, .compressed = on_compressed, .ctx = &h};
    int T = eval_stream_segment(&w->g, w->ids, w->n, w->pos, NULL, &hooks, &w->sums);
    w->pos += T;
    w->segment++;
    w->segments_computed++;
    keep_state(w, target - w->segment <= w->spacing);
    return T;
}

int watch_next(WatchReader *w) { return read_segment(w, 1, w->segment + 1); }

// The kept state with the largest segment ≤ target.
static WatchState *nearest(WatchReader *w, long target) {
    WatchState *best = &w->coarse[target / w->every];
    while (best->segment < 0) best--; // coarse state 0 is taken at init
    for (int i = 0; i < w->n_recent; i++)
        if (w->recent[i].segment >= 0 && w->recent[i].segment <= target && w->recent[i].segment > best->segment)
            best = &w->recent[i];
    return best;
}

void watch_jump_begin(WatchReader *w, long segment) {
    segment = segment < 0 ? 0 : segment > w->n_segments ? w->n_segments : segment;
    w->jump_to = -1;
    if (segment == w->segment) return;
    long from = segment > 0 ? segment - 1 : 0; // segment − 1 is read again, for its picture
    WatchState *kept = nearest(w, from);
    if (from < w->segment || kept->segment > w->segment) state_copy(w, kept, 0);
    if (segment == 0) {
        w->last.start = -1;
        return;
    }
    w->jump_to = segment, w->jump_total = segment - w->segment, w->jump_done = 0;
}

int watch_jump_step(WatchReader *w, long max_segments) {
    if (w->jump_to < 0) return 0;
    for (; max_segments > 0 && w->segment < w->jump_to; max_segments--, w->jump_done++) {
        int picture = w->segment == w->jump_to - 1;
        if (!read_segment(w, picture, w->jump_to)) break; // the end of the text (not reached: jump_to is clamped)
    }
    if (w->segment < w->jump_to && w->pos < w->n - 1) return 1;
    w->jump_to = -1;
    return 0;
}

void watch_jump_cancel(WatchReader *w) {
    if (w->jump_to < 0) return;
    w->jump_to = -1;
    if (w->segment == 0) w->last.start = -1;
    else read_segment(w, 1, w->segment + 1);
}

void watch_goto(WatchReader *w, long segment) {
    watch_jump_begin(w, segment);
    while (watch_jump_step(w, w->n_segments + 1)) {}
}

long watch_segment_of(const WatchReader *w, long pos) {
    long s = pos / w->model->cfg.seq_len;
    return s < 0 ? 0 : s >= w->n_segments ? w->n_segments - 1 : s;
}

double watch_ce(const WatchReader *w) { return w->pos ? w->sums.ce_sum / w->pos : NAN; }
