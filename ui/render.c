// ui_render: the whole screen from a UiState and a UiSnapshot, panel by panel.
#include "ui/render.h"

#include "ui/bars.h"
#include "ui/bottom.h"
#include "ui/buckets.h"
#include "ui/color.h"
#include "ui/heatmap.h"
#include "ui/help.h"
#include "ui/output.h"
#include "ui/plot.h"
#include "ui/recall.h"
#include "ui/slots.h"
#include "ui/sparkline.h"
#include "ui/status.h"

#include <stdio.h>
#include <string.h>

static UiRect content(UiRect panel) { return ui_rect(panel.x, panel.y + 1, panel.w, panel.h - 1); }

int ui_render_rects(const UiState *ui, const UiSnapshot *s, int cols, int rows, UiRenderRects *out) {
    out->layout = ui_layout_recall(cols, rows, s->recall.active);
    if (out->layout.too_small) return 0;
    out->prompt = out->layout.prompt;
    if (ui->view_buckets) { // one panel across the top; nothing there to click
        UiRect h = out->layout.heatmap;
        out->top = ui_rect(0, h.y, cols, h.h);
        out->heat = out->info = out->layers = ui_rect(0, 0, 0, 0);
        return 1;
    }
    out->top = ui_rect(0, 0, 0, 0);
    UiRect c = content(out->layout.heatmap);
    int info = c.h - ui_heat_rows_wanted(&s->attn, ui->caps); // rows the cells do not need at 1:1
    info = info < 1 ? 1 : info > 6 ? 6 : info;
    out->heat = ui_rect(c.x, c.y, c.w, c.h - info);
    out->info = ui_rect(c.x, c.y + c.h - info, c.w, info);
    out->layers = content(out->layout.layers);
    return 1;
}

void ui_draw_too_small(Grid *g) {
    char a[64], b[64];
    snprintf(a, sizeof a, "Terminal too small: %d\xc3\x97%d", g->w, g->h);
    snprintf(b, sizeof b, "memscope needs at least %d\xc3\x97%d", UI_MIN_COLS, UI_MIN_ROWS);
    const char *lines[3] = {a, b, "enlarge the window, or press q to quit"};
    for (int i = 0; i < 3; i++) {
        int w = grid_text_width(g, lines[i]), x = (g->w - w) / 2;
        grid_put_str(g, x > 0 ? x : 0, g->h / 2 - 1 + i, g->w, lines[i], UI_STYLE(-1, -1, i == 0 ? UI_A_BOLD : 0));
    }
}

static void panel_title(Grid *g, UiRect panel, const char *title) {
    grid_set_clip(g, panel);
    grid_title_rule(g, panel.x, panel.y, panel.w, title, UI_STYLE(UI_COL_RULE, -1, 0),
                    UI_STYLE(UI_COL_TITLE, -1, UI_A_BOLD));
}

static void heatmap_panel(Grid *g, const UiState *ui, const UiSnapshot *s, const UiRenderRects *R) {
    const UiAttention *a = &s->attn;
    char title[128], heads[32];
    if (ui->head >= 0) snprintf(heads, sizeof heads, "head %d/%d", ui->head, a->n_heads);
    else snprintf(heads, sizeof heads, "mean of %d heads", s->n_heads);
    int n = snprintf(title, sizeof title, "Attention \xc2\xb7 layer %d \xc2\xb7 %s", ui->layer, heads);
    if (a->generating) n += snprintf(title + n, sizeof title - (size_t)n, " \xc2\xb7 generation");
    if (a->layer >= 0 && a->layer != ui->layer)
        snprintf(title + n, sizeof title - (size_t)n, " \xc2\xb7 (showing layer %d)", a->layer);
    panel_title(g, R->layout.heatmap, title);
    int used = ui_heatmap_draw(g, R->heat, a, ui->head, ui->cur_q, ui->cur_k, 1);
    UiRect panel = R->layout.heatmap; // the slot lines follow the cells and take the rest of the panel
    int y = R->heat.y + used, rows = panel.y + panel.h - y;
    ui_slots_cursor_line(g, R->info.x, y, R->info.w, a, ui->head, ui->cur_q, ui->cur_k);
    if (rows >= 4) ui_slots_top_list(g, ui_rect(R->info.x, y + 1, R->info.w, rows - 1), a, ui->head);
    else if (rows >= 2) ui_slots_top_line(g, R->info.x, y + 1, R->info.w, a, ui->head);
}

static void buckets_panel(Grid *g, const UiState *ui, const UiSnapshot *s, UiRect top) {
    panel_title(g, top, "Attention by slot age (Figure 2) \xc2\xb7 mean weight per slot, stream 0");
    ui_buckets_draw(g, content(top), s, ui->layer);
}

static void top_panels(Grid *g, const UiState *ui, const UiSnapshot *s, const UiRenderRects *R) {
    if (ui->view_buckets) {
        buckets_panel(g, ui, s, R->top);
        return;
    }
    heatmap_panel(g, ui, s, R);
    panel_title(g, R->layout.layers, "Where attention goes");
    ui_bars_draw(g, content(R->layout.layers), s, ui->layer);
}

