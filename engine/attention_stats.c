// The attention picture of the memory lab (see attention_stats.h).
#include "attention_stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ar_loss.h"
#include "eval_stream.h"
#include "workspace.h"

static const char *const group_names[ATT_GROUPS] = {"compressed", "memory", "current"};

int attention_stats_init(AttentionStats *s, const Model *m) {
    memset(s, 0, sizeof *s);
    int L = m->cfg.n_layers;
    s->n_layers = L;
    s->att = calloc((size_t)(L + 1) * ATT_GROUPS * ATT_BUCKETS, sizeof(AttMoments));
    s->share = calloc((size_t)(L + 1) * ATT_GROUPS, sizeof(double));
    s->share_n = calloc((size_t)(L + 1), sizeof(long));
    s->recon = calloc((size_t)L, sizeof(float *));
    s->n_recon = calloc((size_t)L, sizeof(long));
    s->cap_recon = calloc((size_t)L, sizeof(long));
    if (!s->att || !s->share || !s->share_n || !s->recon || !s->n_recon || !s->cap_recon) {
        attention_stats_free(s);
        return -1;
    }
    return 0;
}

void attention_stats_free(AttentionStats *s) {
    for (int l = 0; s->recon && l < s->n_layers; l++) free(s->recon[l]);
    free(s->recon);
    free(s->att);
    free(s->share);
    free(s->share_n);
    free(s->n_recon);
    free(s->cap_recon);
    memset(s, 0, sizeof *s);
}

static AttMoments *moments(const AttentionStats *s, int layer, int group, int bucket) {
    int l = layer < 0 ? s->n_layers : layer;
    return &s->att[((long)l * ATT_GROUPS + group) * ATT_BUCKETS + bucket];
}

static void add_sample(AttentionStats *s, int layer, int group, int bucket, double mean, double mass) {
    AttMoments *a[2] = {moments(s, layer, group, bucket), moments(s, -1, group, bucket)};
    for (int i = 0; i < 2; i++) {
        a[i]->sum += mean;
        a[i]->sum_sq += mean * mean;
        a[i]->mass += mass;
        a[i]->mass_sq += mass * mass;
        a[i]->count++;
    }
}

void attention_buckets(double mass[ATT_BUCKETS], int slots[ATT_BUCKETS], const float *p, int len) {
    for (int k = 0; k < ATT_BUCKETS; k++) {
        int lo = k * len / ATT_BUCKETS, hi = (k + 1) * len / ATT_BUCKETS;
        mass[k] = 0;
        for (int j = lo; j < hi; j++) mass[k] += p[j];
        slots[k] = hi - lo;
    }
}

// The 6 buckets of slots [0, len) of one query's probabilities p, and the group's share.
static void add_group(AttentionStats *s, int layer, int group, const float *p, int len) {
    double total = 0, mass[ATT_BUCKETS];
    int slots[ATT_BUCKETS];
    for (int j = 0; j < len; j++) total += p[j];
    s->share[(long)layer * ATT_GROUPS + group] += total;
    s->share[(long)s->n_layers * ATT_GROUPS + group] += total;
    attention_buckets(mass, slots, p, len);
    for (int k = 0; k < ATT_BUCKETS; k++)
        if (slots[k] > 0) add_sample(s, layer, group, k, mass[k] / slots[k], mass[k]);
}

void attention_stats_add_segment(AttentionStats *s, const Model *m, const Workspace *ws, int cm, int mm) {
    int T = ws->T, K = ws->K, H = m->cfg.n_heads;
    if (K != cm + mm + T) return;
    for (int l = 0; l < s->n_layers; l++) {
        const float *probs = ws->layer[l].probs;
        for (int b = 0; b < ws->batch; b++)
            for (int h = 0; h < H; h++)
                for (int i = 0; i < T; i++) {
                    const float *p = probs + (((long)b * H + h) * T + i) * K;
                    add_group(s, l, ATT_COMPRESSED, p, cm);
                    add_group(s, l, ATT_MEMORY, p + cm, mm);
                    add_group(s, l, ATT_CURRENT, p + cm + mm, i + 1);
                    s->share_n[l]++;
                    s->share_n[s->n_layers]++;
                }
    }
    s->segments++;
}

