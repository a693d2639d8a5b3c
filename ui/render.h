// Frame composition: where every widget goes for a given state, snapshot and size.
#ifndef MEMSCOPE_UI_RENDER_H
#define MEMSCOPE_UI_RENDER_H

#include "ui/grid.h"
#include "ui/layout.h"
#include "ui/snapshot.h"
#include "ui/state.h"

typedef struct {
    UiLayout layout;
    UiRect heat;     // heatmap widget (labels, cells, ages, legend)
    UiRect info;     // slot lines under it
    UiRect layers;   // bars widget
    UiRect prompt;
    UiRect top;      // the Figure-2 panel across the top (0 x 0 in the attention view)
} UiRenderRects;

// Draws everything for the grid's size (or the "too small" message).
void ui_render(const UiState *ui, const UiSnapshot *s, Grid *g);

// Returns 0 when the terminal is too small (nothing is placed).
int ui_render_rects(const UiState *ui, const UiSnapshot *s, int cols, int rows, UiRenderRects *out);
// The "terminal too small" screen.
void ui_draw_too_small(Grid *g);

#endif
