// Key codes the UI understands. ui/term.c translates curses codes into these, so nothing else in
// ui/ needs curses. Values below 256 are bytes (ASCII keys, or raw bytes while the prompt has focus).
#ifndef MEMSCOPE_UI_KEYS_H
#define MEMSCOPE_UI_KEYS_H

enum {
    UI_KEY_TAB = 9,
    UI_KEY_ENTER = 13,
    UI_KEY_LF = 10,
    UI_KEY_BASE = 0x110000, // above every Unicode code point
    UI_KEY_ESC,           // a lone Escape; byte 27 itself is the start of an escape sequence
    UI_KEY_UP,
    UI_KEY_DOWN,
    UI_KEY_LEFT,
    UI_KEY_RIGHT,
    UI_KEY_SLEFT,         // Shift+Left
    UI_KEY_SRIGHT,        // Shift+Right
    UI_KEY_BTAB,          // Shift+Tab
    UI_KEY_HOME,
    UI_KEY_END,
    UI_KEY_PGUP,
    UI_KEY_PGDN,
    UI_KEY_F1,
    UI_KEY_BACKSPACE,
    UI_KEY_RESIZE,        // the terminal changed size
    UI_KEY_MOUSE,         // a click; see UiEvent.x/.y
    UI_KEY_NONE,          // nothing (timeout)
};

#endif
