// The TUI's command queue (UI thread -> trainer thread) and snapshot box (trainer -> UI).
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/tui_queue.h"

static UiCommand cmd(UiCommandType t, int ival) {
    UiCommand c;
    memset(&c, 0, sizeof c);
    c.type = t;
    c.ival = ival;
    return c;
}

TEST(app_queue_is_fifo_and_copies_commands) {
    TuiQueue q;
    CHECK(tui_queue_init(&q) == 0);
    UiCommand c = cmd(UI_CMD_GENERATE, 50);
    snprintf(c.text, sizeof c.text, "ROMEO:");
    CHECK(tui_queue_push(&q, &c) == 0);
    memset(c.text, 'x', 10); // the queue keeps its own copy
    UiCommand s = cmd(UI_CMD_SAVE, 0);
    CHECK(tui_queue_push(&q, &s) == 0);
    UiCommand out;
    CHECK(tui_queue_pop(&q, &out) == 1);
    CHECK_INT_EQ(out.type, UI_CMD_GENERATE);
    CHECK_INT_EQ(out.ival, 50);
    CHECK(!strcmp(out.text, "ROMEO:"));
    CHECK(tui_queue_pop(&q, &out) == 1);
    CHECK_INT_EQ(out.type, UI_CMD_SAVE);
    CHECK(tui_queue_pop(&q, &out) == 0);
    tui_queue_destroy(&q);
}

TEST(app_queue_full_refuses_but_quit_always_gets_through) {
    TuiQueue q;
    CHECK(tui_queue_init(&q) == 0);
    for (int i = 0; i < TUI_QUEUE_CAP; i++) {
        UiCommand c = cmd(UI_CMD_SET_LEN, i);
        CHECK(tui_queue_push(&q, &c) == 0);
    }
    UiCommand extra = cmd(UI_CMD_STEP, 0), quit = cmd(UI_CMD_QUIT, 0);
    CHECK(tui_queue_push(&q, &extra) == -1);
    CHECK(!tui_queue_quit_posted(&q));
    CHECK(tui_queue_push(&q, &quit) == -1); // no room, but the flag is set
    CHECK(tui_queue_quit_posted(&q));
    CHECK_INT_EQ(q.dropped, 2);
    UiCommand out;
    for (int i = 0; i < TUI_QUEUE_CAP; i++) { // the ring wraps correctly and keeps the order
        CHECK(tui_queue_pop(&q, &out) == 1);
        CHECK_INT_EQ(out.ival, i);
    }
    CHECK(tui_queue_wait(&q, &out, -1) == 0); // quit posted and nothing queued: no waiting
    tui_queue_destroy(&q);
}

TEST(app_queue_coalesces_view_layer_at_the_tail) {
    TuiQueue q;
    CHECK(tui_queue_init(&q) == 0);
    UiCommand a = cmd(UI_CMD_VIEW_LAYER, 1), b = cmd(UI_CMD_VIEW_LAYER, 2), p = cmd(UI_CMD_PAUSE, 0),
              c = cmd(UI_CMD_VIEW_LAYER, 3);
    tui_queue_push(&q, &a);
    tui_queue_push(&q, &b);
    tui_queue_push(&q, &p);
    tui_queue_push(&q, &c);
    UiCommand out;
    CHECK(tui_queue_pop(&q, &out) && out.type == UI_CMD_VIEW_LAYER && out.ival == 2);
    CHECK(tui_queue_pop(&q, &out) && out.type == UI_CMD_PAUSE);
    CHECK(tui_queue_pop(&q, &out) && out.type == UI_CMD_VIEW_LAYER && out.ival == 3);
    CHECK(!tui_queue_pop(&q, &out));
    tui_queue_destroy(&q);
}

static void *push_later(void *arg) {
    usleep(50 * 1000);
    UiCommand c = cmd(UI_CMD_RESUME, 7);
    tui_queue_push(arg, &c);
    return NULL;
}

TEST(app_queue_wait_sleeps_until_a_command_or_the_timeout) {
    TuiQueue q;
    CHECK(tui_queue_init(&q) == 0);
    UiCommand out;
    double t0 = now_seconds();
    CHECK(tui_queue_wait(&q, &out, 60) == 0);
    double waited = now_seconds() - t0;
    CHECK_MSG(waited >= 0.05 && waited < 2.0, "timed wait took %.3f s", waited);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, push_later, &q) == 0);
    t0 = now_seconds();
    CHECK(tui_queue_wait(&q, &out, -1) == 1); // the paused trainer's wait: woken by the push
    CHECK_INT_EQ(out.type, UI_CMD_RESUME);
    CHECK_INT_EQ(out.ival, 7);
    CHECK(now_seconds() - t0 < 5.0);
    pthread_join(th, NULL);
    tui_queue_destroy(&q);
}

TEST(app_box_publishes_with_a_sequence_number) {
    TuiBox b;
    CHECK(tui_box_init(&b) == 0);
    UiSnapshot *priv = malloc(sizeof *priv), *ui = malloc(sizeof *ui);
    CHECK(priv && ui);
    ui_snapshot_reset(priv);
    ui_snapshot_reset(ui);
    uint64_t seen = 0;
    CHECK(tui_box_fetch(&b, ui, &seen) == 0); // nothing published yet
    priv->step = 42;
    ui_series_push(&priv->train_loss, 42, 1.5f);
    tui_box_publish(&b, priv);
    CHECK_INT_EQ(priv->seq, 1);
    CHECK(tui_box_fetch(&b, ui, &seen) == 1);
    CHECK_INT_EQ(seen, 1);
    CHECK_INT_EQ(ui->step, 42);
    CHECK_INT_EQ(ui->seq, 1);
    CHECK_INT_EQ(ui_series_len(&ui->train_loss), 1);
    CHECK(tui_box_fetch(&b, ui, &seen) == 0); // unchanged: no copy
    priv->step = 43;
    tui_box_publish(&b, priv);
    CHECK(tui_box_fetch(&b, ui, &seen) == 1);
    CHECK_INT_EQ(ui->step, 43);
    char msg[64];
    CHECK(!tui_box_done(&b, msg, sizeof msg));
    tui_box_finish(&b, "boom");
    CHECK(tui_box_done(&b, msg, sizeof msg));
    CHECK(!strcmp(msg, "boom"));
    free(priv);
    free(ui);
    tui_box_destroy(&b);
}
