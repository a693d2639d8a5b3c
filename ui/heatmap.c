// Heatmap widget: geometry (column grouping/aggregation, row scaling), cells, labels, legend.
#include "ui/heatmap.h"

#include "ui/color.h"
#include "ui/plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_SCALE_X 3 // at most this many columns per key
#define MAX_SCALE_Y 4 // at most this many sub-rows per query

float ui_attn_value(const UiAttention *a, int head, int q, int k) {
    if (head >= 0 && head < a->n_heads) return a->head[head][q][k];
    return a->mean[q][k];
}

int ui_attn_masked(const UiAttention *a, int q, int k) {
    return k >= a->n_cmem + a->n_mem && k > ui_attn_keys(a) - a->n_queries + q;
}

static UiHeatMode heat_mode(int caps) {
    if ((caps & UI_CAP_256) && (caps & UI_CAP_UTF8)) return UI_HEAT_HALF;
    if (caps & UI_CAP_256) return UI_HEAT_BG;
    return UI_HEAT_SHADE;
}

int ui_heat_rows_wanted(const UiAttention *a, int caps) {
    if (!ui_attn_valid(a)) return 1000; // nothing to show: no slot lines either
    int sub = heat_mode(caps) == UI_HEAT_HALF ? 2 : 1;
    return (a->n_queries + sub - 1) / sub + 3;
}

// Columns per group: everything when it fits (scaled up to MAX_SCALE_X), else the small groups keep
// full resolution and the large ones share what is left (water filling).
static void group_columns(const UiAttention *a, int avail, int cols[UI_GROUP_COUNT]) {
    int n[UI_GROUP_COUNT] = {a->n_cmem, a->n_mem, a->n_cur}, total = n[0] + n[1] + n[2];
    if (total <= avail) {
        int s = total ? avail / total : 1;
        s = s < 1 ? 1 : s > MAX_SCALE_X ? MAX_SCALE_X : s;
        for (int gi = 0; gi < UI_GROUP_COUNT; gi++) cols[gi] = n[gi] * s;
        return;
    }
    int done[UI_GROUP_COUNT] = {0}, left = avail;
    for (int round = 0; round < UI_GROUP_COUNT; round++) {
        int best = -1, open = 0;  // the smallest open group takes min(its size, a fair share)
        for (int gi = 0; gi < UI_GROUP_COUNT; gi++)
            if (!done[gi] && n[gi] > 0) {
                open++;
                if (best < 0 || n[gi] < n[best]) best = gi;
            }
        if (best < 0) break;
        int fair = left / open;
        cols[best] = n[best] < fair ? n[best] : fair > 0 ? fair : 1;
        left -= cols[best];
        done[best] = 1;
    }
    for (int gi = 0; gi < UI_GROUP_COUNT; gi++)
        if (n[gi] == 0) cols[gi] = 0;
}

static void geometry_columns(const UiAttention *a, int w, UiHeatGeom *geo) {
    int present = (a->n_cmem > 0) + (a->n_mem > 0) + (a->n_cur > 0);
    int cols[UI_GROUP_COUNT];
    group_columns(a, w - (present > 1 ? present - 1 : 0), cols);
    geo->ncols = 0;
    geo->keys_per_col = 1;
    for (int gi = 0; gi < UI_GROUP_COUNT; gi++) {
        int n = ui_attn_group_count(a, (UiGroup)gi), start = ui_attn_group_start(a, (UiGroup)gi);
        if (n == 0) continue;
        if (geo->ncols > 0 && geo->ncols < UI_HEAT_MAX_COLS) {
            geo->col_k0[geo->ncols] = geo->col_k1[geo->ncols] = -1;
            geo->ncols++;
        }
        for (int c = 0; c < cols[gi] && geo->ncols < UI_HEAT_MAX_COLS; c++) {
            int k0 = start + c * n / cols[gi], k1 = start + (c + 1) * n / cols[gi];
            if (k1 <= k0) k1 = k0 + 1;
            if (k1 - k0 > geo->keys_per_col) geo->keys_per_col = k1 - k0;
            geo->col_k0[geo->ncols] = k0;
            geo->col_k1[geo->ncols] = k1;
            geo->ncols++;
        }
    }
    if (geo->ncols > w) geo->ncols = w > 0 ? w : 0;
}

