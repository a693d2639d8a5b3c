// memscope watch's screen: status, the chosen character's attention, the text coloured by surprise with what
// memory holds, the compression event, the keys, and the guided tour.
#include "ui/watch_view.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/color.h"
#include "ui/export.h"
#include "ui/heatmap.h"
#include "ui/keys.h"
#include "ui/layout.h"
#include "ui/render.h"
#include "ui/slots.h"

static const char *const tour_steps[] = {
    "The model reads the text one segment at a time. n (or \xe2\x86\x92) reads the next segment, p (or "
    "\xe2\x86\x90) goes back; Space plays, + and - set the speed, g jumps to a character.",
    "Every character read becomes a memory row (blue in the text). The heatmap shows where the chosen character "
    "(\xe2\x86\x91/\xe2\x86\x93 or a click) looks: columns are slots, oldest left; the list says what it reads most.",
    "When memory is full, its oldest rows are compressed: c rows become one compressed slot (magenta). A slot's "
    "text is the span of characters it summarises.",
    "Why compress old memories? A slot costs one row of attention for c characters, so the model reaches c times "
    "further back for the same price, at some loss of detail.",
    "The reconstruction error says how much detail was lost: how far attention over the compressed slot is from "
    "attention over the rows it replaced (0 = nothing lost).",
    "Colour in the text is surprise: bright = the model did not expect that character. t trains this model further "
    "(the training TUI); ? shows this tour again, Esc hides it.",
};
#define N_TOUR (int)(sizeof tour_steps / sizeof tour_steps[0])

void ui_watch_init(WatchUi *u, int caps, int tour) {
    memset(u, 0, sizeof *u);
    u->caps = caps;
    u->query = -1;
    u->head = -1;
    u->tour = tour;
}

int ui_watch_query(const WatchUi *u, const WatchView *v) {
    int n = v->attn.n_queries;
    if (n <= 0) return -1;
    return u->query < 0 || u->query >= n ? n - 1 : u->query;
}

void ui_attn_one_query(UiAttention *dst, const UiAttention *src, int q) {
    int keys = ui_attn_keys(src), hidden = src->n_queries - 1 - q; // current keys after the query
    *dst = *src;
    dst->n_queries = 1;
    dst->n_cur = src->n_cur - hidden;
    dst->query_pos = src->query_pos - hidden;
    memcpy(dst->mean[0], src->mean[q], sizeof(float) * keys);
    for (int h = 0; h < src->n_heads; h++) memcpy(dst->head[h][0], src->head[h][q], sizeof(float) * keys);
}

// ---- layout

typedef struct {
    UiRect status, heat_panel, heat, list, text, event, keys;
} WatchRects;

static WatchRects rects(int cols, int rows) {
    WatchRects r;
    int heat_h = (rows - 2) * 45 / 100, event_h = 3, list_w = cols >= 110 ? 46 : cols / 3;
    r.status = ui_rect(0, 0, cols, 1);
    r.heat_panel = ui_rect(0, 1, cols, heat_h);
    r.heat = ui_rect(0, 2, cols - list_w - 1, heat_h - 1);
    r.list = ui_rect(cols - list_w, 2, list_w, heat_h - 1);
    r.text = ui_rect(0, 1 + heat_h, cols, rows - 2 - heat_h - event_h);
    r.event = ui_rect(0, rows - 1 - event_h, cols, event_h);
    r.keys = ui_rect(0, rows - 1, cols, 1);
    return r;
}

// ---- keys and clicks

static void clamp_query(WatchUi *u, const WatchView *v, int q) {
    int n = v->attn.n_queries;
    u->query = n <= 0 ? -1 : q < 0 ? 0 : q >= n ? n - 1 : q;
}

