// Exporting the cell grid: SVG, plain text and ANSI text (see export.h).
#include "ui/export.h"

#include "ui/text_buf.h"
#include "ui/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

// Cell size of a 14 px monospace font (advance ~0.6 em), and the default colours of a dark terminal.
#define CELL_W 8.4
#define CELL_H 17.0
#define FONT_PX 14
#define DEFAULT_FG "#d0d0d0"
#define DEFAULT_BG "#121212"


// ------------------------------------------------------------------------------------------ colours

// xterm-256 palette index -> "#rrggbb"; -1 -> the default fg or bg.
static void hex_color(int c, int is_bg, char out[8]) {
    static const unsigned char basic[16][3] = {
        {0, 0, 0},       {205, 0, 0},   {0, 205, 0},   {205, 205, 0},   {0, 0, 238},     {205, 0, 205},
        {0, 205, 205},   {229, 229, 229}, {127, 127, 127}, {255, 0, 0}, {0, 255, 0},     {255, 255, 0},
        {92, 92, 255},   {255, 0, 255}, {0, 255, 255}, {255, 255, 255}};
    static const unsigned char cube[6] = {0, 95, 135, 175, 215, 255};
    int r, g, b;
    if (c < 0 || c > 255) {
        snprintf(out, 8, "%s", is_bg ? DEFAULT_BG : DEFAULT_FG);
        return;
    }
    if (c < 16) r = basic[c][0], g = basic[c][1], b = basic[c][2];
    else if (c < 232) r = cube[(c - 16) / 36], g = cube[(c - 16) / 6 % 6], b = cube[(c - 16) % 6];
    else r = g = b = 8 + 10 * (c - 232);
    snprintf(out, 8, "#%02x%02x%02x", r, g, b);
}

// The colours a cell shows (reverse swaps them).
static void cell_colors(const Cell *c, int *fg, int *bg, int *fg_is_bg, int *bg_is_fg) {
    *fg = c->fg, *bg = c->bg, *fg_is_bg = 0, *bg_is_fg = 0;
    if (c->attr & UI_A_REVERSE) {
        *fg = c->bg, *bg = c->fg;
        *fg_is_bg = 1, *bg_is_fg = 1;
    }
}

static void fg_hex(const Cell *c, char out[8]) {
    int fg, bg, a, b;
    cell_colors(c, &fg, &bg, &a, &b);
    hex_color(fg, a, out);
}

static void bg_hex(const Cell *c, char out[8]) {
    int fg, bg, a, b;
    cell_colors(c, &fg, &bg, &a, &b);
    hex_color(bg, !b, out);
}

// ------------------------------------------------------------------------------------------ SVG

typedef enum { GLYPH_TEXT, GLYPH_SHAPE, GLYPH_BLANK } GlyphKind;

static int is_braille(uint32_t cp) { return cp >= 0x2800 && cp <= 0x28FF; }

// Box-drawing glyphs memscope draws: arms (left, right, up, down) and whether they are heavy.
static int box_arms(uint32_t cp, int *l, int *r, int *u, int *d, int *heavy) {
    static const struct {
        uint32_t cp;
        unsigned char arms; // 1 left, 2 right, 4 up, 8 down
        unsigned char heavy;
    } t[] = {{0x2500, 3, 0}, {0x2501, 3, 1}, {0x2502, 12, 0}, {0x2503, 12, 1}, {0x250C, 10, 0}, {0x2510, 9, 0},
             {0x2514, 6, 0}, {0x2518, 5, 0}, {0x251C, 14, 0}, {0x2524, 13, 0}, {0x252C, 11, 0}, {0x2534, 7, 0},
             {0x253C, 15, 0}, {0x256D, 10, 0}, {0x256E, 9, 0}, {0x256F, 5, 0}, {0x2570, 6, 0}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].cp == cp) {
            *l = t[i].arms & 1, *r = !!(t[i].arms & 2), *u = !!(t[i].arms & 4), *d = !!(t[i].arms & 8);
            *heavy = t[i].heavy;
            return 1;
        }
    return 0;
}

static int is_block(uint32_t cp) {
    return (cp >= 0x2580 && cp <= 0x2590) || (cp >= 0x2591 && cp <= 0x2593);
}

