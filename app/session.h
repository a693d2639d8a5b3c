// The start every training command shares (train, tui): --load's checkpoint, the config, the corpus and the
// run, opened in one order with one set of messages, and closed together.
#ifndef MEMSCOPE_APP_SESSION_H
#define MEMSCOPE_APP_SESSION_H

#include "app/cli.h"
#include "engine/checkpoint.h"
#include "engine/data.h"
#include "engine/run.h"

typedef struct {
    Checkpoint ck;
    int have_ck;
    Corpus corpus;
    Run run;
    int run_open;
} Session;

// A command's own checks of the config before the corpus is read (the TUI's panel limits, its output
// paths): 0, or the exit status after one line on stderr.
typedef int (*SessionCheck)(const Config *cfg, void *ctx);

// --load's checkpoint, the config (preset or checkpoint, then --set and --seed), `check` (may be NULL), the
// corpus encoded with the checkpoint's vocabulary, the config validated once, the run opened on `threads`
// threads within the memory budget and attached to the other ranks. 0, or the exit status (1 runtime, 2
// usage) after one line on stderr; call session_close either way.
int session_open(Session *s, const Options *o, long threads, SessionCheck check, void *ctx, const char *cmd);
void session_close(Session *s);

#endif