static WatchAction goto_key(WatchUi *u, int key) {
    WatchAction a = {WA_NONE, 0, 0, ""};
    size_t n = strlen(u->goto_buf);
    if (key >= '0' && key <= '9' && n + 1 < sizeof u->goto_buf) u->goto_buf[n] = (char)key, u->goto_buf[n + 1] = 0;
    else if ((key == UI_KEY_BACKSPACE || key == 127 || key == 8) && n) u->goto_buf[n - 1] = 0;
    else if (key == UI_KEY_ESC || key == 27) u->goto_active = 0;
    else if (key == UI_KEY_ENTER || key == UI_KEY_LF) {
        u->goto_active = 0;
        if (n) a = (WatchAction){WA_GOTO, atol(u->goto_buf), 0, ""};
    }
    return a;
}

static const char *const command_list = ":dump [FILE] or :dump-data FILE.csv|.json";

static int ends_with(const char *s, const char *ext) {
    size_t n = strlen(s), e = strlen(ext);
    return n > e && !strcasecmp(s + n - e, ext);
}

WatchAction ui_watch_command(WatchUi *u, const char *line) {
    WatchAction a = {WA_NONE, 0, 0, ""};
    while (*line == ' ') line++;
    size_t name_len = strcspn(line, " ");
    const char *arg = line + name_len;
    while (*arg == ' ') arg++;
    size_t arg_len = strlen(arg);
    while (arg_len && arg[arg_len - 1] == ' ') arg_len--;
    int dump = name_len == 4 && !strncmp(line, "dump", 4), data = name_len == 9 && !strncmp(line, "dump-data", 9);
    if (!name_len) return a;
    if (!dump && !data) {
        snprintf(u->note, sizeof u->note, "unknown command :%.*s; use %s", (int)(name_len < 40 ? name_len : 40), line, command_list);
        return a;
    }
    if (arg_len >= sizeof a.path) {
        snprintf(u->note, sizeof u->note, "the file name is too long (at most %d bytes)", (int)sizeof a.path - 1);
        return a;
    }
    memcpy(a.path, arg, arg_len);
    a.path[arg_len] = 0;
    if (data && !ends_with(a.path, ".csv") && !ends_with(a.path, ".json"))
        snprintf(u->note, sizeof u->note, ":dump-data needs a file name ending in .csv or .json");
    else if (dump && arg_len && ui_export_format(a.path) == UI_EXPORT_NONE)
        snprintf(u->note, sizeof u->note, ":dump writes .svg, .txt or .ans: name the file so, or give no name for an SVG");
    else a.type = data ? WA_DUMP_DATA : WA_DUMP;
    return a;
}

// Typing after ':'; a UTF-8 character is removed whole by Backspace.
static WatchAction command_key(WatchUi *u, int key) {
    WatchAction a = {WA_NONE, 0, 0, ""};
    size_t n = strlen(u->cmd_buf);
    if (key >= 0x20 && key < 0x100 && key != 0x7f && n + 1 < sizeof u->cmd_buf) u->cmd_buf[n] = (char)key, u->cmd_buf[n + 1] = 0;
    else if (key == UI_KEY_BACKSPACE || key == 127 || key == 8) {
        while (n && ((unsigned char)u->cmd_buf[n - 1] & 0xc0) == 0x80) n--;
        if (n) u->cmd_buf[n - 1] = 0;
    } else if (key == UI_KEY_ESC || key == 27) u->cmd_active = 0;
    else if (key == UI_KEY_ENTER || key == UI_KEY_LF) {
        u->cmd_active = 0;
        a = ui_watch_command(u, u->cmd_buf);
    }
    return a;
}

