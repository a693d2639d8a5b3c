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
    int first = L.n > r.h ? L.n - r.h : 0, x = r.x;
    for (int li = first; li < L.n; li++) {
        int y = r.y + li - first, end = li + 1 < L.n ? L.start[li + 1] : len;
        x = r.x;
        for (int i = L.start[li]; i < end;) {
            uint32_t cp;
            int n = glyph_len(text + i, end - i, &cp);
            UiStyle st = i < s->gen_prompt_len ? UI_STYLE(-1, -1, UI_A_DIM) : UI_STYLE(-1, -1, UI_A_BOLD);
            if (cp != '\n') x += grid_put(g, x, y, cp == '\t' ? ' ' : cp, st);
            i += n;
        }
    }
    if (s->state == UI_RUN_GENERATING && x < r.x + r.w)
        grid_put(g, x, r.y + (L.n - first) - 1, 0x258C, UI_STYLE(UI_COL_GEN, -1, 0));
}
