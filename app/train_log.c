// The JSONL training log (see train_log.h).
#include "app/train_log.h"

#include <errno.h>
#include <math.h>
#include <string.h>

int train_log_open(TrainLog *log, const char *path, int n_layers, char *err, size_t errlen) {
    memset(log, 0, sizeof *log);
    if (!(log->f = fopen(path, "w"))) {
        snprintf(err, errlen, "cannot write the log %s: %s", path, strerror(errno));
        return -1;
    }
    setvbuf(log->f, NULL, _IOLBF, 0); // whole lines reach the file even if the process is killed
    log->path = path;
    log->n_layers = n_layers;
    return 0;
}

void train_log_close(TrainLog *log) {
    if (log->f) fclose(log->f);
    log->f = NULL;
}

// A float as JSON: a number, or null for NaN and Inf (which JSON cannot hold).
static void json_float(FILE *f, const char *fmt, float v) {
    if (isfinite(v)) fprintf(f, fmt, v);
    else fputs("null", f);
}

// A log that cannot be written (disk full) is dropped; the caller says so once.
static int check(TrainLog *log, long step, char *err, size_t errlen) {
    if (!ferror(log->f)) return 0;
    snprintf(err, errlen, "step %ld: cannot write the log %s (%s); training goes on without it", step, log->path,
             errno ? strerror(errno) : "write error");
    train_log_close(log);
    return -1;
}

int train_log_step(TrainLog *log, const StepStats *s, double tokens_per_s, char *err, size_t errlen) {
    if (!log->f) return 0;
    FILE *f = log->f;
    errno = 0;
    fprintf(f, "{\"step\":%ld,\"ce\":", s->step);
    json_float(f, "%.6f", s->ce);
    fputs(",\"bpc\":", f);
    json_float(f, "%.6f", s->bpc);
    fputs(",\"ar\":[", f);
    for (int l = 0; l < log->n_layers; l++) {
        if (l) fputc(',', f);
        json_float(f, "%.6g", s->ar[l]);
    }
    fputs("],\"lr\":", f);
    json_float(f, "%.6g", s->lr);
    fprintf(f, ",\"tokens_per_s\":%.1f%s}\n", tokens_per_s, s->skipped ? ",\"skipped\":true" : "");
    return check(log, s->step, err, errlen);
}

int train_log_valid(TrainLog *log, long step, double train_seconds, float valid_ce, char *err, size_t errlen) {
    if (!log->f) return 0;
    errno = 0;
    fprintf(log->f, "{\"step\":%ld,\"train_seconds\":%.1f,\"valid_ce\":", step, train_seconds);
    json_float(log->f, "%.6f", valid_ce);
    fputs("}\n", log->f);
    return check(log, step, err, errlen);
}
