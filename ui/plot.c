// Braille plot: values are drawn as line segments into a dot buffer (2x4 dots per cell),
// then each cell becomes U+2800 | dot bits, coloured by the last series that touched it.
#include "ui/plot.h"

#include "ui/color.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int cw, ch;            // cells
    unsigned char *bits;   // per cell
    short *color;          // per cell
    double x0, x1, y0, y1; // data range (y in plotted units: the log of the loss on a log axis)
    int log;
    double from_step;      // points before it are left out (zoom)
} Canvas;

#define EMA_WEIGHT 0.9
#define COL_RAW 242        // the raw training curve under its EMA

// A loss in plotted units; NAN when it cannot be plotted.
static double plotted(const Canvas *c, double v) {
    if (!isfinite(v)) return NAN;
    if (!c->log) return v;
    return v > 0 ? log(v) : NAN;
}

void ui_fmt_count(char *out, int n, double v) {
    double a = fabs(v);
    if (a < 1000) snprintf(out, (size_t)n, "%.0f", v);
    else if (a < 1e6) snprintf(out, (size_t)n, a < 1e5 && fmod(a, 1000) >= 50 ? "%.1fk" : "%.0fk", v / 1e3);
    else snprintf(out, (size_t)n, a < 1e7 ? "%.1fM" : "%.0fM", v / 1e6);
}

static void set_dot(Canvas *c, int dx, int dy, short color) {
    static const unsigned char bit[2][4] = {{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}};
    if (dx < 0 || dy < 0 || dx >= c->cw * 2 || dy >= c->ch * 4) return;
    int i = (dy / 4) * c->cw + dx / 2;
    c->bits[i] |= bit[dx % 2][dy % 4];
    c->color[i] = color;
}

static void line(Canvas *c, int xa, int ya, int xb, int yb, short color) {
    int dx = abs(xb - xa), dy = -abs(yb - ya);
    int sx = xa < xb ? 1 : -1, sy = ya < yb ? 1 : -1, err = dx + dy;
    for (;;) {
        set_dot(c, xa, ya, color);
        if (xa == xb && ya == yb) return;
        int e2 = 2 * err;
        if (e2 >= dy) { err += dy; xa += sx; }
        if (e2 <= dx) { err += dx; ya += sy; }
    }
}

static int dot_x(const Canvas *c, double step) {
    return (int)lround((step - c->x0) / (c->x1 - c->x0) * (c->cw * 2 - 1));
}

static int dot_y(const Canvas *c, double v) {
    return (int)lround((c->y1 - v) / (c->y1 - c->y0) * (c->ch * 4 - 1));
}

// The points of a series the canvas shows, in plotted units; `smooth` replaces them by their EMA.
// Returns how many (xs/ys hold room for ui_series_len(s)).
static int points(const Canvas *c, const UiSeries *s, int smooth, double *xs, double *ys) {
    int n = 0, seen = 0;
    double ema = 0;
    for (int i = 0; i < ui_series_len(s); i++) {
        int64_t step;
        float v;
        ui_series_at(s, i, &step, &v);
        if (!isfinite(v)) continue;
        double shown = v;
        if (smooth) { // debiased: the first points are not pulled towards 0
            ema = EMA_WEIGHT * ema + (1 - EMA_WEIGHT) * v;
            seen++;
            shown = ema / (1 - pow(EMA_WEIGHT, seen));
        }
        double y = plotted(c, shown);
        if ((double)step < c->from_step || !isfinite(y)) continue;
        xs[n] = (double)step;
        ys[n++] = y;
    }
    return n;
}

static void draw_series(Canvas *c, const UiSeries *s, int smooth, short color) {
    int len = ui_series_len(s);
    double *xs = malloc(sizeof(double) * (size_t)(len + 1)), *ys = malloc(sizeof(double) * (size_t)(len + 1));
    if (!xs || !ys) {
        free(xs);
        free(ys);
        return;
    }
    int n = points(c, s, smooth, xs, ys), px = 0, py = 0;
    for (int i = 0; i < n; i++) {
        int x = dot_x(c, xs[i]), y = dot_y(c, ys[i]);
        if (i) line(c, px, py, x, y, color);
        else set_dot(c, x, y, color);
        px = x, py = y;
    }
    free(xs);
    free(ys);
}

// Range of steps and plotted values over both series; returns 0 when there is nothing to plot.
static int data_range(Canvas *c, const UiSeries *a, const UiSeries *b, long zoom) {
    const UiSeries *s[2] = {a, b};
    int any = 0;
    double last = 0;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < ui_series_len(s[k]); i++) {
            int64_t step;
            float v;
            ui_series_at(s[k], i, &step, &v);
            if (isfinite(plotted(c, v)) && (!any || step > last)) last = (double)step, any = 1;
        }
    if (!any) return 0;
    c->from_step = zoom > 0 ? last - (double)zoom : -1e300;
    any = 0;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < ui_series_len(s[k]); i++) {
            int64_t step;
            float v;
            ui_series_at(s[k], i, &step, &v);
            double y = plotted(c, v);
            if (!isfinite(y) || (double)step < c->from_step) continue;
            if (!any || step < c->x0) c->x0 = (double)step;
            if (!any || step > c->x1) c->x1 = (double)step;
            if (!any || y < c->y0) c->y0 = y;
            if (!any || y > c->y1) c->y1 = y;
            any = 1;
        }
    return any;
}

