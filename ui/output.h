// The generation output pane: the prompt (dim) followed by the generated text, wrapped, newest at the bottom.
#ifndef MEMSCOPE_UI_OUTPUT_H
#define MEMSCOPE_UI_OUTPUT_H

#include "ui/grid.h"
#include "ui/snapshot.h"

void ui_output_draw(Grid *g, UiRect r, const UiSnapshot *s);

#endif
