// Sparklines (▁▂▃▄▅▆▇█) of the per-layer reconstruction (AR) loss with its current value.
#ifndef MEMSCOPE_UI_SPARKLINE_H
#define MEMSCOPE_UI_SPARKLINE_H

#include "ui/grid.h"
#include "ui/snapshot.h"

// The newest w values of r, scaled between their min and max; returns the columns drawn.
int ui_sparkline_draw(Grid *g, int x, int y, int w, const UiRing *r, int color);
// One row per layer: "L0 ▁▂▃▅▆█  1.23e-03" (a window around `selected` when they do not all fit).
void ui_recon_draw(Grid *g, UiRect r, const UiSnapshot *s, int selected);
// Compact value: 0.0123, 1.2e-05.
void ui_fmt_small(char *out, int n, float v);

#endif
