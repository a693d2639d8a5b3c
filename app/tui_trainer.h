// The TUI's trainer thread: the only thread that touches the model. It trains step after step, drains
// the UI's commands between steps (pause, resume, one step, compression rate, function and loss, validate,
// save, generate, generation settings, the viewed layer, quit), sleeps on the queue while paused or stopped, fills a
// private UiSnapshot and publishes it to the UI about 30 times a second (at once after a command).
//
// Snapshot timing: every step updates the cheap parts (counters, loss series, the AR accumulators) and
// remembers where the memory slots came from before the step's memory update. The expensive parts (the
// attention shares of every layer, the viewed layer's matrices and slot texts, the 1.3 MB copy into the
// shared box) happen only when a publish is due: `publish_interval` after the last one, after a command,
// and on the step before a periodic validation (validation runs through the same workspace and would
// overwrite the attention, so the training attention is collected and stashed first). Filling also samples
// the Figure-2 buckets of every layer from the step's attention (once per step); on a recall corpus a due
// recall measurement runs then too (app/tui_recall.h).
#ifndef MEMSCOPE_APP_TUI_TRAINER_H
#define MEMSCOPE_APP_TUI_TRAINER_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include "app/train_log.h"
#include "app/tui_queue.h"
#include "engine/ar_loss.h"
#include "engine/data.h"
#include "engine/model.h"
#include "engine/run.h"

typedef struct TuiPriv TuiPriv;

typedef struct TuiTrainer {
    // Set before tui_trainer_start (owned by the caller, which must keep them alive until the join).
    Run *run;
    // The run's model and corpus, set by tui_trainer_start.
    Model *model;
    const Corpus *corpus;
    const char *save_path;     // where SAVE without a path writes
    const char *load_path;     // the checkpoint the run loaded (NULL: none): saving over it needs no question
    const char *corpus_name;   // for the status line
    long max_steps;            // stop training after this many steps of this session (0 = no limit)
    int validate_every;        // steps between periodic validations (0 = never)
    int validate_segments;     // validation segments each time
    double publish_interval;   // seconds between publishes while training
    int threads;               // training threads, for the status line
    TrainLog *log;             // --log: the JSONL of `train` (NULL: none)
    long save_every;           // --save-every N: save to save_path every N steps of this session (0 = never)
    double valid_every;        // --valid-every S: the whole validation split every S s of training (0 = never)
    long epochs;               // --epochs N: stop when N epochs (counted from the start of training) are done
    double minutes;            // --minutes M: stop after M minutes of training in this session
    TuiQueue *queue;
    TuiBox *box;

    // Results, valid after tui_trainer_join.
    long steps_run;            // training steps taken while running (not counting `n` steps)
    double run_seconds;        // wall time spent running (steps, snapshots, periodic validation)
    int save_count;            // SAVE commands handled
    int last_save_failed;
    char last_save_msg[1200];  // "saved to PATH (step N)" or the error
    dev_t written_dev;         // the file this run saved last (a save over it needs no question)
    ino_t written_ino;

    pthread_t thread;
    int started;
    TuiPriv *priv;
} TuiTrainer;

// Allocates the private state and starts the thread (with SIGWINCH, SIGINT, SIGTERM, SIGHUP blocked in
// it, so the UI thread gets them). Returns 0, or -1 with a reason in err.
int tui_trainer_start(TuiTrainer *tt, char *err, size_t errlen);
// Waits for the thread (post QUIT first) and frees the private state.
void tui_trainer_join(TuiTrainer *tt);

#endif
