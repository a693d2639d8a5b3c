// The recall panel (see recall.h).
#include "ui/recall.h"

#include "ui/color.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

void ui_recall_label(const UiRecallBucket *b, char *out, int n) {
    if (b->hi == INT64_MAX) snprintf(out, (size_t)n, "> %lld", (long long)b->lo);
    else snprintf(out, (size_t)n, "\xe2\x89\xa4 %lld", (long long)b->hi);
}

// Eighth-block bar of fraction f over w columns.
static void bar(Grid *g, int x, int y, int w, float f, int color) {
    int eighths = (int)lroundf((f < 0 ? 0 : f > 1 ? 1 : f) * 8.0f * (float)w);
    for (int c = 0; c < w && eighths > 0; c++, eighths -= 8)
        grid_put(g, x + c, y, eighths >= 8 ? 0x2588u : 0x2588u + 8 - (uint32_t)eighths, UI_STYLE(color, -1, 0));
    // 0x2588 - k is a left block of (8 - k) eighths: U+2589..U+258F are left blocks, narrowing
}

static void draw_row(Grid *g, int x, int y, int w, const UiRecallBucket *b) {
    char label[32], pct[8];
    ui_recall_label(b, label, sizeof label);
    int label_w = 8, num_w = 10, bar_w = w - label_w - num_w;
    grid_put_str(g, x, y, label_w, label, UI_PLAIN);
    float acc = b->chars > 0 ? b->chars_right / b->chars : NAN;
    if (isfinite(acc)) snprintf(pct, sizeof pct, "%3d%%", (int)lroundf(100 * acc));
    else snprintf(pct, sizeof pct, "   -");
    if (bar_w >= 3 && isfinite(acc)) bar(g, x + label_w, y, bar_w, acc, UI_COL_CMEM);
    int n = (int)lroundf(b->answers);
    grid_printf(g, x + w - num_w, y, num_w, UI_STYLE(-1, -1, UI_A_BOLD), " %s %4d", pct, n);
}

void ui_recall_draw(Grid *g, UiRect r, const UiRecall *rc) {
    if (r.w < 18 || r.h < 1) return;
    if (rc->evals <= 0) {
        grid_put_str(g, r.x + 1, r.y, r.w - 1, "measuring recall on", UI_STYLE(-1, -1, UI_A_DIM));
        grid_put_str(g, r.x + 1, r.y + 1, r.w - 1, "held-out text...", UI_STYLE(-1, -1, UI_A_DIM));
        return;
    }
    int n = rc->n < 0 ? 0 : rc->n > UI_RECALL_BUCKETS ? UI_RECALL_BUCKETS : rc->n, y = r.y;
    if (r.h > n) grid_printf(g, r.x, y++, r.w, UI_STYLE(-1, -1, UI_A_DIM), "%-*s%*s", 8, "distance",
                             r.w - 8, "char acc  n");
    for (int i = 0; i < n && y < r.y + r.h; i++) draw_row(g, r.x, y++, r.w, &rc->b[i]);
}