// A 1/2/2.5/5 x 10^k step giving about `want` intervals over span.
static double nice_step(double span, int want) {
    double raw = span / (want > 0 ? want : 1);
    double p = pow(10, floor(log10(raw)));
    const double m[] = {1, 2, 2.5, 5, 10};
    for (int i = 0; i < 5; i++)
        if (m[i] * p >= raw) return m[i] * p;
    return 10 * p;
}

static int decimals_for(double step) {
    const double eps = 1e-9; // steps come from pow(10, k) * m and may land a hair below
    return step >= 1 - eps ? 0 : step >= 0.1 - eps ? 1 : step >= 0.01 - eps ? 2 : 3;
}

// y labels on the left (label_w columns) and the axis line at column r.x + label_w.
static void draw_y_axis(Grid *g, UiRect r, const Canvas *c, double ystep, int label_w) {
    UiStyle axis = UI_STYLE(UI_COL_RULE, -1, 0), lab = UI_STYLE(-1, -1, UI_A_DIM);
    for (int row = 0; row < c->ch; row++) grid_put(g, r.x + label_w, r.y + row, 0x2502, axis);
    int dec = decimals_for(ystep), last_row = -2;
    int ticks = 0; // bounded: v - ystep can round back to v
    for (double v = c->y1; v >= c->y0 - ystep * 0.5 && ticks++ < 4 * c->ch + 2; v -= ystep) {
        int row = dot_y(c, v) / 4;
        if (row == last_row || row < 0 || row >= c->ch) continue;
        char buf[32];
        snprintf(buf, sizeof buf, "%*.*f", label_w - 1, dec, v);
        grid_put_str(g, r.x, r.y + row, label_w - 1, buf, lab);
        grid_put(g, r.x + label_w, r.y + row, 0x2524, axis);
        last_row = row;
    }
}

// A log axis: labels at 1, 1.5, 2, 3, 4, 5, 7 times powers of ten, where they fit one to a row.
static void draw_y_axis_log(Grid *g, UiRect r, const Canvas *c, int label_w) {
    static const double mant[] = {1, 1.5, 2, 3, 4, 5, 7};
    UiStyle axis = UI_STYLE(UI_COL_RULE, -1, 0), lab = UI_STYLE(-1, -1, UI_A_DIM);
    for (int row = 0; row < c->ch; row++) grid_put(g, r.x + label_w, r.y + row, 0x2502, axis);
    int used[256] = {0};
    for (int e = (int)floor(c->y0 / log(10)) - 1; e <= (int)ceil(c->y1 / log(10)); e++)
        for (int m = 0; m < 7; m++) {
            double v = mant[m] * pow(10, e), y = log(v);
            if (y < c->y0 - 1e-9 || y > c->y1 + 1e-9) continue;
            int row = dot_y(c, y) / 4;
            if (row < 0 || row >= c->ch || row >= 256 || used[row] || (row > 0 && used[row - 1]) ||
                (row + 1 < 256 && used[row + 1]))
                continue;
            char buf[32];
            snprintf(buf, sizeof buf, "%*.*f", label_w - 1, v < 1 ? 2 : v < 10 ? 1 : 0, v);
            grid_put_str(g, r.x, r.y + row, label_w - 1, buf, lab);
            grid_put(g, r.x + label_w, r.y + row, 0x2524, axis);
            used[row] = 1;
        }
}

// Step labels on the bottom row, left-aligned at their tick, never overlapping.
static void draw_x_axis(Grid *g, UiRect r, const Canvas *c, int label_w) {
    UiStyle lab = UI_STYLE(-1, -1, UI_A_DIM);
    int y = r.y + r.h - 1, px = r.x + label_w + 1, free_from = px;
    grid_put_str(g, r.x, y, label_w, "step", lab);
    double xstep = nice_step(c->x1 - c->x0, c->cw / 8);
    if (xstep < 1) xstep = 1;
    // The tick count is bounded too: at huge steps v + xstep can round back to v.
    int ticks = 0;
    for (double v = ceil(c->x0 / xstep) * xstep; v <= c->x1 && ticks++ < c->cw + 2; v += xstep) {
        int col = px + dot_x(c, v) / 2;
        char buf[16], next[16];
        ui_fmt_count(buf, sizeof buf, v);
        ui_fmt_count(next, sizeof next, v + xstep);
        if (!strcmp(buf, next)) snprintf(buf, sizeof buf, "%.0f", v); // zoomed in: "12.3k" twice says nothing
        int len = (int)strlen(buf);
        if (col < free_from || col + len > r.x + r.w) continue;
        grid_put_str(g, col, y, len, buf, lab);
        free_from = col + len + 1;
    }
}

