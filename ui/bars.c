// Share bars per layer, coloured compressed / memory / current, with percentages.
#include "ui/bars.h"

#include "ui/color.h"
#include "ui/layout.h"

#include <math.h>
#include <stdio.h>

void ui_bar_split(const float share[UI_GROUP_COUNT], int w, int out[UI_GROUP_COUNT]) {
    double total = 0, rem[UI_GROUP_COUNT];
    for (int i = 0; i < UI_GROUP_COUNT; i++) total += share[i] > 0 ? share[i] : 0;
    int used = 0;
    for (int i = 0; i < UI_GROUP_COUNT; i++) {
        double exact = total > 0 && share[i] > 0 ? share[i] / total * w : 0;
        out[i] = (int)floor(exact);
        rem[i] = exact - out[i];
        used += out[i];
    }
    while (total > 0 && used < w) {
        int best = 0;
        for (int i = 1; i < UI_GROUP_COUNT; i++)
            if (rem[i] > rem[best]) best = i;
        out[best]++;
        rem[best] = -1;
        used++;
    }
}

static uint32_t bar_glyph(const Grid *g, int gi) {
    static const uint32_t utf8[UI_GROUP_COUNT] = {0x2588, 0x2592, 0x2591};
    static const uint32_t ascii[UI_GROUP_COUNT] = {'#', '=', '.'};
    if (g->caps & UI_CAP_COLOR) return (g->caps & UI_CAP_UTF8) ? 0x2588 : '#';
    return (g->caps & UI_CAP_UTF8) ? utf8[gi] : ascii[gi];
}

static void draw_legend(Grid *g, int x, int y, int w, int bar_x) {
    static const char *const short_names[UI_GROUP_COUNT] = {"comp", "mem", "cur"};
    int cx = bar_x, end = x + w, wide = w >= 40;
    for (int i = 0; i < UI_GROUP_COUNT && cx < end; i++) {
        cx += grid_put(g, cx, y, bar_glyph(g, i), UI_STYLE(ui_group_color(i), -1, 0));
        cx += grid_put(g, cx, y, ' ', UI_PLAIN);
        cx += grid_put_str(g, cx, y, end - cx, wide ? ui_group_name(i) : short_names[i], UI_STYLE(ui_group_color(i), -1, 0));
        cx += grid_put_str(g, cx, y, end - cx, "  ", UI_PLAIN);
    }
}

static void draw_row(Grid *g, int x, int y, int w, const UiLayerStats *ls, int layer, int selected) {
    int pct_w = w >= 34 ? 15 : 12, bar_w = w - 5 - pct_w;
    UiStyle label = layer == selected ? UI_STYLE(-1, -1, UI_A_BOLD | UI_A_REVERSE) : UI_STYLE(-1, -1, 0);
    if (layer == selected) grid_put(g, x, y, 0x25B8, UI_STYLE(UI_COL_CURSOR, -1, UI_A_BOLD));
    grid_printf(g, x + 1, y, 3, label, "L%-2d", layer);
    float total = ls->share[0] + ls->share[1] + ls->share[2];
    if (!(total > 0)) {
        grid_put_str(g, x + 5, y, w - 5, "no attention yet", UI_STYLE(-1, -1, UI_A_DIM));
        return;
    }
    int seg[UI_GROUP_COUNT], cx = x + 5;
    ui_bar_split(ls->share, bar_w, seg);
    for (int i = 0; i < UI_GROUP_COUNT; i++)
        for (int k = 0; k < seg[i]; k++) cx += grid_put(g, cx, y, bar_glyph(g, i), UI_STYLE(ui_group_color(i), -1, 0));
    cx = x + 5 + bar_w;
    for (int i = 0; i < UI_GROUP_COUNT; i++) {
        int pct = (int)lround(100.0 * ls->share[i] / total);
        const char *fmt = pct_w >= 15 ? " %3d%%" : pct >= 100 ? " %3d" : " %2d%%";
        cx += grid_printf(g, cx, y, pct_w / 3, UI_STYLE(ui_group_color(i), -1, 0), fmt, pct);
    }
}

void ui_bars_draw(Grid *g, UiRect r, const UiSnapshot *s, int selected) {
    if (r.w < 16 || r.h < 2) return;
    int n = s->n_layers < UI_MAX_LAYERS ? s->n_layers : UI_MAX_LAYERS;
    draw_legend(g, r.x, r.y, r.w, r.x + 5);
    int rows = r.h - 1, first = ui_first_layer(n, rows, selected);
    for (int i = 0; i < rows && first + i < n; i++)
        draw_row(g, r.x, r.y + 1 + i, r.w, &s->layer[first + i], first + i, selected);
}

int ui_bars_hit(UiRect r, const UiSnapshot *s, int selected, int y) {
    int n = s->n_layers < UI_MAX_LAYERS ? s->n_layers : UI_MAX_LAYERS;
    int rows = r.h - 1, i = y - r.y - 1;
    if (r.w < 16 || i < 0 || i >= rows) return -1;
    int layer = ui_first_layer(n, rows, selected) + i;
    return layer < n ? layer : -1;
}
