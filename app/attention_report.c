// The memory lab's attention statistics as files and tables (see attention_report.h): formatting is the
// app's; the engine only collects the numbers.
#include "app/attention_report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/output_file.h"

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

// Layer l's rows (l == n_layers: over all layers) of mean attention, mass and share.
static void csv_attention_layer(const AttentionStats *s, FILE *f, int l) {
    int L = s->n_layers, layer = l == L ? -1 : l;
    char ln[16];
    layer_name(ln, sizeof ln, l, L);
    for (int g = 0; g < ATT_GROUPS; g++)
        for (int k = 0; k < ATT_BUCKETS; k++) {
            fprintf(f, "attention,%s,%s,%d,", ln, attention_group_name(g), k);
            num(f, attention_stats_mean(s, layer, g, k), 0);
            fputc(',', f);
            num(f, attention_stats_std(s, layer, g, k), 0);
            fprintf(f, ",%ld,,\n", attention_stats_count(s, layer, g, k));
            fprintf(f, "attention_mass,%s,%s,%d,", ln, attention_group_name(g), k);
            num(f, attention_stats_mass(s, layer, g, k), 0);
            fprintf(f, ",,%ld,,\n", attention_stats_count(s, layer, g, k));
        }
    for (int g = 0; g < ATT_GROUPS; g++) {
        fprintf(f, "attention_share,%s,%s,,", ln, attention_group_name(g));
        num(f, attention_stats_share(s, layer, g), 0);
        fprintf(f, ",,%ld,,\n", s->share_n[l]);
    }
}

// Layer l's reconstruction loss: moments, then (when it has any) quantiles and histogram.
static void csv_reconstruction_layer(const AttentionStats *s, FILE *f, int l) {
    double mean, std;
    attention_stats_recon_moments(s, l, &mean, &std);
    fprintf(f, "reconstruction,%d,mean,,", l);
    num(f, mean, 0);
    fputc(',', f);
    num(f, std, 0);
    fprintf(f, ",%ld,,\n", s->n_recon[l]);
    float *x = attention_stats_recon_sorted(s, l);
    if (!x) return;
    for (int q = 0; q < N_QUANTILES; q++) {
        fprintf(f, "reconstruction,%d,%s,,", l, quantile_names[q]);
        num(f, attention_quantile_sorted(x, s->n_recon[l], quantiles[q]), 0);
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

void attention_report_csv(const AttentionStats *s, FILE *f) {
    fprintf(f, "kind,layer,group,bucket,mean,std,count,lo,hi\n");
    for (int l = 0; l <= s->n_layers; l++) csv_attention_layer(s, f, l);
    for (int l = 0; l < s->n_layers; l++) csv_reconstruction_layer(s, f, l);
}

// One group's share and its per-bucket mean, std, mass and count arrays.
static void json_attention_group(const AttentionStats *s, FILE *f, int layer, int g) {
    const char *parts[4] = {"mean", "std", "mass", "count"};
    fprintf(f, ",\"%s\":{\"share\":", attention_group_name(g));
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

// Layer l's reconstruction loss: count, moments, quantiles (null without values) and histogram ({} without).
static void json_reconstruction_layer(const AttentionStats *s, FILE *f, int l) {
    double mean, std;
    attention_stats_recon_moments(s, l, &mean, &std);
    fprintf(f, "%s{\"layer\":%d,\"count\":%ld,\"mean\":", l ? "," : "", l, s->n_recon[l]);
    num(f, mean, 1);
    fprintf(f, ",\"std\":");
    num(f, std, 1);
    float *x = attention_stats_recon_sorted(s, l);
    for (int q = 0; q < N_QUANTILES; q++) {
        fprintf(f, ",\"%s\":", quantile_names[q]);
        num(f, x ? attention_quantile_sorted(x, s->n_recon[l], quantiles[q]) : NAN, 1);
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

void attention_report_json(const AttentionStats *s, FILE *f) {
    int L = s->n_layers;
    fprintf(f, "{\"segments\":%ld,\"compressions\":%ld,\"buckets\":%d,\"groups\":[\"compressed\",\"memory\",\"current\"],"
               "\"attention\":[",
            s->segments, s->compressions, ATT_BUCKETS);
    for (int l = 0; l <= L; l++) {
        if (l == L) fprintf(f, "%s{\"layer\":\"all\"", l ? "," : "");
        else fprintf(f, "%s{\"layer\":%d", l ? "," : "", l);
        for (int g = 0; g < ATT_GROUPS; g++) json_attention_group(s, f, l == L ? -1 : l, g);
        fputc('}', f);
    }
    fprintf(f, "],\"reconstruction\":[");
    for (int l = 0; l < L; l++) json_reconstruction_layer(s, f, l);
    fprintf(f, "]}\n");
}

int attention_report_export(const AttentionStats *s, const char *path, char *err, size_t errlen) {
    size_t n = strlen(path);
    int json = n >= 5 && !strcmp(path + n - 5, ".json");
    OutputFile o; // written beside the target and renamed over it, so a failed write never leaves half a file
    if (output_open(&o, path, err, errlen)) return -1;
    errno = 0;
    if (json) attention_report_json(s, o.f);
    else attention_report_csv(s, o.f);
    if (ferror(o.f)) o.error = errno ? errno : EIO;
    return output_commit(&o, path, err, errlen);
}

void attention_report_print(const AttentionStats *s, FILE *f) {
    int L = s->n_layers;
    fprintf(f, "mean attention weight per slot (x1000; standard deviation in brackets) on 6 buckets, oldest to newest,\n"
               "over %ld segments\n",
            s->segments);
    for (int l = 0; l <= L; l++) {
        int layer = l == L ? -1 : l;
        if (l == L) fprintf(f, "all layers\n");
        else fprintf(f, "layer %d\n", l);
        for (int g = 0; g < ATT_GROUPS; g++) {
            fprintf(f, "  %-10s", attention_group_name(g));
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
        attention_stats_recon_moments(s, l, &mean, &std);
        float *x = attention_stats_recon_sorted(s, l); // one sorted copy for the five quantiles
        for (int i = 0; x && i < 5; i++) q[i] = attention_quantile_sorted(x, s->n_recon[l], at[i]);
        free(x);
        fprintf(f, "  %-6d %10.4g %10.4g %10.4g %10.4g %10.4g %10.4g %10.4g\n", l, mean, q[0], q[1], q[2], q[3], q[4],
                std);
    }
}
