// A progress line on stderr for work that takes more than a moment (evaluation, validation, lab runs):
// "memscope eval: 12000/100000 characters (12%)  3400 characters/s  ETA 0m25s", redrawn in place on a
// terminal at most five times a second. Off a terminal it stays silent: scripts get results, not carriage
// returns.
#ifndef MEMSCOPE_PROGRESS_H
#define MEMSCOPE_PROGRESS_H

#include "engine/eval_stream.h"

typedef struct {
    const char *cmd;  // "eval", "train", "lab compare"
    const char *what; // the unit counted: "characters", "segments"
    long total;
    double start, last_draw;
    int tty, drawn;
} Progress;

void progress_begin(Progress *p, const char *cmd, const char *what, long total);
void progress_update(Progress *p, long done);
// Clears the line (a terminal) so that what follows starts at column 0.
void progress_end(Progress *p);
// Hooks for evaluate_stream_ex that draw the progress line (characters read) and pass every call on to
// `inner` (may be NULL). The caller ends the line with progress_end(&w->progress).
typedef struct {
    const EvalHooks *inner;
    Progress progress;
} EvalProgress;
EvalHooks eval_progress_hooks(EvalProgress *w, const EvalHooks *inner, const char *cmd, long n_chars);

// "1h02m", "4m05s", "12s": durations in progress lines.
void format_duration(char *out, int outlen, double seconds);

#endif
