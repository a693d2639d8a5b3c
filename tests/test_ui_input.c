// UI input: keys -> posted commands and state, mouse clicks, prompt lines and ':' commands, readline.
#include "harness.h"
#include "tests/ui_fixture.h"
#include "app/config_help.h"
#include "ui/cmdline.h"
#include "ui/heatmap.h"
#include "ui/help.h"
#include "ui/keys.h"
#include "ui/prompt.h"
#include "ui/render.h"
#include "ui/term.h"
#include "ui/tui.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    UiSnapshot *s;
    UiState ui;
    UiTestRec rec;
} Fix;

static Fix *fix_new(void) {
    Fix *f = calloc(1, sizeof *f);
    CHECK(f != NULL);
    f->s = malloc(sizeof *f->s);
    CHECK(f->s != NULL);
    ui_test_fill_snapshot(f->s);
    ui_state_init(&f->ui, FULL_CAPS);
    ui_compress_choices_from_engine(); // as the app does at start
    ui_update(&f->ui, f->s, 80, 24);
    return f;
}

static void fix_free(Fix *f) {
    free(f->s);
    free(f);
}

static void key(Fix *f, int k) { ui_handle_key(&f->ui, k, ui_test_post, &f->rec); }

static void keys(Fix *f, const char *bytes) {
    for (const char *p = bytes; *p; p++) key(f, (unsigned char)*p);
}

static UiCommandType last_type(const Fix *f) { return f->rec.n ? f->rec.cmds[f->rec.n - 1].type : UI_CMD_NONE; }

#define CHECK_POSTED(f, n_, type_)                                                                    \
    do {                                                                                              \
        CHECK_MSG((f)->rec.n == (n_), "%d commands posted, expected %d", (f)->rec.n, (n_));            \
        CHECK_MSG(last_type(f) == (type_), "last command %s, expected %s", ui_command_name(last_type(f)), \
                  ui_command_name(type_));                                                            \
    } while (0)

// --- keys ---

TEST(ui_key_space_posts_pause_then_resume) {
    Fix *f = fix_new();
    key(f, ' ');
    CHECK_POSTED(f, 1, UI_CMD_PAUSE);
    key(f, ' ');
    CHECK_POSTED(f, 2, UI_CMD_RESUME);
    f->s->state = UI_RUN_PAUSED; // the trainer reports PAUSED: Space resumes
    f->s->seq++;
    ui_update(&f->ui, f->s, 80, 24);
    key(f, ' ');
    CHECK_POSTED(f, 3, UI_CMD_RESUME);
    fix_free(f);
}

TEST(ui_key_n_steps_only_while_paused) {
    Fix *f = fix_new();
    key(f, 'n');
    CHECK_INT_EQ(f->rec.n, 0);
    CHECK(strstr(f->ui.message, "Space") != NULL);
    key(f, ' ');
    key(f, 'n');
    CHECK_POSTED(f, 2, UI_CMD_STEP);
    fix_free(f);
}

TEST(ui_key_plus_minus_post_rate_changes) {
    Fix *f = fix_new();
    key(f, '+');
    CHECK_POSTED(f, 1, UI_CMD_RATE_UP);
    key(f, '-');
    CHECK_POSTED(f, 2, UI_CMD_RATE_DOWN);
    key(f, 's');
    CHECK_POSTED(f, 3, UI_CMD_SAVE);
    CHECK_INT_EQ(f->rec.cmds[2].text[0], 0);
    key(f, 'v');
    CHECK_POSTED(f, 4, UI_CMD_VALIDATE);
    fix_free(f);
}

TEST(ui_key_layer_selection_wraps_and_posts_view) {
    Fix *f = fix_new();
    key(f, UI_KEY_TAB);
    CHECK_INT_EQ(f->ui.layer, 1);
    CHECK_POSTED(f, 1, UI_CMD_VIEW_LAYER);
    CHECK_INT_EQ(f->rec.cmds[0].ival, 1);
    key(f, UI_KEY_LEFT);
    key(f, UI_KEY_LEFT);
    CHECK_INT_EQ(f->ui.layer, 5);
    CHECK_INT_EQ(f->rec.cmds[2].ival, 5);
    key(f, UI_KEY_RIGHT);
    CHECK_INT_EQ(f->ui.layer, 0);
    key(f, UI_KEY_BTAB);
    CHECK_INT_EQ(f->ui.layer, 5);
    fix_free(f);
}

