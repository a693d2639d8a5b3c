// memscope watch's screen (ui/watch_view.c): keys into actions, the one-query attention, and a drawn frame.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"
#include "ui/keys.h"
#include "ui/watch_data.h"
#include "ui/watch_view.h"

// A segment of 3 queries over 2 compressed, 2 memory and 3 current keys; characters 0..9 of "abcdefghij".
static WatchView *view(void) {
    WatchView *v = calloc(1, sizeof *v);
    UiAttention *a = &v->attn;
    a->layer = 0, a->n_queries = 3, a->n_cmem = 2, a->n_mem = 2, a->n_cur = 3, a->n_heads = 2, a->query_pos = 6;
    for (int q = 0; q < 3; q++)
        for (int k = 0; k < 4 + q + 1; k++) a->mean[q][k] = a->head[0][q][k] = a->head[1][q][k] = 1.0f / (5 + q);
    for (int k = 0; k < 7; k++) a->slot[k].first = a->slot[k].last = k, a->slot[k].text[0] = (char)('a' + k);
    v->read = 7, v->total = 10, v->segment = 2, v->n_segments = 3, v->ce = 1.5f, v->bpc = 2.16f, v->speed = 4;
    v->n_layers = 2, v->n_heads = 2, v->seq_len = 3, v->rate = 2;
    v->text_n = 10;
    memcpy(v->text, "abcdefghij", 10);
    for (int i = 0; i < 10; i++) v->loss[i] = 0.5f * i, v->slot[i] = -1, v->mark[i] = i < 7 ? WV_MEM : WV_UNREAD;
    v->seg_first = 4, v->seg_n = 3;
    v->n_event = v->n_event_total = 1;
    v->event[0] = (WvEventSlot){0, 1, 1, "ab"};
    snprintf(v->title, sizeof v->title, "tiny model");
    return v;
}

TEST(watch_one_query_keeps_only_the_keys_it_can_see) {
    WatchView *v = view();
    UiAttention *one = malloc(sizeof *one);
    ui_attn_one_query(one, &v->attn, 1);
    CHECK(one->n_queries == 1 && one->n_cur == 2 && one->query_pos == 5 && one->n_cmem == 2 && one->n_mem == 2);
    CHECK(one->mean[0][5] == v->attn.mean[1][5] && one->head[1][0][3] == v->attn.head[1][1][3]);
    free(one);
    free(v);
}

TEST(watch_keys_become_actions) {
    WatchView *v = view();
    WatchUi u;
    float speed = 4;
    ui_watch_init(&u, UI_CAP_UTF8 | UI_CAP_COLOR | UI_CAP_256, 0);
    CHECK(ui_watch_key(&u, v, 'n', &speed).type == WA_NEXT);
    CHECK(ui_watch_key(&u, v, UI_KEY_RIGHT, &speed).type == WA_NEXT);
    CHECK(ui_watch_key(&u, v, UI_KEY_LEFT, &speed).type == WA_BACK);
    CHECK(ui_watch_key(&u, v, ' ', &speed).type == WA_PLAY);
    ui_watch_key(&u, v, '+', &speed);
    CHECK(speed == 8);
    CHECK(ui_watch_query(&u, v) == 2);
    ui_watch_key(&u, v, UI_KEY_UP, &speed);
    CHECK(ui_watch_query(&u, v) == 1);
    CHECK(ui_watch_key(&u, v, 'g', &speed).type == WA_NONE && u.goto_active);
    ui_watch_key(&u, v, '1', &speed);
    ui_watch_key(&u, v, '2', &speed);
    WatchAction a = ui_watch_key(&u, v, UI_KEY_ENTER, &speed);
    CHECK(a.type == WA_GOTO && a.pos == 12 && !u.goto_active);
    a = ui_watch_key(&u, v, UI_KEY_TAB, &speed);
    CHECK(a.type == WA_LAYER && a.layer == 1);
    CHECK(ui_watch_key(&u, v, 't', &speed).type == WA_NONE); // only the demo trains
    ui_watch_key(&u, v, '?', &speed);
    CHECK(!u.tour);
    v->demo = 1;
    CHECK(ui_watch_key(&u, v, 't', &speed).type == WA_TRAIN);
    ui_watch_key(&u, v, '?', &speed);
    CHECK(u.tour);
    ui_watch_key(&u, v, UI_KEY_ESC, &speed);
    CHECK(!u.tour);
    ui_watch_key(&u, v, '?', &speed);
    CHECK(ui_watch_key(&u, v, 'q', &speed).type == WA_NONE && !u.tour); // q closes the tour, not the program
    CHECK(ui_watch_key(&u, v, 'q', &speed).type == WA_QUIT);
    free(v);
}