WatchAction ui_watch_key(WatchUi *u, const WatchView *v, int key, float *speed) {
    WatchAction a = {WA_NONE, 0, 0, ""};
    if (u->goto_active) return goto_key(u, key);
    if (u->cmd_active) return command_key(u, key);
    u->note[0] = 0;
    if (u->tour && (key == UI_KEY_ESC || key == 27 || key == UI_KEY_ENTER || key == UI_KEY_LF || key == 'q' || key == 'Q')) {
        u->tour = 0;
        return a;
    }
    int q = ui_watch_query(u, v);
    switch (key) {
    case 'n': case UI_KEY_RIGHT: a.type = WA_NEXT; break;
    case 'p': case UI_KEY_LEFT: a.type = WA_BACK; break;
    case ' ': a.type = WA_PLAY; break;
    case '+': case '=': *speed = *speed * 2 > 200 ? 200 : *speed * 2; break;
    case '-': case '_': *speed = *speed / 2 < 0.25f ? 0.25f : *speed / 2; break;
    case 'g': u->goto_active = 1, u->goto_buf[0] = 0; break;
    case UI_KEY_UP: case ',': clamp_query(u, v, q - 1); break;
    case UI_KEY_DOWN: case '.': clamp_query(u, v, q + 1); break;
    case UI_KEY_HOME: clamp_query(u, v, 0); break;
    case UI_KEY_END: u->query = -1; break;
    case 'h': u->head = u->head + 1 >= v->n_heads || u->head + 1 >= UI_MAX_HEADS ? -1 : u->head + 1; break;
    case UI_KEY_TAB: case 'l': a = (WatchAction){WA_LAYER, 0, v->n_layers ? (v->layer + 1) % v->n_layers : 0, ""}; break;
    case UI_KEY_BTAB: case 'L': a = (WatchAction){WA_LAYER, 0, v->n_layers ? (v->layer + v->n_layers - 1) % v->n_layers : 0, ""}; break;
    case '?': u->tour = v->demo ? !u->tour : 0; if (!v->demo) snprintf(u->note, sizeof u->note, "keys: see the bottom line; memscope demo has the guided tour"); break;
    case 't': if (v->demo) a.type = WA_TRAIN; break;
    case 'd': a.type = WA_DUMP; break;
    case ':': u->cmd_active = 1, u->cmd_buf[0] = 0; break;
    case 'q': case 'Q': a.type = WA_QUIT; break;
    default: break;
    }
    return a;
}

// Where each shown character lands: row and column inside the text rect, from the first row shown.
typedef struct {
    int first_row, n_rows;
    int *row, *col;
} TextFlow;

static int flow_text(const WatchView *v, int w, TextFlow *f) {
    f->row = malloc(sizeof(int) * (v->text_n + 1));
    f->col = malloc(sizeof(int) * (v->text_n + 1));
    if (!f->row || !f->col) return -1;
    int r = 0, c = 0;
    for (int i = 0; i < v->text_n; i++) {
        if (c >= w) r++, c = 0;
        f->row[i] = r, f->col[i] = c++;
        if (v->text[i] == '\n') r++, c = 0;
    }
    f->n_rows = r + 1;
    return 0;
}

// First row shown so that the current segment sits two thirds down the panel.
static int first_row_for(const WatchView *v, const TextFlow *f, int h) {
    long seg_end = v->seg_first + (v->seg_n > 0 ? v->seg_n : 1) - v->text_first;
    int anchor = seg_end >= 0 && seg_end < v->text_n ? f->row[seg_end] : seg_end >= v->text_n && v->text_n ? f->row[v->text_n - 1] : 0;
    int first = anchor - h * 2 / 3;
    return first < 0 ? 0 : first;
}

void ui_watch_click(WatchUi *u, const WatchView *v, int cols, int rows, int x, int y) {
    WatchRects R = rects(cols, rows);
    int q, k;
    if (ui_heatmap_hit(u->caps, R.heat, &v->attn, x, y, &q, &k)) {
        clamp_query(u, v, q);
        return;
    }
    UiRect t = ui_rect(R.text.x, R.text.y + 1, R.text.w, R.text.h - 1);
    if (y < t.y || y >= t.y + t.h) return;
    TextFlow f;
    if (flow_text(v, t.w, &f) == 0) {
        int first = first_row_for(v, &f, t.h);
        for (int i = 0; i < v->text_n; i++)
            if (f.row[i] - first == y - t.y && f.col[i] == x - t.x) {
                long pos = v->text_first + i; // a query at pos predicts pos + 1
                if (pos >= v->seg_first && pos < v->seg_first + v->seg_n)
                    clamp_query(u, v, (int)(pos - v->seg_first) - (v->seg_n - v->attn.n_queries));
            }
    }
    free(f.row);
    free(f.col);
}

