// UI widgets and layout rendered into a cell grid and compared with golden files (tests/golden/ui).
// UPDATE_GOLDEN=1 rewrites the goldens instead of comparing.
#include "app/config_help.h"
#include "harness.h"
#include "tests/ui_fixture.h"
#include "ui/bars.h"
#include "ui/buckets.h"
#include "ui/color.h"
#include "ui/grid.h"
#include "ui/heatmap.h"
#include "ui/layout.h"
#include "ui/output.h"
#include "ui/plot.h"
#include "ui/recall.h"
#include "ui/render.h"
#include "ui/slots.h"
#include "ui/snapshot.h"
#include "ui/sparkline.h"
#include "ui/status.h"
#include "ui/tui.h"

#include <stdlib.h>
#include <string.h>

static void golden_text(const char *name, const Grid *g) {
    char *t = grid_dump_text(g);
    ui_test_golden(name, t);
    free(t);
}

static void golden_colors(const char *name, const Grid *g) {
    char *t = grid_dump_colors(g);
    ui_test_golden(name, t);
    free(t);
}

// --- grid ---

TEST(ui_grid_put_str_handles_utf8_wide_and_clip) {
    ui_test_utf8_locale();
    Grid g;
    CHECK(grid_init(&g, 10, 2, FULL_CAPS) == 0);
    CHECK_INT_EQ(grid_put_str(&g, 0, 0, 10, "a\xc3\xa9\xe6\x97\xa5z", UI_PLAIN), 5); // a é 日(2) z
    CHECK_INT_EQ(grid_cell(&g, 1, 0)->ch, 0xE9);
    CHECK_INT_EQ(grid_cell(&g, 2, 0)->ch, 0x65E5);
    CHECK_INT_EQ(grid_cell(&g, 3, 0)->ch, GRID_CONT);
    CHECK_INT_EQ(grid_cell(&g, 4, 0)->ch, 'z');
    grid_put(&g, 3, 0, 'x', UI_PLAIN); // overwriting the right half clears the left half
    CHECK_INT_EQ(grid_cell(&g, 2, 0)->ch, ' ');
    grid_set_clip(&g, ui_rect(0, 1, 3, 1));
    grid_put_str(&g, 0, 1, 10, "abcdef", UI_PLAIN);
    CHECK_INT_EQ(grid_cell(&g, 2, 1)->ch, 'c');
    CHECK_INT_EQ(grid_cell(&g, 3, 1)->ch, ' ');
    CHECK_INT_EQ(grid_put(&g, 0, 0, 'q', UI_PLAIN), 0); // outside the clip
    char *t = grid_dump_text(&g);
    CHECK_MSG(!strcmp(t, "a\xc3\xa9 xz\nabc\n"), "dump was [%s]", t);
    free(t);
    grid_free(&g);
}

TEST(ui_grid_ascii_fallback_maps_every_glyph) {
    Grid g;
    grid_init(&g, 12, 1, UI_CAP_COLOR);
    grid_put_str(&g, 0, 0, 12, "\xe2\x94\x80\xe2\x94\x82\xe2\x94\x8c\xe2\x96\x81\xe2\x96\x88\xe2\xa3\xbf\xe2\x96\xb8\xc3\xa9\n", UI_PLAIN);
    char *t = grid_dump_text(&g);
    // ─ │ ┌ ▁ █ ⣿ ▸ é, and the newline as '~'
    CHECK_MSG(!strcmp(t, "-|+_#*>?~\n"), "dump was [%s]", t);
    for (int x = 0; x < 12; x++) CHECK(grid_cell(&g, x, 0)->ch < 128);
    free(t);
    grid_free(&g);
}

TEST(ui_grid_dump_colors_runs) {
    Grid g;
    grid_init(&g, 5, 1, FULL_CAPS);
    grid_put_str(&g, 1, 0, 2, "ab", UI_STYLE(39, -1, UI_A_BOLD));
    char *t = grid_dump_colors(&g);
    CHECK_MSG(!strcmp(t, "-1/-1/0*1 39/-1/1*2 -1/-1/0*2\n"), "dump was [%s]", t);
    free(t);
    grid_free(&g);
}

// --- snapshot helpers ---