TEST(watch_frame_shows_status_attention_text_and_event) {
    WatchView *v = view();
    WatchUi u;
    ui_watch_init(&u, UI_CAP_UTF8 | UI_CAP_COLOR | UI_CAP_256, 0);
    Grid g;
    CHECK(!grid_init(&g, 120, 40, u.caps));
    ui_watch_render(&u, v, &g);
    char *text = grid_dump_text(&g);
    CHECK_MSG(strstr(text, "read 7 of 10 characters") && strstr(text, "CE 1.500"), "%s", text);
    CHECK_MSG(strstr(text, "Attention of 'g' (character 6, predicting 'h')"), "%s", text);
    CHECK_MSG(strstr(text, "reads most from") && strstr(text, "abcdefghij"), "%s", text);
    CHECK_MSG(strstr(text, "'ab' (0\xe2\x80\x93" "1) \xe2\x86\x92 slot #1"), "%s", text);
    CHECK(!strstr(text, "A guided tour"));
    free(text);
    u.tour = 1;
    ui_watch_render(&u, v, &g);
    text = grid_dump_text(&g);
    CHECK(strstr(text, "A guided tour") && strstr(text, "1. The model reads"));
    free(text);
    grid_free(&g);
    free(v);
}

static WatchAction type_line(WatchUi *u, const WatchView *v, const char *line) {
    float speed = 4;
    ui_watch_key(u, v, ':', &speed);
    for (const char *p = line; *p; p++) ui_watch_key(u, v, (unsigned char)*p, &speed);
    return ui_watch_key(u, v, UI_KEY_ENTER, &speed);
}

TEST(watch_colon_runs_dump_and_dump_data_and_names_them_for_anything_else) {
    WatchView *v = view();
    WatchUi u;
    float speed = 4;
    ui_watch_init(&u, UI_CAP_UTF8 | UI_CAP_COLOR | UI_CAP_256, 0);
    WatchAction a = type_line(&u, v, "dump x.txt");
    CHECK(a.type == WA_DUMP && !strcmp(a.path, "x.txt") && !u.cmd_active);
    a = type_line(&u, v, "dump");
    CHECK(a.type == WA_DUMP && !a.path[0]);
    a = type_line(&u, v, "dump-data  out.json ");
    CHECK(a.type == WA_DUMP_DATA && !strcmp(a.path, "out.json"));
    a = type_line(&u, v, "dump-data out.txt");
    CHECK_MSG(a.type == WA_NONE && strstr(u.note, ".csv or .json"), "%s", u.note);
    a = type_line(&u, v, "dump-data");
    CHECK(a.type == WA_NONE && strstr(u.note, ".csv or .json"));
    a = type_line(&u, v, "dump x.png");
    CHECK_MSG(a.type == WA_NONE && strstr(u.note, ".svg, .txt or .ans"), "%s", u.note);
    a = type_line(&u, v, "save");
    CHECK_MSG(a.type == WA_NONE && strstr(u.note, "unknown command :save") && strstr(u.note, ":dump [FILE]") &&
              strstr(u.note, ":dump-data FILE"), "%s", u.note);
    a = type_line(&u, v, "dump y.svgX");
    CHECK(a.type == WA_NONE);
    ui_watch_key(&u, v, ':', &speed); // Backspace edits, Esc cancels, and keys act again after it
    ui_watch_key(&u, v, 'n', &speed);
    ui_watch_key(&u, v, 'q', &speed);
    ui_watch_key(&u, v, UI_KEY_BACKSPACE, &speed);
    CHECK(u.cmd_active && !strcmp(u.cmd_buf, "n"));
    Grid g;
    CHECK(!grid_init(&g, 120, 40, u.caps));
    ui_watch_render(&u, v, &g);
    char *text = grid_dump_text(&g);
    CHECK_MSG(strstr(text, " :n_") && strstr(text, "Enter runs, Esc cancels"), "%s", text);
    free(text);
    CHECK(ui_watch_key(&u, v, UI_KEY_ESC, &speed).type == WA_NONE && !u.cmd_active);
    CHECK(ui_watch_key(&u, v, 'n', &speed).type == WA_NEXT);
    ui_watch_render(&u, v, &g);
    text = grid_dump_text(&g);
    CHECK_MSG(strstr(text, "d/: dump \xc2\xb7 q quit"), "%s", text);
    free(text);
    grid_free(&g);
    free(v);
}