// ---- drawing

static void title(Grid *g, UiRect r, const char *text) {
    grid_title_rule(g, r.x, r.y, r.w, text, UI_STYLE(UI_COL_RULE, -1, 0), UI_STYLE(UI_COL_TITLE, -1, UI_A_BOLD));
}

static void draw_status(Grid *g, UiRect r, const WatchView *v) {
    char line[512];
    int n = snprintf(line, sizeof line, " %s  read %ld of %ld characters \xc2\xb7 segment %ld/%ld", v->playing ? "PLAYING" : "STILL",
                     v->read, v->total, v->segment, v->n_segments);
    if (isfinite(v->ce)) n += snprintf(line + n, sizeof line - (size_t)n, " \xc2\xb7 CE %.3f \xc2\xb7 bpc %.3f", v->ce, v->bpc);
    n += snprintf(line + n, sizeof line - (size_t)n, " \xc2\xb7 %g seg/s \xc2\xb7 %s", v->speed, v->title);
    grid_fill(g, r, ' ', UI_STYLE(-1, 236, 0));
    grid_put_str(g, r.x, r.y, r.w, line, UI_STYLE(v->playing ? UI_COL_OK : UI_COL_WARN, 236, UI_A_BOLD));
}

static void char_name(char *out, size_t n, int ch) {
    if (ch == '\n') snprintf(out, n, "\\n");
    else if (ch >= 0x20 && ch < 0x7f) snprintf(out, n, "%c", ch);
    else snprintf(out, n, "\\x%02x", ch & 0xff);
}

static int text_at(const WatchView *v, long pos) {
    long i = pos - v->text_first;
    return i >= 0 && i < v->text_n ? v->text[i] : '?';
}

static void draw_attention(Grid *g, const WatchRects *R, const WatchUi *u, const WatchView *v) {
    const UiAttention *a = &v->attn;
    int q = ui_watch_query(u, v);
    char t[200], heads[40], ch[8], next[8];
    if (u->head >= 0) snprintf(heads, sizeof heads, "head %d of %d", u->head, v->n_heads);
    else snprintf(heads, sizeof heads, "mean of %d heads", v->n_heads);
    if (q < 0 || !ui_attn_valid(a)) {
        snprintf(t, sizeof t, "Attention \xc2\xb7 layer %d \xc2\xb7 %s \xc2\xb7 press n to read the first segment", v->layer, heads);
        title(g, R->heat_panel, t);
        return;
    }
    long qpos = a->query_pos - (a->n_queries - 1 - q);
    char_name(ch, sizeof ch, text_at(v, qpos));
    char_name(next, sizeof next, text_at(v, qpos + 1));
    snprintf(t, sizeof t, "Attention of '%s' (character %ld, predicting '%s') \xc2\xb7 layer %d \xc2\xb7 %s", ch, qpos, next,
             v->layer, heads);
    title(g, R->heat_panel, t);
    ui_heatmap_draw(g, R->heat, a, u->head, q, ui_attn_keys(a) - a->n_queries + q, 1);
    UiAttention *one = malloc(sizeof *one);
    if (!one) return;
    ui_attn_one_query(one, a, q);
    grid_set_clip(g, R->list);
    ui_slots_top_list(g, R->list, one, u->head);
    grid_reset_clip(g);
    free(one);
}

static int loss_color(float loss) {
    if (!isfinite(loss)) return 244;
    return ui_ramp_color(ui_ramp_level(loss / 5.0f, UI_RAMP_LEVELS));
}

