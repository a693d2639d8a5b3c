// Help overlay text and drawing. This is the one place the key scheme is written down.
#include "ui/help.h"

#include "ui/bindings.h"
#include "ui/cmdline.h"
#include "ui/color.h"

#include <stdio.h>

#include <string.h>

typedef enum { H_HEAD, H_KEY, H_TEXT, H_GAP, H_KEYS, H_CMDS } HelpKind; // KEYS, CMDS: the tables

typedef struct {
    HelpKind kind;
    const char *a, *b; // key and description, or a heading, or a paragraph
} HelpItem;

static const HelpItem items[] = {
    {H_HEAD, "Keys", NULL},
    {H_KEYS, NULL, NULL},
    {H_GAP, NULL, NULL},
    {H_HEAD, "Prompt", NULL},
    {H_TEXT, "Text you type is fed to the model, which continues it on a copy of its memory, so training is "
             "not disturbed. A line starting with ':' is a command:", NULL},
    {H_CMDS, NULL, NULL},
    {H_GAP, NULL, NULL},
    {H_HEAD, "What you are looking at", NULL},
    {H_TEXT, "A Compressive Transformer reads text one segment of Q characters at a time. Every layer keeps "
             "its inputs from recent segments as memory; when the memory is full, the oldest c rows are "
             "squeezed by a learned function into one compressed slot, so the model can still look far back, "
             "at a coarser grain.", NULL},
    {H_GAP, NULL, NULL},
    {H_TEXT, "Attention: rows are the characters of the current segment (the queries), columns are every "
             "slot they can read: compressed memory (oldest, left), memory, then the current segment (the dark "
             "triangle is the causal mask). Brighter means more attention (square-root scale). Column labels give "
             "the age in characters; the cursor line shows the text behind a slot.", NULL},
    {H_GAP, NULL, NULL},
    {H_TEXT, "Layers: for every layer, the share of attention that went to compressed memory, memory and the "
             "current segment. A layer with a large compressed share is using the long-range memory.", NULL},
    {H_GAP, NULL, NULL},
    {H_TEXT, "Loss: training cross-entropy per step (nats per character) and the periodic validation loss; "
             "bits per character = CE / ln 2. Guessing uniformly among 65 characters costs 4.17.", NULL},
    {H_GAP, NULL, NULL},
    {H_TEXT, "Reconstruction: how well each layer's compressed slots stand in for the memories they replaced "
             "(the attention-reconstruction loss). It trains only the compression functions; lower is better.",
     NULL},
    {H_GAP, NULL, NULL},
    {H_TEXT, "Figure 2 (b): each of compressed memory, memory and current segment cut into 6 buckets of slots, "
             "oldest to newest, and the mean attention weight per slot of each bucket, per layer and over all "
             "layers, from the recent training steps. In the paper the weight falls with age through the segment "
             "and the memory, then rises again on the compressed memory: compressed slots are preferred to old "
             "raw memories. Beside it, each layer's attention-reconstruction "
             "loss (mean \xc2\xb1 sd over recent compressions), measured whatever the compression loss.", NULL},
    {H_GAP, NULL, NULL},
    {H_TEXT, "Recall (only on the recall corpus, --data builtin:recall): every few seconds a stretch of the "
             "held-out split is read from an empty memory and each answer character the model ranks first "
             "counts as right; the rows are distance buckets (how far back the fact was stated) up to what "
             "memory, compressed memory and beyond reach.", NULL},
    {H_GAP, NULL, NULL},
    {H_TEXT, "Output: the prompt (dim) and the model's continuation. While it is generating, the heatmap "
             "shows the generation's own attention: watch it read its memory as it writes.", NULL},
};

enum { KEY_COL = 12, CMD_COL = 22 };

// Receives every wrapped display line (text, len bytes, drawn at column `indent`).
typedef void (*EmitFn)(void *ctx, int line, const HelpItem *it, const char *text, int len, int indent);

static int wrap_text(const char *s, int width, int line, const HelpItem *it, int indent, EmitFn emit, void *ctx) {
    int len = (int)strlen(s);
    if (width < 8) width = 8;
    for (int i = 0; i < len;) {
        while (s[i] == ' ') i++;
        if (i >= len) break;
        int end = i, last_space = -1;
        for (int col = 0; end < len && col < width; end++) {
            if (s[end] == ' ') last_space = end;
            if (((unsigned char)s[end] & 0xC0) != 0x80) col++;
        }
        if (end < len && last_space > i) end = last_space;
        while (end < len && ((unsigned char)s[end] & 0xC0) == 0x80) end++; // never split a UTF-8 sequence
        if (emit) emit(ctx, line, it, s + i, end - i, indent);
        line++;
        i = end;
    }
    return line;
}

