// Prompt line parser: generation prompts and ':' commands.
#include "ui/cmdline.h"

#include "ui/bindings.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(UiLineResult *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(UiLineResult *out, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof out->message, fmt, ap);
    va_end(ap);
    out->is_error = 1;
    out->n_cmds = 0;
}

static UiCommand *add_cmd(UiLineResult *out, UiCommandType t) {
    UiCommand *c = &out->cmds[out->n_cmds++];
    memset(c, 0, sizeof *c);
    c->type = t;
    return c;
}

static int parse_int(const char *s, long lo, long hi, int *v) {
    if (!s || !*s) return 0;
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || *end || x < lo || x > hi) return 0;
    *v = (int)x;
    return 1;
}

static int parse_float(const char *s, float lo, float hi, float *v) {
    if (!s || !*s) return 0;
    char *end;
    errno = 0;
    float x = strtof(s, &end);
    if (errno || *end || !isfinite(x) || x < lo || x > hi) return 0;
    *v = x;
    return 1;
}

static void generate(const char *text, const UiGenSettings *gs, UiLineResult *out) {
    UiCommand *c = add_cmd(out, UI_CMD_GENERATE);
    size_t n = strlen(text);
    if (n >= sizeof c->text) {
        n = sizeof c->text - 1;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80) n--; // cut at a character boundary
        snprintf(out->message, sizeof out->message, "prompt cut to its first %zu bytes", n);
    }
    memcpy(c->text, text, n);
    c->text[n] = 0;
    c->ival = gs->gen_length;
    c->fval = gs->temperature;
    c->top_k = gs->top_k;
}

// Splits "name arg rest" in place: returns the name; *arg = the rest with blanks trimmed ("" if none).
static char *split(char *s, char **arg) {
    char *p = s;
    while (*p && !isspace((unsigned char)*p)) p++;
    if (*p) *p++ = 0;
    while (isspace((unsigned char)*p)) p++;
    char *e = p + strlen(p);
    while (e > p && isspace((unsigned char)e[-1])) *--e = 0;
    *arg = p;
    return s;
}

static int has_space(const char *s) {
    for (; *s; s++)
        if (isspace((unsigned char)*s)) return 1;
    return 0;
}

static void number_cmd(const char *name, const char *arg, UiLineResult *out) {
    int iv;
    float fv;
    if (has_space(arg)) {
        fail(out, ":%s takes one value", name);
    } else if (!strcmp(name, "rate")) { // the range is the engine's: the trainer checks it and says why
        if (!parse_int(arg, INT_MIN, INT_MAX, &iv)) fail(out, ":rate needs a whole number, e.g. :rate 4");
        else add_cmd(out, UI_CMD_SET_RATE)->ival = iv;
    } else if (!strcmp(name, "temp")) {
        if (!parse_float(arg, 0, 100, &fv)) fail(out, ":temp needs a number >= 0 (0 = greedy), e.g. :temp 0.8");
        else add_cmd(out, UI_CMD_SET_TEMP)->fval = fv;
    } else if (!strcmp(name, "len")) {
        if (!parse_int(arg, 1, 1000000, &iv)) fail(out, ":len needs a whole number >= 1, e.g. :len 200");
        else add_cmd(out, UI_CMD_SET_LEN)->ival = iv;
    } else {
        if (!parse_int(arg, 0, 1000000, &iv)) fail(out, ":topk needs a whole number >= 0 (0 = off), e.g. :topk 40");
        else add_cmd(out, UI_CMD_SET_TOPK)->ival = iv;
    }
}

static int simple_cmd(const char *name, UiLineResult *out) {
    static const struct {
        const char *name;
        UiCommandType type;
    } table[] = {{"validate", UI_CMD_VALIDATE}, {"pause", UI_CMD_PAUSE}, {"resume", UI_CMD_RESUME},
                 {"step", UI_CMD_STEP},         {"quit!", UI_CMD_QUIT}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(name, table[i].name)) {
            add_cmd(out, table[i].type);
            return 1;
        }
    return 0;
}

static void save_cmd(const char *path, UiLineResult *out) {
    size_t n = strlen(path);
    if (n >= UI_CMD_TEXT_BYTES) {
        fail(out, ":save path is too long (%zu bytes)", n);
        return;
    }
    memcpy(add_cmd(out, UI_CMD_SAVE)->text, path, n + 1);
}

static const char *const no_names[] = {NULL};
UiCompressChoices ui_compress_choices = {no_names, no_names, NULL, NULL};
static char fn_help[160] = "compression function", loss_help[160] = "compression loss";

static void join_names(const char *const *names, const char *sep, char *out, size_t n) {
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; names[i] && used < n; i++)
        used += (size_t)snprintf(out + used, n - used, "%s%s", i ? sep : "", names[i]);
}

void ui_set_compress_choices(const UiCompressChoices *choices) {
    ui_compress_choices = *choices;
    char list[128];
    join_names(choices->fn_names, ", ", list, sizeof list);
    snprintf(fn_help, sizeof fn_help, "compression function: %s", list);
    join_names(choices->loss_names, ", ", list, sizeof list);
    snprintf(loss_help, sizeof loss_help, "compression loss: %s", list);
    ui_bindings_set_compress_cycle(choices->fn_names);
}