static UiStyle char_style(const WatchView *v, int i, long query_pos) {
    static const short bg_of[] = {-1, -1, 53, 17, 22}; // by WvMark: unread, gone, compressed, memory, current
    int mark = v->mark[i], bg = bg_of[mark < 5 ? mark : 0];
    if (mark == WV_CMEM && v->slot[i] % 2) bg = 90;
    int fg = mark == WV_UNREAD ? 240 : loss_color(v->loss[i]);
    int attr = v->text_first + i == query_pos ? UI_A_REVERSE | UI_A_BOLD : 0;
    return UI_STYLE(fg, bg, attr);
}

static void draw_text(Grid *g, UiRect r, const WatchUi *u, const WatchView *v) {
    title(g, r, "Text \xc2\xb7 colour = surprise \xc2\xb7 background = what the segment read: green itself, blue "
                "memory rows, magenta compressed slots");
    UiRect t = ui_rect(r.x, r.y + 1, r.w, r.h - 1);
    TextFlow f;
    if (t.h < 1 || flow_text(v, t.w, &f)) return;
    int first = first_row_for(v, &f, t.h), q = ui_watch_query(u, v);
    long query_pos = q < 0 ? -1 : v->attn.query_pos - (v->attn.n_queries - 1 - q);
    for (int i = 0; i < v->text_n; i++) {
        int y = f.row[i] - first;
        if (y < 0 || y >= t.h) continue;
        uint32_t cp = v->text[i] == '\n' ? 0x21b5 : v->text[i] < 0x20 || v->text[i] >= 0x7f ? 0xb7 : v->text[i];
        grid_put(g, t.x + f.col[i], t.y + y, cp, char_style(v, i, query_pos));
    }
    free(f.row);
    free(f.col);
}

static void draw_event(Grid *g, UiRect r, const WatchView *v) {
    char t[96];
    snprintf(t, sizeof t, "Compression \xc2\xb7 c = %d rows \xe2\x86\x92 1 slot", v->rate);
    title(g, r, t);
    if (!v->n_event) {
        grid_put_str(g, r.x + 1, r.y + 1, r.w - 1,
                     v->segment ? "this segment compressed nothing (memory had room)" : "nothing read yet",
                     UI_STYLE(-1, -1, UI_A_DIM));
        return;
    }
    int x = r.x + 1;
    x += grid_put_str(g, x, r.y + 1, r.w - 1, "this segment compressed ", UI_PLAIN);
    for (int i = 0; i < v->n_event && x < r.x + r.w; i++) {
        char s[160];
        snprintf(s, sizeof s, "%s'%s' (%ld\xe2\x80\x93%ld) \xe2\x86\x92 slot #%d", i ? " \xc2\xb7 " : "", v->event[i].text,
                 v->event[i].first, v->event[i].last, v->event[i].slot);
        x += grid_put_str(g, x, r.y + 1, r.x + r.w - x, s, UI_STYLE(UI_COL_CMEM, -1, 0));
    }
    char line[256] = "reconstruction error per layer:";
    for (int l = 0; l < v->n_layers && l < UI_MAX_LAYERS; l++) {
        size_t n = strlen(line);
        snprintf(line + n, sizeof line - n, " %s%d %.3f", l == v->layer ? "*" : "L", l, v->recon[l]);
    }
    grid_put_str(g, r.x + 1, r.y + 2, r.w - 1, line, UI_PLAIN);
}