TEST(ui_key_h_cycles_mean_and_each_head) {
    Fix *f = fix_new();
    CHECK_INT_EQ(f->ui.head, -1);
    for (int h = 0; h < 4; h++) {
        key(f, 'h');
        CHECK_INT_EQ(f->ui.head, h);
    }
    key(f, 'h');
    CHECK_INT_EQ(f->ui.head, -1);
    CHECK_INT_EQ(f->rec.n, 0); // head mode is local
    fix_free(f);
}

TEST(ui_key_q_asks_when_unsaved) {
    Fix *f = fix_new();
    key(f, 'q');
    CHECK_INT_EQ(f->rec.n, 0);
    CHECK(f->ui.confirm_quit);
    CHECK(!f->ui.quit);
    key(f, UI_KEY_ESC); // cancel
    CHECK(!f->ui.confirm_quit);
    CHECK_INT_EQ(f->rec.n, 0);
    key(f, 'q');
    key(f, 'y'); // save, then quit
    CHECK_INT_EQ(f->rec.n, 2);
    CHECK_INT_EQ(f->rec.cmds[0].type, UI_CMD_SAVE);
    CHECK_INT_EQ(f->rec.cmds[1].type, UI_CMD_QUIT);
    CHECK(f->ui.quit);
    fix_free(f);
}

TEST(ui_key_q_quits_at_once_when_saved) {
    Fix *f = fix_new();
    f->s->unsaved = 0;
    ui_update(&f->ui, f->s, 80, 24);
    key(f, 'q');
    CHECK_POSTED(f, 1, UI_CMD_QUIT);
    CHECK(f->ui.quit);
    fix_free(f);
}

TEST(ui_key_q_then_n_quits_without_saving) {
    Fix *f = fix_new();
    key(f, 'q');
    key(f, 'n');
    CHECK_POSTED(f, 1, UI_CMD_QUIT);
    fix_free(f);
}

TEST(ui_key_help_overlay_is_modal) {
    Fix *f = fix_new();
    key(f, '?');
    CHECK(f->ui.help);
    key(f, ' '); // scrolls the help, does not pause
    key(f, '+');
    CHECK_INT_EQ(f->rec.n, 0);
    key(f, UI_KEY_ESC);
    CHECK(!f->ui.help);
    key(f, UI_KEY_F1);
    CHECK(f->ui.help);
    key(f, '?');
    CHECK(!f->ui.help);
    fix_free(f);
}

TEST(ui_key_help_scroll_stops_at_the_end) {
    Fix *f = fix_new();
    key(f, '?');
    for (int i = 0; i < 50; i++) key(f, UI_KEY_PGDN);
    int end = f->ui.help_scroll;
    CHECK(end > 0);
    CHECK_INT_EQ(end, ui_help_max_scroll(80, 24));
    key(f, UI_KEY_UP);
    CHECK_INT_EQ(f->ui.help_scroll, end - 1);
    for (int i = 0; i < 50; i++) key(f, UI_KEY_PGUP);
    CHECK_INT_EQ(f->ui.help_scroll, 0);
    fix_free(f);
}

TEST(ui_key_cursor_moves_and_clamps) {
    Fix *f = fix_new();
    CHECK_INT_EQ(f->ui.cur_q, 0);
    key(f, UI_KEY_UP);
    CHECK_INT_EQ(f->ui.cur_q, 0);
    for (int i = 0; i < 20; i++) key(f, UI_KEY_DOWN);
    CHECK_INT_EQ(f->ui.cur_q, 7);
    key(f, '.');
    key(f, UI_KEY_SRIGHT);
    CHECK_INT_EQ(f->ui.cur_k, 2);
    key(f, ']');
    CHECK_INT_EQ(f->ui.cur_k, 128); // start of memory
    key(f, ']');
    CHECK_INT_EQ(f->ui.cur_k, 136); // start of the current segment
    key(f, ']');
    CHECK_INT_EQ(f->ui.cur_k, 136);
    key(f, '[');
    CHECK_INT_EQ(f->ui.cur_k, 128);
    key(f, UI_KEY_END);
    CHECK_INT_EQ(f->ui.cur_k, 143);
    key(f, '.');
    CHECK_INT_EQ(f->ui.cur_k, 143);
    key(f, UI_KEY_HOME);
    CHECK_INT_EQ(f->ui.cur_k, 0);
    key(f, ',');
    CHECK_INT_EQ(f->ui.cur_k, 0);
    CHECK_INT_EQ(f->rec.n, 0);
    fix_free(f);
}

