// The prompt: GNU readline through its callback interface, drawn by the UI (never by readline).
// Bytes typed while the prompt has focus go to ui_prompt_feed(); readline edits the line, and its
// redisplay hook copies the line and cursor column into the UiState for ui_render to draw.
#ifndef MEMSCOPE_UI_PROMPT_H
#define MEMSCOPE_UI_PROMPT_H

#include "ui/state.h"

#include <stddef.h>

// Sets readline up for use inside curses and loads the history. history_path: NULL = the default
// file (see ui_prompt_history_path), "" = no history file. Returns 0 (readline problems are not fatal).
int ui_prompt_init(UiState *ui, const char *history_path);
// One byte of input. Returns the line it completed (valid until the next feed; the caller acts on it), else NULL.
const char *ui_prompt_feed(UiState *ui, int byte);
// Writes the history file (creating its directory) and removes the readline handler.
void ui_prompt_end(void);
// $XDG_STATE_HOME/memscope/history, else ~/.local/state/memscope/history; returns -1 without a home.
int ui_prompt_history_path(char *buf, size_t n);
// Display column of byte offset `point` in `line` (mbrtowc + wcwidth; invalid bytes count 1).
int ui_prompt_column(const char *line, int point);

#endif