static void blit_canvas(Grid *g, int x, int y, const Canvas *c) {
    for (int row = 0; row < c->ch; row++)
        for (int col = 0; col < c->cw; col++) {
            int i = row * c->cw + col;
            if (c->bits[i]) grid_put(g, x + col, y + row, 0x2800u | c->bits[i], UI_STYLE(c->color[i], -1, 0));
        }
}

void ui_plot_draw(Grid *g, UiRect r, const UiSeries *train, const UiSeries *valid) {
    UiPlotView plain = {0, 0, 0};
    ui_plot_draw_view(g, r, train, valid, &plain);
}

void ui_plot_draw_view(Grid *g, UiRect r, const UiSeries *train, const UiSeries *valid, const UiPlotView *v) {
    const int label_w = 6;
    Canvas c = {.cw = r.w - label_w - 1, .ch = r.h - 1, .log = v->log};
    if (c.cw < 4 || c.ch < 1) return;
    if (!data_range(&c, train, valid, v->zoom)) {
        grid_put_str(g, r.x + (r.w - 14) / 2, r.y + r.h / 2, r.w, "no losses yet", UI_STYLE(-1, -1, UI_A_DIM));
        return;
    }
    if (c.x1 <= c.x0) c.x1 = c.x0 + 1;
    double ystep = 0;
    if (c.log) { // a little room above and below; labels come from draw_y_axis_log
        double pad = c.y1 - c.y0 > 1e-6 ? (c.y1 - c.y0) * 0.05 : 0.05;
        c.y0 -= pad;
        c.y1 += pad;
    } else {
        ystep = nice_step(c.y1 - c.y0 > 1e-6 ? c.y1 - c.y0 : 1.0, c.ch > 3 ? (c.ch + 1) / 2 : 2);
        c.y0 = floor(c.y0 / ystep) * ystep;
        c.y1 = ceil(c.y1 / ystep) * ystep;
        if (c.y1 <= c.y0) c.y1 = c.y0 + ystep;
    }
    c.bits = calloc((size_t)(c.cw * c.ch), 1);
    c.color = calloc((size_t)(c.cw * c.ch), sizeof *c.color);
    if (!c.bits || !c.color) { free(c.bits); free(c.color); return; }
    if (v->smooth) draw_series(&c, train, 0, COL_RAW);
    draw_series(&c, train, v->smooth, UI_COL_TRAIN);
    draw_series(&c, valid, 0, UI_COL_VALID);
    if (c.log) draw_y_axis_log(g, r, &c, label_w);
    else draw_y_axis(g, r, &c, ystep, label_w);
    draw_x_axis(g, r, &c, label_w);
    blit_canvas(g, r.x + label_w + 1, r.y, &c);
    free(c.bits);
    free(c.color);
}

void ui_plot_view_label(char *out, int n, const UiPlotView *v) {
    int used = 0;
    out[0] = 0;
    if (v->smooth) used += snprintf(out + used, (size_t)(n - used), "EMA");
    if (v->log && used < n) used += snprintf(out + used, (size_t)(n - used), "%slog", used ? " \xc2\xb7 " : "");
    if (v->zoom && used < n) snprintf(out + used, (size_t)(n - used), "%slast %ld", used ? " \xc2\xb7 " : "", v->zoom);
}

void ui_plot_legend(Grid *g, int x, int y, int w, float train, float valid) {
    char a[32], b[32];
    snprintf(a, sizeof a, " train %.3f ", train);
    if (isfinite(valid)) snprintf(b, sizeof b, " valid %.3f ", valid);
    else snprintf(b, sizeof b, " valid - ");
    if (!isfinite(train)) snprintf(a, sizeof a, " train - ");
    int need = 2 + grid_text_width(g, a) + 2 + grid_text_width(g, b);
    if (need > w) return;
    int cx = x + w - need;
    cx += grid_put(g, cx, y, 0x2501, UI_STYLE(UI_COL_TRAIN, -1, UI_A_BOLD));
    cx += grid_put(g, cx, y, 0x2501, UI_STYLE(UI_COL_TRAIN, -1, UI_A_BOLD));
    cx += grid_put_str(g, cx, y, w, a, UI_PLAIN);
    cx += grid_put(g, cx, y, 0x2501, UI_STYLE(UI_COL_VALID, -1, UI_A_BOLD));
    cx += grid_put(g, cx, y, 0x2501, UI_STYLE(UI_COL_VALID, -1, UI_A_BOLD));
    grid_put_str(g, cx, y, w, b, UI_PLAIN);
}
