#include "app/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "app/cli.h"

void format_duration(char *out, int outlen, double seconds) {
    if (!(seconds >= 0)) seconds = 0;
    long s = (long)(seconds + 0.5);
    if (s >= 3600) snprintf(out, outlen, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else if (s >= 60) snprintf(out, outlen, "%ldm%02lds", s / 60, s % 60);
    else snprintf(out, outlen, "%lds", s);
}

void progress_begin(Progress *p, const char *cmd, const char *what, long total) {
    *p = (Progress){.cmd = cmd, .what = what, .total = total, .start = now_seconds(), .tty = isatty(2)};
}

void progress_update(Progress *p, long done) {
    if (!p->tty) return;
    double now = now_seconds();
    if (p->drawn && now - p->last_draw < 0.2 && done < p->total) return;
    double elapsed = now - p->start, rate = elapsed > 0 ? done / elapsed : 0;
    char eta[16];
    format_duration(eta, sizeof eta, rate > 0 ? (p->total - done) / rate : 0);
    fprintf(stderr, "\rmemscope %s: %ld/%ld %s (%.0f%%)  %.0f %s/s  ETA %s   ", p->cmd, done, p->total, p->what,
            p->total ? 100.0 * done / p->total : 100.0, rate, p->what, eta);
    p->last_draw = now;
    p->drawn = 1;
}

void progress_end(Progress *p) {
    if (p->tty && p->drawn) fprintf(stderr, "\r%100s\r", "");
    p->drawn = 0;
}

static void on_segment(void *ctx, Model *m, Workspace *ws, const Memory *mem, long start, int T) {
    EvalProgress *w = ctx;
    if (w->inner && w->inner->segment) w->inner->segment(w->inner->ctx, m, ws, mem, start, T);
    progress_update(&w->progress, start + T + 1);
}

static void on_compressed(void *ctx, Model *m, Workspace *ws, long start) {
    EvalProgress *w = ctx;
    if (w->inner && w->inner->compressed) w->inner->compressed(w->inner->ctx, m, ws, start);
}

EvalHooks eval_progress_hooks(EvalProgress *w, const EvalHooks *inner, const char *cmd, long n_chars) {
    w->inner = inner;
    progress_begin(&w->progress, cmd, "characters", n_chars);
    return (EvalHooks){.segment = on_segment, .compressed = on_compressed, .ctx = w};
}