TEST(ui_update_clamps_selection_to_a_smaller_model) {
    Fix *f = fix_new();
    f->ui.layer = 5;
    f->ui.head = 3;
    f->ui.cur_k = 143;
    f->s->n_layers = 2;
    f->s->attn.n_heads = 2;
    f->s->attn.n_cmem = 0;
    ui_update(&f->ui, f->s, 80, 24);
    CHECK_INT_EQ(f->ui.layer, 1);
    CHECK_INT_EQ(f->ui.head, -1);
    CHECK_INT_EQ(f->ui.cur_k, 15);
    fix_free(f);
}

TEST(ui_app_message_replaces_the_ui_message) {
    Fix *f = fix_new();
    ui_set_message(&f->ui, 1, "bad thing");
    ui_update(&f->ui, f->s, 80, 24);
    CHECK(!strcmp(f->ui.message, "bad thing"));
    ui_snapshot_message(f->s, 0, "saved");
    ui_update(&f->ui, f->s, 80, 24);
    CHECK_INT_EQ(f->ui.message[0], 0);
    fix_free(f);
}

// --- mouse ---

TEST(ui_mouse_click_moves_the_heatmap_cursor) {
    Fix *f = fix_new();
    UiRenderRects R;
    CHECK(ui_render_rects(&f->ui, f->s, 120, 40, &R));
    static UiHeatGeom geo;
    ui_heat_geometry(&f->s->attn, FULL_CAPS, R.heat.w, R.heat.h - 3, &geo);
    int col = geo.ncols - 3; // a current-segment column
    ui_handle_mouse(&f->ui, f->s, 120, 40, R.heat.x + col, R.heat.y + 1 + 2, ui_test_post, &f->rec);
    CHECK_INT_EQ(f->ui.cur_k, geo.col_k0[col]);
    CHECK_INT_EQ(f->ui.cur_q, geo.sub_q0[2 * geo.sub]);
    CHECK_INT_EQ(f->rec.n, 0);
    fix_free(f);
}

TEST(ui_mouse_click_on_a_layer_row_selects_it) {
    Fix *f = fix_new();
    UiRenderRects R;
    CHECK(ui_render_rects(&f->ui, f->s, 80, 24, &R));
    ui_handle_mouse(&f->ui, f->s, 80, 24, R.layers.x + 2, R.layers.y + 1 + 3, ui_test_post, &f->rec);
    CHECK_INT_EQ(f->ui.layer, 3);
    CHECK_POSTED(f, 1, UI_CMD_VIEW_LAYER);
    fix_free(f);
}

// --- prompt lines ---

static UiLineResult parse(const char *line) {
    UiGenSettings gs = {200, 0.8f, 40};
    UiLineResult r;
    ui_compress_choices_from_engine();
    ui_parse_line(line, &gs, &r);
    return r;
}

TEST(ui_cmd_rate_temp_len_topk) {
    UiLineResult r = parse(":rate 4");
    CHECK(!r.is_error);
    CHECK_INT_EQ(r.n_cmds, 1);
    CHECK_INT_EQ(r.cmds[0].type, UI_CMD_SET_RATE);
    CHECK_INT_EQ(r.cmds[0].ival, 4);
    r = parse(":temp 0.8");
    CHECK_INT_EQ(r.cmds[0].type, UI_CMD_SET_TEMP);
    CHECK_NEAR(r.cmds[0].fval, 0.8, 1e-6);
    r = parse("  :len 300  ");
    CHECK_INT_EQ(r.cmds[0].type, UI_CMD_SET_LEN);
    CHECK_INT_EQ(r.cmds[0].ival, 300);
    r = parse(":topk 0");
    CHECK_INT_EQ(r.cmds[0].type, UI_CMD_SET_TOPK);
    CHECK_INT_EQ(r.cmds[0].ival, 0);
}

