// Output pane: character wrapping, '\n' breaks, the last rows that fit.
#include "ui/output.h"

#include "ui/color.h"
#include "ui/utf8.h"

#include <string.h>

typedef struct {
    int start[UI_GEN_BYTES + 1]; // byte offset where each display line begins
    int n;
} Lines;

static int glyph_len(const char *s, int left, uint32_t *cp) { return ui_utf8_decode(s, (size_t)left, cp); }

static void wrap(const Grid *g, const char *text, int len, int width, Lines *L) {
    L->n = 1;
    L->start[0] = 0;
    for (int i = 0, col = 0; i < len;) {
        uint32_t cp;
        int n = glyph_len(text + i, len - i, &cp), w = grid_glyph_width(g, cp);
        if (cp == '\n') {
            L->start[L->n++] = i + 1;
            col = 0;
        } else if (col + w > width) {
            L->start[L->n++] = i;
            col = w;
        } else col += w;
        i += n;
    }
}

// Display line li at row y: the prompt dim, the continuation bold. Returns the column after it.
static int draw_line(Grid *g, UiRect r, int y, const UiSnapshot *s, const Lines *L, int li, int len) {
    const char *text = s->gen_text;
    int end = li + 1 < L->n ? L->start[li + 1] : len, x = r.x;
    for (int i = L->start[li]; i < end;) {
        uint32_t cp;
        int n = glyph_len(text + i, end - i, &cp);
        UiStyle st = i < s->gen_prompt_len ? UI_STYLE(-1, -1, UI_A_DIM) : UI_STYLE(-1, -1, UI_A_BOLD);
        if (cp != '\n') x += grid_put(g, x, y, cp == '\t' ? ' ' : cp, st);
        i += n;
    }
    return x;
}

void ui_output_draw(Grid *g, UiRect r, const UiSnapshot *s) {
    if (r.w < 2 || r.h < 1) return;
    const char *text = s->gen_text;
    int len = (int)strnlen(text, UI_GEN_BYTES - 1);
    if (len == 0) {
        grid_put_str(g, r.x, r.y, r.w, "Press / and type a prompt, then Enter: the model continues it on a copy of its memory.",
                     UI_STYLE(-1, -1, UI_A_DIM));
        return;
    }
    static Lines L; // 16 KB; the UI draws from one thread
    wrap(g, text, len, r.w, &L);
    // Lines holding the prompt stay at the top (up to half the pane) when the whole text does not fit,
    // so the continuation is always seen under what it continues; the rest shows its newest lines.
    int prompt_lines = 0;
    while (prompt_lines < L.n && L.start[prompt_lines] < s->gen_prompt_len) prompt_lines++;
    int pinned = 0;
    if (L.n > r.h && prompt_lines > 0 && r.h >= 2) {
        pinned = prompt_lines < r.h / 2 ? prompt_lines : r.h / 2;
        if (pinned < 1) pinned = 1;
    }
    int x = r.x, y = r.y;
    for (int li = 0; li < pinned; li++, y++) x = draw_line(g, r, y, s, &L, li, len);
    int first = L.n - (r.h - pinned);
    if (first < pinned) first = pinned;
    if (pinned && first > pinned) // lines left out between the prompt and the newest lines
        grid_put(g, r.x + r.w - 1, y - 1, 0x2026, UI_STYLE(UI_COL_GEN, -1, UI_A_BOLD));
    for (int li = first; li < L.n; li++, y++) x = draw_line(g, r, y, s, &L, li, len);
    if (s->state == UI_RUN_GENERATING && x < r.x + r.w)
        grid_put(g, x, y - 1, 0x258C, UI_STYLE(UI_COL_GEN, -1, 0));
}
