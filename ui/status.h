// The status line: run state, step, epoch, losses, speed, compression, memory fill, corpus.
#ifndef MEMSCOPE_UI_STATUS_H
#define MEMSCOPE_UI_STATUS_H

#include "ui/grid.h"
#include "ui/snapshot.h"

// Fields flow left to right over the rows of r; a field that fits nowhere is left out.
void ui_status_draw(Grid *g, UiRect r, const UiSnapshot *s);
// The same, with what the user just asked for and the trainer has not done yet ("PAUSING" while the
// step in flight finishes; NULL for nothing) in place of the run state.
void ui_status_draw_intent(Grid *g, UiRect r, const UiSnapshot *s, const char *intent);
// Epochs done as one number (1-based epoch 2 at 3% -> 1.03), as `memscope train` prints it.
double ui_epochs_done(int epoch, float progress);
// "RUNNING", "PAUSED", ...
const char *ui_run_state_name(UiRunState st);

#endif
