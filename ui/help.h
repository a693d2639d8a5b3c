// The '?' overlay: the keys, the prompt commands, and what each panel shows.
#ifndef MEMSCOPE_UI_HELP_H
#define MEMSCOPE_UI_HELP_H

#include "ui/grid.h"

// Draws the overlay centred in `screen`, starting `scroll` lines down (clamped).
void ui_help_draw(Grid *g, UiRect screen, int scroll);
// Display lines of the help text at inner width w.
int ui_help_line_count(int w);
// The largest useful scroll offset on a cols x rows screen.
int ui_help_max_scroll(int cols, int rows);

#endif
