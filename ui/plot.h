// Braille line plot of the training and validation loss against step.
#ifndef MEMSCOPE_UI_PLOT_H
#define MEMSCOPE_UI_PLOT_H

#include "ui/grid.h"
#include "ui/snapshot.h"

// How the loss plot is drawn (keys e, y, z and :zoom).
typedef struct {
    int smooth;   // the training curve as an EMA (weight 0.9 on the past, debiased as TensorBoard does),
                  // over the raw curve drawn dim
    int log;      // logarithmic loss axis
    long zoom;    // only the last `zoom` steps (0 = the whole run)
} UiPlotView;

// Plot with a labelled y axis on the left and step labels on the bottom row of r.
void ui_plot_draw(Grid *g, UiRect r, const UiSeries *train, const UiSeries *valid);
void ui_plot_draw_view(Grid *g, UiRect r, const UiSeries *train, const UiSeries *valid, const UiPlotView *v);
// "(EMA · log · last 500)": what the view changes, for the panel title ("" for the plain view).
void ui_plot_view_label(char *out, int n, const UiPlotView *v);
// "━ train 1.81  ━ valid 1.86", right-aligned to end at column x + w (for a panel's title rule).
void ui_plot_legend(Grid *g, int x, int y, int w, float train, float valid);
// Compact count: 950, 1.5k, 12k, 1.2M.
void ui_fmt_count(char *out, int n, double v);

#endif
