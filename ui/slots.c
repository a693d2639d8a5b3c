// Slot provenance lines under the heatmap.
#include "ui/slots.h"

#include "ui/color.h"
#include "ui/heatmap.h"

#include <stdio.h>
#include <string.h>

float ui_slot_mass(const UiAttention *a, int head, int k) {
    double sum = 0;
    for (int q = 0; q < a->n_queries; q++) sum += ui_attn_value(a, head, q, k);
    return a->n_queries ? (float)(sum / a->n_queries) : 0.0f;
}

int ui_slots_top(const UiAttention *a, int head, int *keys, int n) {
    int found = 0, n_mem = a->n_cmem + a->n_mem;
    float mass[16];
    if (n > 16) n = 16;
    for (int k = 0; k < n_mem; k++) {
        float m = ui_slot_mass(a, head, k);
        int pos = found < n ? found : n;
        while (pos > 0 && mass[pos - 1] < m) pos--;
        if (pos >= n) continue;
        int last = found < n ? found : n - 1;
        for (int i = last; i > pos; i--) {
            keys[i] = keys[i - 1];
            mass[i] = mass[i - 1];
        }
        keys[pos] = k;
        mass[pos] = m;
        if (found < n) found++;
    }
    return found;
}

// "12 back" or "300-301 back" for a compressed span.
static void fmt_age(char *out, size_t n, const UiAttention *a, int k) {
    long long newest = (long long)ui_slot_age(a, k, 0), oldest = (long long)ui_slot_age(a, k, 1);
    if (oldest != newest) snprintf(out, n, "%lld-%lld back", newest, oldest);
    else snprintf(out, n, "%lld back", newest);
}

// Writes parts left to right on one row and stops at the first that does not fit.
typedef struct {
    Grid *g;
    int x, y, end, stop;
} Line;

static void put(Line *l, const char *s, UiStyle st) {
    int w = grid_text_width(l->g, s);
    if (l->stop || l->x + w > l->end) {
        l->stop = 1;
        return;
    }
    l->x += grid_put_str(l->g, l->x, l->y, w, s, st);
}

// 'text' with the quote marks dim (at most UI_SNIPPET_BYTES of it, NUL or not).
static void put_snippet(Line *l, const char *raw, UiStyle st) {
    char text[UI_SNIPPET_BYTES + 1];
    snprintf(text, sizeof text, "%.*s", UI_SNIPPET_BYTES, raw);
    int w = grid_text_width(l->g, text) + 2;
    if (l->stop || l->x + w > l->end) {
        l->stop = 1;
        return;
    }
    UiStyle q = UI_STYLE(-1, -1, UI_A_DIM);
    l->x += grid_put(l->g, l->x, l->y, '\'', q);
    l->x += grid_put_str(l->g, l->x, l->y, w - 2, text, st);
    l->x += grid_put(l->g, l->x, l->y, '\'', q);
}

void ui_slots_cursor_line(Grid *g, int x, int y, int w, const UiAttention *a, int head, int q, int k) {
    if (!ui_attn_valid(a) || k < 0 || k >= ui_attn_keys(a) || q < 0 || q >= a->n_queries) return;
    Line l = {g, x, y, x + w, 0};
    UiGroup gi = ui_attn_group(a, k);
    char buf[96], age[48];
    put(&l, "\xe2\x96\xb8 ", UI_STYLE(UI_COL_CURSOR, -1, UI_A_BOLD));
    snprintf(buf, sizeof buf, "%s #%d ", ui_group_name(gi), k - ui_attn_group_start(a, gi));
    put(&l, buf, UI_STYLE(ui_group_color(gi), -1, UI_A_BOLD));
    put_snippet(&l, a->slot[k].text, UI_STYLE(-1, -1, UI_A_BOLD));
    fmt_age(age, sizeof age, a, k);
    snprintf(buf, sizeof buf, " %s", age);
    put(&l, buf, UI_PLAIN);
    if (ui_attn_masked(a, q, k)) snprintf(buf, sizeof buf, " \xc2\xb7 q%d masked", q);
    else snprintf(buf, sizeof buf, " \xc2\xb7 q%d %.1f%%", q, 100 * ui_attn_value(a, head, q, k));
    put(&l, buf, UI_PLAIN);
    snprintf(buf, sizeof buf, " \xc2\xb7 avg %.1f%%", 100 * ui_slot_mass(a, head, k));
    put(&l, buf, UI_STYLE(-1, -1, UI_A_DIM));
}

