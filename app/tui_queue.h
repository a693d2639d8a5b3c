// What the TUI's two threads share: the command queue (UI -> trainer) and the snapshot box
// (trainer -> UI). The UI thread posts UiCommands; the trainer thread drains them between steps and
// sleeps on the queue's condition variable while it has nothing to do (paused, stopped). The trainer
// fills a private UiSnapshot and publishes it into the box under the box's mutex, bumping a sequence
// number; the UI copies it out when the number changed and draws without holding any lock.
#ifndef MEMSCOPE_APP_TUI_QUEUE_H
#define MEMSCOPE_APP_TUI_QUEUE_H

#include <pthread.h>
#include <stdint.h>

#include "ui/command.h"
#include "ui/snapshot.h"

#define TUI_QUEUE_CAP 64

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    UiCommand items[TUI_QUEUE_CAP]; // a ring: items[(head + i) % CAP], i < count
    int head, count;
    int quit;                       // a QUIT was posted (sticky; never dropped, even when the ring is full)
    int quit_save;                  // ... with a save first (QUIT's ival: 1 stay if it fails, 2 leave anyway): sticky too
    uint64_t dropped;               // commands refused because the ring was full
} TuiQueue;

int tui_queue_init(TuiQueue *q);
void tui_queue_destroy(TuiQueue *q);
// Appends a copy of c and wakes the trainer. A VIEW_LAYER replaces a VIEW_LAYER still waiting at the
// tail (holding Tab must not flood the queue). Returns 0, or -1 when the ring is full (QUIT still
// sets the quit flag).
int tui_queue_push(TuiQueue *q, const UiCommand *c);
// Takes the oldest command without waiting: 1 with *out filled, 0 when empty.
int tui_queue_pop(TuiQueue *q, UiCommand *out);
// Waits until a command is queued or quit was posted, then takes it like tui_queue_pop.
// timeout_ms < 0 waits without limit. Returns 1 with *out filled, 0 on timeout or quit with nothing queued.
int tui_queue_wait(TuiQueue *q, UiCommand *out, int timeout_ms);
int tui_queue_quit_posted(TuiQueue *q);
// The posted QUIT's save: 0 none, 1 save and stay when it fails (the quit question), 2 save and leave anyway
// (a signal with --save).
int tui_queue_quit_save_posted(TuiQueue *q);
// Forgets a posted QUIT: the trainer refused it (its save failed) and goes on.
void tui_queue_clear_quit(TuiQueue *q);

typedef struct {
    pthread_mutex_t mu;
    UiSnapshot *snap;   // the shared copy (heap: ~1.3 MB)
    uint64_t seq;       // sequence number of the last publish
    int done;           // the trainer thread has finished
    char fatal[512];    // why it finished early ("" = it did not)
    int quit_refused;   // a save-and-quit could not save: the trainer stays, the UI goes on
} TuiBox;

int tui_box_init(TuiBox *b);
void tui_box_destroy(TuiBox *b);
// Stamps priv->seq with the next sequence number and copies priv into the box.
void tui_box_publish(TuiBox *b, UiSnapshot *priv);
// Copies the box into out when its seq differs from *seen (then updates *seen); returns 1 when copied.
int tui_box_fetch(TuiBox *b, UiSnapshot *out, uint64_t *seen);
void tui_box_finish(TuiBox *b, const char *fatal);
// 1 when the trainer finished; copies the fatal message (may be "") into msg.
int tui_box_done(TuiBox *b, char *msg, size_t n);
void tui_box_refuse_quit(TuiBox *b);
// 1 (once) after tui_box_refuse_quit.
int tui_box_take_quit_refused(TuiBox *b);

#endif
