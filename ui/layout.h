// Screen layout as a pure function of the terminal size (testable without curses).
#ifndef MEMSCOPE_UI_LAYOUT_H
#define MEMSCOPE_UI_LAYOUT_H

#include "ui/grid.h"

#define UI_MIN_COLS 80
#define UI_MIN_ROWS 24

// Each panel rect includes its one-row title rule at the top. Larger screens give every panel more
// room: one status row from 180 columns, a scaled-up heatmap, a list of the most-read slots, longer plots.
typedef struct {
    int cols, rows;
    int too_small;     // below UI_MIN_COLS x UI_MIN_ROWS: draw ui_draw_too_small() instead
    UiRect status;     // 1 or 2 rows
    UiRect heatmap;    // attention heatmap of the selected layer
    UiRect layers;     // per-layer attention shares
    UiRect loss;       // loss plot
    UiRect recon;      // reconstruction (AR) loss sparklines
    UiRect recall;     // recall by distance, between loss and recon (0 x 0 when there is none)
    UiRect output;     // generation output
    UiRect prompt;     // one row
    UiRect message;    // one row
} UiLayout;

UiLayout ui_layout(int cols, int rows);
// First of `rows` consecutive layers (of n) a per-layer widget shows so that `selected` is among them,
// centred where it can be.
int ui_first_layer(int n, int rows, int selected);
// The same with the recall panel (recall != 0): the middle row becomes [loss | recall | recon].
UiLayout ui_layout_recall(int cols, int rows, int recall);

#endif
