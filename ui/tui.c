// UI state: keys and mouse -> state changes and posted commands; per-frame snapshot sync.
#include "ui/tui.h"

#include "ui/bars.h"
#include "ui/bindings.h"
#include "ui/heatmap.h"
#include "ui/help.h"
#include "ui/keys.h"
#include "ui/prompt.h"
#include "ui/render.h"

#include <stdio.h>
#include <string.h>

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static void sync_gen(UiState *ui, const UiSnapshot *s) {
    UiGenSettings now = {s->gen_length, s->temperature, s->top_k};
    if (now.gen_length <= 0) return;  // the app has not filled them in
    if (!ui->gen_known || memcmp(&now, &ui->snap_gen, sizeof now)) ui->gen = now;
    ui->snap_gen = now;
    ui->gen_known = 1;
}

void ui_update(UiState *ui, const UiSnapshot *s, int cols, int rows) {
    const UiAttention *a = &s->attn;
    ui->cols = cols;
    ui->rows = rows;
    ui->help_scroll = clampi(ui->help_scroll, 0, ui_help_max_scroll(cols, rows));
    if (s->seq != ui->seen_seq) {
        // A pause shows as PAUSING until a snapshot says PAUSED: the trainer finishes the step in flight
        // and may publish it first (a few snapshots at most; then the snapshot's state is believed).
        if (ui->pausing && (s->state != UI_RUN_RUNNING || ++ui->pausing > 3)) ui->pausing = 0;
        ui->run_state = ui->pausing ? UI_RUN_PAUSED : s->state;
    }
    ui->seen_seq = s->seq;
    ui->n_layers = clampi(s->n_layers, 0, UI_MAX_LAYERS);
    ui->layer = clampi(ui->layer, 0, ui->n_layers > 0 ? ui->n_layers - 1 : 0);
    int valid = ui_attn_valid(a);
    ui->n_heads = valid ? a->n_heads : 0;
    if (ui->head >= ui->n_heads) ui->head = -1;
    ui->n_queries = valid ? a->n_queries : 0;
    ui->n_cmem = valid ? a->n_cmem : 0;
    ui->n_mem = valid ? a->n_mem : 0;
    ui->n_keys = valid ? ui_attn_keys(a) : 0;
    ui->cur_q = clampi(ui->cur_q, 0, ui->n_queries > 0 ? ui->n_queries - 1 : 0);
    ui->cur_k = clampi(ui->cur_k, 0, ui->n_keys > 0 ? ui->n_keys - 1 : 0);
    ui->unsaved = s->unsaved;
    sync_gen(ui, s);
    if (s->message_seq != ui->seen_msg_seq) ui->message[0] = 0; // the app's newer message wins
    ui->seen_msg_seq = s->message_seq;
}

static void post_simple(UiPostFn post, void *ctx, UiCommandType t, int ival) {
    UiCommand c;
    memset(&c, 0, sizeof c);
    c.type = t;
    c.ival = ival;
    post(ctx, &c);
}

static void select_layer(UiState *ui, int layer, UiPostFn post, void *ctx) {
    if (ui->n_layers <= 0) return;
    ui->layer = (layer + ui->n_layers) % ui->n_layers;
    post_simple(post, ctx, UI_CMD_VIEW_LAYER, ui->layer);
}

static void ask_quit(UiState *ui, UiPostFn post, void *ctx) {
    ui->focus = UI_FOCUS_MAIN;
    if (ui->unsaved) {
        ui->confirm_quit = 1;
        return;
    }
    post_simple(post, ctx, UI_CMD_QUIT, 0);
    ui->quit = 1;
}

static void toggle_pause(UiState *ui, UiPostFn post, void *ctx) {
    if (ui->run_state == UI_RUN_PAUSED || ui->run_state == UI_RUN_STOPPED) {
        post_simple(post, ctx, UI_CMD_RESUME, 0);
        ui->run_state = UI_RUN_RUNNING;
        ui->pausing = 0;
    } else {
        post_simple(post, ctx, UI_CMD_PAUSE, 0);
        ui->run_state = UI_RUN_PAUSED;
        ui->pausing = 1;
    }
}

// Start of the group after (dir > 0) or before (dir < 0) the cursor's group.
static int group_jump(const UiState *ui, int dir) {
    int starts[3] = {0, ui->n_cmem, ui->n_cmem + ui->n_mem}, g = 0;
    for (int i = 0; i < 3; i++)
        if (ui->cur_k >= starts[i] && starts[i] < ui->n_keys) g = i;
    for (int i = g + dir; i >= 0 && i < 3; i += dir)
        if (starts[i] < ui->n_keys && (i == 2 || starts[i + 1] > starts[i])) return starts[i];
    return ui->cur_k;
}

