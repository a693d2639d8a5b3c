// Layout: status on top, then [heatmap | layers], [loss | recon], output, prompt, message.
#include "ui/layout.h"

#include <string.h>

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

// Splits the middle row three ways; the loss plot keeps the largest part.
static void split_for_recall(UiLayout *L) {
    int cols = L->cols, loss_w = cols * 40 / 100, recall_w = (cols - loss_w) / 2 - 1;
    L->loss.w = loss_w;
    L->recall = ui_rect(loss_w + 1, L->loss.y, recall_w, L->loss.h);
    int recon_x = L->recall.x + recall_w + 1;
    L->recon = ui_rect(recon_x, L->loss.y, cols - recon_x, L->loss.h);
}

UiLayout ui_layout_recall(int cols, int rows, int recall) {
    UiLayout L = ui_layout(cols, rows);
    if (recall && !L.too_small) split_for_recall(&L);
    return L;
}

UiLayout ui_layout(int cols, int rows) {
    UiLayout L;
    memset(&L, 0, sizeof L);
    L.cols = cols;
    L.rows = rows;
    if (cols < UI_MIN_COLS || rows < UI_MIN_ROWS) {
        L.too_small = 1;
        return L;
    }
    int status_h = cols >= 180 ? 1 : 2;
    int body = rows - status_h - 2;            // minus prompt and message rows
    int out_h = clampi(body / 6, 3, 14);
    int top_h = (body - out_h) * 55 / 100;
    if (top_h < 10) top_h = 10;
    int mid_h = body - out_h - top_h;
    int left_w = cols * 62 / 100, half_w = cols / 2;
    int y = 0;
    L.status = ui_rect(0, y, cols, status_h);
    y += status_h;
    L.heatmap = ui_rect(0, y, left_w, top_h);
    L.layers = ui_rect(left_w + 1, y, cols - left_w - 1, top_h);
    y += top_h;
    L.loss = ui_rect(0, y, half_w, mid_h);
    L.recon = ui_rect(half_w + 1, y, cols - half_w - 1, mid_h);
    y += mid_h;
    L.output = ui_rect(0, y, cols, out_h);
    y += out_h;
    L.prompt = ui_rect(0, y++, cols, 1);
    L.message = ui_rect(0, y, cols, 1);
    return L;
}

int ui_first_layer(int n, int rows, int selected) {
    if (n <= rows) return 0;
    int first = selected - rows / 2;
    if (first < 0) first = 0;
    return first > n - rows ? n - rows : first;
}
