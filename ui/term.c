// curses layer (ncursesw): init/end, input translation, grid blit with lazily allocated colour pairs.
#include "ui/term.h"

#include "ui/color.h"
#include "ui/keys.h"

#include <curses.h>
#include <term.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define MOUSE_MASK (BUTTON1_PRESSED | BUTTON1_CLICKED)

static struct {
    int active, caps, prompt_mode;
    SCREEN *screen;
    Grid front;        // what the screen shows
    int front_valid;
    char error[512];
} T;

// NO_COLOR (no-color.org): any non-empty value turns colour off; the layout stays and heatmaps use shades.
static int no_color_asked(void) {
    const char *no_color = getenv("NO_COLOR");
    return no_color && no_color[0];
}

int ui_term_decide_caps(int utf8_locale, int has_colors, int n_colors) {
    const char *ascii = getenv("MEMSCOPE_ASCII"), *colors = getenv("MEMSCOPE_COLORS");
    if (colors && colors[0]) n_colors = atoi(colors);
    if (no_color_asked()) n_colors = 0;
    int caps = utf8_locale && !(ascii && ascii[0] == '1') ? UI_CAP_UTF8 : 0;
    if (has_colors && n_colors >= 8) caps |= UI_CAP_COLOR;
    if (has_colors && n_colors >= 256) caps |= UI_CAP_256;
    return caps;
}

int ui_term_init(char *err, size_t errlen) {
    setlocale(LC_ALL, "");
    int utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
    const char *term = getenv("TERM");
    if (!term || !term[0]) {
        snprintf(err, errlen, "TERM is not set, so the terminal UI cannot draw; set it to your terminal's type "
                 "(e.g. export TERM=xterm-256color) or use the headless commands (memscope train --help)");
        return -1;
    }
    T.screen = newterm(NULL, stdout, stdin);
    if (!T.screen) {
        snprintf(err, errlen, "cannot start the terminal UI: TERM=%s is not in the terminfo database; set TERM "
                 "to your terminal's type (e.g. xterm-256color) or use memscope train", term);
        return -1;
    }
    const char *cup = tigetstr("cup"); // a terminal that cannot place the cursor cannot show a screen
    if (!cup || cup == (char *)-1) {
        endwin();
        delscreen(T.screen);
        T.screen = NULL;
        snprintf(err, errlen, "TERM=%s cannot move the cursor, so the terminal UI cannot draw; set TERM to your "
                 "terminal's type (e.g. xterm-256color) or use memscope train", term);
        return -1;
    }
    T.active = 1;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    if (has_colors() && !no_color_asked()) {
        start_color();
        use_default_colors();
    }
    mousemask(MOUSE_MASK, NULL);
    mouseinterval(0);
    T.caps = ui_term_decide_caps(utf8, has_colors(), COLORS);
    T.prompt_mode = 0;
    grid_init(&T.front, 0, 0, T.caps);
    T.front_valid = 0;
    return T.caps;
}

void ui_term_size(int *cols, int *rows) {
    *cols = COLS;
    *rows = LINES;
}

static int translate_special(int c) {
    switch (c) {
    case KEY_UP: return UI_KEY_UP;
    case KEY_DOWN: return UI_KEY_DOWN;
    case KEY_LEFT: return UI_KEY_LEFT;
    case KEY_RIGHT: return UI_KEY_RIGHT;
    case KEY_SLEFT: return UI_KEY_SLEFT;
    case KEY_SRIGHT: return UI_KEY_SRIGHT;
    case KEY_BTAB: return UI_KEY_BTAB;
    case KEY_HOME: return UI_KEY_HOME;
    case KEY_END: return UI_KEY_END;
    case KEY_PPAGE: return UI_KEY_PGUP;
    case KEY_NPAGE: return UI_KEY_PGDN;
    case KEY_F(1): return UI_KEY_F1;
    case KEY_BACKSPACE: return UI_KEY_BACKSPACE;
    case KEY_ENTER: return UI_KEY_ENTER;
    case KEY_RESIZE: return UI_KEY_RESIZE;
    default: return UI_KEY_NONE;
    }
}

static int read_mouse(UiEvent *ev) {
    MEVENT m;
    if (getmouse(&m) != OK || !(m.bstate & MOUSE_MASK)) return 0;
    ev->key = UI_KEY_MOUSE;
    ev->x = m.x;
    ev->y = m.y;
    return 1;
}

