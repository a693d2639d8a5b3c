// Command queue and snapshot box shared by the TUI's UI thread and trainer thread.
#include "app/tui_queue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int tui_queue_init(TuiQueue *q) {
    memset(q, 0, sizeof *q);
    if (pthread_mutex_init(&q->mu, NULL)) return -1;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&q->cv, &attr);
    pthread_condattr_destroy(&attr);
    if (rc) {
        pthread_mutex_destroy(&q->mu);
        return -1;
    }
    return 0;
}

void tui_queue_destroy(TuiQueue *q) {
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
}

int tui_queue_push(TuiQueue *q, const UiCommand *c) {
    int rc = 0;
    pthread_mutex_lock(&q->mu);
    if (c->type == UI_CMD_QUIT) q->quit = 1;
    if (c->type == UI_CMD_QUIT && c->ival) q->quit_save = c->ival;
    UiCommand *tail = q->count ? &q->items[(q->head + q->count - 1) % TUI_QUEUE_CAP] : NULL;
    if (tail && tail->type == UI_CMD_VIEW_LAYER && c->type == UI_CMD_VIEW_LAYER) {
        *tail = *c;
    } else if (q->count < TUI_QUEUE_CAP) {
        q->items[(q->head + q->count) % TUI_QUEUE_CAP] = *c;
        q->count++;
    } else {
        q->dropped++;
        rc = -1;
    }
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

// With the mutex held.
static int take(TuiQueue *q, UiCommand *out) {
    if (!q->count) return 0;
    *out = q->items[q->head];
    q->head = (q->head + 1) % TUI_QUEUE_CAP;
    q->count--;
    return 1;
}

int tui_queue_pop(TuiQueue *q, UiCommand *out) {
    pthread_mutex_lock(&q->mu);
    int got = take(q, out);
    pthread_mutex_unlock(&q->mu);
    return got;
}

int tui_queue_wait(TuiQueue *q, UiCommand *out, int timeout_ms) {
    struct timespec deadline;
    if (timeout_ms >= 0) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&q->mu);
    while (!q->count && !q->quit) {
        if (timeout_ms < 0) pthread_cond_wait(&q->cv, &q->mu);
        else if (pthread_cond_timedwait(&q->cv, &q->mu, &deadline) == ETIMEDOUT) break;
    }
    int got = take(q, out);
    pthread_mutex_unlock(&q->mu);
    return got;
}

int tui_queue_quit_posted(TuiQueue *q) {
    pthread_mutex_lock(&q->mu);
    int quit = q->quit;
    pthread_mutex_unlock(&q->mu);
    return quit;
}

int tui_box_init(TuiBox *b) {
    memset(b, 0, sizeof *b);
    b->snap = malloc(sizeof *b->snap);
    if (!b->snap) return -1;
    ui_snapshot_reset(b->snap);
    if (pthread_mutex_init(&b->mu, NULL)) {
        free(b->snap);
        b->snap = NULL;
        return -1;
    }
    return 0;
}

void tui_box_destroy(TuiBox *b) {
    pthread_mutex_destroy(&b->mu);
    free(b->snap);
    b->snap = NULL;
}

void tui_box_publish(TuiBox *b, UiSnapshot *priv) {
    pthread_mutex_lock(&b->mu);
    priv->seq = ++b->seq;
    memcpy(b->snap, priv, sizeof *priv);
    pthread_mutex_unlock(&b->mu);
}

int tui_box_fetch(TuiBox *b, UiSnapshot *out, uint64_t *seen) {
    int copied = 0;
    pthread_mutex_lock(&b->mu);
    if (b->seq != *seen) {
        memcpy(out, b->snap, sizeof *out);
        *seen = b->seq;
        copied = 1;
    }
    pthread_mutex_unlock(&b->mu);
    return copied;
}

void tui_box_finish(TuiBox *b, const char *fatal) {
    pthread_mutex_lock(&b->mu);
    b->done = 1;
    snprintf(b->fatal, sizeof b->fatal, "%s", fatal ? fatal : "");
    pthread_mutex_unlock(&b->mu);
}

void tui_box_refuse_quit(TuiBox *b) {
    pthread_mutex_lock(&b->mu);
    b->quit_refused = 1;
    pthread_mutex_unlock(&b->mu);
}

int tui_box_take_quit_refused(TuiBox *b) {
    pthread_mutex_lock(&b->mu);
    int r = b->quit_refused;
    b->quit_refused = 0;
    pthread_mutex_unlock(&b->mu);
    return r;
}

int tui_box_done(TuiBox *b, char *msg, size_t n) {
    pthread_mutex_lock(&b->mu);
    int done = b->done;
    if (msg && n) snprintf(msg, n, "%s", b->fatal);
    pthread_mutex_unlock(&b->mu);
    return done;
}

int tui_queue_quit_save_posted(TuiQueue *q) { // 0, 1 (save, stay if it fails) or 2 (save, leave anyway)
    pthread_mutex_lock(&q->mu);
    int r = q->quit_save;
    pthread_mutex_unlock(&q->mu);
    return r;
}

void tui_queue_clear_quit(TuiQueue *q) {
    pthread_mutex_lock(&q->mu);
    q->quit = q->quit_save = 0;
    pthread_mutex_unlock(&q->mu);
}
