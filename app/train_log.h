// The JSONL training log of `memscope train --log` and `memscope tui --log`: one object per step
// (step, ce, bpc, ar[layer], lr, tokens_per_s) and one per validation (step, train_seconds, valid_ce).
// Both commands write through these functions, so the two logs cannot drift apart.
#ifndef MEMSCOPE_APP_TRAIN_LOG_H
#define MEMSCOPE_APP_TRAIN_LOG_H

#include <stdio.h>

#include "engine/trainer.h"

typedef struct {
    FILE *f;          // NULL: no log (never opened, or dropped after a write error)
    const char *path;
    int n_layers;
} TrainLog;

// Opens path for writing, line-buffered. Returns 0, or -1 with err naming the file and the reason.
int train_log_open(TrainLog *log, const char *path, int n_layers, char *err, size_t errlen);
// Each returns 0, or -1 after a write error: the log is then closed and dropped (err says why) and the
// caller reports it once; training goes on without it. With no log open they do nothing.
int train_log_step(TrainLog *log, const StepStats *s, double tokens_per_s, char *err, size_t errlen);
int train_log_valid(TrainLog *log, long step, double train_seconds, float valid_ce, char *err, size_t errlen);
void train_log_close(TrainLog *log);

#endif