// Escape: alone (nothing follows within 30 ms) it is UI_KEY_ESC, else the start of a sequence.
static int read_escape(void) {
    wtimeout(stdscr, 30);
    int next = wgetch(stdscr);
    if (next == ERR) return UI_KEY_ESC;
    ungetch(next);
    return T.prompt_mode ? 27 : UI_KEY_ESC;
}

int ui_term_read(UiEvent *ev, int timeout_ms) {
    if (!T.active) return 0;
    wtimeout(stdscr, timeout_ms);
    int c = wgetch(stdscr);
    if (c == ERR) return 0;
    memset(ev, 0, sizeof *ev);
    if (c == KEY_MOUSE) return read_mouse(ev);
    if (c == 27) ev->key = read_escape();
    else if (c >= 0 && c < 256) ev->key = c;
    else ev->key = translate_special(c);
    return ev->key != UI_KEY_NONE;
}

void ui_term_set_prompt_mode(int on) {
    if (!T.active || on == T.prompt_mode) return;
    T.prompt_mode = on;
    keypad(stdscr, on ? FALSE : TRUE);
    mousemask(on ? 0 : MOUSE_MASK, NULL);
}

static attr_t attrs_of(uint16_t a) {
    attr_t r = A_NORMAL;
    if (a & UI_A_BOLD) r |= A_BOLD;
    if (a & UI_A_DIM) r |= A_DIM;
    if (a & UI_A_REVERSE) r |= A_REVERSE;
    if (a & UI_A_UNDERLINE) r |= A_UNDERLINE;
    return r;
}

static int term_color(int c) {
    if (c < 0 || !(T.caps & UI_CAP_COLOR)) return -1;
    return (T.caps & UI_CAP_256) ? c : ui_color_to8(c);
}

// A pair for (fg, bg), allocated on first use (alloc_pair keeps the table; numbers may pass 255).
static int pair_of(int fg, int bg) {
    fg = term_color(fg);
    bg = term_color(bg);
    if (fg < 0 && bg < 0) return 0;
    int p = alloc_pair(fg, bg);
    return p < 0 ? 0 : p;
}

static void put_cell(int x, int y, const Cell *c) {
    wchar_t wch[2] = {(wchar_t)c->ch, 0};
    cchar_t cc;
    int pair = pair_of(c->fg, c->bg);
    setcchar(&cc, wch, attrs_of(c->attr), 0, &pair);
    mvwadd_wch(stdscr, y, x, &cc);
}

static int row_changed(const Grid *g, int y) {
    return !T.front_valid || memcmp(&g->cells[y * g->w], &T.front.cells[y * g->w], (size_t)g->w * sizeof(Cell));
}

void ui_term_blit(const Grid *g) {
    if (!T.active) return;
    if (T.front.w != g->w || T.front.h != g->h) {
        grid_resize(&T.front, g->w, g->h);
        T.front_valid = 0;
        werase(stdscr);
    }
    for (int y = 0; y < g->h; y++) {
        if (!row_changed(g, y)) continue;
        for (int x = 0; x < g->w; x++) {
            const Cell *c = &g->cells[y * g->w + x];
            if (c->ch != GRID_CONT) put_cell(x, y, c);
        }
    }
    memcpy(T.front.cells, g->cells, (size_t)g->w * (size_t)g->h * sizeof(Cell));
    T.front_valid = 1;
    if (g->cursor_x >= 0 && g->cursor_y >= 0) {
        curs_set(1);
        wmove(stdscr, g->cursor_y, g->cursor_x);
    } else curs_set(0);
    wnoutrefresh(stdscr);
    doupdate();
}

void ui_term_invalidate(void) { T.front_valid = 0; }

void ui_term_defer_error(const char *msg) { snprintf(T.error, sizeof T.error, "%s", msg); }

void ui_term_end(void) {
    if (T.active) {
        curs_set(1);
        endwin();
        delscreen(T.screen);
        T.screen = NULL;
        T.active = 0;
        grid_free(&T.front);
    }
    if (T.error[0]) {
        fprintf(stderr, "%s\n", T.error);
        T.error[0] = 0;
    }
}
