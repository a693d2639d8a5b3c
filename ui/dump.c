// Screen and data dumps (see dump.h).
#include "ui/dump.h"

#include "ui/export.h"
#include "ui/text_buf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>


static float attn_value(const UiState *ui, const UiAttention *a, int q, int k) {
    int head = ui->head >= 0 && ui->head < a->n_heads ? ui->head : -1;
    return head >= 0 ? a->head[head][q][k] : a->mean[q][k];
}

static int n_layers(const UiSnapshot *s) { return s->n_layers < 0 ? 0 : s->n_layers > UI_MAX_LAYERS ? UI_MAX_LAYERS : s->n_layers; }

// ------------------------------------------------------------------------------------------- CSV

char *ui_data_csv(const UiState *ui, const UiSnapshot *s) {
    TextBuf t = {0};
    char b[40];
    const UiAttention *a = &s->attn;
    text_buf_printf(&t, "series,layer,head,query,key,group,age,step,value,text\n");
    if (ui_attn_valid(a))
        for (int k = 0; k < ui_attn_keys(a); k++)
            for (int q = 0; q < a->n_queries; q++) {
                char head[16];
                if (ui->head >= 0) snprintf(head, sizeof head, "%d", ui->head);
                else snprintf(head, sizeof head, "mean");
                text_buf_printf(&t, "attention,%d,%s,%d,%d,%s,%lld,,%s,", a->layer, head, q, k, ui_group_name(ui_attn_group(a, k)),
                    (long long)ui_slot_age(a, k, 0), text_buf_num(b, sizeof b, attn_value(ui, a, q, k), 0));
                text_buf_quoted(&t, a->slot[k].text, 0);
                text_buf_printf(&t, "\n");
            }
    for (int l = 0; l < n_layers(s); l++)
        for (int g = 0; g < UI_GROUP_COUNT; g++)
            text_buf_printf(&t, "share,%d,,,,%s,,,%s,\n", l, ui_group_name(g), text_buf_num(b, sizeof b, s->layer[l].share[g], 0));
    for (int l = 0; l < n_layers(s); l++)
        for (int i = 0; i < ui_ring_len(&s->layer[l].ar_hist); i++)
            text_buf_printf(&t, "reconstruction,%d,,,%d,,,,%s,\n", l, i, text_buf_num(b, sizeof b, ui_ring_at(&s->layer[l].ar_hist, i), 0));
    for (int l = -1; l < s->buckets.n_layers && l < UI_MAX_LAYERS; l++) {
        const UiBucketRow *row = l < 0 ? &s->buckets.pooled : &s->buckets.layer[l];
        char layer[16];
        if (l < 0) snprintf(layer, sizeof layer, "all");
        else snprintf(layer, sizeof layer, "%d", l);
        for (int g = 0; g < UI_GROUP_COUNT; g++)
            for (int k = 0; k < UI_BUCKETS; k++)
                text_buf_printf(&t, "bucket_mean,%s,,,%d,%s,,,%s,\n", layer, k, ui_group_name(g), text_buf_num(b, sizeof b, row->mean[g][k], 0));
    }
    const UiSeries *series[2] = {&s->train_loss, &s->valid_loss};
    const char *names[2] = {"train_ce", "valid_ce"};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < ui_series_len(series[k]); i++) {
            int64_t step;
            float v;
            ui_series_at(series[k], i, &step, &v);
            text_buf_printf(&t, "%s,,,,,,,%lld,%s,\n", names[k], (long long)step, text_buf_num(b, sizeof b, v, 0));
        }
    return text_buf_finish(&t);
}

// ------------------------------------------------------------------------------------------- JSON

static void json_series(TextBuf *t, const UiSeries *s) {
    char b[40];
    text_buf_printf(t, "[");
    for (int i = 0; i < ui_series_len(s); i++) {
        int64_t step;
        float v;
        ui_series_at(s, i, &step, &v);
        text_buf_printf(t, "%s[%lld,%s]", i ? "," : "", (long long)step, text_buf_num(b, sizeof b, v, 1));
    }
    text_buf_printf(t, "]");
}

static void json_bucket_row(TextBuf *t, const UiBucketRow *row) {
    char b[40];
    text_buf_printf(t, "{");
    for (int g = 0; g < UI_GROUP_COUNT; g++) {
        text_buf_printf(t, "%s\"%s\":[", g ? "," : "", ui_group_name(g));
        for (int k = 0; k < UI_BUCKETS; k++) text_buf_printf(t, "%s%s", k ? "," : "", text_buf_num(b, sizeof b, row->mean[g][k], 1));
        text_buf_printf(t, "]");
    }
    text_buf_printf(t, "}");
}

