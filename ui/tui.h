// The UI's input and per-frame update: key/mouse handling (posting commands) and the snapshot sync; the state
// is ui/state.h, the drawing ui/render.h.
// No curses here: keys arrive as UI_KEY_* codes (ui/keys.h) and drawing goes into a Grid.
//
// The app's UI thread, in outline (ui/term.h does the terminal, ui/prompt.h the readline prompt):
//   int caps = ui_term_init(err, sizeof err);            // -1: no terminal, print err
//   ui_state_init(&ui, caps); ui_prompt_init(&ui, NULL);  // NULL: default history file
//   ui_term_size(&cols, &rows); grid_init(&grid, cols, rows, caps);
//   while (!ui.quit && !trainer_done) {
//       for (int t = 33; ui_term_read(&ev, t); t = 0) {   // ~30 frames/s, drain pending input
//           if (ev.key == UI_KEY_RESIZE) { ui_term_size(&cols, &rows); grid_resize(&grid, cols, rows); }
//           else if (ev.key == UI_KEY_MOUSE) ui_handle_mouse(&ui, &snap, grid.w, grid.h, ev.x, ev.y, post, ctx);
//           else ui_handle_key(&ui, ev.key, post, ctx);
//       }
//       copy the shared snapshot into `snap` under the mutex when its seq changed;
//       ui_update(&ui, &snap, grid.w, grid.h);
//       ui_term_set_prompt_mode(ui.focus == UI_FOCUS_PROMPT);
//       ui_render(&ui, &snap, &grid);
//       ui_term_blit(&grid);
//   }
//   ui_prompt_end(); ui_term_end();
#ifndef MEMSCOPE_UI_TUI_H
#define MEMSCOPE_UI_TUI_H

#include "ui/command.h"
#include "ui/snapshot.h"
#include "ui/state.h"

// Once per frame with the newest snapshot and the screen size: mirrors counts, clamps selections,
// drops stale messages.
void ui_update(UiState *ui, const UiSnapshot *s, int cols, int rows);

// One key (UI_KEY_* or a byte). While the prompt has focus, bytes go to readline (ui/prompt.c) and a line it
// completes to ui_submit_line.
void ui_handle_key(UiState *ui, int key, UiPostFn post, void *ctx);
// A click at cell (x, y) of a cols x rows screen: heatmap cell -> cursor, layer row -> select.
void ui_handle_mouse(UiState *ui, const UiSnapshot *s, int cols, int rows, int x, int y, UiPostFn post, void *ctx);
// A line completed at the prompt: posts a GENERATE or the ':' command, or sets a message.
void ui_submit_line(UiState *ui, const char *line, UiPostFn post, void *ctx);
#endif
