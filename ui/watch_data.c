// The numbers behind memscope watch's view (see watch_data.h).
#include "ui/watch_data.h"

#include <stdio.h>
#include <stdlib.h>

#include "ui/text_buf.h"

// The chosen query row as a one-row matrix over the keys it can see, its head (-1 = mean) and the text of
// the character; NULL when nothing has been read yet (or out of memory).
typedef struct {
    UiAttention *one;
    int head;
    char ch[2];
} Query;

static int query_of(Query *q, const WatchUi *u, const WatchView *v) {
    int row = ui_watch_query(u, v);
    q->one = NULL;
    if (row < 0 || !ui_attn_valid(&v->attn) || !(q->one = malloc(sizeof *q->one))) return -1;
    ui_attn_one_query(q->one, &v->attn, row);
    q->head = u->head >= 0 && u->head < v->attn.n_heads ? u->head : -1;
    long i = (long)q->one->query_pos - v->text_first;
    q->ch[0] = i >= 0 && i < v->text_n ? (char)v->text[i] : 0;
    q->ch[1] = 0;
    return 0;
}

static float weight(const Query *q, int k) { return q->head >= 0 ? q->one->head[q->head][0][k] : q->one->mean[0][k]; }

static int layers(const WatchView *v) { return v->n_layers < 0 ? 0 : v->n_layers > UI_MAX_LAYERS ? UI_MAX_LAYERS : v->n_layers; }

// ------------------------------------------------------------------------------------------- CSV

static void csv_attention(TextBuf *t, const Query *q) {
    const UiAttention *a = q->one;
    char head[16], b[40];
    if (q->head >= 0) snprintf(head, sizeof head, "%d", q->head);
    else snprintf(head, sizeof head, "mean");
    text_buf_printf(t, "query,%d,%s,%lld,,,,,,,", a->layer, head, (long long)a->query_pos);
    text_buf_quoted(t, q->ch, 0);
    text_buf_printf(t, "\n");
    for (int k = 0; k < ui_attn_keys(a); k++) {
        text_buf_printf(t, "attention,%d,%s,%lld,%d,%s,%lld,%lld,%lld,%s,", a->layer, head, (long long)a->query_pos, k,
                        ui_group_name(ui_attn_group(a, k)), (long long)a->slot[k].first, (long long)a->slot[k].last,
                        (long long)ui_slot_age(a, k, 0), text_buf_num(b, sizeof b, weight(q, k), 0));
        text_buf_quoted(t, a->slot[k].text, 0);
        text_buf_printf(t, "\n");
    }
}

char *ui_watch_data_csv(const WatchUi *u, const WatchView *v) {
    TextBuf t = {0};
    char b[40];
    Query q;
    text_buf_printf(&t, "series,layer,head,query,key,group,first,last,age,value,text\n");
    if (!query_of(&q, u, v)) csv_attention(&t, &q);
    free(q.one);
    for (int l = 0; l < layers(v); l++)
        text_buf_printf(&t, "reconstruction,%d,,,,,,,,%s,\n", l, text_buf_num(b, sizeof b, v->recon[l], 0));
    text_buf_printf(&t, "read,,,,,,,,,%ld,\ntotal,,,,,,,,,%ld,\nsegment,,,,,,,,,%ld,\n", v->read, v->total, v->segment);
    text_buf_printf(&t, "ce,,,,,,,,,%s,\n", text_buf_num(b, sizeof b, v->ce, 0));
    text_buf_printf(&t, "bpc,,,,,,,,,%s,\n", text_buf_num(b, sizeof b, v->bpc, 0));
    return text_buf_finish(&t);
}

// ------------------------------------------------------------------------------------------- JSON

static void json_attention(TextBuf *t, const Query *q) {
    const UiAttention *a = q->one;
    char b[40];
    text_buf_printf(t, "{\"layer\":%d,\"head\":", a->layer);
    if (q->head >= 0) text_buf_printf(t, "%d", q->head);
    else text_buf_printf(t, "\"mean\"");
    text_buf_printf(t, ",\"query\":{\"position\":%lld,\"text\":", (long long)a->query_pos);
    text_buf_quoted(t, q->ch, 1);
    text_buf_printf(t, "},\"slots\":[");
    for (int k = 0; k < ui_attn_keys(a); k++) {
        text_buf_printf(t, "%s{\"key\":%d,\"group\":\"%s\",\"first\":%lld,\"last\":%lld,\"age\":%lld,\"weight\":%s,\"text\":",
                        k ? "," : "", k, ui_group_name(ui_attn_group(a, k)), (long long)a->slot[k].first,
                        (long long)a->slot[k].last, (long long)ui_slot_age(a, k, 0), text_buf_num(b, sizeof b, weight(q, k), 1));
        text_buf_quoted(t, a->slot[k].text, 1);
        text_buf_printf(t, "}");
    }
    text_buf_printf(t, "]}");
}

char *ui_watch_data_json(const WatchUi *u, const WatchView *v) {
    TextBuf t = {0};
    char b[40];
    Query q;
    text_buf_printf(&t, "{\"read\":%ld,\"total\":%ld,\"segment\":%ld,\"ce\":%s,", v->read, v->total, v->segment,
                    text_buf_num(b, sizeof b, v->ce, 1));
    text_buf_printf(&t, "\"bpc\":%s,\"attention\":", text_buf_num(b, sizeof b, v->bpc, 1));
    if (!query_of(&q, u, v)) json_attention(&t, &q);
    else text_buf_printf(&t, "null");
    free(q.one);
    text_buf_printf(&t, ",\"reconstruction\":{\"compressed_slots\":%d,\"per_layer\":[", v->n_event_total);
    for (int l = 0; l < layers(v); l++) text_buf_printf(&t, "%s%s", l ? "," : "", text_buf_num(b, sizeof b, v->recon[l], 1));
    text_buf_printf(&t, "]}}\n");
    return text_buf_finish(&t);
}