static GlyphKind glyph_kind(uint32_t cp) {
    int l, r, u, d, h;
    if (cp == ' ' || cp == GRID_CONT || cp == 0x2800) return GLYPH_BLANK;
    if (is_braille(cp) || is_block(cp) || box_arms(cp, &l, &r, &u, &d, &h)) return GLYPH_SHAPE;
    return GLYPH_TEXT;
}

static void svg_rect(TextBuf *o, double x, double y, double w, double h, const char *fill, double opacity) {
    text_buf_printf(o, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"", x, y, w, h, fill);
    if (opacity < 1) text_buf_printf(o, " fill-opacity=\"%.2f\"", opacity);
    text_buf_append(o, "/>", 2);
}

// Background runs of a row (the page background is one rect under everything).
static void svg_backgrounds(TextBuf *o, const Grid *g, int y) {
    const Cell *row = &g->cells[y * g->w];
    for (int x = 0; x < g->w;) {
        char a[8], b[8];
        bg_hex(&row[x], a);
        int n = 1;
        for (; x + n < g->w; n++) {
            bg_hex(&row[x + n], b);
            if (strcmp(a, b)) break;
        }
        if (strcmp(a, DEFAULT_BG)) svg_rect(o, x * CELL_W, y * CELL_H, n * CELL_W, CELL_H, a, 1);
        x += n;
    }
}

static void svg_block(TextBuf *o, uint32_t cp, double x, double y, const char *fg) {
    double w = CELL_W, h = CELL_H;
    if (cp == 0x2580) svg_rect(o, x, y, w, h / 2, fg, 1);                          // upper half
    else if (cp >= 0x2581 && cp <= 0x2588) {                                      // lower eighths
        double part = h * (double)(cp - 0x2580) / 8;
        svg_rect(o, x, y + h - part, w, part, fg, 1);
    } else if (cp >= 0x2589 && cp <= 0x258F) {                                    // left eighths
        double part = w * (double)(0x2590 - cp) / 8;
        svg_rect(o, x, y, part, h, fg, 1);
    } else if (cp == 0x2590) svg_rect(o, x + w / 2, y, w / 2, h, fg, 1);          // right half
    else svg_rect(o, x, y, w, h, fg, 0.25 * (double)(cp - 0x2590));               // shades
}

static void svg_braille(TextBuf *o, uint32_t cp, double x, double y, const char *fg) {
    static const int dot_col[8] = {0, 0, 0, 1, 1, 1, 0, 1}, dot_row[8] = {0, 1, 2, 0, 1, 2, 3, 3};
    unsigned bits = cp - 0x2800;
    for (int i = 0; i < 8; i++)
        if (bits & (1u << i))
            text_buf_printf(o, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"1.3\" fill=\"%s\"/>",
                       x + CELL_W * (0.3 + 0.4 * dot_col[i]), y + CELL_H * (0.14 + 0.24 * dot_row[i]), fg);
}

static void svg_box(TextBuf *o, uint32_t cp, double x, double y, const char *fg) {
    int l = 0, r = 0, u = 0, d = 0, heavy = 0;
    box_arms(cp, &l, &r, &u, &d, &heavy);
    double cx = x + CELL_W / 2, cy = y + CELL_H / 2, sw = heavy ? 2.4 : 1.1;
    text_buf_printf(o, "<path stroke=\"%s\" stroke-width=\"%.1f\" d=\"", fg, sw);
    if (l) text_buf_printf(o, "M%.2f %.2fH%.2f", x, cy, cx);
    if (r) text_buf_printf(o, "M%.2f %.2fH%.2f", cx, cy, x + CELL_W);
    if (u) text_buf_printf(o, "M%.2f %.2fV%.2f", cx, y, cy);
    if (d) text_buf_printf(o, "M%.2f %.2fV%.2f", cx, cy, y + CELL_H);
    text_buf_append(o, "\"/>", 3);
}

static void svg_shapes(TextBuf *o, const Grid *g, int y) {
    for (int x = 0; x < g->w; x++) {
        const Cell *c = grid_cell(g, x, y);
        if (glyph_kind(c->ch) != GLYPH_SHAPE) continue;
        char fg[8];
        fg_hex(c, fg);
        double px = x * CELL_W, py = y * CELL_H;
        if (is_braille(c->ch)) svg_braille(o, c->ch, px, py, fg);
        else if (is_block(c->ch)) svg_block(o, c->ch, px, py, fg);
        else svg_box(o, c->ch, px, py, fg);
    }
}

