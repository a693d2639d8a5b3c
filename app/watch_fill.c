// WatchView from the reader (pure: no curses, no threads).
#include "app/watch_fill.h"

#include <math.h>
#include <string.h>

#include "app/tui_fill.h"

static void fill_attention(WatchView *v, const WatchReader *w, const TuiText *text) {
    const WatchSegment *s = &w->last;
    const Config *c = &w->model->cfg;
    memset(&v->attn, 0, sizeof v->attn);
    v->attn.layer = -1;
    if (s->start < 0) return;
    TuiKeys keys = {s->n_cmem, s->n_mem, s->T, s->cmem_first, s->cmem_last, s->mem_pos, s->start};
    long per_layer = (long)c->n_heads * s->T * s->K;
    tui_fill_attention(&v->attn, v->layer, s->probs + v->layer * per_layer, c->n_heads, s->T, s->K, &keys, text);
}

// What the last segment read each character of the window as (the keys of the heatmap): part of the segment
// itself, a memory row, a compressed slot (numbered as in the heatmap), or nothing any more.
static void fill_marks(WatchView *v, const WatchReader *w) {
    const WatchSegment *s = &w->last;
    for (int i = 0; i < v->text_n; i++) {
        long p = v->text_first + i;
        v->slot[i] = -1;
        v->mark[i] = p >= w->pos ? WV_UNREAD : WV_GONE;
        v->loss[i] = p <= w->pos ? w->loss[p] : NAN;
    }
    if (s->start < 0) return;
    for (int j = 0; j < s->n_cmem; j++)
        for (long p = s->cmem_first[j]; p <= s->cmem_last[j]; p++)
            if (p - v->text_first >= 0 && p - v->text_first < v->text_n)
                v->mark[p - v->text_first] = WV_CMEM, v->slot[p - v->text_first] = (short)j;
    for (int j = 0; j < s->n_mem; j++) {
        long i = s->mem_pos[j] - v->text_first;
        if (i >= 0 && i < v->text_n) v->mark[i] = WV_MEM;
    }
    for (long i = s->start - v->text_first; i < s->start + s->T - v->text_first; i++)
        if (i >= 0 && i < v->text_n) v->mark[i] = WV_CUR;
}

static void fill_event(WatchView *v, const WatchReader *w, const TuiText *text) {
    const WatchSegment *s = &w->last;
    const Memory *mem = &w->g.mem;
    v->n_event = 0;
    v->n_event_total = s->start >= 0 ? s->n_new : 0;
    for (int i = 0; i < v->n_event_total && v->n_event < WV_EVENT; i++) {
        WvEventSlot *e = &v->event[v->n_event++];
        e->first = s->new_first[i], e->last = s->new_last[i], e->slot = -1;
        for (int j = 0; j < mem->cm; j++)
            if (mem->cmem_first[j] == e->first && mem->cmem_last[j] == e->last) e->slot = j;
        UiSlot slot;
        tui_slot_fill(&slot, e->first, e->last, text);
        memcpy(e->text, slot.text, sizeof e->text);
    }
    for (int l = 0; l < w->model->cfg.n_layers && l < UI_MAX_LAYERS; l++) v->recon[l] = v->n_event_total ? s->recon[l] : NAN;
}

void watch_fill(WatchView *v, const WatchReader *w, const unsigned char *text) {
    const Config *c = &w->model->cfg;
    TuiText t = {text, w->n, NULL, 0, 0};
    v->read = w->pos, v->total = w->n, v->segment = w->segment, v->n_segments = w->n_segments;
    v->ce = (float)watch_ce(w), v->bpc = (float)(watch_ce(w) / M_LN2);
    v->n_layers = c->n_layers, v->n_heads = c->n_heads, v->seq_len = c->seq_len, v->rate = c->compression_rate;
    if (v->layer < 0 || v->layer >= c->n_layers) v->layer = 0;
    v->seg_first = w->last.start >= 0 ? w->last.start : 0;
    v->seg_n = w->last.start >= 0 ? w->last.T : 0;
    long end = v->seg_first + v->seg_n, first = end - WV_TEXT * 3 / 4;
    v->text_first = first < 0 ? 0 : first;
    long n = w->n - v->text_first;
    v->text_n = (int)(n < WV_TEXT ? n : WV_TEXT);
    memcpy(v->text, text + v->text_first, (size_t)v->text_n);
    fill_marks(v, w);
    fill_attention(v, w, &t);
    fill_event(v, w, &t);
}
