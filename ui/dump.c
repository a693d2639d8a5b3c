// Screen and data dumps (see dump.h).
#include "ui/dump.h"

#include "ui/export.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} Text;

static void add(Text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(Text *t, const char *fmt, ...) {
    if (t->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (t->p && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 65536;
        while (cap < t->len + (size_t)n + 1) cap *= 2;
        char *p = realloc(t->p, cap);
        if (!p) {
            t->oom = 1;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
}

static char *finish(Text *t) {
    add(t, "%s", "");
    if (t->oom) {
        free(t->p);
        return NULL;
    }
    return t->p;
}

// A number as CSV/JSON text: finite values with 7 significant digits, else empty / null.
static const char *num(char *buf, size_t n, double v, int json) {
    if (isfinite(v)) snprintf(buf, n, "%.7g", v);
    else snprintf(buf, n, "%s", json ? "null" : "");
    return buf;
}

// Slot text escaped for a JSON string or a quoted CSV field (quotes doubled). Other control bytes are
// written as \u00XX in JSON and as '?' in CSV.
static void quoted(Text *t, const char *s, int json) {
    add(t, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"') add(t, json ? "\\\"" : "\"\"");
        else if (json && *p == '\\') add(t, "\\\\");
        else if (*p < 0x20 || *p == 0x7f) {
            if (json) add(t, "\\u%04x", *p);
            else add(t, "?");
        } else add(t, "%c", *p);
    }
    add(t, "\"");
}

static float attn_value(const UiState *ui, const UiAttention *a, int q, int k) {
    int head = ui->head >= 0 && ui->head < a->n_heads ? ui->head : -1;
    return head >= 0 ? a->head[head][q][k] : a->mean[q][k];
}

static int n_layers(const UiSnapshot *s) { return s->n_layers < 0 ? 0 : s->n_layers > UI_MAX_LAYERS ? UI_MAX_LAYERS : s->n_layers; }

// ------------------------------------------------------------------------------------------- CSV

char *ui_data_csv(const UiState *ui, const UiSnapshot *s) {
    Text t = {0};
    char b[40];
    const UiAttention *a = &s->attn;
    add(&t, "series,layer,head,query,key,group,age,step,value,text\n");
    if (ui_attn_valid(a))
        for (int k = 0; k < ui_attn_keys(a); k++)
            for (int q = 0; q < a->n_queries; q++) {
                char head[16];
                if (ui->head >= 0) snprintf(head, sizeof head, "%d", ui->head);
                else snprintf(head, sizeof head, "mean");
                add(&t, "attention,%d,%s,%d,%d,%s,%lld,,%s,", a->layer, head, q, k, ui_group_name(ui_attn_group(a, k)),
                    (long long)ui_slot_age(a, k, 0), num(b, sizeof b, attn_value(ui, a, q, k), 0));
                quoted(&t, a->slot[k].text, 0);
                add(&t, "\n");
            }
    for (int l = 0; l < n_layers(s); l++)
        for (int g = 0; g < UI_GROUP_COUNT; g++)
            add(&t, "share,%d,,,,%s,,,%s,\n", l, ui_group_name(g), num(b, sizeof b, s->layer[l].share[g], 0));
    for (int l = 0; l < n_layers(s); l++)
        for (int i = 0; i < ui_ring_len(&s->layer[l].ar_hist); i++)
            add(&t, "reconstruction,%d,,,%d,,,,%s,\n", l, i, num(b, sizeof b, ui_ring_at(&s->layer[l].ar_hist, i), 0));
    for (int l = -1; l < s->buckets.n_layers && l < UI_MAX_LAYERS; l++) {
        const UiBucketRow *row = l < 0 ? &s->buckets.pooled : &s->buckets.layer[l];
        char layer[16];
        if (l < 0) snprintf(layer, sizeof layer, "all");
        else snprintf(layer, sizeof layer, "%d", l);
        for (int g = 0; g < UI_GROUP_COUNT; g++)
            for (int k = 0; k < UI_BUCKETS; k++)
                add(&t, "bucket_mean,%s,,,%d,%s,,,%s,\n", layer, k, ui_group_name(g), num(b, sizeof b, row->mean[g][k], 0));
    }
    const UiSeries *series[2] = {&s->train_loss, &s->valid_loss};
    const char *names[2] = {"train_ce", "valid_ce"};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < ui_series_len(series[k]); i++) {
            int64_t step;
            float v;
            ui_series_at(series[k], i, &step, &v);
            add(&t, "%s,,,,,,,%lld,%s,\n", names[k], (long long)step, num(b, sizeof b, v, 0));
        }
    return finish(&t);
}

// ------------------------------------------------------------------------------------------- JSON

static void json_series(Text *t, const UiSeries *s) {
    char b[40];
    add(t, "[");
    for (int i = 0; i < ui_series_len(s); i++) {
        int64_t step;
        float v;
        ui_series_at(s, i, &step, &v);
        add(t, "%s[%lld,%s]", i ? "," : "", (long long)step, num(b, sizeof b, v, 1));
    }
    add(t, "]");
}

static void json_bucket_row(Text *t, const UiBucketRow *row) {
    char b[40];
    add(t, "{");
    for (int g = 0; g < UI_GROUP_COUNT; g++) {
        add(t, "%s\"%s\":[", g ? "," : "", ui_group_name(g));
        for (int k = 0; k < UI_BUCKETS; k++) add(t, "%s%s", k ? "," : "", num(b, sizeof b, row->mean[g][k], 1));
        add(t, "]");
    }
    add(t, "}");
}

static void json_attention(Text *t, const UiState *ui, const UiAttention *a) {
    char b[40];
    if (!ui_attn_valid(a)) {
        add(t, "null");
        return;
    }
    add(t, "{\"layer\":%d,\"head\":", a->layer);
    if (ui->head >= 0) add(t, "%d", ui->head);
    else add(t, "\"mean\"");
    add(t, ",\"generating\":%s,\"slots\":[", a->generating ? "true" : "false");
    for (int k = 0; k < ui_attn_keys(a); k++) {
        add(t, "%s{\"group\":\"%s\",\"age\":%lld,\"text\":", k ? "," : "", ui_group_name(ui_attn_group(a, k)),
            (long long)ui_slot_age(a, k, 0));
        quoted(t, a->slot[k].text, 1);
        add(t, "}");
    }
    add(t, "],\"weights\":[");
    for (int q = 0; q < a->n_queries; q++) {
        add(t, "%s[", q ? "," : "");
        for (int k = 0; k < ui_attn_keys(a); k++) add(t, "%s%s", k ? "," : "", num(b, sizeof b, attn_value(ui, a, q, k), 1));
        add(t, "]");
    }
    add(t, "]}");
}

char *ui_data_json(const UiState *ui, const UiSnapshot *s) {
    Text t = {0};
    char b[40];
    add(&t, "{\"step\":%lld,\"attention\":", (long long)s->step);
    json_attention(&t, ui, &s->attn);
    add(&t, ",\"layers\":[");
    for (int l = 0; l < n_layers(s); l++) {
        const UiLayerStats *ls = &s->layer[l];
        add(&t, "%s{\"layer\":%d,\"share\":{", l ? "," : "", l);
        for (int g = 0; g < UI_GROUP_COUNT; g++)
            add(&t, "%s\"%s\":%s", g ? "," : "", ui_group_name(g), num(b, sizeof b, ls->share[g], 1));
        add(&t, "},\"reconstruction\":[");
        for (int i = 0; i < ui_ring_len(&ls->ar_hist); i++)
            add(&t, "%s%s", i ? "," : "", num(b, sizeof b, ui_ring_at(&ls->ar_hist, i), 1));
        add(&t, "],\"buckets\":");
        if (l < s->buckets.n_layers) json_bucket_row(&t, &s->buckets.layer[l]);
        else add(&t, "null");
        add(&t, "}");
    }
    add(&t, "],\"buckets_all_layers\":");
    json_bucket_row(&t, &s->buckets.pooled);
    add(&t, ",\"train_ce\":");
    json_series(&t, &s->train_loss);
    add(&t, ",\"valid_ce\":");
    json_series(&t, &s->valid_loss);
    add(&t, "}\n");
    return finish(&t);
}

// ------------------------------------------------------------------------------------------- files

static int data_format(const char *path) { // 1 csv, 2 json, 0 neither
    const char *dot = strrchr(path, '.');
    if (!dot) return 0;
    return !strcasecmp(dot, ".csv") ? 1 : !strcasecmp(dot, ".json") ? 2 : 0;
}

static int dump_data(const UiState *ui, const UiSnapshot *s, const char *path, char *err, size_t errlen) {
    int f = data_format(path);
    if (!f) {
        snprintf(err, errlen, "%s: :dump-data writes .csv or .json", path);
        return -1;
    }
    char *text = f == 1 ? ui_data_csv(ui, s) : ui_data_json(ui, s);
    if (!text) {
        snprintf(err, errlen, "out of memory writing the data");
        return -1;
    }
    int rc = ui_export_write_new(path, text, err, errlen);
    free(text);
    return rc;
}

// A default name that does not exist yet ("...-2.svg" when two dumps fall in the same second).
static int dump_default(const Grid *g, const UiSnapshot *s, char *path, size_t n, char *err, size_t errlen) {
    char base[200];
    ui_export_default_name(base, sizeof base, (long long)s->step, time(NULL), "svg");
    for (int i = 1; i < 100; i++) {
        if (i == 1) snprintf(path, n, "%s", base);
        else snprintf(path, n, "%.*s-%d.svg", (int)strlen(base) - 4, base, i);
        if (!ui_export_grid(g, path, err, errlen)) return 0;
        if (!strstr(err, "exists")) return -1;
    }
    return -1;
}

void ui_dump_pending(UiState *ui, const UiSnapshot *s, const Grid *g) {
    if (!ui->dump) return;
    char err[UI_PROMPT_BYTES + 100], path[UI_PROMPT_BYTES + 16];
    int rc, what = ui->dump;
    snprintf(path, sizeof path, "%s", ui->dump_path);
    if (ui->dump == UI_DUMP_DATA) rc = dump_data(ui, s, path, err, sizeof err);
    else if (path[0]) rc = ui_export_grid(g, path, err, sizeof err);
    else rc = dump_default(g, s, path, sizeof path, err, sizeof err);
    ui->dump = UI_DUMP_NONE;
    if (rc) ui_set_message(ui, 1, "%s", err);
    else ui_set_message(ui, 0, "wrote %s: %s", path, what == UI_DUMP_DATA ? "the numbers behind the view" : "the screen");
}