static void geometry_rows(const UiAttention *a, int heat_rows, UiHeatGeom *geo) {
    int nq = a->n_queries, avail = heat_rows * geo->sub;
    if (avail > UI_HEAT_MAX_SUB) avail = UI_HEAT_MAX_SUB;
    geo->nsub = 0;
    if (nq <= 0 || avail <= 0) return;
    if (nq <= avail) {
        int s = avail / nq;
        s = s > MAX_SCALE_Y ? MAX_SCALE_Y : s;
        for (int r = 0; r < nq * s; r++) {
            geo->sub_q0[r] = r / s;
            geo->sub_q1[r] = r / s + 1;
        }
        geo->nsub = nq * s;
    } else {
        for (int r = 0; r < avail; r++) {
            geo->sub_q0[r] = r * nq / avail;
            geo->sub_q1[r] = (r + 1) * nq / avail;
        }
        geo->nsub = avail;
    }
    geo->text_rows = (geo->nsub + geo->sub - 1) / geo->sub;
}

void ui_heat_geometry(const UiAttention *a, int caps, int w, int heat_rows, UiHeatGeom *geo) {
    geo->mode = heat_mode(caps);
    geo->sub = geo->mode == UI_HEAT_HALF ? 2 : 1;
    geo->text_rows = 0;
    geometry_columns(a, w, geo);
    geometry_rows(a, heat_rows, geo);
}

// Mean over the unmasked entries of a block; -1 when every entry is masked.
static float block_value(const UiAttention *a, int head, int q0, int q1, int k0, int k1) {
    double sum = 0;
    int n = 0;
    for (int q = q0; q < q1; q++)
        for (int k = k0; k < k1; k++) {
            if (ui_attn_masked(a, q, k)) continue;
            sum += ui_attn_value(a, head, q, k);
            n++;
        }
    return n ? (float)(sum / n) : -1.0f;
}

typedef struct {
    const UiAttention *a;
    const UiHeatGeom *geo;
    int head;
    float vmax;
    int cur_q, cur_k, show_cursor;
} HeatCtx;

static int is_cursor(const HeatCtx *h, int sub, int col) {
    const UiHeatGeom *geo = h->geo;
    return h->show_cursor && geo->col_k0[col] >= 0 && h->cur_q >= geo->sub_q0[sub] &&
           h->cur_q < geo->sub_q1[sub] && h->cur_k >= geo->col_k0[col] && h->cur_k < geo->col_k1[col];
}

// Palette colour of one sub-cell (256-colour modes).
static int sub_color(const HeatCtx *h, int sub, int col) {
    if (sub >= h->geo->nsub) return -1;
    if (is_cursor(h, sub, col)) return UI_COL_CURSOR;
    const UiHeatGeom *geo = h->geo;
    float v = block_value(h->a, h->head, geo->sub_q0[sub], geo->sub_q1[sub], geo->col_k0[col], geo->col_k1[col]);
    if (v < 0) return UI_COL_MASKED;
    return ui_ramp_color(ui_ramp_level(h->vmax > 0 ? sqrtf(v / h->vmax) : 0, UI_RAMP_LEVELS));
}

static void shade_cell(Grid *g, int x, int y, const HeatCtx *h, int sub, int col) {
    static const uint32_t utf8_glyphs[] = {' ', 0x2591, 0x2592, 0x2593, 0x2588};
    static const char ascii_glyphs[] = " .:-=+*#%@";
    int utf8 = g->caps & UI_CAP_UTF8, levels = utf8 ? 5 : 10;
    const UiHeatGeom *geo = h->geo;
    float v = block_value(h->a, h->head, geo->sub_q0[sub], geo->sub_q1[sub], geo->col_k0[col], geo->col_k1[col]);
    int fg = (g->caps & UI_CAP_COLOR) ? 3 : -1, attr = is_cursor(h, sub, col) ? UI_A_REVERSE : 0;
    if (v < 0) {
        grid_put(g, x, y, ' ', UI_STYLE(-1, -1, attr));
        return;
    }
    int l = ui_ramp_level(h->vmax > 0 ? sqrtf(v / h->vmax) : 0, levels);
    if (l == 0 && v > 0) l = 1;  // anything attended is visible
    grid_put(g, x, y, utf8 ? utf8_glyphs[l] : (uint32_t)ascii_glyphs[l], UI_STYLE(fg, -1, attr));
}