TEST(ui_series_compacts_and_keeps_the_newest_value) {
    static UiSeries s;
    ui_series_reset(&s);
    for (int i = 1; i <= 10000; i++) ui_series_push(&s, i, (float)i);
    CHECK(s.count <= UI_SERIES_POINTS);
    CHECK(s.count > UI_SERIES_POINTS / 2);
    CHECK_INT_EQ(s.stride, 8);
    int64_t step;
    float v;
    ui_series_at(&s, 0, &step, &v);
    CHECK_NEAR(v, 4.5, 1e-3); // mean of 1..8 after three compactions
    ui_series_at(&s, ui_series_len(&s) - 1, &step, &v);
    CHECK_INT_EQ(step, 10000);
    CHECK(v > 9990 && v <= 10000);
    for (int i = 1; i < ui_series_len(&s); i++) {
        int64_t a, b;
        float va, vb;
        ui_series_at(&s, i - 1, &a, &va);
        ui_series_at(&s, i, &b, &vb);
        CHECK_MSG(b > a, "steps not increasing at %d: %lld %lld", i, (long long)a, (long long)b);
    }
}

TEST(ui_ring_keeps_the_newest) {
    static UiRing r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < UI_AR_POINTS + 10; i++) ui_ring_push(&r, (float)i);
    CHECK_INT_EQ(r.count, UI_AR_POINTS);
    CHECK_NEAR(ui_ring_at(&r, 0), 10, 0);
    CHECK_NEAR(ui_ring_at(&r, UI_AR_POINTS - 1), UI_AR_POINTS + 9, 0);
}

TEST(ui_gen_append_keeps_the_tail_and_prompt_length) {
    UiSnapshot *s = ui_test_new_snapshot();
    ui_gen_begin(s, "PROMPT");
    CHECK_INT_EQ(s->gen_prompt_len, 6);
    char chunk[1000];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 5; i++) ui_gen_append(s, chunk, (int)sizeof chunk);
    CHECK_INT_EQ(strlen(s->gen_text), UI_GEN_BYTES - 1);
    CHECK_INT_EQ(s->gen_prompt_len, 0);
    CHECK(s->gen_text[0] == 'x');
    free(s);
}

// --- colours ---

TEST(ui_colors_ramp_and_8_color_mapping) {
    CHECK_INT_EQ(ui_ramp_color(0), 16);
    CHECK_INT_EQ(ui_ramp_color(UI_RAMP_LEVELS - 1), 231);
    CHECK_INT_EQ(ui_ramp_level(0, 24), 0);
    CHECK_INT_EQ(ui_ramp_level(1, 24), 23);
    CHECK_INT_EQ(ui_ramp_level(0.5f, 24), 12);
    CHECK_INT_EQ(ui_color_to8(196), 1);  // red
    CHECK_INT_EQ(ui_color_to8(46), 2);   // green
    CHECK_INT_EQ(ui_color_to8(21), 4);   // blue
    CHECK_INT_EQ(ui_color_to8(231), 7);  // white
    CHECK_INT_EQ(ui_color_to8(-1), -1);
}

// --- widgets ---

TEST(ui_golden_plot) {
    ui_test_utf8_locale();
    UiSnapshot *s = ui_test_new_snapshot();
    Grid g;
    grid_init(&g, 60, 12, FULL_CAPS);
    ui_plot_draw(&g, ui_rect(0, 0, 60, 12), &s->train_loss, &s->valid_loss);
    golden_text("plot", &g);
    golden_colors("plot.colors", &g);
    grid_free(&g);
    free(s);
}

TEST(ui_plot_empty_says_so) {
    static UiSeries a, b;
    ui_series_reset(&a);
    ui_series_reset(&b);
    Grid g;
    grid_init(&g, 40, 6, FULL_CAPS);
    ui_plot_draw(&g, ui_rect(0, 0, 40, 6), &a, &b);
    char *t = grid_dump_text(&g);
    CHECK(strstr(t, "no losses yet") != NULL);
    free(t);
    grid_free(&g);
}

TEST(ui_golden_heatmap) {
    ui_test_utf8_locale();
    UiSnapshot *s = ui_test_new_snapshot();
    Grid g;
    grid_init(&g, 60, 8, FULL_CAPS);
    ui_heatmap_draw(&g, ui_rect(0, 0, 60, 8), &s->attn, -1, 5, 131, 1);
    golden_text("heatmap", &g);
    golden_colors("heatmap.colors", &g);
    grid_free(&g);
    free(s);
}