static int cursor_action(UiState *ui, UiAction act) {
    int last_k = ui->n_keys > 0 ? ui->n_keys - 1 : 0, last_q = ui->n_queries > 0 ? ui->n_queries - 1 : 0;
    switch (act) {
    case UI_ACT_QUERY_UP: ui->cur_q = clampi(ui->cur_q - 1, 0, last_q); return 1;
    case UI_ACT_QUERY_DOWN: ui->cur_q = clampi(ui->cur_q + 1, 0, last_q); return 1;
    case UI_ACT_KEY_PREV: ui->cur_k = clampi(ui->cur_k - 1, 0, last_k); return 1;
    case UI_ACT_KEY_NEXT: ui->cur_k = clampi(ui->cur_k + 1, 0, last_k); return 1;
    case UI_ACT_GROUP_PREV: ui->cur_k = group_jump(ui, -1); return 1;
    case UI_ACT_GROUP_NEXT: ui->cur_k = group_jump(ui, +1); return 1;
    case UI_ACT_KEY_FIRST: ui->cur_k = 0; return 1;
    case UI_ACT_KEY_LAST: ui->cur_k = last_k; return 1;
    default: return 0;
    }
}

static void cycle_head(UiState *ui) {
    if (ui->n_heads <= 0) {
        ui->head = -1;
        ui_set_message(ui, 0, "no per-head attention in this snapshot: showing the mean");
        return;
    }
    ui->head = ui->head + 1 >= ui->n_heads ? -1 : ui->head + 1;
}

// z: the whole run, then ever closer views of the newest steps.
static void cycle_zoom(UiState *ui) {
    static const int levels[] = {0, 2000, 500, 100};
    int next = 0;
    for (int i = 0; i < 4; i++)
        if (levels[i] == ui->plot_zoom) next = (i + 1) % 4;
    ui->plot_zoom = levels[next];
    if (ui->plot_zoom) ui_set_message(ui, 0, "loss plot: the last %d steps (z for more, :zoom N)", ui->plot_zoom);
    else ui_set_message(ui, 0, "loss plot: the whole run");
}

static void plot_action(UiState *ui, UiAction act) {
    if (act == UI_ACT_SMOOTH) {
        ui->plot_smooth = !ui->plot_smooth;
        ui_set_message(ui, 0, ui->plot_smooth ? "loss plot: training curve smoothed (EMA 0.9), raw curve dim"
                                              : "loss plot: raw training curve");
    } else if (act == UI_ACT_LOG_SCALE) {
        ui->plot_log = !ui->plot_log;
        ui_set_message(ui, 0, ui->plot_log ? "loss plot: logarithmic loss axis" : "loss plot: linear loss axis");
    } else cycle_zoom(ui);
}

static void main_key(UiState *ui, int key, UiPostFn post, void *ctx) {
    UiAction act = ui_binding_action(key);
    if (cursor_action(ui, act)) return;
    switch (act) {
    case UI_ACT_PAUSE: toggle_pause(ui, post, ctx); break;
    case UI_ACT_STEP:
        if (ui->run_state == UI_RUN_PAUSED || ui->run_state == UI_RUN_STOPPED) post_simple(post, ctx, UI_CMD_STEP, 0);
        else ui_set_message(ui, 0, "n steps once while paused: press Space to pause first");
        break;
    case UI_ACT_RATE_UP: post_simple(post, ctx, UI_CMD_RATE_UP, 0); break;
    case UI_ACT_RATE_DOWN: post_simple(post, ctx, UI_CMD_RATE_DOWN, 0); break;
    case UI_ACT_COMPRESS_NEXT: post_simple(post, ctx, UI_CMD_COMPRESS_NEXT, 0); break;
    case UI_ACT_FIGURE2: ui->view_buckets = !ui->view_buckets; break;
    case UI_ACT_LAYER_NEXT: select_layer(ui, ui->layer + 1, post, ctx); break;
    case UI_ACT_LAYER_PREV: select_layer(ui, ui->layer - 1, post, ctx); break;
    case UI_ACT_HEAD: cycle_head(ui); break;
    case UI_ACT_PROMPT: ui->focus = UI_FOCUS_PROMPT; break;
    case UI_ACT_SAVE: post_simple(post, ctx, UI_CMD_SAVE, 0); break;
    case UI_ACT_VALIDATE: post_simple(post, ctx, UI_CMD_VALIDATE, 0); break;
    case UI_ACT_DUMP: ui->dump = UI_DUMP_SCREEN, ui->dump_path[0] = 0; break;
    case UI_ACT_SMOOTH: case UI_ACT_LOG_SCALE: case UI_ACT_ZOOM: plot_action(ui, act); break;
    case UI_ACT_ESCAPE: ui->view_buckets = 0; break;
    case UI_ACT_QUIT: ask_quit(ui, post, ctx); break;
    case UI_ACT_HELP: ui->help = 1, ui->help_scroll = 0; break;
    default: break;
    }
}

