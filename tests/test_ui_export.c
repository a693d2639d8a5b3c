// Exporting the screen (SVG, text, ANSI), the data dumps, and the key and command tables the help
// overlay is generated from.
#include "harness.h"
#include "tests/ui_fixture.h"
#include "ui/bindings.h"
#include "ui/cmdline.h"
#include "ui/dump.h"
#include "ui/export.h"
#include "ui/help.h"
#include "ui/keys.h"
#include "ui/render.h"
#include "ui/plot.h"
#include "ui/status.h"
#include "ui/tui.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

// A small XML well-formedness check: one root element, tags balanced and properly nested, attribute
// values quoted, no raw '<' or stray '&' in text or attribute values. Returns NULL or what is wrong.
static const char *entity_end(const char *p) {
    static const char *const names[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (int i = 0; i < 5; i++)
        if (!strncmp(p, names[i], strlen(names[i]))) return p + strlen(names[i]);
    if (p[1] == '#') {
        const char *q = p + 2;
        while (isalnum((unsigned char)*q)) q++;
        if (*q == ';' && q > p + 2) return q + 1;
    }
    return NULL;
}

static const char *xml_check(const char *s) {
    char stack[64][32];
    int depth = 0, roots = 0;
    const char *p = s;
    if (!strncmp(p, "<?xml", 5)) {
        p = strstr(p, "?>");
        if (!p) return "unterminated XML declaration";
        p += 2;
    }
    while (*p) {
        if (*p == '&') {
            if (!(p = entity_end(p))) return "'&' that starts no entity in text";
            continue;
        }
        if (*p != '<') {
            if (depth == 0 && !isspace((unsigned char)*p)) return "text outside the root element";
            p++;
            continue;
        }
        p++;
        int closing = *p == '/';
        if (closing) p++;
        char name[32];
        int n = 0;
        while (*p && (isalnum((unsigned char)*p) || *p == ':' || *p == '-' || *p == '_') && n < 31) name[n++] = *p++;
        name[n] = 0;
        if (!n) return "a tag without a name";
        if (closing) {
            if (!depth || strcmp(stack[depth - 1], name)) return "a closing tag that does not match";
            depth--;
            while (isspace((unsigned char)*p)) p++;
            if (*p++ != '>') return "a closing tag not ended by '>'";
            continue;
        }
        for (;;) { // attributes
            while (isspace((unsigned char)*p)) p++;
            if (*p == '>' || !strncmp(p, "/>", 2)) break;
            if (!isalpha((unsigned char)*p)) return "a bad attribute name";
            while (isalnum((unsigned char)*p) || *p == ':' || *p == '-' || *p == '_') p++;
            if (*p++ != '=' || *p++ != '"') return "an attribute value without '=\"'";
            while (*p && *p != '"') {
                if (*p == '<') return "'<' inside an attribute value";
                if (*p == '&' && !entity_end(p)) return "'&' that starts no entity in an attribute";
                p++;
            }
            if (*p++ != '"') return "an unterminated attribute value";
        }
        if (depth == 0 && roots++) return "more than one root element";
        if (*p == '/') p += 2; // empty element
        else {
            if (depth == 64) return "nested too deep";
            snprintf(stack[depth++], sizeof stack[0], "%s", name);
            p++;
        }
    }
    if (depth) return "unclosed elements at the end";
    return roots == 1 ? NULL : "no root element";
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

TEST(ui_export_svg_is_well_formed_and_escapes_text) {
    Grid g;
    CHECK(!grid_init(&g, 20, 2, FULL_CAPS));
    grid_put_str(&g, 0, 0, 20, "a<b & \"c\" > d", UI_STYLE(196, -1, UI_A_BOLD));
    char *svg = ui_export_svg(&g);
    const char *why = xml_check(svg);
    CHECK_MSG(!why, "%s", why);
    CHECK_MSG(strstr(svg, "a&lt;b &amp; &quot;c&quot; &gt; d"), "%s", svg);
    CHECK(strstr(svg, "fill=\"#ff0000\"") && strstr(svg, "font-weight=\"bold\""));
    CHECK(xml_check("<a><b></a></b>") && xml_check("<a>x & y</a>") && xml_check("<a x=\"<\"/>") && !xml_check("<a><b/></a>"));
    free(svg);
    grid_free(&g);
}

TEST(ui_export_svg_draws_blocks_braille_and_boxes_as_shapes) {
    Grid g;
    CHECK(!grid_init(&g, 4, 1, FULL_CAPS));
    grid_put(&g, 0, 0, 0x2580, UI_STYLE(196, 21, 0)); // upper half red over blue
    grid_put(&g, 1, 0, 0x2800 | 0x47, UI_STYLE(46, -1, 0)); // four braille dots
    grid_put(&g, 2, 0, 0x2524, UI_STYLE(240, -1, 0));
    char *svg = ui_export_svg(&g);
    CHECK_MSG(!xml_check(svg), "%s", xml_check(svg));
    CHECK_MSG(strstr(svg, "height=\"8.50\" fill=\"#ff0000\""), "no top half: %s", svg);   // top half in fg
    CHECK_MSG(strstr(svg, "height=\"17.00\" fill=\"#0000ff\""), "no bottom colour: %s", svg); // cell in bg
    CHECK_INT_EQ(count(svg, "<circle"), 4);
    CHECK_INT_EQ(count(svg, "<path"), 1);
    CHECK_INT_EQ(count(svg, "<text"), 0); // nothing depends on a font here
    free(svg);
    grid_free(&g);
}

// Every word of the drawn screen is in the SVG, and the SVG is well-formed, at each golden size.
TEST(ui_export_svg_of_the_screen_holds_its_text) {
    ui_test_utf8_locale();
    UiSnapshot *s = ui_test_new_snapshot();
    int sizes[3][2] = {{80, 24}, {120, 40}, {200, 60}};
    for (int k = 0; k < 3; k++) {
        UiState ui;
        ui_state_init(&ui, FULL_CAPS);
        ui_update(&ui, s, sizes[k][0], sizes[k][1]);
        Grid g;
        grid_init(&g, sizes[k][0], sizes[k][1], FULL_CAPS);
        ui_render(&ui, s, &g);
        char *svg = ui_export_svg(&g), *txt = ui_export_txt(&g);
        const char *why = xml_check(svg);
        CHECK_MSG(!why, "%dx%d: %s", sizes[k][0], sizes[k][1], why);
        int words = 0;
        for (char *p = txt; *p;) {
            if (!isalnum((unsigned char)*p)) {
                p++;
                continue;
            }
            char word[64];
            int n = 0;
            while (isalnum((unsigned char)*p) && n < 63) word[n++] = *p++;
            word[n] = 0;
            CHECK_MSG(strstr(svg, word), "%dx%d: '%s' is on the screen but not in the SVG", sizes[k][0], sizes[k][1], word);
            words++;
        }
        CHECK(words > 50);
        free(svg);
        free(txt);
        grid_free(&g);
    }
    free(s);
}

TEST(ui_export_ans_and_txt_carry_the_grid) {
    Grid g;
    CHECK(!grid_init(&g, 6, 2, FULL_CAPS));
    grid_put_str(&g, 0, 0, 6, "ab", UI_STYLE(39, 235, UI_A_BOLD));
    grid_put_str(&g, 0, 1, 6, "\xc3\xa9", UI_PLAIN);
    char *ans = ui_export_ans(&g), *txt = ui_export_txt(&g);
    CHECK_MSG(strstr(ans, "\x1b[0;1;38;5;39;48;5;235mab"), "%s", ans);
    CHECK(strstr(ans, "\xc3\xa9") && count(ans, "\n") == 2);
    CHECK(!strcmp(txt, "ab\n\xc3\xa9\n"));
    free(ans);
    free(txt);
    grid_free(&g);
}

TEST(ui_export_never_overwrites_and_names_its_formats) {
    Grid g;
    CHECK(!grid_init(&g, 4, 1, FULL_CAPS));
    grid_put_str(&g, 0, 0, 4, "hi", UI_PLAIN);
    char path[600], err[800];
    snprintf(path, sizeof path, "%s/screen.txt", test_tmpdir());
    CHECK_MSG(!ui_export_grid(&g, path, err, sizeof err), "%s", err);
    grid_put_str(&g, 0, 0, 4, "yo", UI_PLAIN);
    CHECK(ui_export_grid(&g, path, err, sizeof err) == -1 && strstr(err, "exists"));
    FILE *f = fopen(path, "r");
    char buf[16] = "";
    CHECK(f && fgets(buf, sizeof buf, f));
    fclose(f);
    CHECK(!strcmp(buf, "hi\n")); // the first file is untouched
    snprintf(path, sizeof path, "%s/screen.png", test_tmpdir());
    CHECK(ui_export_grid(&g, path, err, sizeof err) == -1 && strstr(err, ".svg, .txt or .ans"));
    struct stat st;
    CHECK(stat(path, &st) != 0); // nothing left behind
    snprintf(path, sizeof path, "%s/no-such-dir/x.svg", test_tmpdir());
    CHECK(ui_export_grid(&g, path, err, sizeof err) == -1 && strstr(err, "cannot create"));
    CHECK(ui_export_format("a/B.SVG") == UI_EXPORT_SVG && ui_export_format("x.ans") == UI_EXPORT_ANS &&
          ui_export_format("dir.svg/x") == UI_EXPORT_NONE);
    char name[128];
    ui_export_default_name(name, sizeof name, 1234, 0, "svg");
    CHECK_MSG(!strncmp(name, "memscope-step1234-19", 20) && strstr(name, ".svg"), "%s", name);
    grid_free(&g);
}

TEST(ui_dump_commands_and_the_d_key) {
    UiLineResult r;
    UiGenSettings gs = {200, 0.8f, 0};
    ui_parse_line(":dump shot.svg", &gs, &r);
    CHECK(r.dump == 1 && !strcmp(r.dump_path, "shot.svg") && !r.is_error);
    ui_parse_line(":dump", &gs, &r);
    CHECK(r.dump == 1 && !r.dump_path[0]);
    ui_parse_line(":dump-data", &gs, &r);
    CHECK(!r.dump && r.is_error);
    ui_parse_line(":dump-data x.json", &gs, &r);
    CHECK(r.dump == 2);
    ui_parse_line(":zoom 300", &gs, &r);
    CHECK(r.zoom == 300 && !r.is_error);
    ui_parse_line(":zoom -3", &gs, &r);
    CHECK(r.zoom == -1 && r.is_error);
    ui_parse_line(":val", &gs, &r);
    CHECK(r.n_cmds == 1 && r.cmds[0].type == UI_CMD_VALIDATE);
    ui_parse_line(":?", &gs, &r);
    CHECK(r.show_help);

    UiSnapshot *s = ui_test_new_snapshot();
    UiState ui;
    ui_state_init(&ui, FULL_CAPS);
    ui_update(&ui, s, 80, 24);
    ui_handle_key(&ui, 'd', NULL, NULL);
    CHECK(ui.dump == UI_DUMP_SCREEN && !ui.dump_path[0]);
    Grid g;
    grid_init(&g, 80, 24, FULL_CAPS);
    ui_render(&ui, s, &g);
    snprintf(ui.dump_path, sizeof ui.dump_path, "%s/d.svg", test_tmpdir());
    ui_dump_pending(&ui, s, &g);
    CHECK(ui.dump == UI_DUMP_NONE && !ui.message_error && strstr(ui.message, "d.svg"));
    struct stat st;
    CHECK(stat(ui.dump_path, &st) == 0 && st.st_size > 1000);
    grid_free(&g);
    free(s);
}

TEST(ui_data_dump_holds_the_numbers_behind_the_view) {
    UiSnapshot *s = ui_test_new_snapshot();
    UiState ui;
    ui_state_init(&ui, FULL_CAPS);
    ui_update(&ui, s, 80, 24);
    char *csv = ui_data_csv(&ui, s), *json = ui_data_json(&ui, s);
    const UiAttention *a = &s->attn;
    CHECK_INT_EQ(count(csv, "\nattention,"), a->n_queries * ui_attn_keys(a));
    CHECK_INT_EQ(count(csv, "\nshare,"), s->n_layers * UI_GROUP_COUNT);
    CHECK_INT_EQ(count(csv, "\ntrain_ce,"), ui_series_len(&s->train_loss));
    CHECK_INT_EQ(count(csv, "\nvalid_ce,"), ui_series_len(&s->valid_loss));
    CHECK(count(csv, "\nreconstruction,") > 0);
    int depth = 0, max_depth = 0, in_str = 0;
    for (const char *p = json; *p; p++) {
        if (in_str) {
            if (*p == '\\') p++;
            else if (*p == '"') in_str = 0;
            continue;
        }
        if (*p == '"') in_str = 1;
        else if (*p == '{' || *p == '[') depth++, max_depth = depth > max_depth ? depth : max_depth;
        else if (*p == '}' || *p == ']') depth--;
        CHECK(depth >= 0);
    }
    CHECK(depth == 0 && !in_str && max_depth >= 3);
    CHECK(strstr(json, "\"weights\":[[") && strstr(json, "\"train_ce\":[[") && strstr(json, "\"slots\":[{\"group\":"));
    free(csv);
    free(json);
    free(s);
}

// The help overlay is generated from the tables the handlers use: every key and command is in it.
TEST(ui_help_lists_every_key_and_command) {
    ui_test_utf8_locale();
    int w = 100, lines = ui_help_line_count(w - 8) + 4;
    UiSnapshot *s = ui_test_new_snapshot();
    UiState ui;
    ui_state_init(&ui, FULL_CAPS);
    ui_update(&ui, s, w, lines);
    ui.help = 1;
    Grid g;
    grid_init(&g, w, lines, FULL_CAPS);
    ui_render(&ui, s, &g);
    char *txt = grid_dump_text(&g);
    for (int i = 0; i < ui_binding_count; i++) {
        const UiBinding *b = &ui_bindings[i];
        if (b->label) CHECK_MSG(strstr(txt, b->label) && strstr(txt, b->help ? "" : ""), "key %s missing", b->label);
        for (int k = 0; k < UI_BINDING_KEYS && b->keys[k]; k++)
            CHECK_MSG(ui_binding_action(b->keys[k]) == b->action, "key %d of '%s' does something else", b->keys[k],
                      b->label ? b->label : "(continued)");
    }
    for (int i = 0; i < ui_line_command_count; i++) {
        char name[64];
        snprintf(name, sizeof name, ":%s", ui_line_commands[i].name);
        CHECK_MSG(strstr(txt, name), "command %s missing from the help", name);
        UiLineResult r;
        UiGenSettings gs = {200, 0.8f, 0};
        ui_parse_line(name, &gs, &r);
        CHECK_MSG(!strstr(r.message, "unknown command"), "%s is in the table but the parser does not know it", name);
    }
    free(txt);
    grid_free(&g);
    free(s);
}

TEST(ui_escape_and_q_leave_overlays) {
    UiSnapshot *s = ui_test_new_snapshot();
    UiState ui;
    ui_state_init(&ui, FULL_CAPS);
    ui_update(&ui, s, 80, 24);
    ui_handle_key(&ui, '?', NULL, NULL);
    CHECK(ui.help);
    ui_handle_key(&ui, 'q', NULL, NULL);
    CHECK(!ui.help && !ui.quit);
    ui_handle_key(&ui, UI_KEY_F1, NULL, NULL);
    ui_handle_key(&ui, UI_KEY_ESC, NULL, NULL);
    CHECK(!ui.help);
    ui_handle_key(&ui, 'b', NULL, NULL);
    CHECK(ui.view_buckets);
    ui_handle_key(&ui, UI_KEY_ESC, NULL, NULL);
    CHECK(!ui.view_buckets);
    free(s);
}

// What the trainer is busy with shows in the status line with its progress; paused hides tokens/s.
TEST(ui_golden_status_activity) {
    ui_test_utf8_locale();
    UiSnapshot *s = ui_test_new_snapshot();
    s->threads = 2;
    Grid g;
    grid_init(&g, 120, 4, FULL_CAPS);
    char all[2048] = "";
    const char *acts[3] = {"validating", "saving", "validating"};
    for (int k = 0; k < 3; k++) {
        grid_clear(&g);
        snprintf(s->activity, sizeof s->activity, "%s", acts[k]);
        s->activity_done = k == 1 ? 0 : 12;
        s->activity_total = k == 1 ? 0 : 214;
        s->activity_elapsed = 3.2;
        s->state = k == 2 ? UI_RUN_PAUSED : UI_RUN_RUNNING;
        ui_status_draw(&g, ui_rect(0, 0, 120, 2), s);
        char *txt = grid_dump_text(&g);
        strncat(all, txt, sizeof all - strlen(all) - 1);
        free(txt);
    }
    CHECK(strstr(all, " VALIDATING 12/214 ") && strstr(all, " SAVING 3 s ") && strstr(all, "threads 2"));
    ui_test_golden("status_activity", all);
    grid_free(&g);
    free(s);
}

// The loss plot's views: EMA over the raw curve, a log axis, the last N steps.
TEST(ui_golden_plot_views) {
    ui_test_utf8_locale();
    UiSnapshot *s = ui_test_new_snapshot();
    UiState ui;
    ui_state_init(&ui, FULL_CAPS);
    ui_update(&ui, s, 80, 24);
    ui_handle_key(&ui, 'e', NULL, NULL);
    ui_handle_key(&ui, 'y', NULL, NULL);
    ui_handle_key(&ui, 'z', NULL, NULL);
    CHECK(ui.plot_smooth && ui.plot_log && ui.plot_zoom == 2000);
    char all[16384] = "";
    UiPlotView views[4] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 100}, {1, 1, 100}};
    Grid g;
    grid_init(&g, 60, 12, FULL_CAPS);
    for (int k = 0; k < 4; k++) {
        grid_clear(&g);
        ui_plot_draw_view(&g, ui_rect(0, 0, 60, 12), &s->train_loss, &s->valid_loss, &views[k]);
        char *txt = grid_dump_text(&g);
        strncat(all, txt, sizeof all - strlen(all) - 1);
        free(txt);
    }
    // zoomed to the last 100 steps, the step axis starts near the newest step, not at 0
    CHECK(!strstr(all + strlen(all) / 2, "step   0"));
    ui_test_golden("plot_views", all);
    char label[64];
    ui_plot_view_label(label, sizeof label, &views[3]);
    CHECK(!strcmp(label, "EMA \xc2\xb7 log \xc2\xb7 last 100"));
    grid_free(&g);
    free(s);
}