static void svg_escape(TextBuf *o, uint32_t cp) {
    switch (cp) {
    case '&': text_buf_append(o, "&amp;", 5); return;
    case '<': text_buf_append(o, "&lt;", 4); return;
    case '>': text_buf_append(o, "&gt;", 4); return;
    case '"': text_buf_append(o, "&quot;", 6); return;
    default: break;
    }
    // XML 1.0 forbids most control characters; the grid shows them as dots anyway.
    if (cp < 0x20 || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF || cp > 0x10FFFF) cp = 0xB7;
    char enc[4];
    text_buf_append(o, enc, (size_t)ui_utf8_encode(cp, enc));
}

static int same_text_style(const Cell *a, const Cell *b) {
    char fa[8], fb[8];
    fg_hex(a, fa);
    fg_hex(b, fb);
    return !strcmp(fa, fb) && (a->attr & ~UI_A_REVERSE) == (b->attr & ~UI_A_REVERSE);
}

// One <text> per run of cells with the same style; spaces inside a run are kept, shapes end it.
static void svg_text_runs(TextBuf *o, const Grid *g, int y) {
    const Cell *row = &g->cells[y * g->w];
    for (int x = 0; x < g->w;) {
        if (glyph_kind(row[x].ch) != GLYPH_TEXT) {
            x++;
            continue;
        }
        int end = x + 1, last = x + 1; // last: one past the last non-blank cell of the run
        for (; end < g->w; end++) {
            GlyphKind k = glyph_kind(row[end].ch);
            if (k == GLYPH_SHAPE || (k == GLYPH_TEXT && !same_text_style(&row[x], &row[end]))) break;
            if (k == GLYPH_BLANK && end + 1 < g->w && glyph_kind(row[end + 1].ch) == GLYPH_BLANK &&
                row[end].ch != GRID_CONT)
                break; // a gap of blanks ends the run: each run is then placed by its own x
            if (k == GLYPH_TEXT) last = end + 1;
            if (row[end].ch == GRID_CONT && end == last) last = end + 1;
        }
        char fg[8];
        fg_hex(&row[x], fg);
        int a = row[x].attr;
        text_buf_printf(o, "<text x=\"%.2f\" y=\"%.2f\" textLength=\"%.2f\" lengthAdjust=\"spacingAndGlyphs\" xml:space=\"preserve\" fill=\"%s\"", x * CELL_W,
                   y * CELL_H + CELL_H * 0.76, (last - x) * CELL_W, fg);
        if (a & UI_A_BOLD) text_buf_append(o, " font-weight=\"bold\"", 19);
        if (a & UI_A_DIM) text_buf_append(o, " fill-opacity=\"0.6\"", 19);
        if (a & UI_A_UNDERLINE) text_buf_append(o, " text-decoration=\"underline\"", 29);
        text_buf_append(o, ">", 1);
        for (int i = x; i < last; i++)
            if (row[i].ch != GRID_CONT) svg_escape(o, glyph_kind(row[i].ch) == GLYPH_BLANK ? ' ' : row[i].ch);
        text_buf_append(o, "</text>", 7);
        x = end;
    }
}

char *ui_export_svg(const Grid *g) {
    TextBuf o = {0};
    double w = g->w * CELL_W, h = g->h * CELL_H;
    text_buf_printf(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.2f %.2f\">\n",
               w, h, w, h);
    text_buf_printf(&o, "<title>memscope screen, %d\xc3\x97%d cells</title>\n", g->w, g->h);
    svg_rect(&o, 0, 0, w, h, DEFAULT_BG, 1);
    text_buf_append(&o, "\n<g shape-rendering=\"crispEdges\">\n", 34);
    for (int y = 0; y < g->h; y++) {
        svg_backgrounds(&o, g, y);
        svg_shapes(&o, g, y);
        text_buf_append(&o, "\n", 1);
    }
    text_buf_printf(&o, "</g>\n<g font-family=\"DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace\" "
                   "font-size=\"%d\" xml:space=\"preserve\" style=\"white-space:pre\">\n", FONT_PX);
    for (int y = 0; y < g->h; y++) {
        svg_text_runs(&o, g, y);
        text_buf_append(&o, "\n", 1);
    }
    text_buf_append(&o, "</g>\n</svg>\n", 11);
    return text_buf_finish(&o);
}

