// Sparklines of a ring of values, and the reconstruction-loss panel built from them.
#include "ui/sparkline.h"

#include "ui/color.h"
#include "ui/layout.h"

#include <math.h>
#include <stdio.h>

int ui_sparkline_draw(Grid *g, int x, int y, int w, const UiRing *r, int color) {
    int count = ui_ring_len(r), n = count < w ? count : w, first = count - n;
    if (n <= 0) return 0;
    float lo = INFINITY, hi = -INFINITY;
    for (int i = first; i < count; i++) {
        float v = ui_ring_at(r, i);
        if (!isfinite(v)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
    }
    for (int i = 0; i < n; i++) {
        float v = ui_ring_at(r, first + i);
        int level = 3; // flat series sit in the middle
        if (!isfinite(v)) {
            grid_put(g, x + i, y, ' ', UI_PLAIN);
            continue;
        }
        if (hi > lo) level = (int)lroundf((v - lo) / (hi - lo) * 7);
        grid_put(g, x + i, y, 0x2581u + (uint32_t)level, UI_STYLE(color, -1, 0));
    }
    return n;
}

void ui_fmt_small(char *out, int n, float v) {
    if (!isfinite(v)) snprintf(out, (size_t)n, "-");
    else if (v == 0 || (fabsf(v) >= 1e-3f && fabsf(v) < 1e4f)) snprintf(out, (size_t)n, "%.4f", v);
    else snprintf(out, (size_t)n, "%.2e", v);
}

static void draw_row(Grid *g, int x, int y, int w, const UiLayerStats *ls, int layer, int selected) {
    UiStyle label = layer == selected ? UI_STYLE(-1, -1, UI_A_BOLD | UI_A_REVERSE) : UI_PLAIN;
    if (layer == selected) grid_put(g, x, y, 0x25B8, UI_STYLE(UI_COL_CURSOR, -1, UI_A_BOLD));
    grid_printf(g, x + 1, y, 3, label, "L%-2d", layer);
    char val[32];
    ui_fmt_small(val, sizeof val, ls->ar_loss);
    int val_w = 10, spark_w = w - 5 - val_w;
    if (ui_ring_len(&ls->ar_hist) == 0) {
        grid_put_str(g, x + 5, y, w - 5, "-", UI_STYLE(-1, -1, UI_A_DIM));
        return;
    }
    ui_sparkline_draw(g, x + 5, y, spark_w, &ls->ar_hist, UI_COL_CMEM);
    grid_printf(g, x + w - val_w, y, val_w, UI_STYLE(-1, -1, UI_A_BOLD), "%*s", val_w, val);
}

void ui_recon_draw(Grid *g, UiRect r, const UiSnapshot *s, int selected) {
    if (r.w < 20 || r.h < 1) return;
    int n = s->n_layers < UI_MAX_LAYERS ? s->n_layers : UI_MAX_LAYERS, any = 0;
    for (int l = 0; l < n; l++) any |= ui_ring_len(&s->layer[l].ar_hist) > 0;
    if (!any) {
        grid_put_str(g, r.x + 1, r.y, r.w - 1, "no compression yet: the AR loss starts when memory",
                     UI_STYLE(-1, -1, UI_A_DIM));
        grid_put_str(g, r.x + 1, r.y + 1, r.w - 1, "overflows into compressed slots", UI_STYLE(-1, -1, UI_A_DIM));
        return;
    }
    int first = ui_first_layer(n, r.h, selected);
    for (int i = 0; i < r.h && first + i < n; i++)
        draw_row(g, r.x, r.y + i, r.w, &s->layer[first + i], first + i, selected);
}
