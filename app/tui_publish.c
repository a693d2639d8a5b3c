// The TUI trainer's snapshot: what the keys of the attention were, status, the training attention's view, and
// publishing into the box (see tui_trainer.h for when each part is filled).
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/parallel.h"
#include "app/tui_trainer.h"
#include "app/tui_trainer_priv.h"

int key_origins_init(KeyOrigins *l, const Memory *mem) {
    memset(l, 0, sizeof *l);
    l->cmem_first = calloc((size_t)mem->cmem_cap + 1, sizeof(long));
    l->cmem_last = calloc((size_t)mem->cmem_cap + 1, sizeof(long));
    l->mem_pos = calloc((size_t)mem->mem_cap + 1, sizeof(long));
    return l->cmem_first && l->cmem_last && l->mem_pos ? 0 : -1;
}

void key_origins_free(KeyOrigins *l) {
    free(l->cmem_first);
    free(l->cmem_last);
    free(l->mem_pos);
    memset(l, 0, sizeof *l);
}

void key_origins_capture(KeyOrigins *l, const Memory *mem, long cur_first) {
    l->n_cmem = mem->cm;
    l->n_mem = mem->m;
    l->cur_first = cur_first;
    memcpy(l->cmem_first, mem->cmem_first, sizeof(long) * mem->cm);
    memcpy(l->cmem_last, mem->cmem_last, sizeof(long) * mem->cm);
    memcpy(l->mem_pos, mem->mem_pos, sizeof(long) * mem->m);
}

TuiKeys key_origins_keys(const KeyOrigins *l, int T) {
    TuiKeys k = {l->n_cmem, l->n_mem, T, l->cmem_first, l->cmem_last, l->mem_pos, l->cur_first};
    return k;
}

void key_origins_swap(KeyOrigins *a, KeyOrigins *b) {
    KeyOrigins t = *a;
    *a = *b;
    *b = t;
}

