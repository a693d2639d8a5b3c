// Attention shares, heatmap matrices and slot provenance for the TUI snapshot.
#include "app/tui_fill.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/attention_stats.h"

static int mini(int a, int b) { return a < b ? a : b; }

int tui_text_at(const TuiText *t, long pos) {
    if (t->extra && pos >= t->extra_base && pos - t->extra_base < t->extra_n) return t->extra[pos - t->extra_base];
    if (t->text && pos >= 0 && pos < t->n) return t->text[pos];
    return -1;
}

void tui_slot_fill(UiSlot *s, long first, long last, const TuiText *text) {
    s->first = first;
    s->last = last;
    int len = 0;
    for (long p = first; p <= last && len < UI_SNIPPET_BYTES; p++) {
        int b = text ? tui_text_at(text, p) : -1;
        s->text[len++] = (char)(b < 0 ? '?' : b == 0 ? 1 : b);
    }
    s->text[len] = 0;
}

void tui_attention_shares(const float *probs, int H, int T, int K, int n_cmem, int n_mem,
                          float share[UI_GROUP_COUNT]) {
    double sum[UI_GROUP_COUNT] = {0, 0, 0};
    int bound[UI_GROUP_COUNT] = {n_cmem, n_cmem + n_mem, K};
    for (long row = 0; probs && row < (long)H * T; row++) {
        const float *p = probs + row * K;
        for (int g = 0, k = 0; g < UI_GROUP_COUNT; g++)
            for (; k < bound[g] && k < K; k++) sum[g] += p[k];
    }
    double total = sum[0] + sum[1] + sum[2];
    for (int g = 0; g < UI_GROUP_COUNT; g++) share[g] = total > 0 ? (float)(sum[g] / total) : 0.0f;
}

// --- the Figure-2 buckets ---

void tui_buckets_reset(TuiBucketAcc *a) { memset(a, 0, sizeof *a); }

void tui_buckets_decay(TuiBucketAcc *a, double f) {
    double *arrays[3] = {&a->sum[0][0][0], &a->sq[0][0][0], &a->n[0][0][0]};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < (UI_MAX_LAYERS + 1) * UI_GROUP_COUNT * UI_BUCKETS; j++) arrays[i][j] *= f;
}

_Static_assert(UI_BUCKETS == ATT_BUCKETS, "the TUI's Figure-2 view uses the engine's buckets");

// The buckets of one query's weights p on the slots [0, len) of one group (empty buckets give no sample).
static void add_group(TuiBucketAcc *a, int layer, int g, const float *p, int len) {
    double mass[ATT_BUCKETS];
    int slots[ATT_BUCKETS];
    attention_buckets(mass, slots, p, len);
    for (int k = 0; k < UI_BUCKETS; k++) {
        if (slots[k] == 0) continue;
        double mean = mass[k] / slots[k];
        int rows[2] = {layer, UI_MAX_LAYERS};
        for (int i = layer < UI_MAX_LAYERS ? 0 : 1; i < 2; i++) {
            a->sum[rows[i]][g][k] += mean;
            a->sq[rows[i]][g][k] += mean * mean;
            a->n[rows[i]][g][k] += 1;
        }
    }
}

void tui_buckets_add(TuiBucketAcc *a, int layer, const float *probs, int H, int T, int K, int n_cmem, int n_mem) {
    if (!probs || layer < 0 || H < 1 || T < 1 || n_cmem < 0 || n_mem < 0 || K != n_cmem + n_mem + T) return;
    for (int h = 0; h < H; h++)
        for (int i = 0; i < T; i++) {
            const float *p = probs + ((long)h * T + i) * K;
            add_group(a, layer, UI_GROUP_CMEM, p, n_cmem);
            add_group(a, layer, UI_GROUP_MEM, p + n_cmem, n_mem);
            add_group(a, layer, UI_GROUP_CUR, p + n_cmem + n_mem, i + 1);
        }
}

void tui_recon_add(TuiBucketAcc *a, int layer, float loss, double decay) {
    if (layer < 0 || layer >= UI_MAX_LAYERS || !isfinite(loss)) return;
    a->rsum[layer] = a->rsum[layer] * decay + loss;
    a->rsq[layer] = a->rsq[layer] * decay + (double)loss * loss;
    a->rn[layer] = a->rn[layer] * decay + 1;
}

void tui_recon_clear(TuiBucketAcc *a) {
    memset(a->rsum, 0, sizeof a->rsum);
    memset(a->rsq, 0, sizeof a->rsq);
    memset(a->rn, 0, sizeof a->rn);
}

static void moments(double sum, double sq, double n, float *mean, float *sd) {
    if (!(n > 0)) {
        *mean = *sd = NAN;
        return;
    }
    double mu = sum / n, var = sq / n - mu * mu;
    *mean = (float)mu;
    *sd = (float)sqrt(var > 0 ? var : 0);
}

