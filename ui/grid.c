// The cell grid: allocation, clipping, glyph/text/box drawing and text dumps for golden tests.
#include "ui/grid.h"

#include "ui/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int grid_init(Grid *g, int w, int h, int caps) {
    memset(g, 0, sizeof *g);
    g->caps = caps;
    return grid_resize(g, w, h);
}

int grid_resize(Grid *g, int w, int h) {
    if (w < 0) w = 0;
    if (h < 0) h = 0;
    size_t n = (size_t)w * (size_t)h;
    Cell *c = realloc(g->cells, (n ? n : 1) * sizeof *c);
    if (!c) return -1;
    g->cells = c;
    g->w = w;
    g->h = h;
    grid_clear(g);
    return 0;
}

void grid_free(Grid *g) {
    free(g->cells);
    memset(g, 0, sizeof *g);
}

void grid_reset_clip(Grid *g) { g->clip = (UiRect){0, 0, g->w, g->h}; }

void grid_clear(Grid *g) {
    for (int i = 0; i < g->w * g->h; i++) g->cells[i] = (Cell){' ', -1, -1, 0};
    g->cursor_x = g->cursor_y = -1;
    grid_reset_clip(g);
}

void grid_set_clip(Grid *g, UiRect r) {
    int x0 = r.x > 0 ? r.x : 0, y0 = r.y > 0 ? r.y : 0;
    int x1 = r.x + r.w < g->w ? r.x + r.w : g->w, y1 = r.y + r.h < g->h ? r.y + r.h : g->h;
    g->clip = (UiRect){x0, y0, x1 > x0 ? x1 - x0 : 0, y1 > y0 ? y1 - y0 : 0};
}

static int in_clip(const Grid *g, int x, int y) {
    return x >= g->clip.x && y >= g->clip.y && x < g->clip.x + g->clip.w && y < g->clip.y + g->clip.h;
}

const Cell *grid_cell(const Grid *g, int x, int y) {
    if (x < 0 || y < 0 || x >= g->w || y >= g->h) return NULL;
    return &g->cells[y * g->w + x];
}

static Cell *cell_at(Grid *g, int x, int y) { return &g->cells[y * g->w + x]; }

// ASCII stand-ins for the glyphs the UI draws.
static uint32_t ascii_box(uint32_t cp) {
    if (cp == 0x2500 || cp == 0x2501 || cp == 0x254C) return '-';
    if (cp == 0x2502 || cp == 0x2503 || cp == 0x254E) return '|';
    if (cp == 0x2550) return '=';
    return '+';
}

static uint32_t ascii_block(uint32_t cp) {
    static const char lower[] = " _,.-=+*#"; // U+2580.. : 2581..2588 are the eighth blocks
    if (cp >= 0x2581 && cp <= 0x2588) return (uint32_t)lower[cp - 0x2580];
    if (cp == 0x2591) return '.';
    if (cp == 0x2592) return ':';
    if (cp == 0x2593) return '#';
    if (cp == 0x258F || cp == 0x2595 || cp == 0x258C || cp == 0x2590) return '|';
    return '#';
}

static uint32_t ascii_other(uint32_t cp) {
    switch (cp) {
    case 0x00B7: case 0x2026: case 0x2022: return '.';
    case 0x25B8: case 0x25B6: case 0x2192: case 0x203A: case 0x270E: return '>';
    case 0x2190: return '<';
    case 0x2191: return '^';
    case 0x2193: return 'v';
    case 0x25CF: return '*';
    case 0x25A0: case 0x25AA: return '#';
    case 0x2016: return '|';
    case 0x21B5: return '~';
    case 0x221A: return 'r';
    case 0x00D7: return 'x';
    case 0x2013: case 0x2014: case 0x2212: return '-';
    case 0x2248: return '~';
    case 0x2264: return '<';
    case 0x00B1: return '+';
    case 0x221D: return '~';
    case 0x2265: return '>';
    default: return '?';
    }
}

static uint32_t ascii_of(uint32_t cp) {
    if (cp < 0x80) return cp;
    if (cp >= 0x2500 && cp <= 0x257F) return ascii_box(cp);
    if (cp >= 0x2580 && cp <= 0x259F) return ascii_block(cp);
    if (cp >= 0x2800 && cp <= 0x28FF) return cp == 0x2800 ? ' ' : '*';
    return ascii_other(cp);
}

// Clears the other half of a two-column glyph that (x, y) is about to overwrite.
static void break_wide(Grid *g, int x, int y) {
    Cell *c = cell_at(g, x, y);
    if (c->ch == GRID_CONT && x > 0) cell_at(g, x - 1, y)->ch = ' ';
    if (c->ch != GRID_CONT && x + 1 < g->w && cell_at(g, x + 1, y)->ch == GRID_CONT)
        cell_at(g, x + 1, y)->ch = ' ';
}