void tui_message(TuiTrainer *tt, int is_error, const char *fmt, ...) {
    char buf[UI_MESSAGE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ui_snapshot_message(tt->priv->snap, is_error, buf);
}

int tui_layers_shown(const TuiTrainer *tt) {
    int L = tt->model->cfg.n_layers;
    return L < UI_MAX_LAYERS ? L : UI_MAX_LAYERS;
}

void tui_update_clock(TuiTrainer *tt) {
    TuiPriv *P = tt->priv;
    int running = !P->quit && !P->paused && !P->stopped && !P->error_stop && !P->generating;
    if (running == P->running) return;
    double now = now_seconds();
    if (running) {
        P->run_start = now;
        P->win_start = now;
        P->win_tokens = 0;
    } else tt->run_seconds += now - P->run_start;
    P->running = running;
}

// ---------------------------------------------------------------------------------------------------------
// Filling and publishing

static UiRunState run_state(const TuiPriv *P) {
    if (P->generating) return UI_RUN_GENERATING;
    if (P->paused || P->error_stop) return UI_RUN_PAUSED;
    if (P->stopped || P->quit) return UI_RUN_STOPPED;
    return UI_RUN_RUNNING;
}

static void fill_status(TuiTrainer *tt) {
    TuiPriv *P = tt->priv;
    UiSnapshot *s = P->snap;
    const Memory *mem = run_memory(tt->run);
    long step = run_steps(tt->run);
    const Config *c = &tt->model->cfg;
    s->state = run_state(P);
    s->step = step;
    RunPosition pos = run_position(tt->run);
    s->epoch = (int)pos.epoch + 1;
    s->epoch_progress = pos.per_epoch > 0 ? (float)pos.batch / (float)pos.per_epoch : 0.0f;
    s->tokens_per_sec = P->tps;
    if (P->have_last) {
        s->lr = P->last.lr;
        s->train_ce = P->last.ce;
        s->train_bpc = P->last.bpc;
    }
    s->compression_rate = c->compression_rate;
    s->compress_sets = tt->model->n_sets;
    s->compress_sets_mb = (float)(model_compress_sets_bytes(tt->model) / 1048576.0);
    snprintf(s->compress_fn, sizeof s->compress_fn, "%s", compress_fn_name(tt->model->cfg.compress));
    snprintf(s->compress_loss, sizeof s->compress_loss, "%s", compress_loss_name(tt->model->cfg.compress_loss));
    s->mem_fill = mem->m;
    s->mem_len = c->mem_len;
    s->cmem_fill = mem->cm;
    s->cmem_len = c->c_mem_len;
    snprintf(s->corpus, sizeof s->corpus, "%.*s", (int)sizeof s->corpus - 1, tt->corpus_name ? tt->corpus_name : tt->corpus->source);
    s->n_layers = tui_layers_shown(tt);
    s->n_heads = c->n_heads;
    s->seq_len = c->seq_len;
    s->unsaved = step != P->saved_step;
    s->threads = tt->threads;
    s->n_ranks = par_ranks();
    s->allreduce_share = P->allreduce_share;
}

TuiText tui_training_text(const TuiTrainer *tt) {
    // Stream 0 of the training split is text[0 .. stream_len): position p is text[p].
    TuiText txt = {tt->corpus->text, run_stream_len(tt->run), NULL, 0, 0};
    return txt;
}

// Stream 0's attention of layer l in the last training forward (workspace or stash), or NULL.
static const float *training_probs(const TuiTrainer *tt, int l, int *T, int *K) {
    const TuiPriv *P = tt->priv;
    if (!P->view_valid) return NULL;
    int H = tt->model->cfg.n_heads;
    if (P->stashed) {
        *T = P->stash_T;
        *K = P->stash_K;
        return P->stash + (long)l * H * P->stash_T * P->stash_K;
    }
    *T = tt->model->cfg.seq_len;
    *K = workspace_keys(run_workspace(tt->run));
    return workspace_attention(run_workspace(tt->run), l); // stream 0 comes first in (B, H, T, K)
}

// Pushes the AR history accumulated since the last push.
static void push_ar(TuiTrainer *tt) {
    TuiPriv *P = tt->priv;
    if (!P->ar_n) return;
    for (int l = 0; l < tui_layers_shown(tt); l++) {
        ui_ring_push(&P->snap->layer[l].ar_hist, (float)(P->ar_sum[l] / P->ar_n));
        P->ar_sum[l] = 0;
    }
    P->ar_n = 0;
}

void tui_fill_training_view(TuiTrainer *tt) {
    TuiPriv *P = tt->priv;
    UiSnapshot *s = P->snap;
    int H = tt->model->cfg.n_heads, T = 0, K = 0;
    for (int l = 0; l < tui_layers_shown(tt); l++) {
        const float *p = training_probs(tt, l, &T, &K);
        if (p) tui_attention_shares(p, H, T, K, P->view.n_cmem, P->view.n_mem, s->layer[l].share);
    }
    if (P->buckets_due) {
        tui_buckets_decay(&P->buckets, BUCKET_DECAY);
        for (int l = 0; l < tt->model->cfg.n_layers; l++) {
            const float *pl = training_probs(tt, l, &T, &K);
            if (pl) tui_buckets_add(&P->buckets, l, pl, H, T, K, P->view.n_cmem, P->view.n_mem);
        }
        P->buckets.steps++;
        P->buckets_due = 0;
    }
    const float *p = training_probs(tt, P->view_layer, &T, &K);
    TuiKeys keys = key_origins_keys(&P->view, T);
    TuiText txt = tui_training_text(tt);
    if (!p || tui_fill_attention(&s->attn, P->view_layer, p, H, T, K, &keys, &txt)) s->attn.layer = -1;
}

void tui_publish(TuiTrainer *tt) {
    TuiPriv *P = tt->priv;
    push_ar(tt);
    fill_status(tt);
    tui_buckets_fill(&P->snap->buckets, &P->buckets, tui_layers_shown(tt));
    P->snap->recall = P->recall.acc;
    tui_box_publish(tt->box, P->snap);
    P->last_pub = now_seconds();
}

void tui_stash(TuiTrainer *tt) {
    TuiPriv *P = tt->priv;
    if (P->stashed || !P->view_valid) return;
    int H = tt->model->cfg.n_heads, T = tt->model->cfg.seq_len, K = workspace_keys(run_workspace(tt->run));
    long per = (long)H * T * K;
    for (int l = 0; l < tt->model->cfg.n_layers && l < UI_MAX_LAYERS; l++)
        memcpy(P->stash + l * per, workspace_attention(run_workspace(tt->run), l), sizeof(float) * per);
    P->stash_T = T;
    P->stash_K = K;
    P->stashed = 1;
}