static void draw_cells(Grid *g, int x0, int y0, const HeatCtx *h) {
    const UiHeatGeom *geo = h->geo;
    UiStyle sep = UI_STYLE(UI_COL_RULE, -1, 0);
    for (int row = 0; row < geo->text_rows; row++)
        for (int col = 0; col < geo->ncols; col++) {
            int x = x0 + col, y = y0 + row, s0 = row * geo->sub;
            if (geo->col_k0[col] < 0) grid_put(g, x, y, 0x2502, sep);
            else if (geo->mode == UI_HEAT_HALF) {
                int bg = s0 + 1 < geo->nsub ? sub_color(h, s0 + 1, col) : -1;
                grid_put(g, x, y, 0x2580, UI_STYLE(sub_color(h, s0, col), bg, 0));
            } else if (geo->mode == UI_HEAT_BG)
                grid_put(g, x, y, ' ', UI_STYLE(-1, sub_color(h, s0, col), 0));
            else shade_cell(g, x, y, h, s0, col);
        }
}

static float max_value(const HeatCtx *h) {
    float m = 0;
    const UiHeatGeom *geo = h->geo;
    for (int s = 0; s < geo->nsub; s++)
        for (int c = 0; c < geo->ncols; c++) {
            if (geo->col_k0[c] < 0) continue;
            float v = block_value(h->a, h->head, geo->sub_q0[s], geo->sub_q1[s], geo->col_k0[c], geo->col_k1[c]);
            if (v > m) m = v;
        }
    return m;
}

static const char *group_label(UiGroup gi, int variant) {
    static const char *const names[4][UI_GROUP_COUNT] = {
        {"compressed", "memory", "current"}, {"comp", "mem", "cur"}, {"c", "m", "q"}, {"", "", ""}};
    return names[variant][gi];
}

// Group names centred over their columns, with the separators.
static void draw_group_labels(Grid *g, int x0, int y, const UiAttention *a, const UiHeatGeom *geo) {
    for (int c = 0; c < geo->ncols;) {
        if (geo->col_k0[c] < 0) {
            grid_put(g, x0 + c, y, 0x2502, UI_STYLE(UI_COL_RULE, -1, 0));
            c++;
            continue;
        }
        int end = c;
        while (end < geo->ncols && geo->col_k0[end] >= 0) end++;
        UiGroup gi = ui_attn_group(a, geo->col_k0[c]);
        int span = end - c, n = ui_attn_group_count(a, gi);
        char buf[48] = "";
        for (int variant = 0; variant < 4; variant++) {
            snprintf(buf, sizeof buf, "%s %d", group_label(gi, variant), n);
            if ((int)strlen(buf) <= span) break;
            snprintf(buf, sizeof buf, "%s", group_label(gi, variant));
            if ((int)strlen(buf) <= span) break;
        }
        int len = (int)strlen(buf);
        grid_put_str(g, x0 + c + (span - len) / 2, y, span, buf, UI_STYLE(ui_group_color(gi), -1, UI_A_BOLD));
        c = end;
    }
}

// Ages (characters back from the last query) under the columns, left-aligned, never touching.
static void draw_ages(Grid *g, int x0, int y, int w, const UiAttention *a, const UiHeatGeom *geo) {
    int free_from = x0;
    for (int c = 0; c < geo->ncols; c++) {
        if (geo->col_k0[c] < 0) {
            grid_put(g, x0 + c, y, 0x2502, UI_STYLE(UI_COL_RULE, -1, 0));
            continue;
        }
        int group_start = c == 0 || geo->col_k0[c - 1] < 0, end = c;
        while (end < geo->ncols && geo->col_k0[end] >= 0) end++;
        if (x0 + c < free_from + (group_start ? 0 : 3)) continue;
        char buf[16];
        ui_fmt_count(buf, sizeof buf, (double)ui_slot_age(a, geo->col_k0[c], 0));
        int len = (int)strlen(buf);
        if (c + len > end || c + len > w) continue; // a label stays inside its group
        grid_put_str(g, x0 + c, y, len, buf, UI_STYLE(-1, -1, UI_A_DIM));
        free_from = x0 + c + len + 1;
    }
}