TEST(ui_cmd_bad_values_give_messages) {
    const char *bad[] = {":rate x", ":rate", ":rate 4 5", ":rate 2.5", ":temp -1", ":temp nan",
                         ":temp", ":len 0", ":topk -3", ":bogus", ":", ": rate 4", ":help me"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        UiLineResult r = parse(bad[i]);
        CHECK_MSG(r.is_error, "%s was accepted", bad[i]);
        CHECK_MSG(r.n_cmds == 0, "%s posted a command", bad[i]);
        CHECK_MSG(r.message[0] != 0, "%s gave no message", bad[i]);
    }
    UiLineResult r = parse(":rate x");
    CHECK(strstr(r.message, ":rate") != NULL);
    // A whole number is all the UI checks: the range is the engine's, and the trainer says why it refuses one
    // (test_app_trainer: app_trainer_pause_step_rate_validate).
    r = parse(":rate 0");
    CHECK(!r.is_error && r.n_cmds == 1 && r.cmds[0].type == UI_CMD_SET_RATE && r.cmds[0].ival == 0);
    r = parse(":rate 5000");
    CHECK(!r.is_error && r.n_cmds == 1 && r.cmds[0].ival == 5000);
}

TEST(ui_cmd_save_quit_help_and_others) {
    UiLineResult r = parse(":save /tmp/my run.safetensors");
    CHECK_INT_EQ(r.cmds[0].type, UI_CMD_SAVE);
    CHECK(!strcmp(r.cmds[0].text, "/tmp/my run.safetensors"));
    r = parse(":save");
    CHECK_INT_EQ(r.cmds[0].type, UI_CMD_SAVE);
    CHECK_INT_EQ(r.cmds[0].text[0], 0);
    r = parse(":quit");
    CHECK(r.quit && r.n_cmds == 0);
    r = parse(":quit!");
    CHECK_INT_EQ(r.cmds[0].type, UI_CMD_QUIT);
    r = parse(":help");
    CHECK(r.show_help && !r.is_error);
    r = parse(":validate");
    CHECK_INT_EQ(r.cmds[0].type, UI_CMD_VALIDATE);
    r = parse("   ");
    CHECK(r.empty && r.n_cmds == 0);
}

TEST(ui_cmd_text_generates_with_the_settings) {
    UiLineResult r = parse("ROMEO: ");
    CHECK_INT_EQ(r.n_cmds, 1);
    CHECK_INT_EQ(r.cmds[0].type, UI_CMD_GENERATE);
    CHECK(!strcmp(r.cmds[0].text, "ROMEO: "));
    CHECK_INT_EQ(r.cmds[0].ival, 200);
    CHECK_NEAR(r.cmds[0].fval, 0.8, 1e-6);
    CHECK_INT_EQ(r.cmds[0].top_k, 40);
    r = parse("::colon first");
    CHECK(!strcmp(r.cmds[0].text, ":colon first"));
    char long_line[3000];
    memset(long_line, 'a', sizeof long_line - 1);
    long_line[sizeof long_line - 1] = 0;
    r = parse(long_line);
    CHECK_INT_EQ(strlen(r.cmds[0].text), UI_CMD_TEXT_BYTES - 1);
    CHECK(r.message[0] && !r.is_error);
}

TEST(ui_submit_line_bad_rate_sets_an_error_and_posts_nothing) {
    Fix *f = fix_new();
    ui_submit_line(&f->ui, ":rate x", ui_test_post, &f->rec);
    CHECK_INT_EQ(f->rec.n, 0);
    CHECK(f->ui.message_error);
    CHECK(strstr(f->ui.message, "rate") != NULL);
    ui_submit_line(&f->ui, ":temp 0.5", ui_test_post, &f->rec);
    CHECK_POSTED(f, 1, UI_CMD_SET_TEMP);
    CHECK_NEAR(f->ui.gen.temperature, 0.5, 1e-6);
    ui_submit_line(&f->ui, "hello", ui_test_post, &f->rec);
    CHECK_POSTED(f, 2, UI_CMD_GENERATE);
    CHECK_NEAR(f->rec.cmds[1].fval, 0.5, 1e-6);
    fix_free(f);
}

