// The key table (see bindings.h).
#include "ui/bindings.h"

#include "ui/keys.h"

#include <stddef.h>
#include <stdio.h>

#define ARROWS_LR "\xe2\x86\x90 \xe2\x86\x92"
#define ARROWS_UD "\xe2\x86\x91 \xe2\x86\x93"

static char compress_cycle_help[200] = "next compression function (from the next compression on)";

void ui_bindings_set_compress_cycle(const char *const *names) {
    if (!names[0]) return;
    size_t used = (size_t)snprintf(compress_cycle_help, sizeof compress_cycle_help, "next compression function: ");
    for (int i = 0; names[i] && used < sizeof compress_cycle_help; i++)
        used += (size_t)snprintf(compress_cycle_help + used, sizeof compress_cycle_help - used, "%s \xe2\x86\x92 ", names[i]);
    if (used < sizeof compress_cycle_help)
        snprintf(compress_cycle_help + used, sizeof compress_cycle_help - used, "%s (from the next compression on)",
                 names[0]);
}

const UiBinding ui_bindings[] = {
    {"Space", {' '}, UI_ACT_PAUSE, "pause / resume training (also after --max-steps stopped it)"},
    {"n", {'n'}, UI_ACT_STEP, "one training step while paused or stopped"},
    {"+ -", {'+', '='}, UI_ACT_RATE_UP, "compression rate up / down (from the next compression on; existing slots stay)"},
    {NULL, {'-', '_'}, UI_ACT_RATE_DOWN, NULL},
    {"f", {'f'}, UI_ACT_COMPRESS_NEXT, compress_cycle_help},
    {"b", {'b'}, UI_ACT_FIGURE2, "attention by slot age (the paper's Figure 2) in place of the heatmap; b or Esc goes back"},
    {"Tab " ARROWS_LR, {UI_KEY_TAB, UI_KEY_RIGHT}, UI_ACT_LAYER_NEXT, "select the layer (Shift-Tab also goes back)"},
    {NULL, {UI_KEY_BTAB, UI_KEY_LEFT}, UI_ACT_LAYER_PREV, NULL},
    {"h", {'h'}, UI_ACT_HEAD, "heads: mean \xe2\x86\x92 head 0 \xe2\x86\x92 head 1 \xe2\x80\xa6 \xe2\x86\x92 mean"},
    {ARROWS_UD, {UI_KEY_UP}, UI_ACT_QUERY_UP, "heatmap cursor: previous / next query row"},
    {NULL, {UI_KEY_DOWN}, UI_ACT_QUERY_DOWN, NULL},
    {", .", {',', '<', UI_KEY_SLEFT}, UI_ACT_KEY_PREV, "heatmap cursor: previous / next key slot (also < > and Shift-" ARROWS_LR ")"},
    {NULL, {'.', '>', UI_KEY_SRIGHT}, UI_ACT_KEY_NEXT, NULL},
    {"[ ]", {'['}, UI_ACT_GROUP_PREV, "heatmap cursor: jump to the previous / next group"},
    {NULL, {']'}, UI_ACT_GROUP_NEXT, NULL},
    {"Home End", {UI_KEY_HOME}, UI_ACT_KEY_FIRST, "heatmap cursor: oldest / newest key slot"},
    {NULL, {UI_KEY_END}, UI_ACT_KEY_LAST, NULL},
    {"mouse", {0}, UI_ACT_NONE, "click a heatmap cell to put the cursor on it; click a layer row to select it"},
    {"e", {'e'}, UI_ACT_SMOOTH, "loss plot: smoothed training curve (EMA, weight 0.9 per point) / raw"},
    {"y", {'y'}, UI_ACT_LOG_SCALE, "loss plot: logarithmic / linear loss axis"},
    {"z", {'z'}, UI_ACT_ZOOM, "loss plot: the whole run \xe2\x86\x92 last 2000 \xe2\x86\x92 500 \xe2\x86\x92 100 steps "
                              "\xe2\x86\x92 whole run (:zoom N for any N)"},
    {"/ Enter", {'/', UI_KEY_ENTER, UI_KEY_LF}, UI_ACT_PROMPT, "type in the prompt; Esc leaves it (Enter on an empty line too)"},
    {"s", {'s'}, UI_ACT_SAVE, "save a checkpoint"},
    {"v", {'v'}, UI_ACT_VALIDATE, "validate now"},
    {"d", {'d'}, UI_ACT_DUMP, "write the screen as SVG to memscope-step<N>-<time>.svg here (:dump FILE for .svg .txt .ans)"},
    {"Esc", {UI_KEY_ESC}, UI_ACT_ESCAPE, "leave the help, the Figure-2 view, the prompt or the quit question"},
    {"q", {'q'}, UI_ACT_QUIT, "quit (asks first when there is unsaved progress); in the help, closes it"},
    {"? F1", {'?', UI_KEY_F1}, UI_ACT_HELP, "this help (" ARROWS_UD " PgUp PgDn scroll, Esc q or ? closes)"},
};

const int ui_binding_count = (int)(sizeof ui_bindings / sizeof ui_bindings[0]);

UiAction ui_binding_action(int key) {
    for (int i = 0; i < ui_binding_count; i++)
        for (int k = 0; k < UI_BINDING_KEYS && ui_bindings[i].keys[k]; k++)
            if (ui_bindings[i].keys[k] == key) return ui_bindings[i].action;
    return UI_ACT_NONE;
}
