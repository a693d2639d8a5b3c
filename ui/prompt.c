// readline inside curses: we feed the bytes, readline edits, our redisplay hook copies the line out.
#include "ui/prompt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <wchar.h>

#include <readline/history.h>
#include <readline/readline.h>

static struct {
    int installed;
    int pending;          // the byte readline reads next, -1 when none
    UiState *ui;          // set for the duration of a feed
    char *done;           // the line the last feed completed (readline's allocation), or NULL
    char history[1024];   // "" = no history file
    FILE *null_out;
} P = {0, -1, NULL, NULL, "", NULL};

int ui_prompt_column(const char *line, int point) {
    mbstate_t st;
    memset(&st, 0, sizeof st);
    int col = 0;
    for (int i = 0; i < point && line[i];) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, line + i, (size_t)(point - i), &st);
        if (n == (size_t)-1 || n == (size_t)-2 || n == 0) { // invalid or cut: one column per byte
            memset(&st, 0, sizeof st);
            col++;
            i++;
            continue;
        }
        int w = wcwidth(wc);
        col += w < 0 ? 1 : w;
        i += (int)n;
    }
    return col;
}

static int getc_hook(FILE *f) {
    (void)f;
    int c = P.pending;
    P.pending = -1;
    return c < 0 ? EOF : c;
}

static int input_available_hook(void) { return P.pending >= 0; }

static void redisplay_hook(void) {
    if (!P.ui) return;
    snprintf(P.ui->line, sizeof P.ui->line, "%s", rl_line_buffer ? rl_line_buffer : "");
    int point = rl_point < (int)strlen(P.ui->line) ? rl_point : (int)strlen(P.ui->line);
    P.ui->line_point = point;
    P.ui->line_col = ui_prompt_column(P.ui->line, point);
}

static void line_hook(char *line) {
    if (!P.ui) {
        free(line);
        return;
    }
    if (!line) { // Ctrl-D on an empty line
        P.ui->focus = UI_FOCUS_MAIN;
        return;
    }
    HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
    if (line[0] && (!last || strcmp(last->line, line))) add_history(line);
    P.done = line;
}

static int ignore_key(int count, int key) {
    (void)count, (void)key;
    return 0;
}

int ui_prompt_history_path(char *buf, size_t n) {
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/') snprintf(buf, n, "%s/memscope/history", xdg);
    else if (home && home[0]) snprintf(buf, n, "%s/.local/state/memscope/history", home);
    else return -1;
    return 0;
}

static void setup_readline(void) {
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_prep_term_function = NULL;
    rl_deprep_term_function = NULL;
    rl_change_environment = 0;
    rl_readline_name = "memscope";
    rl_getc_function = getc_hook;
    rl_input_available_hook = input_available_hook;
    rl_redisplay_function = redisplay_hook;
    if (!P.null_out) P.null_out = fopen("/dev/null", "w");
    if (P.null_out) rl_outstream = P.null_out; // bells and listings must not reach the screen
    rl_callback_handler_install("", line_hook);
    rl_variable_bind("bell-style", "none");
    rl_variable_bind("enable-bracketed-paste", "off");
    rl_bind_key('\t', ignore_key);
    P.installed = 1;
}

int ui_prompt_init(UiState *ui, const char *history_path) {
    P.ui = ui;
    if (!history_path) {
        if (ui_prompt_history_path(P.history, sizeof P.history)) P.history[0] = 0;
    } else snprintf(P.history, sizeof P.history, "%s", history_path);
    using_history();
    clear_history();
    stifle_history(1000);
    if (P.history[0]) read_history(P.history); // a missing file is fine
    setup_readline();
    P.ui = NULL;
    return 0;
}

const char *ui_prompt_feed(UiState *ui, int byte) {
    free(P.done);
    P.done = NULL;
    P.ui = ui;
    if (!P.installed) setup_readline();
    P.pending = byte & 0xFF;
    rl_callback_read_char();
    P.pending = -1;
    P.ui = NULL;
    return P.done;
}

// mkdir -p of the directory part of path.
static void make_parent_dirs(const char *path) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(dir, 0700) && errno != EEXIST) return;
        *p = '/';
    }
}

void ui_prompt_end(void) {
    if (P.history[0]) {
        make_parent_dirs(P.history);
        write_history(P.history);
    }
    free(P.done);
    P.done = NULL;
    if (P.installed) rl_callback_handler_remove();
    P.installed = 0;
    if (P.null_out) fclose(P.null_out);
    P.null_out = NULL;
    rl_outstream = NULL;
}
