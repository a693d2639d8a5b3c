// The Figure-2 view: bars of the mean attention weight per slot on each age bucket (see buckets.h).
#include "ui/buckets.h"

#include "ui/color.h"
#include "ui/layout.h"
#include "ui/sparkline.h"

#include <math.h>
#include <stdio.h>

#define LABEL_W 5
#define GAP 2
#define RECON_W 18
#define MAX_ENTRY_ROWS 8
#define MAX_BUCKET_W 12


typedef struct {
    int bw;                    // columns per bucket
    int x[UI_GROUP_COUNT + 1]; // first column of each group, then of the recon column (-1: none)
} Geo;

int ui_bucket_level(float v, float vmax, int rows) {
    if (!(v > 0) || !(vmax > 0) || rows < 1) return 0;
    int full = 8 * rows, level = (int)lroundf(sqrtf(v / vmax) * (float)full);
    return level < 1 ? 1 : level > full ? full : level;
}

// Bucket width from the room: the recon column only when the bars keep 2 columns a bucket.
static int geometry(UiRect r, Geo *o) {
    int buckets = UI_GROUP_COUNT * UI_BUCKETS, with_recon = r.w - LABEL_W - GAP * UI_GROUP_COUNT - RECON_W;
    int room = with_recon >= 2 * buckets ? with_recon : r.w - LABEL_W - GAP * (UI_GROUP_COUNT - 1);
    o->bw = room / buckets;
    if (o->bw > MAX_BUCKET_W) o->bw = MAX_BUCKET_W;
    if (o->bw < 1) return 0;
    for (int g = 0; g <= UI_GROUP_COUNT; g++) o->x[g] = r.x + LABEL_W + g * (UI_BUCKETS * o->bw + GAP);
    if (with_recon < 2 * buckets) o->x[UI_GROUP_COUNT] = -1;
    return 1;
}

static float row_max(const UiBucketRow *row, float vmax) {
    for (int g = 0; g < UI_GROUP_COUNT; g++)
        for (int k = 0; k < UI_BUCKETS; k++)
            if (isfinite(row->mean[g][k]) && row->mean[g][k] > vmax) vmax = row->mean[g][k];
    return vmax;
}

static void draw_bars(Grid *g, const Geo *geo, int y, int h, const UiBucketRow *row, float vmax) {
    for (int gi = 0; gi < UI_GROUP_COUNT; gi++)
        for (int k = 0; k < UI_BUCKETS; k++) {
            int level = ui_bucket_level(row->mean[gi][k], vmax, h), x = geo->x[gi] + k * geo->bw;
            for (int j = 0; j < h; j++) {
                int e = level - 8 * j;
                if (e <= 0) break;
                uint32_t glyph = 0x2580u + (uint32_t)(e > 8 ? 8 : e);
                for (int c = 0; c < geo->bw; c++) grid_put(g, x + c, y + h - 1 - j, glyph, UI_STYLE(ui_group_color(gi), -1, 0));
            }
        }
}

static void draw_recon(Grid *g, const Geo *geo, int y, int right, float mean, float sd) {
    int x = geo->x[UI_GROUP_COUNT];
    if (x < 0 || !isfinite(mean)) return;
    char a[24], b[24];
    ui_fmt_small(a, sizeof a, mean);
    ui_fmt_small(b, sizeof b, sd);
    if (isfinite(sd)) grid_printf(g, x, y, right - x, UI_STYLE(-1, -1, UI_A_BOLD), "%s \xc2\xb1 %s", a, b);
    else grid_printf(g, x, y, right - x, UI_STYLE(-1, -1, UI_A_BOLD), "%s", a);
}

// One entry: its label on the top row, bars over h rows, the recon loss beside the top row.
static void draw_entry(Grid *g, UiRect r, const Geo *geo, int y, int h, const UiSnapshot *s, int layer, int selected,
                       float vmax) {
    const UiBuckets *b = &s->buckets;
    if (layer < 0) {
        grid_put_str(g, r.x + 1, y, LABEL_W - 1, "all", UI_STYLE(-1, -1, UI_A_BOLD));
        draw_bars(g, geo, y, h, &b->pooled, vmax);
        double sum = 0;
        int n = 0;
        for (int l = 0; l < b->n_layers; l++)
            if (isfinite(b->recon_mean[l])) sum += b->recon_mean[l], n++;
        draw_recon(g, geo, y, r.x + r.w, n ? (float)(sum / n) : NAN, NAN);
        return;
    }
    UiStyle label = layer == selected ? UI_STYLE(-1, -1, UI_A_BOLD | UI_A_REVERSE) : UI_PLAIN;
    if (layer == selected) grid_put(g, r.x, y, 0x25B8, UI_STYLE(UI_COL_CURSOR, -1, UI_A_BOLD));
    grid_printf(g, r.x + 1, y, 3, label, "L%-2d", layer);
    draw_bars(g, geo, y, h, &b->layer[layer], vmax);
    draw_recon(g, geo, y, r.x + r.w, b->recon_mean[layer], b->recon_std[layer]);
}