// " comp 85-86 back 5%" (compact) or "  compressed #17  85-86 back  5.1%" (verbose).
static void entry_info(char *out, size_t n, const UiAttention *a, int head, int k, int verbose) {
    UiGroup gi = ui_attn_group(a, k);
    char age[48];
    fmt_age(age, sizeof age, a, k);
    float pct = 100 * ui_slot_mass(a, head, k);
    if (verbose)
        snprintf(out, n, "  %s #%d  %s  %.1f%%", ui_group_name(gi), k - ui_attn_group_start(a, gi), age, pct);
    else snprintf(out, n, " %s %s %.0f%%", gi == UI_GROUP_CMEM ? "comp" : "mem", age, pct);
}

// The snippet is padded to pad_w columns so that list rows line up.
static void put_entry(Line *l, const UiAttention *a, int head, int k, int verbose, int pad_w) {
    char info[96];
    entry_info(info, sizeof info, a, head, k, verbose);
    int x0 = l->x;
    put_snippet(l, a->slot[k].text, UI_STYLE(-1, -1, UI_A_BOLD));
    while (!l->stop && l->x < x0 + pad_w) put(l, " ", UI_PLAIN);
    put(l, info, UI_STYLE(ui_group_color(ui_attn_group(a, k)), -1, 0));
}

static int entry_width(const Grid *g, const UiAttention *a, int head, int k) {
    char info[96];
    entry_info(info, sizeof info, a, head, k, 0);
    return (int)strnlen(a->slot[k].text, UI_SNIPPET_BYTES) + 2 + grid_text_width(g, info); // bytes >= columns
}

void ui_slots_top_line(Grid *g, int x, int y, int w, const UiAttention *a, int head) {
    if (!ui_attn_valid(a)) return;
    Line l = {g, x, y, x + w, 0};
    int keys[4], n = ui_slots_top(a, head, keys, 4);
    char buf[48];
    snprintf(buf, sizeof buf, "layer %d reads ", a->layer);
    put(&l, buf, UI_STYLE(-1, -1, UI_A_BOLD));
    if (n == 0) {
        put(&l, "only the current segment (no memory yet)", UI_STYLE(-1, -1, UI_A_DIM));
        return;
    }
    for (int i = 0; i < n; i++) { // whole entries only
        int sep = i ? 3 : 0;
        if (l.x + sep + entry_width(g, a, head, keys[i]) > l.end) break;
        if (i) put(&l, " \xc2\xb7 ", UI_STYLE(-1, -1, UI_A_DIM));
        put_entry(&l, a, head, keys[i], 0, 0);
    }
}

void ui_slots_top_list(Grid *g, UiRect r, const UiAttention *a, int head) {
    if (!ui_attn_valid(a) || r.h < 1) return;
    int keys[16], n = ui_slots_top(a, head, keys, r.h - 1 < 16 ? r.h - 1 : 16);
    char buf[64];
    snprintf(buf, sizeof buf, "layer %d reads most from:", a->layer);
    grid_put_str(g, r.x, r.y, r.w, n ? buf : "no memory yet: only the current segment is read", UI_STYLE(-1, -1, UI_A_BOLD));
    int pad = 0;
    for (int i = 0; i < n; i++) {
        char text[UI_SNIPPET_BYTES + 1];
        snprintf(text, sizeof text, "%.*s", UI_SNIPPET_BYTES, a->slot[keys[i]].text);
        int w = grid_text_width(g, text) + 2;
        pad = w > pad ? w : pad;
    }
    for (int i = 0; i < n; i++) {
        Line l = {g, r.x + 2, r.y + 1 + i, r.x + r.w, 0};
        put_entry(&l, a, head, keys[i], 1, pad);
    }
}