// The fixture with distinct weights for query row 1 (it sees keys 0..5), a slot text that needs escaping,
// and a reconstruction error for layer 0 only.
static WatchView *data_view(void) {
    WatchView *v = view();
    for (int k = 0; k < 6; k++) v->attn.mean[1][k] = (k + 1) / 21.0f, v->attn.head[1][1][k] = (6 - k) / 21.0f;
    snprintf(v->attn.slot[2].text, sizeof v->attn.slot[2].text, "c\"\n");
    v->recon[0] = 0.25f, v->recon[1] = NAN;
    return v;
}

TEST(watch_dump_data_csv_holds_the_numbers_of_the_view) {
    WatchView *v = data_view();
    WatchUi u;
    ui_watch_init(&u, UI_CAP_UTF8, 0);
    u.query = 1; // the character at position 5 ('f')
    for (int head = -1; head <= 1; head += 2) {
        u.head = head;
        char *csv = ui_watch_data_csv(&u, v);
        CHECK(csv && !strncmp(csv, "series,layer,head,query,key,group,first,last,age,value,text\n", 60));
        CHECK_MSG(strstr(csv, head < 0 ? "\nquery,0,mean,5,,,,,,,\"f\"\n" : "\nquery,0,1,5,,,,,,,\"f\"\n"), "%s", csv);
        static const char *const group[7] = {"compressed", "compressed", "memory", "memory", "current", "current", "current"};
        double sum = 0;
        for (int k = 0; k < 7; k++) {
            float w = head < 0 ? v->attn.mean[1][k] : v->attn.head[1][1][k];
            char row[160];
            snprintf(row, sizeof row, "\nattention,0,%s,5,%d,%s,%d,%d,%d,%.7g,", head < 0 ? "mean" : "1", k, group[k], k, k, 5 - k, w);
            CHECK_MSG(!strstr(csv, row) == (k == 6), "key %d: %s in\n%s", k, row, csv); // key 6 comes after the query
            sum += k < 6 ? w : 0;
        }
        CHECK(fabs(sum - 1) < 1e-6);
        CHECK_MSG(strstr(csv, ",\"c\"\"?\"\n"), "%s", csv);
        CHECK_MSG(strstr(csv, "\nreconstruction,0,,,,,,,,0.25,\nreconstruction,1,,,,,,,,,\n"), "%s", csv);
        CHECK_MSG(strstr(csv, "\nread,,,,,,,,,7,\ntotal,,,,,,,,,10,\nsegment,,,,,,,,,2,\nce,,,,,,,,,1.5,\nbpc,,,,,,,,,2.16,\n"), "%s", csv);
        free(csv);
    }
    v->attn.n_queries = 0; // nothing read yet: only the summary
    char *csv = ui_watch_data_csv(&u, v);
    CHECK_MSG(csv && !strstr(csv, "\nattention,") && !strstr(csv, "\nquery,") && strstr(csv, "\nread,"), "%s", csv);
    free(csv);
    free(v);
}

TEST(watch_dump_data_json_holds_the_numbers_of_the_view) {
    WatchView *v = data_view();
    WatchUi u;
    ui_watch_init(&u, UI_CAP_UTF8, 0);
    u.query = 1, u.head = 1;
    char *json = ui_watch_data_json(&u, v);
    CHECK_MSG(json && !strncmp(json, "{\"read\":7,\"total\":10,\"segment\":2,\"ce\":1.5,\"bpc\":2.16,", 52), "%s", json);
    CHECK_MSG(strstr(json, "\"attention\":{\"layer\":0,\"head\":1,\"query\":{\"position\":5,\"text\":\"f\"},\"slots\":["), "%s", json);
    for (int k = 0; k < 6; k++) {
        char slot[200];
        snprintf(slot, sizeof slot, "{\"key\":%d,\"group\":\"%s\",\"first\":%d,\"last\":%d,\"age\":%d,\"weight\":%.7g,\"text\":", k,
                 k < 2 ? "compressed" : k < 4 ? "memory" : "current", k, k, 5 - k, v->attn.head[1][1][k]);
        CHECK_MSG(strstr(json, slot), "%s in\n%s", slot, json);
    }
    CHECK(!strstr(json, "\"key\":6"));
    CHECK_MSG(strstr(json, "\"text\":\"c\\\"\\u000a\"}"), "%s", json);
    CHECK_MSG(strstr(json, "\"reconstruction\":{\"compressed_slots\":1,\"per_layer\":[0.25,null]}}\n"), "%s", json);
    free(json);
    v->attn.n_queries = 0;
    v->ce = v->bpc = NAN;
    json = ui_watch_data_json(&u, v);
    CHECK_MSG(json && strstr(json, "\"ce\":null,\"bpc\":null,\"attention\":null,"), "%s", json);
    free(json);
    free(v);
}