static void draw_header(Grid *g, UiRect r, const Geo *geo) {
    for (int gi = 0; gi < UI_GROUP_COUNT; gi++)
        grid_put_str(g, geo->x[gi], r.y, UI_BUCKETS * geo->bw, ui_group_name(gi), UI_STYLE(ui_group_color(gi), -1, UI_A_BOLD));
    if (geo->x[UI_GROUP_COUNT] >= 0)
        grid_put_str(g, geo->x[UI_GROUP_COUNT], r.y, r.x + r.w - geo->x[UI_GROUP_COUNT], "recon loss \xc2\xb1 sd",
                     UI_STYLE(-1, -1, UI_A_DIM));
}

// The selected layer's newest bucket of each group, with its spread (when a row is spare).
static void draw_detail(Grid *g, UiRect r, int y, const UiBucketRow *row, int layer) {
    int x = r.x + 1, end = r.x + r.w;
    x += grid_printf(g, x, y, end - x, UI_STYLE(-1, -1, UI_A_DIM), "L%d newest bucket (mean \xc2\xb1 sd):", layer);
    for (int gi = 0; gi < UI_GROUP_COUNT && x < end; gi++) {
        char m[24], sd[24], piece[96];
        ui_fmt_small(m, sizeof m, row->mean[gi][UI_BUCKETS - 1]);
        ui_fmt_small(sd, sizeof sd, row->std[gi][UI_BUCKETS - 1]);
        snprintf(piece, sizeof piece, "  %s %s \xc2\xb1 %s", ui_group_name(gi), m, sd);
        if (grid_text_width(g, piece) > end - x) break; // never a cut number
        x += grid_put_str(g, x, y, end - x, piece, UI_STYLE(ui_group_color(gi), -1, 0));
    }
}

// The longest wording that fits, so no number is cut.
static void draw_legend(Grid *g, UiRect r, int y, float vmax, int steps) {
    char full[24], text[3][200];
    ui_fmt_small(full, sizeof full, vmax);
    snprintf(text[0], sizeof text[0], "buckets old \xe2\x86\x92 new \xc2\xb7 height \xe2\x88\x9d \xe2\x88\x9a(weight per slot), "
             "full = %s \xc2\xb7 %d steps sampled, recent ones weigh most", full, steps);
    snprintf(text[1], sizeof text[1], "old \xe2\x86\x92 new \xc2\xb7 height \xe2\x88\x9d \xe2\x88\x9aweight, full = %s \xc2\xb7 "
             "%d steps sampled", full, steps);
    snprintf(text[2], sizeof text[2], "full = %s \xc2\xb7 %d steps", full, steps);
    for (int i = 0; i < 3; i++)
        if (grid_text_width(g, text[i]) <= r.w - 1 || i == 2) {
            grid_put_str(g, r.x + 1, y, r.w - 1, text[i], UI_STYLE(-1, -1, UI_A_DIM));
            return;
        }
}

void ui_buckets_draw(Grid *g, UiRect r, const UiSnapshot *s, int selected) {
    const UiBuckets *b = &s->buckets;
    Geo geo;
    if (r.h < 3 || !geometry(r, &geo)) return;
    int n = b->n_layers < 0 ? 0 : b->n_layers > UI_MAX_LAYERS ? UI_MAX_LAYERS : b->n_layers;
    if (n == 0) {
        grid_put_str(g, r.x + 1, r.y, r.w - 1, "no attention collected yet", UI_STYLE(-1, -1, UI_A_DIM));
        return;
    }
    draw_header(g, r, &geo);
    int rows = r.h - 2, shown = n + 1 <= rows ? n : rows - 1; // the pooled entry always shows
    int h = (rows - 1) / (shown + 1); // a row stays for the selected layer's detail line
    h = h < 1 ? 1 : h > MAX_ENTRY_ROWS ? MAX_ENTRY_ROWS : h;
    int first = ui_first_layer(n, shown, selected), y = r.y + 1;
    float vmax = row_max(&b->pooled, 0);
    for (int i = 0; i < shown; i++) vmax = row_max(&b->layer[first + i], vmax);
    for (int i = 0; i < shown; i++, y += h) draw_entry(g, r, &geo, y, h, s, first + i, selected, vmax);
    draw_entry(g, r, &geo, y, h, s, -1, selected, vmax);
    y += h;
    int legend_y = r.y + r.h - 1;
    if (y < legend_y && selected >= 0 && selected < n) draw_detail(g, r, y, &b->layer[selected], selected);
    draw_legend(g, r, legend_y, vmax, b->steps);
}
