// The attention picture of the memory lab (see attention_stats.h).
#include "attention_stats.h"
#include "output_file.h"

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
    float ar[64];
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

// Sorted copy of layer l's losses (the caller frees it); NULL when there are none.
static float *sorted_recon(const AttentionStats *s, int l) {
    long n = s->n_recon[l];
    if (!n) return NULL;
    float *x = malloc(sizeof(float) * n);
    if (!x) return NULL;
    memcpy(x, s->recon[l], sizeof(float) * n);
    qsort(x, (size_t)n, sizeof(float), cmp_float);
    return x;
}

static double quantile_sorted(const float *x, long n, double q) {
    double at = q * (double)(n - 1);
    long i = (long)floor(at);
    if (i >= n - 1) return x[n - 1];
    return x[i] + (at - i) * (x[i + 1] - x[i]);
}

double attention_stats_recon_quantile(const AttentionStats *s, int layer, double q) {
    float *x = sorted_recon(s, layer);
    if (!x) return NAN;
    double v = quantile_sorted(x, s->n_recon[layer], q);
    free(x);
    return v;
}

static void recon_moments(const AttentionStats *s, int l, double *mean, double *std) {
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

#define N_QUANTILES 7
static const double quantiles[N_QUANTILES] = {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0};
static const char *const quantile_names[N_QUANTILES] = {"min", "p10", "p25", "p50", "p75", "p90", "max"};
#define HIST_BINS 10

// A number for CSV/JSON (NaN becomes empty / null).
static void num(FILE *f, double v, int json) {
    if (isfinite(v)) fprintf(f, "%.6g", v);
    else if (json) fputs("null", f);
}

static void layer_name(char *out, size_t n, int l, int L) {
    if (l == L) snprintf(out, n, "all");
    else snprintf(out, n, "%d", l);
}

// Histogram of a sorted list over [x0, x_last] in HIST_BINS equal bins.
static void histogram(const float *x, long n, long *bins, double *lo, double *hi) {
    memset(bins, 0, sizeof(long) * HIST_BINS);
    *lo = x[0];
    *hi = x[n - 1];
    double w = (*hi - *lo) / HIST_BINS;
    for (long i = 0; i < n; i++) {
        int k = w > 0 ? (int)((x[i] - *lo) / w) : 0;
        bins[k >= HIST_BINS ? HIST_BINS - 1 : k]++;
    }
}

void attention_stats_write_csv(const AttentionStats *s, FILE *f) {
    int L = s->n_layers;
    char ln[16];
    fprintf(f, "kind,layer,group,bucket,mean,std,count,lo,hi\n");
    for (int l = 0; l <= L; l++) {
        layer_name(ln, sizeof ln, l, L);
        for (int g = 0; g < ATT_GROUPS; g++)
            for (int k = 0; k < ATT_BUCKETS; k++) {
                int layer = l == L ? -1 : l;
                fprintf(f, "attention,%s,%s,%d,", ln, group_names[g], k);
                num(f, attention_stats_mean(s, layer, g, k), 0);
                fputc(',', f);
                num(f, attention_stats_std(s, layer, g, k), 0);
                fprintf(f, ",%ld,,\n", attention_stats_count(s, layer, g, k));
                fprintf(f, "attention_mass,%s,%s,%d,", ln, group_names[g], k);
                num(f, attention_stats_mass(s, layer, g, k), 0);
                fprintf(f, ",,%ld,,\n", attention_stats_count(s, layer, g, k));
            }
        for (int g = 0; g < ATT_GROUPS; g++) {
            fprintf(f, "attention_share,%s,%s,,", ln, group_names[g]);
            num(f, attention_stats_share(s, l == L ? -1 : l, g), 0);
            fprintf(f, ",,%ld,,\n", s->share_n[l]);
        }
    }
    for (int l = 0; l < L; l++) {
        double mean, std;
        recon_moments(s, l, &mean, &std);
        fprintf(f, "reconstruction,%d,mean,,", l);
        num(f, mean, 0);
        fputc(',', f);
        num(f, std, 0);
        fprintf(f, ",%ld,,\n", s->n_recon[l]);
        float *x = sorted_recon(s, l);
        if (!x) continue;
        for (int q = 0; q < N_QUANTILES; q++) {
            fprintf(f, "reconstruction,%d,%s,,", l, quantile_names[q]);
            num(f, quantile_sorted(x, s->n_recon[l], quantiles[q]), 0);
            fprintf(f, ",,%ld,,\n", s->n_recon[l]);
        }
        long bins[HIST_BINS];
        double lo, hi;
        histogram(x, s->n_recon[l], bins, &lo, &hi);
        for (int k = 0; k < HIST_BINS; k++) {
            fprintf(f, "reconstruction_hist,%d,,%d,,,%ld,", l, k, bins[k]);
            num(f, lo + (hi - lo) * k / HIST_BINS, 0);
            fputc(',', f);
            num(f, lo + (hi - lo) * (k + 1) / HIST_BINS, 0);
            fputc('\n', f);
        }
        free(x);
    }
}

void attention_stats_write_json(const AttentionStats *s, FILE *f) {
    int L = s->n_layers;
    fprintf(f, "{\"segments\":%ld,\"compressions\":%ld,\"buckets\":%d,\"groups\":[\"compressed\",\"memory\",\"current\"],"
               "\"attention\":[",
            s->segments, s->compressions, ATT_BUCKETS);
    for (int l = 0; l <= L; l++) {
        int layer = l == L ? -1 : l;
        if (l == L) fprintf(f, "%s{\"layer\":\"all\"", l ? "," : "");
        else fprintf(f, "%s{\"layer\":%d", l ? "," : "", l);
        for (int g = 0; g < ATT_GROUPS; g++) {
            const char *parts[4] = {"mean", "std", "mass", "count"};
            fprintf(f, ",\"%s\":{\"share\":", group_names[g]);
            num(f, attention_stats_share(s, layer, g), 1);
            fputc(',', f);
            for (int p = 0; p < 4; p++) {
                fprintf(f, "%s\"%s\":[", p ? "," : "", parts[p]);
                for (int k = 0; k < ATT_BUCKETS; k++) {
                    if (k) fputc(',', f);
                    if (p == 0) num(f, attention_stats_mean(s, layer, g, k), 1);
                    else if (p == 1) num(f, attention_stats_std(s, layer, g, k), 1);
                    else if (p == 2) num(f, attention_stats_mass(s, layer, g, k), 1);
                    else fprintf(f, "%ld", attention_stats_count(s, layer, g, k));
                }
                fputc(']', f);
            }
            fputc('}', f);
        }
        fputc('}', f);
    }
    fprintf(f, "],\"reconstruction\":[");
    for (int l = 0; l < L; l++) {
        double mean, std;
        recon_moments(s, l, &mean, &std);
        fprintf(f, "%s{\"layer\":%d,\"count\":%ld,\"mean\":", l ? "," : "", l, s->n_recon[l]);
        num(f, mean, 1);
        fprintf(f, ",\"std\":");
        num(f, std, 1);
        float *x = sorted_recon(s, l);
        for (int q = 0; q < N_QUANTILES; q++) {
            fprintf(f, ",\"%s\":", quantile_names[q]);
            num(f, x ? quantile_sorted(x, s->n_recon[l], quantiles[q]) : NAN, 1);
        }
        fprintf(f, ",\"histogram\":{");
        if (x) {
            long bins[HIST_BINS];
            double lo, hi;
            histogram(x, s->n_recon[l], bins, &lo, &hi);
            fprintf(f, "\"lo\":");
            num(f, lo, 1);
            fprintf(f, ",\"hi\":");
            num(f, hi, 1);
            fprintf(f, ",\"counts\":[");
            for (int k = 0; k < HIST_BINS; k++) fprintf(f, "%s%ld", k ? "," : "", bins[k]);
            fputc(']', f);
        }
        fprintf(f, "}}");
        free(x);
    }
    fprintf(f, "]}\n");
}

int attention_stats_export(const AttentionStats *s, const char *path, char *err, size_t errlen) {
    size_t n = strlen(path);
    int json = n >= 5 && !strcmp(path + n - 5, ".json");
    OutputFile o; // written beside the target and renamed over it, so a failed write never leaves half a file
    if (output_open(&o, path, err, errlen)) return -1;
    errno = 0;
    if (json) attention_stats_write_json(s, o.f);
    else attention_stats_write_csv(s, o.f);
    if (ferror(o.f)) o.error = errno ? errno : EIO;
    return output_commit(&o, path, err, errlen);
}

void attention_stats_print(const AttentionStats *s, FILE *f) {
    int L = s->n_layers;
    fprintf(f, "mean attention weight per slot (x1000; standard deviation in brackets) on 6 buckets, oldest to newest,\n"
               "over %ld segments\n",
            s->segments);
    for (int l = 0; l <= L; l++) {
        int layer = l == L ? -1 : l;
        if (l == L) fprintf(f, "all layers\n");
        else fprintf(f, "layer %d\n", l);
        for (int g = 0; g < ATT_GROUPS; g++) {
            fprintf(f, "  %-10s", group_names[g]);
            for (int k = 0; k < ATT_BUCKETS; k++) {
                double mu = attention_stats_mean(s, layer, g, k);
                if (isfinite(mu)) fprintf(f, " %6.1f (%5.1f)", 1000 * mu, 1000 * attention_stats_std(s, layer, g, k));
                else fprintf(f, " %14s", "-");
            }
            fprintf(f, "   share %.3f\n", attention_stats_share(s, layer, g));
        }
    }
    fprintf(f, "attention-reconstruction loss per layer over %ld compressions\n", s->compressions);
    fprintf(f, "  %-6s %10s %10s %10s %10s %10s %10s %10s\n", "layer", "mean", "min", "p10", "p50", "p90", "max", "std");
    for (int l = 0; l < L; l++) {
        double mean, std, q[5] = {NAN, NAN, NAN, NAN, NAN}, at[5] = {0.0, 0.1, 0.5, 0.9, 1.0};
        recon_moments(s, l, &mean, &std);
        float *x = sorted_recon(s, l); // one sorted copy for the five quantiles
        for (int i = 0; x && i < 5; i++) q[i] = quantile_sorted(x, s->n_recon[l], at[i]);
        free(x);
        fprintf(f, "  %-6d %10.4g %10.4g %10.4g %10.4g %10.4g %10.4g %10.4g\n", l, mean, q[0], q[1], q[2], q[3], q[4],
                std);
    }
}