static void post_nothing(void *ctx, const UiCommand *c) { (void)ctx, (void)c; }

// Space shows at once: PAUSING while the trainer finishes the step in flight, PAUSED once it has.
TEST(ui_space_shows_pausing_until_the_trainer_pauses) {
    ui_test_utf8_locale();
    UiSnapshot *s = ui_test_new_snapshot();
    s->state = UI_RUN_RUNNING;
    UiState ui;
    ui_state_init(&ui, FULL_CAPS);
    ui_update(&ui, s, 80, 24);
    ui_handle_key(&ui, ' ', post_nothing, NULL);
    Grid g;
    grid_init(&g, 80, 24, FULL_CAPS);
    s->seq++; // the step in flight is published, still RUNNING
    ui_update(&ui, s, 80, 24);
    ui_render(&ui, s, &g);
    char *t = grid_dump_text(&g);
    CHECK_MSG(!strncmp(t, " PAUSING ", 9), "%.40s", t);
    free(t);
    s->seq++;
    s->state = UI_RUN_PAUSED;
    ui_update(&ui, s, 80, 24);
    ui_render(&ui, s, &g);
    t = grid_dump_text(&g);
    CHECK_MSG(!strncmp(t, " PAUSED ", 8) && !ui.pausing, "%.40s", t);
    free(t);
    grid_free(&g);
    free(s);
}