// ------------------------------------------------------------------------------------------ text

char *ui_export_txt(const Grid *g) { return grid_dump_text(g); }

static void sgr(TextBuf *o, const Cell *c) {
    text_buf_append(o, "\x1b[0", 3);
    if (c->attr & UI_A_BOLD) text_buf_append(o, ";1", 2);
    if (c->attr & UI_A_DIM) text_buf_append(o, ";2", 2);
    if (c->attr & UI_A_UNDERLINE) text_buf_append(o, ";4", 2);
    if (c->attr & UI_A_REVERSE) text_buf_append(o, ";7", 2);
    if (c->fg >= 0) text_buf_printf(o, ";38;5;%d", c->fg);
    if (c->bg >= 0) text_buf_printf(o, ";48;5;%d", c->bg);
    text_buf_append(o, "m", 1);
}

char *ui_export_ans(const Grid *g) {
    TextBuf o = {0};
    for (int y = 0; y < g->h; y++) {
        const Cell *prev = NULL;
        for (int x = 0; x < g->w; x++) {
            const Cell *c = grid_cell(g, x, y);
            if (c->ch == GRID_CONT) continue;
            if (!prev || c->fg != prev->fg || c->bg != prev->bg || c->attr != prev->attr) sgr(&o, c);
            prev = c;
            char enc[4];
            text_buf_append(&o, enc, (size_t)ui_utf8_encode(c->ch < 0x20 ? 0xB7 : c->ch, enc));
        }
        text_buf_append(&o, "\x1b[0m\n", 5);
    }
    return text_buf_finish(&o);
}

// ------------------------------------------------------------------------------------------ files

UiExportFormat ui_export_format(const char *path) {
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return UI_EXPORT_NONE;
    if (!strcasecmp(dot, ".svg")) return UI_EXPORT_SVG;
    if (!strcasecmp(dot, ".txt")) return UI_EXPORT_TXT;
    if (!strcasecmp(dot, ".ans")) return UI_EXPORT_ANS;
    return UI_EXPORT_NONE;
}

void ui_export_default_name(char *out, size_t n, long long step, time_t when, const char *ext) {
    struct tm tm;
    char stamp[32] = "";
    if (localtime_r(&when, &tm)) strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(out, n, "memscope-step%lld-%s.%s", step, stamp, ext);
}

int ui_export_write_new(const char *path, const char *text, char *err, size_t errlen) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        int exists = errno == EEXIST;
        if (exists) snprintf(err, errlen, "%s exists; not overwritten (give another name)", path);
        else snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return exists ? UI_EXPORT_EXISTS : -1;
    }
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            snprintf(err, errlen, "cannot write %s: %s", path, w < 0 ? strerror(errno) : "no progress");
            close(fd);
            unlink(path);
            return -1;
        }
        done += (size_t)w;
    }
    if (close(fd)) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}

int ui_export_grid(const Grid *g, const char *path, char *err, size_t errlen) {
    UiExportFormat f = ui_export_format(path);
    if (f == UI_EXPORT_NONE) {
        snprintf(err, errlen, "%s: the name must end in .svg, .txt or .ans", path);
        return -1;
    }
    char *text = f == UI_EXPORT_SVG ? ui_export_svg(g) : f == UI_EXPORT_TXT ? ui_export_txt(g) : ui_export_ans(g);
    if (!text) {
        snprintf(err, errlen, "out of memory exporting the screen");
        return -1;
    }
    int rc = ui_export_write_new(path, text, err, errlen);
    free(text);
    return rc ? -1 : 0;
}

int ui_export_grid_default(const Grid *g, long long step, char *path, size_t n, char *err, size_t errlen) {
    char *svg = ui_export_svg(g); // drawn once, whatever name it ends up under
    if (!svg) {
        snprintf(err, errlen, "out of memory exporting the screen");
        return -1;
    }
    char base[200];
    ui_export_default_name(base, sizeof base, step, time(NULL), "svg");
    int rc = UI_EXPORT_EXISTS;
    for (int i = 1; i < 100 && rc == UI_EXPORT_EXISTS; i++) {
        if (i == 1) snprintf(path, n, "%s", base);
        else snprintf(path, n, "%.*s-%d.svg", (int)strlen(base) - 4, base, i);
        rc = ui_export_write_new(path, svg, err, errlen);
    }
    free(svg);
    return rc ? -1 : 0;
}
