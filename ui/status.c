// Status line as a flow of "label value" fields.
#include "ui/status.h"

#include "ui/color.h"
#include "ui/plot.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char label[24];
    char value[80];
} Field;

const char *ui_run_state_name(UiRunState st) {
    switch (st) {
    case UI_RUN_RUNNING: return "RUNNING";
    case UI_RUN_PAUSED: return "PAUSED";
    case UI_RUN_GENERATING: return "GENERATING";
    default: return "STOPPED";
    }
}

static int state_color(UiRunState st) {
    return st == UI_RUN_RUNNING ? UI_COL_OK : st == UI_RUN_PAUSED ? UI_COL_WARN : st == UI_RUN_GENERATING ? UI_COL_GEN : UI_COL_ERR;
}

static void fmt_loss(char *out, size_t n, float v) {
    if (isfinite(v)) snprintf(out, n, "%.3f", v);
    else snprintf(out, n, "-");
}

// 1234567 -> "1,234,567"
static void fmt_thousands(char *out, size_t n, long long v) {
    char raw[32];
    int len = snprintf(raw, sizeof raw, "%lld", v < 0 ? -v : v), o = 0;
    if (v < 0 && o < (int)n - 1) out[o++] = '-';
    for (int i = 0; i < len && o < (int)n - 1; i++) {
        out[o++] = raw[i];
        if ((len - i - 1) % 3 == 0 && i < len - 1 && o < (int)n - 1) out[o++] = ',';
    }
    out[o] = 0;
}

static void add(Field *f, int *n, const char *label, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void add(Field *f, int *n, const char *label, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    snprintf(f[*n].label, sizeof f[*n].label, "%s", label);
    vsnprintf(f[*n].value, sizeof f[*n].value, fmt, ap);
    va_end(ap);
    (*n)++;
}

static int build_fields(const UiSnapshot *s, Field *f) {
    int n = 0;
    char a[40], b[40];
    fmt_thousands(a, sizeof a, (long long)s->step);
    add(f, &n, "step ", "%s", a);
    float prog = s->epoch_progress >= 0 && s->epoch_progress <= 1 ? s->epoch_progress : 0;
    add(f, &n, "epoch ", "%.2f", ui_epochs_done(s->epoch, prog));
    fmt_loss(a, sizeof a, s->train_ce);
    if (isfinite(s->train_bpc)) snprintf(b, sizeof b, "%.2f", s->train_bpc);
    else snprintf(b, sizeof b, "-");
    add(f, &n, "CE ", "%s (%s bpc)", a, b);
    fmt_loss(a, sizeof a, s->valid_ce);
    add(f, &n, "val ", "%s", a);
    if (s->state == UI_RUN_RUNNING) ui_fmt_count(a, sizeof a, s->tokens_per_sec);
    else snprintf(a, sizeof a, "-"); // not training now: the last rate would read as live
    add(f, &n, "tok/s ", "%s", a);
    if (s->n_ranks > 1) add(f, &n, "ranks ", "%d, allreduce %.0f%%", s->n_ranks, 100.0f * s->allreduce_share);
    add(f, &n, "lr ", "%.2e", s->lr);
    if (s->compress_loss[0]) // the loss that trains the function
        add(f, &n, "c=", "%d %.*s, %.*s loss", s->compression_rate, UI_NAME_BYTES - 1, s->compress_fn,
            UI_NAME_BYTES - 1, s->compress_loss);
    else add(f, &n, "c=", "%d %.*s", s->compression_rate, UI_NAME_BYTES - 1, s->compress_fn);
    if (s->compress_sets > 1) add(f, &n, "sets ", "%d %.0f MB", s->compress_sets, s->compress_sets_mb);
    add(f, &n, "mem ", "%d/%d", s->mem_fill, s->mem_len);
    add(f, &n, "cmem ", "%d/%d", s->cmem_fill, s->cmem_len);
    add(f, &n, "data ", "%.*s", UI_NAME_BYTES - 1, s->corpus);
    add(f, &n, "model ", "L%d H%d Q%d", s->n_layers, s->n_heads, s->seq_len);
    if (s->threads > 0) add(f, &n, "threads ", "%d", s->threads);
    return n;
}

double ui_epochs_done(int epoch, float progress) { return (double)(epoch - 1) + (double)progress; }

// " VALIDATING 12/20 ", " SAVING 3 s ", or the run state.
static void badge_text(const UiSnapshot *s, char *out, size_t n, int *color) {
    char what[UI_NAME_BYTES];
    snprintf(what, sizeof what, "%.*s", UI_NAME_BYTES - 1, s->activity);
    if (!what[0]) {
        snprintf(out, n, " %s ", ui_run_state_name(s->state));
        *color = state_color(s->state);
        return;
    }
    for (char *p = what; *p; p++) *p = (char)toupper((unsigned char)*p);
    *color = UI_COL_GEN;
    if (s->activity_total > 0) snprintf(out, n, " %s %d/%d ", what, s->activity_done, s->activity_total);
    else if (s->activity_elapsed >= 0.5) snprintf(out, n, " %s %.0f s ", what, s->activity_elapsed);
    else snprintf(out, n, " %s ", what);
}

void ui_status_draw(Grid *g, UiRect r, const UiSnapshot *s) { ui_status_draw_intent(g, r, s, NULL); }

void ui_status_draw_intent(Grid *g, UiRect r, const UiSnapshot *s, const char *intent) {
    if (r.w < 12 || r.h < 1) return;
    char badge[UI_NAME_BYTES + 40];
    int color;
    badge_text(s, badge, sizeof badge, &color);
    if (intent && !s->activity[0]) {
        snprintf(badge, sizeof badge, " %s ", intent);
        color = UI_COL_WARN;
    }
    int x = r.x, y = r.y, end = r.x + r.w;
    x += grid_put_str(g, x, y, r.w, badge, UI_STYLE(color, -1, UI_A_REVERSE | UI_A_BOLD));
    if (s->activity[0] && s->state != UI_RUN_RUNNING) { // e.g. paused while the validation finishes
        snprintf(badge, sizeof badge, " %s ", ui_run_state_name(s->state));
        x += 1 + grid_put_str(g, x + 1, y, end - x - 1, badge, UI_STYLE(state_color(s->state), -1, UI_A_REVERSE | UI_A_BOLD));
    }
    Field f[16];
    int n = build_fields(s, f);
    for (int i = 0; i < n; i++) {
        int w = 2 + grid_text_width(g, f[i].label) + grid_text_width(g, f[i].value);
        if (x + w > end) {
            if (y + 1 >= r.y + r.h) continue; // try the remaining (maybe shorter) fields on this row
            y++;
            x = r.x - 2;
        }
        x += 2;
        x += grid_put_str(g, x, y, end - x, f[i].label, UI_STYLE(-1, -1, UI_A_DIM));
        x += grid_put_str(g, x, y, end - x, f[i].value, UI_STYLE(-1, -1, UI_A_BOLD));
    }
}