static void draw_ramp(Grid *g, int x, int y, int n, const UiHeatGeom *geo) {
    if (geo->mode == UI_HEAT_SHADE) {
        const char *ramp = (g->caps & UI_CAP_UTF8) ? "\xe2\x96\x91\xe2\x96\x92\xe2\x96\x93\xe2\x96\x88" : ".:-=+*#%@";
        grid_put_str(g, x, y, n, ramp, UI_STYLE((g->caps & UI_CAP_COLOR) ? 3 : -1, -1, 0));
        return;
    }
    for (int i = 0; i < n; i++) {
        int col = ui_ramp_color(i * (UI_RAMP_LEVELS - 1) / (n - 1));
        grid_put(g, x + i, y, geo->mode == UI_HEAT_HALF ? 0x2588 : ' ', UI_STYLE(col, col, 0));
    }
}

// "0 <ramp> 0.127 sqrt scale · ≤4 keys/col · ↑ ages in characters", as much as fits.
static void draw_legend(Grid *g, int x, int y, int w, const HeatCtx *h) {
    UiStyle dim = UI_STYLE(-1, -1, UI_A_DIM);
    const UiHeatGeom *geo = h->geo;
    int n = geo->mode == UI_HEAT_SHADE ? ((g->caps & UI_CAP_UTF8) ? 4 : 9) : w >= 60 ? 16 : 10;
    char buf[64];
    int cx = x + grid_put_str(g, x, y, w, "0 ", dim);
    draw_ramp(g, cx, y, n < x + w - cx ? n : x + w - cx, geo);
    cx += n;
    snprintf(buf, sizeof buf, " %.3f", h->vmax);
    cx += grid_put_str(g, cx, y, x + w - cx, buf, dim);
    const char *parts[3] = {" sqrt scale", buf, " \xc2\xb7 \xe2\x86\x91 ages in characters"};
    snprintf(buf, sizeof buf, geo->keys_per_col > 1 ? " \xc2\xb7 \xe2\x89\xa4%d keys/col" : "", geo->keys_per_col);
    for (int i = 0; i < 3; i++) {
        int pw = grid_text_width(g, parts[i]);
        if (cx + pw > x + w) break;
        cx += grid_put_str(g, cx, y, pw, parts[i], dim);
    }
}

int ui_heatmap_draw(Grid *g, UiRect r, const UiAttention *a, int head, int cur_q, int cur_k, int show_cursor) {
    if (!ui_attn_valid(a)) {
        const char *msg = a->layer < 0 || a->n_queries == 0 ? "no attention collected yet" : "attention snapshot out of bounds";
        grid_put_str(g, r.x + 1, r.y + r.h / 2, r.w - 2, msg, UI_STYLE(-1, -1, UI_A_DIM));
        return r.h;
    }
    if (r.w < 8 || r.h < 4) return 0;
    UiHeatGeom geo;
    ui_heat_geometry(a, g->caps, r.w, r.h - 3, &geo);
    HeatCtx h = {a, &geo, head, 0, cur_q, cur_k, show_cursor};
    h.vmax = max_value(&h);
    draw_group_labels(g, r.x, r.y, a, &geo);
    draw_cells(g, r.x, r.y + 1, &h);
    draw_ages(g, r.x, r.y + 1 + geo.text_rows, r.w, a, &geo);
    draw_legend(g, r.x, r.y + 2 + geo.text_rows, r.w, &h);
    return geo.text_rows + 3;
}

int ui_heatmap_hit(int caps, UiRect r, const UiAttention *a, int x, int y, int *q, int *k) {
    if (!ui_attn_valid(a) || r.w < 8 || r.h < 4) return 0;
    UiHeatGeom geo;
    ui_heat_geometry(a, caps, r.w, r.h - 3, &geo);
    int col = x - r.x, row = y - r.y - 1;
    if (col < 0 || col >= geo.ncols || row < 0 || row >= geo.text_rows || geo.col_k0[col] < 0) return 0;
    int sub = row * geo.sub; // a click picks the upper query of a half-block cell
    if (sub >= geo.nsub) return 0;
    *q = geo.sub_q0[sub];
    *k = geo.col_k0[col];
    return 1;
}