TEST(ui_golden_heatmap_head_and_few_keys) {
    ui_test_utf8_locale();
    UiSnapshot *s = ui_test_new_snapshot();
    UiAttention *a = &s->attn; // early in training: memory only partly filled, no compressed slots
    a->n_cmem = 0;
    a->n_mem = 5;
    for (int q = 0; q < a->n_queries; q++)
        for (int k = 0; k < 13; k++) {
            a->mean[q][k] = ui_attn_masked(a, q, k) ? 0 : 1.0f / (float)(5 + q + 1) * (k == 2 ? 2 : 1);
            a->head[1][q][k] = ui_attn_masked(a, q, k) ? 0 : (k == 5 + q ? 0.9f : 0.01f);
        }
    for (int k = 0; k < 13; k++) a->slot[k] = (UiSlot){a->query_pos - 12 + k, a->query_pos - 12 + k, "x"};
    Grid g;
    grid_init(&g, 60, 12, FULL_CAPS);
    ui_heatmap_draw(&g, ui_rect(0, 0, 60, 12), a, 1, 0, 0, 0);
    golden_text("heatmap_head_few_keys", &g);
    golden_colors("heatmap_head_few_keys.colors", &g);
    grid_free(&g);
    free(s);
}

TEST(ui_golden_heatmap_ascii_8_colors) {
    UiSnapshot *s = ui_test_new_snapshot();
    Grid g;
    grid_init(&g, 60, 13, UI_CAP_COLOR);
    ui_heatmap_draw(&g, ui_rect(0, 0, 60, 13), &s->attn, -1, 2, 140, 1);
    golden_text("heatmap_ascii", &g);
    grid_free(&g);
    free(s);
}

TEST(ui_heat_geometry_keeps_small_groups_whole) {
    UiSnapshot *s = ui_test_new_snapshot();
    static UiHeatGeom geo;
    ui_heat_geometry(&s->attn, FULL_CAPS, 47, 4, &geo);
    CHECK_INT_EQ(geo.ncols, 47);
    int seps = 0, mem_cols = 0, cur_cols = 0, covered = 0;
    for (int c = 0; c < geo.ncols; c++) {
        if (geo.col_k0[c] < 0) { seps++; continue; }
        covered += geo.col_k1[c] - geo.col_k0[c];
        if (c > 0 && geo.col_k0[c - 1] >= 0) CHECK_INT_EQ(geo.col_k0[c], geo.col_k1[c - 1]); // no gaps
        UiGroup gi = ui_attn_group(&s->attn, geo.col_k0[c]);
        CHECK_INT_EQ(ui_attn_group(&s->attn, geo.col_k1[c] - 1), gi); // never mixes groups
        mem_cols += gi == UI_GROUP_MEM;
        cur_cols += gi == UI_GROUP_CUR;
    }
    CHECK_INT_EQ(seps, 2);
    CHECK_INT_EQ(mem_cols, 8);
    CHECK_INT_EQ(cur_cols, 8);
    CHECK_INT_EQ(covered, 144);
    CHECK_INT_EQ(geo.nsub, 8);
    CHECK_INT_EQ(geo.text_rows, 4);
    free(s);
}

TEST(ui_heatmap_masks_the_causal_triangle) {
    UiSnapshot *s = ui_test_new_snapshot();
    const UiAttention *a = &s->attn;
    CHECK(!ui_attn_masked(a, 0, 136));  // query 0 sees current key 0
    CHECK(ui_attn_masked(a, 0, 137));   // but not current key 1
    CHECK(!ui_attn_masked(a, 7, 143));  // the last query sees everything
    CHECK(!ui_attn_masked(a, 0, 0));    // memory is always visible
    free(s);
}

TEST(ui_slots_top_finds_the_hot_compressed_slots) {
    UiSnapshot *s = ui_test_new_snapshot();
    int keys[4];
    CHECK_INT_EQ(ui_slots_top(&s->attn, -1, keys, 4), 4);
    for (int i = 0; i < 4; i++) {
        CHECK_MSG(keys[i] == 139 - 136 + 128 || (keys[i] < 128 && keys[i] % 37 >= 17 && keys[i] % 37 <= 20),
                  "top slot %d is key %d", i, keys[i]);
        if (i) CHECK(ui_slot_mass(&s->attn, -1, keys[i - 1]) >= ui_slot_mass(&s->attn, -1, keys[i]));
    }
    free(s);
}

