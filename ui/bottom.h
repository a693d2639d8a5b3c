// The two bottom rows: the prompt line and the message line.
#ifndef MEMSCOPE_UI_BOTTOM_H
#define MEMSCOPE_UI_BOTTOM_H

#include "ui/grid.h"

typedef struct {
    const char *line;   // text being edited (UTF-8)
    int cursor_col;     // display column of the cursor inside line
    int focused;        // the prompt has the keyboard
    int gen_length, top_k;
    float temperature;
} UiPromptView;

// "› text" with the cursor kept visible (sets g->cursor_x/y when focused), settings on the right.
void ui_prompt_line_draw(Grid *g, UiRect r, const UiPromptView *p);
// The message (red when an error) and key hints on the right.
void ui_message_line_draw(Grid *g, UiRect r, const char *msg, int is_error, int prompt_focused);

#endif
