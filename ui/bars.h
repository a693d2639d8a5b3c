// Per-layer bars: the share of attention that went to compressed memory, memory and the current segment.
#ifndef MEMSCOPE_UI_BARS_H
#define MEMSCOPE_UI_BARS_H

#include "ui/grid.h"
#include "ui/snapshot.h"

// Splits width w into segments proportional to share[] (largest remainder; sums to w when any share > 0).
void ui_bar_split(const float share[UI_GROUP_COUNT], int w, int out[UI_GROUP_COUNT]);
// A legend row, then one row per layer (a window around `selected` when they do not all fit).
void ui_bars_draw(Grid *g, UiRect r, const UiSnapshot *s, int selected);
// The layer drawn at row y of r (for mouse clicks), or -1.
int ui_bars_hit(UiRect r, const UiSnapshot *s, int selected, int y);

#endif