TEST(ui_golden_slot_lines) {
    ui_test_utf8_locale();
    UiSnapshot *s = ui_test_new_snapshot();
    Grid g;
    grid_init(&g, 100, 2, FULL_CAPS);
    ui_slots_cursor_line(&g, 0, 0, 100, &s->attn, -1, 7, 17);
    ui_slots_top_line(&g, 0, 1, 100, &s->attn, -1);
    golden_text("slot_lines", &g);
    grid_free(&g);
    free(s);
}

TEST(ui_bar_split_sums_to_width) {
    float share[3] = {0.333f, 0.333f, 0.334f};
    int out[3];
    for (int w = 0; w < 40; w++) {
        ui_bar_split(share, w, out);
        CHECK_INT_EQ(out[0] + out[1] + out[2], w);
    }
    float none[3] = {0, 0, 0};
    ui_bar_split(none, 10, out);
    CHECK_INT_EQ(out[0] + out[1] + out[2], 0);
}

TEST(ui_golden_bars) {
    ui_test_utf8_locale();
    UiSnapshot *s = ui_test_new_snapshot();
    Grid g;
    grid_init(&g, 40, 7, FULL_CAPS);
    ui_bars_draw(&g, ui_rect(0, 0, 40, 7), s, 2);
    golden_text("bars", &g);
    golden_colors("bars.colors", &g);
    grid_free(&g);
    free(s);
}

TEST(ui_golden_sparklines) {
    ui_test_utf8_locale();
    UiSnapshot *s = ui_test_new_snapshot();
    Grid g;
    grid_init(&g, 50, 6, FULL_CAPS);
    ui_recon_draw(&g, ui_rect(0, 0, 50, 6), s, 0);
    golden_text("sparklines", &g);
    grid_free(&g);
    free(s);
}

TEST(ui_sparkline_scales_min_to_max) {
    static UiRing r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < 8; i++) ui_ring_push(&r, (float)i);
    Grid g;
    grid_init(&g, 8, 1, FULL_CAPS);
    CHECK_INT_EQ(ui_sparkline_draw(&g, 0, 0, 8, &r, 1), 8);
    for (int i = 0; i < 8; i++) CHECK_INT_EQ(grid_cell(&g, i, 0)->ch, 0x2581 + i);
    grid_free(&g);
}

TEST(ui_golden_status) {
    ui_test_utf8_locale();
    UiSnapshot *s = ui_test_new_snapshot();
    Grid g;
    grid_init(&g, 80, 2, FULL_CAPS);
    ui_status_draw(&g, ui_rect(0, 0, 80, 2), s);
    golden_text("status_80", &g);
    golden_colors("status_80.colors", &g);
    grid_resize(&g, 200, 1);
    s->state = UI_RUN_PAUSED;
    s->valid_ce = NAN;
    ui_status_draw(&g, ui_rect(0, 0, 200, 1), s);
    golden_text("status_200", &g);
    grid_free(&g);
    free(s);
}

// A continuation longer than the pane: the prompt stays on top, the newest lines below it, and a mark
// says lines were left out between them.
TEST(ui_output_keeps_the_prompt_above_the_tail) {
    UiSnapshot *s = ui_test_new_snapshot();
    Grid g;
    grid_init(&g, 20, 3, FULL_CAPS);
    ui_output_draw(&g, ui_rect(0, 0, 20, 3), s);
    char *t = grid_dump_text(&g);
    CHECK_MSG(!strcmp(t, "ROMEO: I wonder wha\xe2\x80\xa6\nJULIET: Only the mor\nning\n"), "output was [%s]", t);
    CHECK_INT_EQ(grid_cell(&g, 0, 0)->attr, UI_A_DIM);  // the prompt
    CHECK_INT_EQ(grid_cell(&g, 0, 1)->attr, UI_A_BOLD); // generated text
    free(t);
    grid_clear(&g);
    snprintf(s->gen_text, sizeof s->gen_text, "ab");
    s->gen_prompt_len = 1;
    ui_output_draw(&g, ui_rect(0, 0, 20, 3), s); // everything fits: nothing pinned, no mark
    t = grid_dump_text(&g);
    CHECK_MSG(!strcmp(t, "ab\n\n\n"), "output was [%s]", t);
    free(t);
    grid_free(&g);
    free(s);
}

// --- layout and full screens ---

static int inside(UiRect r, int cols, int rows) {
    return r.x >= 0 && r.y >= 0 && r.w > 0 && r.h > 0 && r.x + r.w <= cols && r.y + r.h <= rows;
}

