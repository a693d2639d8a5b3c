// The cell grid every widget draws into: a code point, colours and attributes per cell.
// Tests read it back as text (grid_dump_text) and colours (grid_dump_colors); ui/term.c copies it
// to the terminal. Colours are xterm-256 palette indices, -1 = the terminal's default.
#ifndef MEMSCOPE_UI_GRID_H
#define MEMSCOPE_UI_GRID_H

#include <stdint.h>

enum { UI_CAP_UTF8 = 1, UI_CAP_COLOR = 2, UI_CAP_256 = 4 }; // what the terminal can show
enum { UI_A_BOLD = 1, UI_A_DIM = 2, UI_A_REVERSE = 4, UI_A_UNDERLINE = 8 };
#define UI_COLOR_DEFAULT (-1)
#define GRID_CONT 0u  // ch of the right half of a two-column glyph

typedef struct {
    uint32_t ch;
    int16_t fg, bg;
    uint16_t attr;
} Cell;

typedef struct {
    int16_t fg, bg;
    uint16_t attr;
} UiStyle;

typedef struct {
    int x, y, w, h;
} UiRect;

typedef struct {
    int w, h;
    int caps;              // UI_CAP_*; without UI_CAP_UTF8 every glyph is mapped to ASCII
    int cursor_x, cursor_y; // where the terminal cursor goes (-1: hidden)
    UiRect clip;           // writes outside are dropped
    Cell *cells;
} Grid;

#define UI_STYLE(fg, bg, attr) ((UiStyle){(int16_t)(fg), (int16_t)(bg), (uint16_t)(attr)})
#define UI_PLAIN UI_STYLE(-1, -1, 0)

static inline UiRect ui_rect(int x, int y, int w, int h) { return (UiRect){x, y, w, h}; }

int grid_init(Grid *g, int w, int h, int caps); // 0, or -1 when out of memory
int grid_resize(Grid *g, int w, int h);         // keeps nothing; clears
void grid_free(Grid *g);
void grid_clear(Grid *g);                       // spaces, default colours, cursor hidden, clip = all
void grid_set_clip(Grid *g, UiRect r);          // intersected with the grid
void grid_reset_clip(Grid *g);

const Cell *grid_cell(const Grid *g, int x, int y); // NULL outside
// One glyph at (x, y); returns the columns it takes (0 when clipped away). Non-ASCII glyphs become
// an ASCII stand-in on a grid without UI_CAP_UTF8.
int grid_put(Grid *g, int x, int y, uint32_t cp, UiStyle st);
// Sets only the colours/attributes of an existing cell.
void grid_style(Grid *g, int x, int y, UiStyle st);
// Columns glyph cp takes on this grid (1 for everything on an ASCII grid).
int grid_glyph_width(const Grid *g, uint32_t cp);
// UTF-8 text from (x, y), at most max_w columns (no wrapping). Control characters are shown as
// '·' ('\n' as '↵'). Returns the columns the text advanced (clipped cells included).
int grid_put_str(Grid *g, int x, int y, int max_w, const char *s, UiStyle st);
int grid_put_strn(Grid *g, int x, int y, int max_w, const char *s, int nbytes, UiStyle st);
int grid_printf(Grid *g, int x, int y, int max_w, UiStyle st, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
// Display columns text would take on this grid.
int grid_text_width(const Grid *g, const char *s);
void grid_fill(Grid *g, UiRect r, uint32_t cp, UiStyle st);
void grid_box(Grid *g, UiRect r, UiStyle st);
// A panel header: "── title ─────" across w columns.
void grid_title_rule(Grid *g, int x, int y, int w, const char *title, UiStyle rule, UiStyle title_st);

// Glyphs only, one line per row, trailing spaces removed. Caller frees.
char *grid_dump_text(const Grid *g);
// Colours and attributes, one line per row as runs "fg/bg/attr*count". Caller frees.
char *grid_dump_colors(const Grid *g);

#endif
