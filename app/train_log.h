// The JSONL training log of `memscope train --log` and `memscope tui --log`: a header record that says what
// ran (version, every config key, the data and its sha256, threads, seed, start time, host), then one
// record per step and one per validation. Both commands write through these functions, so the two logs
// cannot drift apart, and two logs can be compared line by line and plotted on one figure.
#ifndef MEMSCOPE_APP_TRAIN_LOG_H
#define MEMSCOPE_APP_TRAIN_LOG_H

#include <stdio.h>

#include "engine/config.h"
#include "engine/data.h"
#include "engine/run.h"

typedef struct {
    FILE *f;          // NULL: no log (never opened, or dropped after a write error)
    const char *path;
    int n_layers;
    double start;     // now_seconds() at open: "time" is seconds since then
} TrainLog;

// Opens (truncates) path by the output-file rules, line-buffered. 0, or -1 with err naming the file.
int train_log_open(TrainLog *log, const char *path, char *err, size_t errlen);
// Each writer returns 0, or -1 after a write error: the log is then closed and dropped (err says why) and
// the caller reports it once (a line on stderr, or the TUI's message line); training goes on without it.
// With no log open they do nothing.
int train_log_header(TrainLog *log, const Config *cfg, const Corpus *corpus, int threads, long start_step, char *err,
                     size_t errlen);
int train_log_step(TrainLog *log, const StepStats *s, double tokens_per_s, char *err, size_t errlen);
// kind: "periodic" (--valid-every), "final" (after training), "partial" (the TUI's few segments);
// train_seconds < 0 leaves it out.
int train_log_valid(TrainLog *log, const char *kind, long step, double train_seconds, float ce, char *err,
                    size_t errlen);
void train_log_close(TrainLog *log);

#endif
