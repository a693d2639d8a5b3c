// The JSONL training log of `memscope train --log` (and the TUI's): a header record that says what ran
// (version, every config key, the data and its sha256, threads, seed, start time, host), then one record
// per step and one per validation. Two logs can be compared line by line and plotted on one figure.
#ifndef MEMSCOPE_TRAIN_LOG_H
#define MEMSCOPE_TRAIN_LOG_H

#include <stdio.h>

#include "engine/config.h"
#include "engine/data.h"
#include "engine/trainer.h"

typedef struct {
    FILE *f;
    const char *path;
    const char *cmd;  // "train", "tui": names the writer in error messages
    double start;     // now_seconds() at open: "time" is seconds since then
} TrainLog;

// Opens (truncates) path; 0, or 1 after one line on stderr.
int train_log_open(TrainLog *lg, const char *path, const char *cmd);
void train_log_header(TrainLog *lg, const Config *cfg, const Corpus *corpus, int threads, long start_step);
void train_log_step(TrainLog *lg, const StepStats *s, int n_layers, double tokens_per_s);
// kind: "periodic" (--valid-every), "final" (after training), "partial" (the TUI's few segments);
// train_seconds < 0 leaves it out.
void train_log_valid(TrainLog *lg, const char *kind, long step, double train_seconds, float ce);
// Closes; a log that could not be written is reported once (training goes on without it).
void train_log_close(TrainLog *lg);

#endif