static void json_attention(TextBuf *t, const UiState *ui, const UiAttention *a) {
    char b[40];
    if (!ui_attn_valid(a)) {
        text_buf_printf(t, "null");
        return;
    }
    text_buf_printf(t, "{\"layer\":%d,\"head\":", a->layer);
    if (ui->head >= 0) text_buf_printf(t, "%d", ui->head);
    else text_buf_printf(t, "\"mean\"");
    text_buf_printf(t, ",\"generating\":%s,\"slots\":[", a->generating ? "true" : "false");
    for (int k = 0; k < ui_attn_keys(a); k++) {
        text_buf_printf(t, "%s{\"group\":\"%s\",\"age\":%lld,\"text\":", k ? "," : "", ui_group_name(ui_attn_group(a, k)),
            (long long)ui_slot_age(a, k, 0));
        text_buf_quoted(t, a->slot[k].text, 1);
        text_buf_printf(t, "}");
    }
    text_buf_printf(t, "],\"weights\":[");
    for (int q = 0; q < a->n_queries; q++) {
        text_buf_printf(t, "%s[", q ? "," : "");
        for (int k = 0; k < ui_attn_keys(a); k++) text_buf_printf(t, "%s%s", k ? "," : "", text_buf_num(b, sizeof b, attn_value(ui, a, q, k), 1));
        text_buf_printf(t, "]");
    }
    text_buf_printf(t, "]}");
}

char *ui_data_json(const UiState *ui, const UiSnapshot *s) {
    TextBuf t = {0};
    char b[40];
    text_buf_printf(&t, "{\"step\":%lld,\"attention\":", (long long)s->step);
    json_attention(&t, ui, &s->attn);
    text_buf_printf(&t, ",\"layers\":[");
    for (int l = 0; l < n_layers(s); l++) {
        const UiLayerStats *ls = &s->layer[l];
        text_buf_printf(&t, "%s{\"layer\":%d,\"share\":{", l ? "," : "", l);
        for (int g = 0; g < UI_GROUP_COUNT; g++)
            text_buf_printf(&t, "%s\"%s\":%s", g ? "," : "", ui_group_name(g), text_buf_num(b, sizeof b, ls->share[g], 1));
        text_buf_printf(&t, "},\"reconstruction\":[");
        for (int i = 0; i < ui_ring_len(&ls->ar_hist); i++)
            text_buf_printf(&t, "%s%s", i ? "," : "", text_buf_num(b, sizeof b, ui_ring_at(&ls->ar_hist, i), 1));
        text_buf_printf(&t, "],\"buckets\":");
        if (l < s->buckets.n_layers) json_bucket_row(&t, &s->buckets.layer[l]);
        else text_buf_printf(&t, "null");
        text_buf_printf(&t, "}");
    }
    text_buf_printf(&t, "],\"buckets_all_layers\":");
    json_bucket_row(&t, &s->buckets.pooled);
    text_buf_printf(&t, ",\"train_ce\":");
    json_series(&t, &s->train_loss);
    text_buf_printf(&t, ",\"valid_ce\":");
    json_series(&t, &s->valid_loss);
    text_buf_printf(&t, "}\n");
    return text_buf_finish(&t);
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
    return rc ? -1 : 0;
}

void ui_dump_pending(UiState *ui, const UiSnapshot *s, const Grid *g) {
    if (!ui->dump) return;
    char err[UI_PROMPT_BYTES + 100], path[UI_PROMPT_BYTES + 16];
    int rc, what = ui->dump;
    snprintf(path, sizeof path, "%s", ui->dump_path);
    if (ui->dump == UI_DUMP_DATA) rc = dump_data(ui, s, path, err, sizeof err);
    else if (path[0]) rc = ui_export_grid(g, path, err, sizeof err);
    else rc = ui_export_grid_default(g, (long long)s->step, path, sizeof path, err, sizeof err);
    ui->dump = UI_DUMP_NONE;
    if (rc) ui_set_message(ui, 1, "%s", err);
    else ui_set_message(ui, 0, "wrote %s: %s", path, what == UI_DUMP_DATA ? "the numbers behind the view" : "the screen");
}