static void fill_row(UiBucketRow *row, const TuiBucketAcc *a, int r) {
    for (int g = 0; g < UI_GROUP_COUNT; g++)
        for (int k = 0; k < UI_BUCKETS; k++) moments(a->sum[r][g][k], a->sq[r][g][k], a->n[r][g][k], &row->mean[g][k], &row->std[g][k]);
}

void tui_buckets_fill(UiBuckets *out, const TuiBucketAcc *a, int n_layers) {
    n_layers = n_layers < 0 ? 0 : mini(n_layers, UI_MAX_LAYERS);
    out->n_layers = a->steps > 0 ? n_layers : 0;
    out->steps = a->steps;
    for (int l = 0; l < n_layers; l++) {
        fill_row(&out->layer[l], a, l);
        moments(a->rsum[l], a->rsq[l], a->rn[l], &out->recon_mean[l], &out->recon_std[l]);
    }
    fill_row(&out->pooled, a, UI_MAX_LAYERS);
}

static void empty(UiAttention *a) {
    a->layer = -1;
    a->generating = 0;
    a->n_queries = a->n_cmem = a->n_mem = a->n_cur = a->n_heads = 0;
}

static int keys_ok(const TuiKeys *keys, int T, int K) {
    return keys && keys->n_cmem >= 0 && keys->n_mem >= 0 && keys->n_cur == T &&
           keys->n_cmem + keys->n_mem + keys->n_cur == K && (!keys->n_cmem || (keys->cmem_first && keys->cmem_last)) &&
           (!keys->n_mem || keys->mem_pos);
}

// Position span of key j of a forward described by keys.
static TuiKeyId key_id(const TuiKeys *keys, int j) {
    TuiKeyId id;
    if (j < keys->n_cmem) {
        id.first = keys->cmem_first[j];
        id.last = keys->cmem_last[j];
        id.cmem = 1;
    } else if (j < keys->n_cmem + keys->n_mem) {
        id.first = id.last = keys->mem_pos[j - keys->n_cmem];
        id.cmem = 0;
    } else {
        id.first = id.last = keys->cur_first + (j - keys->n_cmem - keys->n_mem);
        id.cmem = 0;
    }
    return id;
}

int tui_fill_attention(UiAttention *a, int layer, const float *probs, int H, int T, int K, const TuiKeys *keys,
                       const TuiText *text) {
    empty(a);
    if (!probs || H < 1 || T < 1 || K < 1 || !keys_ok(keys, T, K)) return -1;
    int nq = mini(T, UI_MAX_QUERIES), q0 = T - nq;
    // Keep the newest UI_MAX_KEYS keys: dropping from the front drops the oldest compressed slots first,
    // then the oldest memory rows (then, for a segment longer than the bound, the oldest current rows).
    int k0 = K > UI_MAX_KEYS ? K - UI_MAX_KEYS : 0, nk = K - k0;
    int drop_c = mini(k0, keys->n_cmem), drop_m = mini(k0 - drop_c, keys->n_mem);
    a->n_cmem = keys->n_cmem - drop_c;
    a->n_mem = keys->n_mem - drop_m;
    a->n_cur = keys->n_cur - (k0 - drop_c - drop_m);
    a->n_heads = mini(H, UI_MAX_HEADS);
    a->n_queries = nq;
    for (int q = 0; q < nq; q++) memset(a->mean[q], 0, sizeof(float) * nk);
    for (int h = 0; h < H; h++)
        for (int q = 0; q < nq; q++) {
            const float *p = probs + ((long)h * T + q0 + q) * K + k0;
            float *m = a->mean[q];
            for (int k = 0; k < nk; k++) m[k] += p[k];
            if (h < UI_MAX_HEADS) memcpy(a->head[h][q], p, sizeof(float) * nk);
        }
    float inv = 1.0f / H;
    for (int q = 0; q < nq; q++)
        for (int k = 0; k < nk; k++) a->mean[q][k] *= inv;
    for (int k = 0; k < nk; k++) {
        TuiKeyId id = key_id(keys, k0 + k);
        tui_slot_fill(&a->slot[k], id.first, id.last, text);
    }
    a->query_pos = keys->cur_first + T - 1;
    a->layer = layer;
    return 0;
}

// --- generation rows ---

int tui_rows_init(TuiAttnRows *r) {
    memset(r, 0, sizeof *r);
    r->ids = malloc(sizeof(TuiKeyId) * UI_MAX_QUERIES * UI_MAX_KEYS);
    r->vals = malloc(sizeof(float) * UI_MAX_QUERIES * (1 + UI_MAX_HEADS) * UI_MAX_KEYS);
    if (!r->ids || !r->vals) {
        tui_rows_free(r);
        return -1;
    }
    return 0;
}