static void draw_keys(Grid *g, UiRect r, const WatchUi *u, const WatchView *v) {
    char line[WV_PATH + 200];
    if (u->goto_active) snprintf(line, sizeof line, " go to character: %s_   (Enter jumps, Esc cancels)", u->goto_buf);
    else if (u->cmd_active) snprintf(line, sizeof line, " :%s_   (Enter runs, Esc cancels; dump [FILE] \xc2\xb7 dump-data FILE.csv|.json)", u->cmd_buf);
    else if (u->note[0] || v->message[0]) snprintf(line, sizeof line, " %s", u->note[0] ? u->note : v->message);
    else snprintf(line, sizeof line, " n/\xe2\x86\x92 next \xc2\xb7 p/\xe2\x86\x90 back \xc2\xb7 Space play \xc2\xb7 +/- speed \xc2\xb7 g go to "
                  "\xc2\xb7 \xe2\x86\x91\xe2\x86\x93/click: character \xc2\xb7 Tab layer \xc2\xb7 h head \xc2\xb7 d/: dump%s \xc2\xb7 q quit",
                  v->demo ? " \xc2\xb7 ? tour \xc2\xb7 t train" : "");
    grid_put_str(g, r.x, r.y, r.w, line, UI_STYLE(-1, -1, u->goto_active || u->cmd_active ? UI_A_BOLD : UI_A_DIM));
}

// Word-wraps text into rows of at most w columns from (x, y); returns the rows used (at most max_rows).
// With g NULL it only counts them.
static int wrap(Grid *g, int x, int y, int w, int max_rows, const char *text, UiStyle st) {
    int rows = 0;
    const char *p = text;
    while (*p && rows < max_rows) {
        int len = (int)strlen(p), cut = len, cols = 0;
        for (int i = 0; i < len; i++) {
            if (((unsigned char)p[i] & 0xc0) != 0x80) cols++;
            if (cols > w) {
                cut = i;
                while (cut > 0 && p[cut] != ' ') cut--;
                if (cut == 0) cut = i;
                break;
            }
        }
        if (g) grid_put_strn(g, x, y + rows, w, p, cut, st);
        rows++;
        p += cut;
        while (*p == ' ') p++;
    }
    return rows;
}

static void draw_tour(Grid *g) {
    int w = g->w - 8 < 96 ? g->w - 8 : 96, lines = 0;
    for (int i = 0; i < N_TOUR; i++) lines += wrap(NULL, 0, 0, w - 7, 100, tour_steps[i], UI_PLAIN);
    int h = lines + 4 < g->h - 2 ? lines + 4 : g->h - 2;
    UiRect box = ui_rect((g->w - w) / 2, (g->h - h) / 2, w, h);
    UiStyle st = UI_STYLE(-1, UI_COL_HELP_BG, 0);
    grid_fill(g, box, ' ', st);
    grid_box(g, box, UI_STYLE(UI_COL_RULE, UI_COL_HELP_BG, 0));
    grid_put_str(g, box.x + 2, box.y, w - 4, " A guided tour of the Compressive Transformer's memory ",
                 UI_STYLE(UI_COL_TITLE, UI_COL_HELP_BG, UI_A_BOLD));
    int y = box.y + 1;
    for (int i = 0; i < N_TOUR && y < box.y + h - 2; i++) {
        char num[16];
        snprintf(num, sizeof num, "%d.", i + 1);
        grid_put_str(g, box.x + 2, y, 3, num, UI_STYLE(UI_COL_CMEM, UI_COL_HELP_BG, UI_A_BOLD));
        y += wrap(g, box.x + 5, y, w - 7, box.y + h - 2 - y, tour_steps[i], st);
    }
    grid_put_str(g, box.x + 2, box.y + h - 2, w - 4, "Esc, Enter or q: close \xc2\xb7 ? brings it back",
                 UI_STYLE(-1, UI_COL_HELP_BG, UI_A_DIM));
}

void ui_watch_render(const WatchUi *u, const WatchView *v, Grid *g) {
    grid_clear(g);
    if (g->w < UI_MIN_COLS || g->h < UI_MIN_ROWS) {
        ui_draw_too_small(g);
        return;
    }
    WatchRects R = rects(g->w, g->h);
    draw_status(g, R.status, v);
    draw_attention(g, &R, u, v);
    draw_text(g, R.text, u, v);
    draw_event(g, R.event, v);
    draw_keys(g, R.keys, u, v);
    if (u->tour) draw_tour(g);
}