TEST(ui_submit_quit_asks_when_unsaved) {
    Fix *f = fix_new();
    f->ui.focus = UI_FOCUS_PROMPT;
    ui_submit_line(&f->ui, ":quit", ui_test_post, &f->rec);
    CHECK(f->ui.confirm_quit);
    CHECK_INT_EQ(f->ui.focus, UI_FOCUS_MAIN);
    CHECK_INT_EQ(f->rec.n, 0);
    fix_free(f);
}

// --- readline ---

TEST(ui_prompt_typed_line_posts_generate) {
    ui_test_utf8_locale();
    Fix *f = fix_new();
    ui_prompt_init(&f->ui, "");
    key(f, '/');
    CHECK_INT_EQ(f->ui.focus, UI_FOCUS_PROMPT);
    keys(f, "ROMEO");
    CHECK(!strcmp(f->ui.line, "ROMEO"));
    CHECK_INT_EQ(f->ui.line_col, 5);
    key(f, ' '); // a space is text here, not pause
    CHECK_INT_EQ(f->rec.n, 0);
    key(f, '\r');
    CHECK_POSTED(f, 1, UI_CMD_GENERATE);
    CHECK(!strcmp(f->rec.cmds[0].text, "ROMEO "));
    CHECK_INT_EQ(f->ui.line[0], 0);
    ui_prompt_end();
    fix_free(f);
}

// The prompt hands the line it completes back to its caller and knows nothing of what the line means.
TEST(ui_prompt_feed_returns_the_completed_line_and_posts_nothing) {
    Fix *f = fix_new();
    ui_prompt_init(&f->ui, "");
    const char *typed = ":rate 4";
    for (const char *p = typed; *p; p++) CHECK(ui_prompt_feed(&f->ui, (unsigned char)*p) == NULL);
    const char *line = ui_prompt_feed(&f->ui, '\r');
    CHECK_MSG(line && !strcmp(line, typed), "line is [%s]", line ? line : "(null)");
    CHECK_INT_EQ(f->rec.n, 0);
    CHECK(ui_prompt_feed(&f->ui, 'x') == NULL);
    ui_prompt_end();
    fix_free(f);
}

TEST(ui_prompt_command_and_editing) {
    ui_test_utf8_locale();
    Fix *f = fix_new();
    ui_prompt_init(&f->ui, "");
    f->ui.focus = UI_FOCUS_PROMPT;
    keys(f, ":rate 45");
    key(f, 127); // backspace
    key(f, '\r');
    CHECK_POSTED(f, 1, UI_CMD_SET_RATE);
    CHECK_INT_EQ(f->rec.cmds[0].ival, 4);
    keys(f, ":rate x\r");
    CHECK_INT_EQ(f->rec.n, 1);
    CHECK(f->ui.message_error);
    keys(f, "\x1b[A"); // up arrow: history
    CHECK_MSG(!strcmp(f->ui.line, ":rate x"), "line is [%s]", f->ui.line);
    key(f, UI_KEY_ESC);
    CHECK_INT_EQ(f->ui.focus, UI_FOCUS_MAIN);
    ui_prompt_end();
    fix_free(f);
}