void tui_rows_free(TuiAttnRows *r) {
    free(r->ids);
    free(r->vals);
    memset(r, 0, sizeof *r);
}

void tui_rows_clear(TuiAttnRows *r) {
    r->count = r->start = 0;
}

static TuiKeyId *row_ids(const TuiAttnRows *r, int slot) { return r->ids + (long)slot * UI_MAX_KEYS; }

// Values of a row: plane 0 the mean, plane 1 + h head h.
static float *row_vals(const TuiAttnRows *r, int slot, int plane) {
    return r->vals + ((long)slot * (1 + UI_MAX_HEADS) + plane) * UI_MAX_KEYS;
}

static int row_slot(const TuiAttnRows *r, int i) { return (r->start + i) % UI_MAX_QUERIES; }

int tui_rows_push(TuiAttnRows *r, const float *probs, int H, int T, int K, const TuiKeys *keys) {
    if (!r->ids || !probs || H < 1 || T < 1 || K < 1 || !keys_ok(keys, T, K)) return -1;
    int heads = mini(H, UI_MAX_HEADS);
    if (r->count && heads != r->heads) tui_rows_clear(r);
    r->heads = heads;
    int first_q = T > UI_MAX_QUERIES ? T - UI_MAX_QUERIES : 0;
    for (int q = first_q; q < T; q++) {
        int slot;
        if (r->count < UI_MAX_QUERIES) slot = row_slot(r, r->count++);
        else {
            slot = r->start;
            r->start = (r->start + 1) % UI_MAX_QUERIES;
        }
        int visible = keys->n_cmem + keys->n_mem + q + 1; // the causal mask hides the later current keys
        int k0 = visible > UI_MAX_KEYS ? visible - UI_MAX_KEYS : 0, nk = visible - k0;
        TuiKeyId *ids = row_ids(r, slot);
        for (int k = 0; k < nk; k++) ids[k] = key_id(keys, k0 + k);
        float *mean = row_vals(r, slot, 0);
        memset(mean, 0, sizeof(float) * nk);
        for (int h = 0; h < H; h++) {
            const float *p = probs + ((long)h * T + q) * K + k0;
            for (int k = 0; k < nk; k++) mean[k] += p[k];
            if (h < heads) memcpy(row_vals(r, slot, 1 + h), p, sizeof(float) * nk);
        }
        for (int k = 0; k < nk; k++) mean[k] /= H;
        r->nk[slot] = nk;
        r->qpos[slot] = keys->cur_first + q;
    }
    r->cur_first = keys->cur_first;
    return 0;
}

// Column in [lo, hi) of cols holding id (cols sorted by first within the range), or -1.
static int find_col(const TuiKeyId *cols, int lo, int hi, TuiKeyId id) {
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (cols[mid].first < id.first) lo = mid + 1;
        else hi = mid;
    }
    if (lo < 0) return -1;
    const TuiKeyId *c = &cols[lo];
    return c->first == id.first && c->last == id.last && c->cmem == id.cmem ? lo : -1;
}

int tui_rows_fill(UiAttention *a, const TuiAttnRows *r, int layer, const TuiText *text) {
    empty(a);
    if (!r->ids || r->count < 1) return -1;
    int newest = row_slot(r, r->count - 1), nk = r->nk[newest];
    const TuiKeyId *cols = row_ids(r, newest);
    int n_cmem = 0, n_cur = 0;
    while (n_cmem < nk && cols[n_cmem].cmem) n_cmem++;
    for (int k = n_cmem; k < nk; k++) n_cur += cols[k].first >= r->cur_first;
    a->n_cmem = n_cmem;
    a->n_mem = nk - n_cmem - n_cur;
    a->n_cur = n_cur;
    a->n_heads = r->heads;
    a->n_queries = r->count;
    for (int q = 0; q < r->count; q++) {
        memset(a->mean[q], 0, sizeof(float) * nk);
        for (int h = 0; h < r->heads; h++) memset(a->head[h][q], 0, sizeof(float) * nk);
        int slot = row_slot(r, q);
        const TuiKeyId *ids = row_ids(r, slot);
        for (int k = 0; k < r->nk[slot]; k++) {
            int c = ids[k].cmem ? find_col(cols, 0, n_cmem, ids[k]) : find_col(cols, n_cmem, nk, ids[k]);
            if (c < 0) continue; // that slot is no longer in the memory
            a->mean[q][c] = row_vals(r, slot, 0)[k];
            for (int h = 0; h < r->heads; h++) a->head[h][q][c] = row_vals(r, slot, 1 + h)[k];
        }
    }
    for (int k = 0; k < nk; k++) tui_slot_fill(&a->slot[k], cols[k].first, cols[k].last, text);
    a->query_pos = r->qpos[newest];
    a->layer = layer;
    a->generating = 1;
    return 0;
}