static int overlap(UiRect a, UiRect b) {
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

TEST(ui_layout_panels_tile_the_screen) {
    for (int cols = 80; cols <= 300; cols += 7)
        for (int rows = 24; rows <= 120; rows += 5) {
            UiLayout L = ui_layout(cols, rows);
            CHECK(!L.too_small);
            UiRect r[] = {L.status, L.heatmap, L.layers, L.loss, L.recon, L.output, L.prompt, L.message};
            int n = (int)(sizeof r / sizeof r[0]);
            for (int i = 0; i < n; i++) {
                CHECK_MSG(inside(r[i], cols, rows), "panel %d outside at %dx%d", i, cols, rows);
                for (int j = i + 1; j < n; j++) CHECK_MSG(!overlap(r[i], r[j]), "panels %d, %d overlap at %dx%d", i, j, cols, rows);
            }
            CHECK(L.heatmap.h >= 10 && L.recon.h >= 7 && L.output.h >= 3);
            CHECK_INT_EQ(L.message.y, rows - 1);
        }
    CHECK(ui_layout(79, 24).too_small);
    CHECK(ui_layout(80, 23).too_small);
    CHECK(ui_layout(0, 0).too_small);
}

static void render_golden(const char *name, int cols, int rows, int colors) {
    ui_test_utf8_locale();
    UiSnapshot *s = ui_test_new_snapshot();
    UiState ui;
    ui_state_init(&ui, FULL_CAPS);
    ui_update(&ui, s, cols, rows);
    ui.cur_q = 6;
    ui.cur_k = 131;
    Grid g;
    grid_init(&g, cols, rows, FULL_CAPS);
    ui_render(&ui, s, &g);
    golden_text(name, &g);
    if (colors) {
        char cname[64];
        snprintf(cname, sizeof cname, "%s.colors", name);
        golden_colors(cname, &g);
    }
    grid_free(&g);
    free(s);
}

TEST(ui_golden_screen_80x24) { render_golden("screen_80x24", 80, 24, 1); }
TEST(ui_golden_screen_120x40) { render_golden("screen_120x40", 120, 40, 0); }
TEST(ui_golden_screen_200x60) { render_golden("screen_200x60", 200, 60, 0); }
TEST(ui_golden_too_small_60x20) { render_golden("too_small_60x20", 60, 20, 0); }

TEST(ui_golden_help_80x24) {
    ui_test_utf8_locale();
    UiSnapshot *s = ui_test_new_snapshot();
    UiState ui;
    ui_state_init(&ui, FULL_CAPS);
    ui_compress_choices_from_engine(); // the names in the help come from the engine, as the app hands them over
    ui_update(&ui, s, 80, 24);
    ui.help = 1;
    Grid g;
    grid_init(&g, 80, 24, FULL_CAPS);
    ui_render(&ui, s, &g);
    golden_text("help_80x24", &g);
    CHECK_INT_EQ(g.cursor_x, -1);
    ui.help_scroll = 200; // clamped: the last page
    ui_render(&ui, s, &g);
    golden_text("help_80x24_end", &g);
    grid_free(&g);
    free(s);
}

TEST(ui_render_survives_every_size) {
    UiSnapshot *s = ui_test_new_snapshot();
    UiState ui;
    ui_state_init(&ui, FULL_CAPS);
    ui_update(&ui, s, 80, 24);
    Grid g;
    grid_init(&g, 0, 0, FULL_CAPS);
    int sizes[][2] = {{0, 0}, {1, 1}, {5, 3}, {79, 24}, {80, 23}, {80, 24}, {81, 25}, {100, 30},
                      {133, 41}, {179, 49}, {180, 50}, {250, 90}, {400, 150}, {1100, 20}, {2000, 30}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int mode = 0; mode < 3; mode++) {
            g.caps = mode == 0 ? FULL_CAPS : mode == 1 ? UI_CAP_COLOR : 0;
            ui.help = mode == 2;
            CHECK(grid_resize(&g, sizes[i][0], sizes[i][1]) == 0);
            ui_render(&ui, s, &g);
            for (int k = 0; k < g.w * g.h; k++)
                if (!(g.caps & UI_CAP_UTF8)) CHECK(g.cells[k].ch < 128);
        }
    grid_free(&g);
    free(s);
}

TEST(ui_render_survives_a_garbage_snapshot) {
    UiSnapshot *s = malloc(sizeof *s);
    CHECK(s != NULL);
    UiState ui;
    Grid g;
    grid_init(&g, 120, 40, FULL_CAPS);
    uint32_t x = 12345;
    for (int round = 0; round < 4; round++) {
        unsigned char *p = (unsigned char *)s;
        for (size_t i = 0; i < sizeof *s; i++) { // xorshift bytes: NaNs, huge counts, unterminated text
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            p[i] = (unsigned char)(round == 3 ? 0xFF : x);
        }
        if (round == 1) s->attn.layer = 0, s->attn.n_queries = 3, s->attn.n_cmem = 1, s->attn.n_mem = 2,
                        s->attn.n_cur = 3, s->attn.n_heads = 2;
        ui_state_init(&ui, FULL_CAPS);
        ui_update(&ui, s, g.w, g.h);
        ui.help = round == 2;
        ui_render(&ui, s, &g);
    }
    grid_free(&g);
    free(s);
}

TEST(ui_render_empty_snapshot) {
    UiSnapshot *s = malloc(sizeof *s);
    ui_snapshot_reset(s);
    UiState ui;
    ui_state_init(&ui, FULL_CAPS);
    ui_update(&ui, s, 80, 24);
    Grid g;
    grid_init(&g, 80, 24, FULL_CAPS);
    ui_render(&ui, s, &g);
    char *t = grid_dump_text(&g);
    CHECK(strstr(t, "no attention collected yet") != NULL);
    CHECK(strstr(t, "no losses yet") != NULL);
    free(t);
    grid_free(&g);
    free(s);
}

// --- the memory lab: Figure 2, recall, compression in the status line ---

static UiSnapshot *new_lab_snapshot(void) {
    UiSnapshot *s = ui_test_new_snapshot();
    ui_test_fill_lab(s);
    return s;
}

TEST(ui_bucket_level_is_a_square_root_scale) {
    CHECK_INT_EQ(ui_bucket_level(1.0f, 1.0f, 2), 16);
    CHECK_INT_EQ(ui_bucket_level(0.25f, 1.0f, 2), 8);   // sqrt(1/4) of 16 eighths
    CHECK_INT_EQ(ui_bucket_level(1e-9f, 1.0f, 1), 1);   // any weight shows
    CHECK_INT_EQ(ui_bucket_level(0.0f, 1.0f, 1), 0);
    CHECK_INT_EQ(ui_bucket_level(NAN, 1.0f, 1), 0);
    CHECK_INT_EQ(ui_bucket_level(2.0f, 1.0f, 1), 8);    // clamped
    CHECK_INT_EQ(ui_bucket_level(0.5f, 0.0f, 1), 0);
}

TEST(ui_golden_buckets) {
    ui_test_utf8_locale();
    UiSnapshot *s = new_lab_snapshot();
    Grid g;
    grid_init(&g, 118, 14, FULL_CAPS);
    ui_buckets_draw(&g, ui_rect(0, 0, 118, 14), s, 1);
    golden_text("buckets", &g);
    golden_colors("buckets.colors", &g);
    // Narrow and short: one row per entry, no recon column, a window of layers around the selection.
    grid_resize(&g, 60, 6);
    ui_buckets_draw(&g, ui_rect(0, 0, 60, 6), s, 4);
    golden_text("buckets_narrow", &g);
    grid_free(&g);
    free(s);
}

TEST(ui_buckets_bars_grow_with_the_weight) {
    ui_test_utf8_locale();
    UiSnapshot *s = new_lab_snapshot();
    Grid g;
    grid_init(&g, 118, 14, FULL_CAPS);
    ui_buckets_draw(&g, ui_rect(0, 0, 118, 14), s, 0);
    // One row per entry (12 rows for 7 entries): L0..L5 on rows 1..6, the pooled row on row 7. The largest
    // weight (L5's newest current bucket) is a full block; in the pooled row no current bucket is taller
    // than a newer one. Column of current bucket k: 5 + 2 * (6 * bw + 2) + k * bw, bw = 4 at 118 columns.
    int bw = 4, x_cur = 5 + 2 * (6 * bw + 2), newest = x_cur + 5 * bw, bottom = 7;
    CHECK_INT_EQ(grid_cell(&g, newest, 6)->ch, 0x2588);
    CHECK_INT_EQ(grid_cell(&g, newest, 6)->fg, UI_COL_CUR);
    CHECK(grid_cell(&g, newest, bottom)->ch < 0x2588 && grid_cell(&g, newest, bottom)->ch > 0x2581);
    for (int k = 0; k < 5; k++) {
        uint32_t a = grid_cell(&g, x_cur + k * bw, bottom)->ch, b = grid_cell(&g, x_cur + (k + 1) * bw, bottom)->ch;
        CHECK_MSG(a <= b || b == 0x2588, "bucket %d glyph %x above bucket %d glyph %x", k, a, k + 1, b);
    }
    char *t = grid_dump_text(&g);
    CHECK(strstr(t, "0.0120 \xc2\xb1 0.0040") != NULL); // layer 0's reconstruction loss and spread
    free(t);
    ui_snapshot_reset(s);
    ui_buckets_draw(&g, ui_rect(0, 0, 118, 14), s, 0);
    t = grid_dump_text(&g);
    CHECK(strstr(t, "no attention collected yet") != NULL);
    free(t);
    grid_free(&g);
    free(s);
}

TEST(ui_golden_recall) {
    ui_test_utf8_locale();
    UiSnapshot *s = new_lab_snapshot();
    Grid g;
    grid_init(&g, 30, 6, FULL_CAPS);
    ui_recall_draw(&g, ui_rect(0, 0, 30, 6), &s->recall);
    golden_text("recall", &g);
    char label[32];
    ui_recall_label(&s->recall.b[4], label, sizeof label);
    CHECK(!strcmp(label, "> 272"));
    s->recall.evals = 0;
    grid_clear(&g);
    ui_recall_draw(&g, ui_rect(0, 0, 30, 6), &s->recall);
    char *t = grid_dump_text(&g);
    CHECK(strstr(t, "measuring recall") != NULL);
    free(t);
    grid_free(&g);
    free(s);
}

TEST(ui_golden_status_with_compression_loss) {
    ui_test_utf8_locale();
    UiSnapshot *s = ui_test_new_snapshot();
    snprintf(s->compress_fn, sizeof s->compress_fn, "most-used");
    snprintf(s->compress_loss, sizeof s->compress_loss, "none");
    Grid g;
    grid_init(&g, 80, 2, FULL_CAPS);
    ui_status_draw(&g, ui_rect(0, 0, 80, 2), s);
    golden_text("status_80_loss", &g);
    char *t = grid_dump_text(&g);
    CHECK(strstr(t, "c=2 most-used, none loss") != NULL);
    free(t);
    grid_free(&g);
    free(s);
}

TEST(ui_layout_with_recall_tiles_the_screen) {
    for (int cols = 80; cols <= 300; cols += 7)
        for (int rows = 24; rows <= 120; rows += 5) {
            UiLayout L = ui_layout_recall(cols, rows, 1);
            UiRect r[] = {L.status, L.heatmap, L.layers, L.loss, L.recall, L.recon, L.output, L.prompt, L.message};
            int n = (int)(sizeof r / sizeof r[0]);
            for (int i = 0; i < n; i++) {
                CHECK_MSG(inside(r[i], cols, rows), "panel %d outside at %dx%d", i, cols, rows);
                for (int j = i + 1; j < n; j++) CHECK_MSG(!overlap(r[i], r[j]), "panels %d, %d overlap at %dx%d", i, j, cols, rows);
            }
            CHECK(L.recall.w >= 22 && L.recon.w >= 22);
        }
    CHECK_INT_EQ(ui_layout_recall(120, 40, 0).recall.w, 0);
}

// The lab's screen: Figure-2 view in place of the heatmap, recall panel in the middle row.
static void render_lab_golden(const char *name, int cols, int rows) {
    ui_test_utf8_locale();
    UiSnapshot *s = new_lab_snapshot();
    UiState ui;
    ui_state_init(&ui, FULL_CAPS);
    ui_update(&ui, s, cols, rows);
    ui.view_buckets = 1;
    Grid g;
    grid_init(&g, cols, rows, FULL_CAPS);
    ui_render(&ui, s, &g);
    golden_text(name, &g);
    grid_free(&g);
    free(s);
}

TEST(ui_golden_screen_lab_80x24) { render_lab_golden("screen_lab_80x24", 80, 24); }
TEST(ui_golden_screen_lab_120x40) { render_lab_golden("screen_lab_120x40", 120, 40); }
TEST(ui_golden_screen_lab_200x60) { render_lab_golden("screen_lab_200x60", 200, 60); } // the Figure-2 view uses the room