int attention_stats_add_compression(AttentionStats *s, Model *m, Workspace *ws) {
    float ar[CONFIG_MAX_LAYERS];
    if (ws->n_old == 0) return 0;
    model_attention_reconstruction(m, ws, ar);
    for (int l = 0; l < s->n_layers; l++) { // room in every layer first: out of memory drops the whole sample
        if (s->n_recon[l] < s->cap_recon[l]) continue;
        long cap = s->cap_recon[l] ? 2 * s->cap_recon[l] : 256;
        float *grown = realloc(s->recon[l], sizeof(float) * cap);
        if (!grown) return -1;
        s->recon[l] = grown;
        s->cap_recon[l] = cap;
    }
    for (int l = 0; l < s->n_layers; l++) s->recon[l][s->n_recon[l]++] = ar[l];
    s->compressions++;
    return 0;
}

static void on_segment(void *ctx, Model *m, Workspace *ws, const Memory *mem, long start, int T) {
    (void)start;
    (void)T;
    attention_stats_add_segment(ctx, m, ws, mem->cm, mem->m);
}

static void on_compressed(void *ctx, Model *m, Workspace *ws, long start) {
    (void)start;
    attention_stats_add_compression(ctx, m, ws);
}

EvalHooks attention_stats_hooks(AttentionStats *s) { return (EvalHooks){on_segment, on_compressed, s}; }

void attention_stats_run(AttentionStats *s, Model *m, const int32_t *ids, long n, EvalResult *out) {
    EvalHooks hooks = attention_stats_hooks(s);
    evaluate_stream_ex(m, ids, n, NULL, &hooks, out);
}

double attention_stats_mean(const AttentionStats *s, int layer, int group, int bucket) {
    const AttMoments *a = moments(s, layer, group, bucket);
    return a->count ? a->sum / a->count : NAN;
}

double attention_stats_std(const AttentionStats *s, int layer, int group, int bucket) {
    const AttMoments *a = moments(s, layer, group, bucket);
    if (!a->count) return NAN;
    double mu = a->sum / a->count, var = a->sum_sq / a->count - mu * mu;
    return sqrt(var > 0 ? var : 0);
}

double attention_stats_mass(const AttentionStats *s, int layer, int group, int bucket) {
    const AttMoments *a = moments(s, layer, group, bucket);
    return a->count ? a->mass / a->count : NAN;
}

long attention_stats_count(const AttentionStats *s, int layer, int group, int bucket) {
    return moments(s, layer, group, bucket)->count;
}

double attention_stats_share(const AttentionStats *s, int layer, int group) {
    int l = layer < 0 ? s->n_layers : layer;
    return s->share_n[l] ? s->share[(long)l * ATT_GROUPS + group] / s->share_n[l] : NAN;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

float *attention_stats_recon_sorted(const AttentionStats *s, int l) {
    long n = s->n_recon[l];
    if (!n) return NULL;
    float *x = malloc(sizeof(float) * n);
    if (!x) return NULL;
    memcpy(x, s->recon[l], sizeof(float) * n);
    qsort(x, (size_t)n, sizeof(float), cmp_float);
    return x;
}

double attention_quantile_sorted(const float *x, long n, double q) {
    double at = q * (double)(n - 1);
    long i = (long)floor(at);
    if (i >= n - 1) return x[n - 1];
    return x[i] + (at - i) * (x[i + 1] - x[i]);
}

double attention_stats_recon_quantile(const AttentionStats *s, int layer, double q) {
    float *x = attention_stats_recon_sorted(s, layer);
    if (!x) return NAN;
    double v = attention_quantile_sorted(x, s->n_recon[layer], q);
    free(x);
    return v;
}

void attention_stats_recon_moments(const AttentionStats *s, int l, double *mean, double *std) {
    double sum = 0, sq = 0;
    long n = s->n_recon[l];
    for (long i = 0; i < n; i++) {
        sum += s->recon[l][i];
        sq += (double)s->recon[l][i] * s->recon[l][i];
    }
    *mean = n ? sum / n : NAN;
    double var = n ? sq / n - *mean * *mean : NAN;
    *std = n ? sqrt(var > 0 ? var : 0) : NAN;
}

const char *attention_group_name(int group) { return group_names[group]; }