TEST(ui_prompt_cursor_column_counts_display_width) {
    ui_test_utf8_locale();
    CHECK_INT_EQ(ui_prompt_column("h\xc3\xa9llo", 3), 2);   // h é
    CHECK_INT_EQ(ui_prompt_column("\xe6\x97\xa5\xe6\x9c\xac!", 6), 4); // 日本: two wide characters
    CHECK_INT_EQ(ui_prompt_column("a\xff" "b", 3), 3);      // an invalid byte counts one
    Fix *f = fix_new();
    ui_prompt_init(&f->ui, "");
    f->ui.focus = UI_FOCUS_PROMPT;
    keys(f, "\xe6\x97\xa5\xe6\x9c\xac" "ab");
    CHECK_MSG(!strcmp(f->ui.line, "\xe6\x97\xa5\xe6\x9c\xac" "ab"), "line is [%s]", f->ui.line);
    CHECK_INT_EQ(f->ui.line_col, 6);
    keys(f, "\x02\x02\x02"); // Ctrl-B three times: before 本
    CHECK_INT_EQ(f->ui.line_col, 2);
    ui_prompt_end();
    fix_free(f);
}

TEST(ui_prompt_empty_enter_leaves_the_prompt) {
    Fix *f = fix_new();
    ui_prompt_init(&f->ui, "");
    key(f, UI_KEY_ENTER);
    CHECK_INT_EQ(f->ui.focus, UI_FOCUS_PROMPT);
    key(f, '\r');
    CHECK_INT_EQ(f->ui.focus, UI_FOCUS_MAIN);
    CHECK_INT_EQ(f->rec.n, 0);
    ui_prompt_end();
    fix_free(f);
}

TEST(ui_prompt_history_file_round_trip) {
    char path[600];
    snprintf(path, sizeof path, "%s/state/memscope/history", test_tmpdir());
    Fix *f = fix_new();
    ui_prompt_init(&f->ui, path);
    f->ui.focus = UI_FOCUS_PROMPT;
    keys(f, "to be or not\r");
    ui_prompt_end();
    FILE *fp = fopen(path, "r");
    CHECK_MSG(fp != NULL, "no history file at %s", path);
    char buf[256] = "";
    CHECK(fgets(buf, sizeof buf, fp) != NULL);
    fclose(fp);
    CHECK_MSG(!strcmp(buf, "to be or not\n"), "history holds [%s]", buf);
    fix_free(f);
}

TEST(ui_prompt_default_history_path_follows_xdg) {
    char buf[512];
    setenv("XDG_STATE_HOME", "/x/state", 1);
    CHECK(ui_prompt_history_path(buf, sizeof buf) == 0);
    CHECK(!strcmp(buf, "/x/state/memscope/history"));
    unsetenv("XDG_STATE_HOME");
    setenv("HOME", "/home/u", 1);
    CHECK(ui_prompt_history_path(buf, sizeof buf) == 0);
    CHECK(!strcmp(buf, "/home/u/.local/state/memscope/history"));
}

// --- terminal capability decision ---

TEST(ui_term_caps_fall_back) {
    unsetenv("MEMSCOPE_ASCII");
    unsetenv("MEMSCOPE_COLORS");
    unsetenv("NO_COLOR");
    CHECK_INT_EQ(ui_term_decide_caps(1, 1, 256), UI_CAP_UTF8 | UI_CAP_COLOR | UI_CAP_256);
    CHECK_INT_EQ(ui_term_decide_caps(1, 1, 8), UI_CAP_UTF8 | UI_CAP_COLOR);
    CHECK_INT_EQ(ui_term_decide_caps(0, 1, 256), UI_CAP_COLOR | UI_CAP_256);
    CHECK_INT_EQ(ui_term_decide_caps(1, 0, 0), UI_CAP_UTF8);
    setenv("MEMSCOPE_ASCII", "1", 1);
    setenv("MEMSCOPE_COLORS", "8", 1);
    CHECK_INT_EQ(ui_term_decide_caps(1, 1, 256), UI_CAP_COLOR);
    unsetenv("MEMSCOPE_ASCII");
    unsetenv("MEMSCOPE_COLORS");
}

// no-color.org: any non-empty NO_COLOR turns colour off, whatever the terminal can do; empty is as unset.
TEST(ui_no_color_turns_colour_off) {
    unsetenv("MEMSCOPE_ASCII");
    unsetenv("MEMSCOPE_COLORS");
    setenv("NO_COLOR", "1", 1);
    CHECK_INT_EQ(ui_term_decide_caps(1, 1, 256), UI_CAP_UTF8);
    setenv("NO_COLOR", "", 1);
    CHECK_INT_EQ(ui_term_decide_caps(1, 1, 256), UI_CAP_UTF8 | UI_CAP_COLOR | UI_CAP_256);
    unsetenv("NO_COLOR");
}