static void confirm_key(UiState *ui, int key, UiPostFn post, void *ctx) {
    ui->confirm_quit = 0;
    if (key == 'y' || key == 'Y' || key == 's') {
        post_simple(post, ctx, UI_CMD_SAVE, 0);
        post_simple(post, ctx, UI_CMD_QUIT, 0);
        ui->quit = 1;
    } else if (key == 'n' || key == 'N') {
        post_simple(post, ctx, UI_CMD_QUIT, 0);
        ui->quit = 1;
    }
}

static void help_key(UiState *ui, int key) {
    switch (key) {
    case UI_KEY_UP: ui->help_scroll--; break;
    case UI_KEY_DOWN: ui->help_scroll++; break;
    case UI_KEY_PGUP: ui->help_scroll -= 10; break;
    case UI_KEY_PGDN: case ' ': ui->help_scroll += 10; break;
    case '?': case 'q': case UI_KEY_ESC: case UI_KEY_F1: case UI_KEY_ENTER: ui->help = 0; break;
    default: break;
    }
    ui->help_scroll = clampi(ui->help_scroll, 0, ui_help_max_scroll(ui->cols, ui->rows));
}

void ui_handle_key(UiState *ui, int key, UiPostFn post, void *ctx) {
    if (key == UI_KEY_RESIZE || key == UI_KEY_NONE || key == UI_KEY_MOUSE) return;
    if (ui->confirm_quit) confirm_key(ui, key, post, ctx);
    else if (ui->help) help_key(ui, key);
    else if (ui->focus == UI_FOCUS_PROMPT) {
        if (key == UI_KEY_ESC) ui->focus = UI_FOCUS_MAIN;
        else if (key < 256) {
            const char *line = ui_prompt_feed(ui, key);
            if (line) ui_submit_line(ui, line, post, ctx);
        }
    } else main_key(ui, key, post, ctx);
}

void ui_handle_mouse(UiState *ui, const UiSnapshot *s, int cols, int rows, int x, int y, UiPostFn post, void *ctx) {
    if (ui->help || ui->confirm_quit) return;
    UiRenderRects R;
    if (!ui_render_rects(ui, s, cols, rows, &R)) return;
    int q, k, layer;
    if (ui_heatmap_hit(ui->caps, R.heat, &s->attn, x, y, &q, &k)) {
        ui->cur_q = q;
        ui->cur_k = k;
    } else if (x >= R.layers.x && x < R.layers.x + R.layers.w &&
               (layer = ui_bars_hit(R.layers, s, ui->layer, y)) >= 0) {
        if (layer != ui->layer) select_layer(ui, layer, post, ctx);
    } else if (y == R.prompt.y) {
        ui->focus = UI_FOCUS_PROMPT;
    }
}

static void apply_setting(UiState *ui, const UiCommand *c) {
    if (c->type == UI_CMD_SET_TEMP) {
        ui->gen.temperature = c->fval;
        ui_set_message(ui, 0, "temperature %.2f for the next generation", c->fval);
    } else if (c->type == UI_CMD_SET_LEN) {
        ui->gen.gen_length = c->ival;
        ui_set_message(ui, 0, "length %d for the next generation", c->ival);
    } else if (c->type == UI_CMD_SET_TOPK) {
        ui->gen.top_k = c->ival;
        if (c->ival) ui_set_message(ui, 0, "top-k %d for the next generation", c->ival);
        else ui_set_message(ui, 0, "top-k off for the next generation");
    } // a rate's message comes from the trainer: the engine decides whether the model can use it
}

void ui_submit_line(UiState *ui, const char *line, UiPostFn post, void *ctx) {
    UiLineResult r;
    ui_parse_line(line, &ui->gen, &r);
    if (r.empty) {
        ui->focus = UI_FOCUS_MAIN;
        return;
    }
    if (r.message[0]) ui_set_message(ui, r.is_error, "%s", r.message);
    for (int i = 0; i < r.n_cmds; i++) {
        apply_setting(ui, &r.cmds[i]);
        post(ctx, &r.cmds[i]);
        if (r.cmds[i].type == UI_CMD_QUIT) ui->quit = 1;
    }
    if (r.show_help) ui->help = 1, ui->help_scroll = 0;
    if (r.dump) {
        ui->dump = r.dump == 2 ? UI_DUMP_DATA : UI_DUMP_SCREEN;
        snprintf(ui->dump_path, sizeof ui->dump_path, "%s", r.dump_path);
    }
    if (r.zoom >= 0) {
        ui->plot_zoom = r.zoom;
        if (r.zoom) ui_set_message(ui, 0, "loss plot: the last %d steps", r.zoom);
        else ui_set_message(ui, 0, "loss plot: the whole run");
    }
    if (r.quit) ask_quit(ui, post, ctx);
}
