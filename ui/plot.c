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
    double x0, x1, y0, y1; // data range
} Canvas;

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

static void draw_series(Canvas *c, const UiSeries *s, short color) {
    int have = 0, px = 0, py = 0;
    for (int i = 0; i < ui_series_len(s); i++) {
        int64_t step;
        float v;
        ui_series_at(s, i, &step, &v);
        if (!isfinite(v)) { have = 0; continue; }
        int x = dot_x(c, (double)step), y = dot_y(c, v);
        if (have) line(c, px, py, x, y, color);
        else set_dot(c, x, y, color);
        px = x, py = y, have = 1;
    }
}

// Range of steps and values over both series; returns 0 when there is nothing finite.
static int data_range(const UiSeries *a, const UiSeries *b, double *x0, double *x1, double *y0, double *y1) {
    const UiSeries *s[2] = {a, b};
    int any = 0;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < ui_series_len(s[k]); i++) {
            int64_t step;
            float v;
            ui_series_at(s[k], i, &step, &v);
            if (!isfinite(v)) continue;
            if (!any || step < *x0) *x0 = (double)step;
            if (!any || step > *x1) *x1 = (double)step;
            if (!any || v < *y0) *y0 = v;
            if (!any || v > *y1) *y1 = v;
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
        char buf[16];
        ui_fmt_count(buf, sizeof buf, v);
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
    const int label_w = 6;
    Canvas c = {.cw = r.w - label_w - 1, .ch = r.h - 1};
    if (c.cw < 4 || c.ch < 1) return;
    if (!data_range(train, valid, &c.x0, &c.x1, &c.y0, &c.y1)) {
        grid_put_str(g, r.x + (r.w - 14) / 2, r.y + r.h / 2, r.w, "no losses yet", UI_STYLE(-1, -1, UI_A_DIM));
        return;
    }
    if (c.x1 <= c.x0) c.x1 = c.x0 + 1;
    double ystep = nice_step(c.y1 - c.y0 > 1e-6 ? c.y1 - c.y0 : 1.0, c.ch > 3 ? (c.ch + 1) / 2 : 2);
    c.y0 = floor(c.y0 / ystep) * ystep;
    c.y1 = ceil(c.y1 / ystep) * ystep;
    if (c.y1 <= c.y0) c.y1 = c.y0 + ystep;
    c.bits = calloc((size_t)(c.cw * c.ch), 1);
    c.color = calloc((size_t)(c.cw * c.ch), sizeof *c.color);
    if (!c.bits || !c.color) { free(c.bits); free(c.color); return; }
    draw_series(&c, train, UI_COL_TRAIN);
    draw_series(&c, valid, UI_COL_VALID);
    draw_y_axis(g, r, &c, ystep, label_w);
    draw_x_axis(g, r, &c, label_w);
    blit_canvas(g, r.x + label_w + 1, r.y, &c);
    free(c.bits);
    free(c.color);
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