// --- compression function and loss, the Figure-2 view ---

TEST(ui_key_f_posts_the_next_compression_function) {
    Fix *f = fix_new();
    key(f, 'f');
    CHECK_POSTED(f, 1, UI_CMD_COMPRESS_NEXT);
    f->ui.focus = UI_FOCUS_PROMPT; // typed into the prompt, f is just a letter
    key(f, 'f');
    CHECK_INT_EQ(f->rec.n, 1);
    fix_free(f);
}

TEST(ui_key_b_toggles_the_figure2_view_and_the_heatmap_ignores_clicks) {
    Fix *f = fix_new();
    key(f, 'b');
    CHECK(f->ui.view_buckets);
    CHECK_INT_EQ(f->rec.n, 0); // a view only: nothing for the trainer
    UiRenderRects R;
    CHECK(ui_render_rects(&f->ui, f->s, 80, 24, &R));
    CHECK(R.top.w == 80 && R.heat.w == 0 && R.layers.w == 0);
    int q = f->ui.cur_q, k = f->ui.cur_k;
    ui_handle_mouse(&f->ui, f->s, 80, 24, 10, 6, ui_test_post, &f->rec);
    CHECK(f->ui.cur_q == q && f->ui.cur_k == k && f->rec.n == 0);
    key(f, 'b');
    CHECK(!f->ui.view_buckets);
    fix_free(f);
}

TEST(ui_cmd_compress_and_compress_loss) {
    UiLineResult r = parse(":compress mean");
    CHECK(!r.is_error);
    CHECK_INT_EQ(r.n_cmds, 1);
    CHECK_INT_EQ(r.cmds[0].type, UI_CMD_SET_COMPRESS);
    CHECK(!strcmp(r.cmds[0].text, "mean"));
    for (int i = 0; ui_compress_choices.fn_names[i]; i++) {
        char line[64];
        snprintf(line, sizeof line, ":compress %s", ui_compress_choices.fn_names[i]);
        r = parse(line);
        CHECK_MSG(!r.is_error && !strcmp(r.cmds[0].text, ui_compress_choices.fn_names[i]), "%s refused", line);
    }
    r = parse(":compress most_used"); // the engine's spelling too
    CHECK(!r.is_error && r.cmds[0].type == UI_CMD_SET_COMPRESS);
    r = parse(":compress_loss none");
    CHECK(!r.is_error);
    CHECK_INT_EQ(r.cmds[0].type, UI_CMD_SET_COMPRESS_LOSS);
    CHECK(!strcmp(r.cmds[0].text, "none"));
}

TEST(ui_cmd_compress_bad_names_name_the_valid_ones) {
    const char *bad[] = {":compress", ":compress median", ":compress MEAN", ":compress mean max",
                         ":compress_loss", ":compress_loss mse", ":compress_loss attention none"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        UiLineResult r = parse(bad[i]);
        CHECK_MSG(r.is_error && r.n_cmds == 0, "%s was accepted", bad[i]);
        int loss = strstr(bad[i], "_loss") != NULL;
        const char *want = loss ? "attention, autoencode, none" : "conv, mean, max, dilated, most-used";
        CHECK_MSG(strstr(r.message, want) != NULL, "%s: message '%s' does not list %s", bad[i], r.message, want);
    }
    UiLineResult r = parse(":compress median");
    CHECK(strstr(r.message, "unknown compression function 'median'") != NULL);
}

TEST(ui_submit_bad_compress_sets_one_message_and_posts_nothing) {
    Fix *f = fix_new();
    ui_submit_line(&f->ui, ":compress bogus", ui_test_post, &f->rec);
    CHECK_INT_EQ(f->rec.n, 0);
    CHECK(f->ui.message_error);
    CHECK(strstr(f->ui.message, "most-used") != NULL);
    ui_submit_line(&f->ui, ":compress dilated", ui_test_post, &f->rec);
    CHECK_POSTED(f, 1, UI_CMD_SET_COMPRESS);
    fix_free(f);
}
