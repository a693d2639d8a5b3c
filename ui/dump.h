// `d`, `:dump FILE` and `:dump-data FILE` for any memscope screen: the frame loop calls
// ui_dump_pending() right after ui_render(), so the file holds the grid exactly as it is about to be
// shown. The numbers behind the view (ui_data_csv/ui_data_json) come from the snapshot, not the grid.
#ifndef MEMSCOPE_UI_DUMP_H
#define MEMSCOPE_UI_DUMP_H

#include "ui/grid.h"
#include "ui/snapshot.h"
#include "ui/state.h"

// Writes what ui->dump asked for (if anything), then sets the UI's message to the file written or to
// what went wrong.
void ui_dump_pending(UiState *ui, const UiSnapshot *s, const Grid *g);

// The numbers behind the current view, one value per row / as one object: the heatmap matrix (the
// selected layer, mean or head) with each slot's group, age and text; per-layer shares; the
// reconstruction-loss history per layer; the Figure-2 buckets; the loss and validation history.
// Caller frees; NULL when out of memory.
char *ui_data_csv(const UiState *ui, const UiSnapshot *s);
char *ui_data_json(const UiState *ui, const UiSnapshot *s);

#endif
