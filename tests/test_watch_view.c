// memscope watch's screen (ui/watch_view.c): keys into actions, the one-query attention, and a drawn frame.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"
#include "ui/keys.h"
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