// :compress NAME and :compress_loss NAME. The name is checked here so a typo is one clear message at
// once; the trainer parses it again with the engine's own parser.
static void compress_cmd(const char *name, const char *arg, UiLineResult *out) {
    int loss = !strcmp(name, "compress_loss");
    const UiCompressChoices *ch = &ui_compress_choices;
    int (*known)(const char *) = loss ? ch->loss_known : ch->fn_known;
    char list[96];
    join_names(loss ? ch->loss_names : ch->fn_names, ", ", list, sizeof list);
    if (!*arg || has_space(arg) || !known || !known(arg)) {
        if (*arg) fail(out, "unknown %s '%.40s': use one of %s", loss ? "compression loss" : "compression function", arg, list);
        else fail(out, ":%s needs a name: %s", name, list);
        return;
    }
    UiCommand *c = add_cmd(out, loss ? UI_CMD_SET_COMPRESS_LOSS : UI_CMD_SET_COMPRESS);
    snprintf(c->text, sizeof c->text, "%.63s", arg); // a known name: short
}

const UiLineCommand ui_line_commands[] = {
    {"rate", "", "N", "compression rate N from the next compression on"},
    {"temp", "", "T", "sampling temperature of the next generation (0 = greedy)"},
    {"len", "", "N", "characters the next generation writes"},
    {"topk", "", "K", "sample among the K likeliest characters (0 = off)"},
    {"compress", "", "NAME", fn_help},
    {"compress_loss", "", "NAME", loss_help},
    {"save", "", "[PATH]", "save a checkpoint (to PATH, else where s saves)"},
    {"validate", "val", "", "validate now"},
    {"pause", "", "", "pause training"},
    {"resume", "", "", "resume training"},
    {"step", "", "", "one training step while paused or stopped"},
    {"dump", "", "[FILE]", "write the screen as drawn: FILE.svg, .txt or .ans (default: an SVG named by step and time)"},
    {"dump-data", "", "FILE", "write the numbers behind the view: FILE.csv or FILE.json"},
    {"zoom", "", "N", "loss plot: the last N steps (0 = the whole run)"},
    {"help", "h ?", "", "this help"},
    {"quit", "q", "", "quit (asks first when there is unsaved progress)"},
    {"quit!", "q!", "", "quit without the save question"},
};
const int ui_line_command_count = (int)(sizeof ui_line_commands / sizeof ui_line_commands[0]);

// The command's own name for a name or an alias; NULL when there is none.
static const char *canonical(const char *name) {
    size_t n = strlen(name);
    for (int i = 0; i < ui_line_command_count; i++) {
        const UiLineCommand *c = &ui_line_commands[i];
        if (!strcmp(c->name, name)) return c->name;
        for (const char *a = c->aliases; *a;) {
            size_t len = strcspn(a, " ");
            if (len == n && !strncmp(a, name, n)) return c->name;
            a += len;
            while (*a == ' ') a++;
        }
    }
    return NULL;
}

static void dump_cmd(const char *name, const char *arg, UiLineResult *out) {
    int data = !strcmp(name, "dump-data");
    if (data && !*arg) {
        fail(out, ":dump-data needs a file name ending in .csv or .json");
        return;
    }
    if (strlen(arg) >= sizeof out->dump_path) {
        fail(out, ":%s file name is too long", name);
        return;
    }
    out->dump = data ? 2 : 1;
    memcpy(out->dump_path, arg, strlen(arg) + 1); // fits: checked above
}

static void zoom_cmd(const char *arg, UiLineResult *out) {
    int n;
    if (!parse_int(arg, 0, 1000000000, &n)) fail(out, ":zoom needs a whole number of steps >= 0 (0 = the whole run)");
    else out->zoom = n;
}

static void command(char *body, UiLineResult *out) {
    char *arg, *typed = split(body, &arg);
    const char *name = canonical(typed);
    if (!name) {
        fail(out, "unknown command :%s (try :help)", typed);
        return;
    }
    int takes_number = !strcmp(name, "rate") || !strcmp(name, "temp") || !strcmp(name, "len") || !strcmp(name, "topk");
    if (takes_number) number_cmd(name, arg, out);
    else if (!strcmp(name, "save")) save_cmd(arg, out);
    else if (!strcmp(name, "compress") || !strcmp(name, "compress_loss")) compress_cmd(name, arg, out);
    else if (!strcmp(name, "dump") || !strcmp(name, "dump-data")) dump_cmd(name, arg, out);
    else if (!strcmp(name, "zoom")) zoom_cmd(arg, out);
    else if (*arg) fail(out, ":%s takes no argument", name);
    else if (!strcmp(name, "help")) out->show_help = 1;
    else if (!strcmp(name, "quit")) out->quit = 1;
    else if (!simple_cmd(name, out)) fail(out, "unknown command :%s (try :help)", name);
}

void ui_parse_line(const char *line, const UiGenSettings *gs, UiLineResult *out) {
    memset(out, 0, sizeof *out);
    out->zoom = -1;
    const char *p = line;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) {
        out->empty = 1;
        return;
    }
    if (p[0] != ':' || p[1] == ':') {  // "::text" generates from ":text"
        generate(p[0] == ':' ? p + 1 : line, gs, out);
        return;
    }
    char body[UI_CMD_TEXT_BYTES + 64];
    snprintf(body, sizeof body, "%s", p + 1);
    if (!body[0] || isspace((unsigned char)body[0])) {
        fail(out, "a command follows ':' directly, e.g. :rate 4 (try :help)");
        return;
    }
    command(body, out);
}