int grid_put(Grid *g, int x, int y, uint32_t cp, UiStyle st) {
    if (cp < 0x20 || cp == 0x7F) cp = cp == '\n' ? 0x21B5 : cp == '\t' ? ' ' : 0x00B7;
    if (!(g->caps & UI_CAP_UTF8)) cp = ascii_of(cp);
    int w = ui_cp_width(cp);
    if (w == 0) return 0;  // combining marks are dropped
    if (!in_clip(g, x, y)) return 0;
    if (w == 2 && !in_clip(g, x + 1, y)) { cp = ' '; w = 1; }
    break_wide(g, x, y);
    *cell_at(g, x, y) = (Cell){cp, st.fg, st.bg, st.attr};
    if (w == 2) {
        break_wide(g, x + 1, y);
        *cell_at(g, x + 1, y) = (Cell){GRID_CONT, st.fg, st.bg, st.attr};
    }
    return w;
}

void grid_style(Grid *g, int x, int y, UiStyle st) {
    if (!in_clip(g, x, y)) return;
    Cell *c = cell_at(g, x, y);
    c->fg = st.fg;
    c->bg = st.bg;
    c->attr = st.attr;
}

int grid_glyph_width(const Grid *g, uint32_t cp) {
    if (!(g->caps & UI_CAP_UTF8)) return 1;
    return ui_cp_width(cp < 0x20 || cp == 0x7F ? 0xB7 : cp);
}

// Text is always decoded as UTF-8 (the UI's own strings are UTF-8); stray bytes show as one glyph each.
int grid_put_strn(Grid *g, int x, int y, int max_w, const char *s, int nbytes, UiStyle st) {
    int used = 0;
    for (int i = 0; i < nbytes && s[i];) {
        uint32_t cp;
        int n = ui_utf8_decode(s + i, (size_t)(nbytes - i), &cp);
        int w = grid_glyph_width(g, cp);
        if (used + w > max_w) break;
        grid_put(g, x + used, y, cp, st);
        used += w;
        i += n;
    }
    return used;
}

int grid_put_str(Grid *g, int x, int y, int max_w, const char *s, UiStyle st) {
    return grid_put_strn(g, x, y, max_w, s, (int)strlen(s), st);
}

int grid_printf(Grid *g, int x, int y, int max_w, UiStyle st, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return grid_put_str(g, x, y, max_w, buf, st);
}

int grid_text_width(const Grid *g, const char *s) {
    int w = 0;
    for (size_t i = 0, len = strlen(s); i < len;) {
        uint32_t cp;
        i += (size_t)ui_utf8_decode(s + i, len - i, &cp);
        w += grid_glyph_width(g, cp);
    }
    return w;
}

void grid_fill(Grid *g, UiRect r, uint32_t cp, UiStyle st) {
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++) grid_put(g, x, y, cp, st);
}

void grid_box(Grid *g, UiRect r, UiStyle st) {
    if (r.w < 2 || r.h < 2) return;
    int x1 = r.x + r.w - 1, y1 = r.y + r.h - 1;
    for (int x = r.x + 1; x < x1; x++) {
        grid_put(g, x, r.y, 0x2500, st);
        grid_put(g, x, y1, 0x2500, st);
    }
    for (int y = r.y + 1; y < y1; y++) {
        grid_put(g, r.x, y, 0x2502, st);
        grid_put(g, x1, y, 0x2502, st);
    }
    grid_put(g, r.x, r.y, 0x250C, st);
    grid_put(g, x1, r.y, 0x2510, st);
    grid_put(g, r.x, y1, 0x2514, st);
    grid_put(g, x1, y1, 0x2518, st);
}

void grid_title_rule(Grid *g, int x, int y, int w, const char *title, UiStyle rule, UiStyle title_st) {
    for (int i = 0; i < w; i++) grid_put(g, x + i, y, 0x2500, rule);
    if (w < 6 || !title || !title[0]) return;
    grid_put(g, x + 2, y, ' ', rule);
    int used = grid_put_str(g, x + 3, y, w - 5, title, title_st);
    grid_put(g, x + 3 + used, y, ' ', rule);
}

// A growable string for the dumps.
typedef struct {
    char *p;
    size_t len, cap;
} Buf;

static void buf_add(Buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) abort();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

char *grid_dump_text(const Grid *g) {
    Buf b = {0};
    buf_add(&b, "", 0);
    for (int y = 0; y < g->h; y++) {
        size_t row_start = b.len, keep = b.len;
        for (int x = 0; x < g->w; x++) {
            uint32_t cp = g->cells[y * g->w + x].ch;
            if (cp == GRID_CONT) continue;
            char enc[4];
            int n = ui_utf8_encode(cp, enc);
            buf_add(&b, enc, (size_t)n);
            if (cp != ' ') keep = b.len;
        }
        b.len = keep > row_start ? keep : row_start; // trailing spaces removed
        buf_add(&b, "\n", 1);
    }
    return b.p;
}

char *grid_dump_colors(const Grid *g) {
    Buf b = {0};
    buf_add(&b, "", 0);
    for (int y = 0; y < g->h; y++) {
        const Cell *row = &g->cells[y * g->w];
        for (int x = 0; x < g->w;) {
            int n = 1;
            while (x + n < g->w && row[x + n].fg == row[x].fg && row[x + n].bg == row[x].bg &&
                   row[x + n].attr == row[x].attr)
                n++;
            char tok[48];
            int len = snprintf(tok, sizeof tok, "%s%d/%d/%d*%d", x ? " " : "", row[x].fg, row[x].bg,
                               row[x].attr, n);
            buf_add(&b, tok, (size_t)len);
            x += n;
        }
        buf_add(&b, "\n", 1);
    }
    return b.p;
}
