// The JSONL training log (see train_log.h).
#include "app/train_log.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/parallel.h"
#include "app/sha256.h"
#include "engine/output_file.h"
#include "engine/version.h"

int train_log_open(TrainLog *log, const char *path, char *err, size_t errlen) {
    *log = (TrainLog){.path = path, .start = now_seconds()};
    char why[1024];
    if (!(log->f = output_open_stream(path, why, sizeof why))) {
        snprintf(err, errlen, "--log %s", why);
        return -1;
    }
    setvbuf(log->f, NULL, _IOLBF, 0); // whole lines reach the file even if the process is killed
    return 0;
}

void train_log_close(TrainLog *log) {
    if (log->f) fclose(log->f);
    log->f = NULL;
}

// A float as JSON: a number, or null for NaN and Inf (which JSON cannot hold).
static void json_float(FILE *f, const char *fmt, double v) {
    if (isfinite(v)) fprintf(f, fmt, v);
    else fputs("null", f);
}

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') fprintf(f, "\\%c", *c);
        else if (*c < 0x20) fprintf(f, "\\u%04x", *c);
        else fputc(*c, f);
    }
    fputc('"', f);
}

// A config value as JSON: numbers as numbers, names (compress=conv) as strings.
static void json_config_value(FILE *f, const char *text) {
    char *end;
    strtod(text, &end);
    if (text[0] && !*end) fputs(text, f);
    else json_string(f, text);
}

// A log that cannot be written (disk full) is dropped; the caller says so once.
static int check(TrainLog *log, long step, char *err, size_t errlen) {
    if (!ferror(log->f)) return 0;
    snprintf(err, errlen, "step %ld: cannot write the log %s (%s); training goes on without it", step, log->path,
             errno ? strerror(errno) : "write error");
    train_log_close(log);
    return -1;
}

int train_log_header(TrainLog *log, const Config *cfg, const Corpus *corpus, int threads, long start_step, char *err,
                     size_t errlen) {
    log->n_layers = cfg->n_layers;
    if (!log->f) return 0;
    FILE *f = log->f;
    char sha[65], host[256] = "", when[32];
    sha256_hex(corpus->text, corpus->n, sha);
    if (gethostname(host, sizeof host - 1)) host[0] = 0;
    time_t t = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    errno = 0;
    fputs("{\"type\":\"header\",\"version\":", f);
    json_string(f, memscope_version());
    fputs(",\"config\":{", f);
    for (int i = 0; i < config_key_count; i++) {
        char value[64];
        config_get(cfg, config_key_table[i].name, value, sizeof value);
        fprintf(f, "%s\"%s\":", i ? "," : "", config_key_table[i].name);
        json_config_value(f, value);
    }
    fputs("},\"data\":", f);
    json_string(f, corpus->source);
    fprintf(f, ",\"data_bytes\":%zu,\"data_sha256\":\"%s\",\"vocab_size\":%d,\"threads\":%d,\"ranks\":%d,\"seed\":%llu,"
               "\"start_step\":%ld,\"start_time\":\"%s\",\"host\":",
            corpus->n, sha, corpus->vocab.size, threads, par_ranks(), (unsigned long long)cfg->seed, start_step, when);
    json_string(f, host);
    fputs("}\n", f);
    return check(log, start_step, err, errlen);
}

int train_log_step(TrainLog *log, const StepStats *s, double tokens_per_s, char *err, size_t errlen) {
    if (!log->f) return 0;
    FILE *f = log->f;
    errno = 0;
    fprintf(f, "{\"type\":\"step\",\"step\":%ld,\"time\":%.3f,\"ce\":", s->step, now_seconds() - log->start);
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

int train_log_valid(TrainLog *log, const char *kind, long step, double train_seconds, float ce, char *err,
                    size_t errlen) {
    if (!log->f) return 0;
    FILE *f = log->f;
    errno = 0;
    fprintf(f, "{\"type\":\"valid\",\"kind\":\"%s\",\"step\":%ld,\"time\":%.3f,", kind, step, now_seconds() - log->start);
    if (train_seconds >= 0) fprintf(f, "\"train_seconds\":%.1f,", train_seconds);
    fputs("\"ce\":", f);
    json_float(f, "%.6f", ce);
    fputs(",\"bpc\":", f);
    json_float(f, "%.6f", ce / M_LN2);
    fputs("}\n", f);
    return check(log, step, err, errlen);
}
