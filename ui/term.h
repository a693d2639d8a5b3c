// The only file that talks to curses: start/stop the terminal, read keys, copy a Grid to the screen.
#ifndef MEMSCOPE_UI_TERM_H
#define MEMSCOPE_UI_TERM_H

#include "ui/grid.h"

#include <stddef.h>

typedef struct {
    int key;   // UI_KEY_* or a byte
    int x, y;  // for UI_KEY_MOUSE
} UiEvent;

// What to draw with, from the locale and the terminal's colours. Pure (testable). The environment
// can lower it: MEMSCOPE_ASCII=1 (no UTF-8 glyphs), MEMSCOPE_COLORS=8 or 0, NO_COLOR=1 (no colour at all).
int ui_term_decide_caps(int utf8_locale, int has_colors, int n_colors);

// setlocale(LC_ALL, ""), curses on stdin/stdout, cbreak, noecho, nonl, keypad, mouse clicks,
// colours. Returns the caps (UI_CAP_*), or -1 with a reason in err when there is no usable terminal.
int ui_term_init(char *err, size_t errlen);
void ui_term_size(int *cols, int *rows);
// Waits up to timeout_ms (0 = poll) for one event; returns 1 with *ev filled, 0 on timeout.
// UI_KEY_RESIZE comes after the terminal changed size (ncurses handles SIGWINCH itself).
int ui_term_read(UiEvent *ev, int timeout_ms);
// While the prompt has focus, keys arrive as raw bytes for readline (keypad and mouse off); a lone
// Escape still comes as UI_KEY_ESC.
void ui_term_set_prompt_mode(int on);
// Copies g to the screen (rows that changed since the last blit) and places or hides the cursor.
void ui_term_blit(const Grid *g);
// Forget what is on screen: the next blit redraws everything.
void ui_term_invalidate(void);
// Keeps a message to print on stderr once the terminal is restored.
void ui_term_defer_error(const char *msg);
// Restores the terminal (safe to call twice, and from atexit); prints a deferred error.
void ui_term_end(void);

#endif
