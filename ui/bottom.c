// Prompt row (horizontal scrolling around the cursor) and message row.
#include "ui/bottom.h"

#include "ui/color.h"
#include "ui/utf8.h"

#include <stdio.h>
#include <string.h>

// Byte offset from which `line` must be drawn so that cursor_col - (skipped width) < avail.
static int scroll_offset(const Grid *g, const char *line, int cursor_col, int avail, int *skipped) {
    int off = 0, len = (int)strlen(line);
    *skipped = 0;
    while (off < len && cursor_col - *skipped >= avail) {
        uint32_t cp;
        int n = ui_utf8_decode(line + off, (size_t)(len - off), &cp);
        *skipped += grid_glyph_width(g, cp);
        off += n;
    }
    return off;
}

static void draw_settings(Grid *g, UiRect r, const UiPromptView *p, int *end) {
    char buf[64];
    snprintf(buf, sizeof buf, " len %d \xc2\xb7 T %.2f \xc2\xb7 top-k %d ", p->gen_length, p->temperature, p->top_k);
    int w = grid_text_width(g, buf);
    if (r.w - w < 40) return;
    grid_put_str(g, r.x + r.w - w, r.y, w, buf, UI_STYLE(-1, -1, UI_A_DIM));
    *end = r.x + r.w - w;
}

void ui_prompt_line_draw(Grid *g, UiRect r, const UiPromptView *p) {
    if (r.w < 4 || r.h < 1) return;
    int end = r.x + r.w;
    draw_settings(g, r, p, &end);
    UiStyle mark = p->focused ? UI_STYLE(UI_COL_GEN, -1, UI_A_BOLD) : UI_STYLE(-1, -1, UI_A_DIM);
    int x = r.x + grid_put(g, r.x, r.y, 0x203A, mark);
    x += grid_put(g, x, r.y, ' ', UI_PLAIN);
    int avail = end - x - 1;
    if (!p->focused && !p->line[0]) {
        grid_put_str(g, x, r.y, avail, "/ to type: text generates, :help lists commands", UI_STYLE(-1, -1, UI_A_DIM));
        return;
    }
    int skipped, off = scroll_offset(g, p->line, p->cursor_col, avail, &skipped);
    grid_put_str(g, x, r.y, avail, p->line + off, p->focused ? UI_PLAIN : UI_STYLE(-1, -1, UI_A_DIM));
    if (p->focused) {
        g->cursor_x = x + p->cursor_col - skipped;
        g->cursor_y = r.y;
    }
}

void ui_message_line_draw(Grid *g, UiRect r, const char *msg, int is_error, int prompt_focused) {
    if (r.w < 4 || r.h < 1) return;
    const char *hints = prompt_focused ? "Enter send \xc2\xb7 Esc leave \xc2\xb7 \xe2\x86\x91\xe2\x86\x93 history"
                                       : "? help \xc2\xb7 / prompt \xc2\xb7 q quit";
    int hw = grid_text_width(g, hints), end = r.x + r.w;
    int mw = msg ? grid_text_width(g, msg) : 0;
    if (mw + hw + 2 <= r.w) {
        grid_put_str(g, r.x + r.w - hw, r.y, hw, hints, UI_STYLE(-1, -1, UI_A_DIM));
        end -= hw + 2;
    }
    if (msg && msg[0])
        grid_put_str(g, r.x, r.y, end - r.x, msg,
                     is_error ? UI_STYLE(UI_COL_ERR, -1, UI_A_BOLD) : UI_STYLE(-1, -1, 0));
}