static void recall_panel(Grid *g, const UiSnapshot *s, UiRect panel) {
    char title[96];
    snprintf(title, sizeof title, "Recall by distance \xc2\xb7 step %lld", (long long)s->recall.step);
    if (grid_text_width(g, title) > panel.w - 5) // never cut the step number
        snprintf(title, sizeof title, "Recall \xc2\xb7 step %lld", (long long)s->recall.step);
    if (s->recall.evals <= 0 || grid_text_width(g, title) > panel.w - 5) snprintf(title, sizeof title, "Recall");
    panel_title(g, panel, title);
    ui_recall_draw(g, content(panel), &s->recall);
}

// The panel always shows the attention-reconstruction loss, measured; the title says whether it trains.
static const char *recon_title(const UiSnapshot *s) {
    if (!s->compress_loss[0] || !strcmp(s->compress_loss, "attention")) return "Reconstruction loss";
    if (!strcmp(s->compress_loss, "none")) return "Reconstruction error \xc2\xb7 measured, not trained (loss none)";
    return "Reconstruction error \xc2\xb7 measured; the autoencode loss trains";
}

static void lower_panels(Grid *g, const UiState *ui, const UiSnapshot *s, const UiLayout *L) {
    if (L->recall.w > 0) recall_panel(g, s, L->recall);
    UiPlotView view = {ui->plot_smooth, ui->plot_log, ui->plot_zoom};
    char how[64], title[96];
    ui_plot_view_label(how, sizeof how, &view);
    snprintf(title, sizeof title, how[0] ? "Loss \xc2\xb7 %s" : "Loss", how);
    panel_title(g, L->loss, title);
    // The legend is right-aligned after the title ("── Loss "), and left out rather than cover it.
    int after = 4 + grid_text_width(g, title);
    ui_plot_legend(g, L->loss.x + after, L->loss.y, L->loss.w - after - 1, s->train_ce, s->valid_ce);
    ui_plot_draw_view(g, content(L->loss), &s->train_loss, &s->valid_loss, &view);
    panel_title(g, L->recon, recon_title(s));
    ui_recon_draw(g, content(L->recon), s, ui->layer);
    panel_title(g, L->output, s->state == UI_RUN_GENERATING ? "Output \xc2\xb7 generating" : "Output");
    ui_output_draw(g, content(L->output), s);
}

static void bottom_rows(Grid *g, const UiState *ui, const UiSnapshot *s, const UiLayout *L) {
    int focused = ui->focus == UI_FOCUS_PROMPT && !ui->help && !ui->confirm_quit;
    UiPromptView pv = {ui->line, ui->line_col, focused, ui->gen.gen_length, ui->gen.top_k, ui->gen.temperature};
    grid_set_clip(g, L->prompt);
    ui_prompt_line_draw(g, L->prompt, &pv);
    grid_set_clip(g, L->message);
    char app_msg[UI_MESSAGE_BYTES];
    snprintf(app_msg, sizeof app_msg, "%.*s", UI_MESSAGE_BYTES - 1, s->message);
    if (ui->message[0]) ui_message_line_draw(g, L->message, ui->message, ui->message_error, focused);
    else ui_message_line_draw(g, L->message, app_msg, s->message_is_error, focused);
}

static void confirm_box(Grid *g, const UiSnapshot *s) {
    const char *l2 = "y save and quit \xc2\xb7 n quit without saving \xc2\xb7 Esc cancel";
    int w = grid_text_width(g, l2) + 4, h = 4;
    UiRect box = ui_rect((g->w - w) / 2, (g->h - h) / 2, w, h);
    UiStyle bg = UI_STYLE(-1, UI_COL_HELP_BG, 0);
    grid_fill(g, box, ' ', bg);
    grid_box(g, box, UI_STYLE(UI_COL_WARN, UI_COL_HELP_BG, 0));
    grid_printf(g, box.x + 2, box.y + 1, w - 4, UI_STYLE(UI_COL_WARN, UI_COL_HELP_BG, UI_A_BOLD),
                "Unsaved progress (step %lld). Save before quitting?", (long long)s->step);
    grid_put_str(g, box.x + 2, box.y + 2, w - 4, l2, bg);
}

void ui_render(const UiState *ui, const UiSnapshot *s, Grid *g) {
    grid_clear(g);
    UiRenderRects R;
    if (!ui_render_rects(ui, s, g->w, g->h, &R)) {
        ui_draw_too_small(g);
        return;
    }
    const UiLayout *L = &R.layout;
    grid_set_clip(g, L->status);
    ui_status_draw_intent(g, L->status, s, ui->pausing && s->state == UI_RUN_RUNNING ? "PAUSING" : NULL);
    top_panels(g, ui, s, &R);
    lower_panels(g, ui, s, L);
    bottom_rows(g, ui, s, L);
    grid_reset_clip(g);
    if (ui->help) ui_help_draw(g, ui_rect(0, 0, g->w, g->h), ui->help_scroll);
    else if (ui->confirm_quit) confirm_box(g, s);
    if (ui->help || ui->confirm_quit) g->cursor_x = g->cursor_y = -1;
}