// One line per binding of the key table (ui/bindings.c); bindings without a label share the line above.
static int layout_keys(int w, int line, EmitFn emit, void *ctx) {
    for (int i = 0; i < ui_binding_count; i++) {
        const UiBinding *b = &ui_bindings[i];
        if (!b->label) continue;
        HelpItem it = {H_KEY, b->label, b->help};
        line = wrap_text(it.b, w - KEY_COL, line, &it, KEY_COL, emit, ctx);
    }
    return line;
}

// One line per ':' command of the parser's table (ui/cmdline.c).
static int layout_commands(int w, int line, EmitFn emit, void *ctx) {
    for (int i = 0; i < ui_line_command_count; i++) {
        const UiLineCommand *c = &ui_line_commands[i];
        char label[48], text[200];
        snprintf(label, sizeof label, ":%s%s%s", c->name, c->args[0] ? " " : "", c->args);
        if (c->aliases[0]) snprintf(text, sizeof text, "%s (also :%s)", c->help, c->aliases);
        else snprintf(text, sizeof text, "%s", c->help);
        HelpItem it = {H_KEY, label, text};
        line = wrap_text(text, w - CMD_COL, line, &it, CMD_COL, emit, ctx);
    }
    return line;
}

static int layout_items(int w, EmitFn emit, void *ctx) {
    int line = 0;
    for (size_t k = 0; k < sizeof items / sizeof items[0]; k++) {
        const HelpItem *it = &items[k];
        if (it->kind == H_GAP) line++;
        else if (it->kind == H_KEYS) line = layout_keys(w, line, emit, ctx);
        else if (it->kind == H_CMDS) line = layout_commands(w, line, emit, ctx);
        else if (it->kind == H_HEAD) {
            if (emit) emit(ctx, line, it, it->a, (int)strlen(it->a), 0);
            line++;
        } else line = wrap_text(it->a, w, line, it, 0, emit, ctx);
    }
    return line;
}

int ui_help_line_count(int w) { return layout_items(w, NULL, NULL); }

typedef struct {
    Grid *g;
    UiRect in;
    int scroll;
} DrawCtx;

static void emit_line(void *vctx, int line, const HelpItem *it, const char *text, int len, int indent) {
    DrawCtx *c = vctx;
    int y = c->in.y + line - c->scroll;
    if (y < c->in.y || y >= c->in.y + c->in.h) return;
    UiStyle st = it->kind == H_HEAD ? UI_STYLE(UI_COL_WARN, UI_COL_HELP_BG, UI_A_BOLD) : UI_STYLE(-1, UI_COL_HELP_BG, 0);
    if (it->kind == H_KEY && text == it->b)  // the first line of a key entry shows the key
        grid_put_str(c->g, c->in.x + 1, y, indent - 2, it->a, UI_STYLE(UI_COL_GEN, UI_COL_HELP_BG, UI_A_BOLD));
    grid_put_strn(c->g, c->in.x + indent, y, c->in.w - indent, text, len, st);
}

// Box size on a cols x rows screen; returns 0 when it does not fit.
static int box_size(int cols, int rows, int *w, int *h, int *total) {
    *w = cols - 4 < 96 ? cols - 4 : 96;
    *h = rows - 2;
    if (*w < 30 || *h < 5) return 0;
    *total = ui_help_line_count(*w - 4);
    if (*total + 2 < *h) *h = *total + 2;
    return 1;
}

int ui_help_max_scroll(int cols, int rows) {
    int w, h, total;
    if (!box_size(cols, rows, &w, &h, &total)) return 0;
    return total - (h - 2) > 0 ? total - (h - 2) : 0;
}

void ui_help_draw(Grid *g, UiRect screen, int scroll) {
    int w, h, total;
    if (!box_size(screen.w, screen.h, &w, &h, &total)) return;
    int inner_w = w - 4;
    UiRect box = ui_rect(screen.x + (screen.w - w) / 2, screen.y + (screen.h - h) / 2, w, h);
    UiRect in = ui_rect(box.x + 2, box.y + 1, inner_w, h - 2);
    int max_scroll = ui_help_max_scroll(screen.w, screen.h);
    scroll = scroll < 0 ? 0 : scroll > max_scroll ? max_scroll : scroll;
    grid_fill(g, box, ' ', UI_STYLE(-1, UI_COL_HELP_BG, 0));
    grid_box(g, box, UI_STYLE(UI_COL_TITLE, UI_COL_HELP_BG, 0));
    grid_put_str(g, box.x + 2, box.y, w - 4, " memscope help ", UI_STYLE(UI_COL_TITLE, UI_COL_HELP_BG, UI_A_BOLD));
    DrawCtx c = {g, in, scroll};
    layout_items(inner_w, emit_line, &c);
    if (max_scroll > 0) {
        const char *more = scroll < max_scroll ? " \xe2\x86\x93 more " : " top \xe2\x86\x91 ";
        grid_put_str(g, box.x + w - 12, box.y + h - 1, 10, more, UI_STYLE(UI_COL_WARN, UI_COL_HELP_BG, 0));
    }
}
