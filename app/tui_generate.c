// The TUI trainer's generation: a prompt continued on a copy of stream 0's training memory, character by
// character, with the attention of every new row shown as it comes.
#include "app/tui_generate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/prompt_vocab.h"
#include "app/tui_trainer.h"
#include "app/tui_trainer_priv.h"

long tui_encode_prompt(const Vocab *vocab, const char *text, int32_t *ids, unsigned char *fed, int *skipped,
                       char *skipped_text, size_t skipped_len) {
    const unsigned char *p = (const unsigned char *)text;
    long n = 0;
    size_t len = strlen(text), used = 0;
    *skipped = 0;
    if (skipped_len) skipped_text[0] = 0;
    for (size_t i = 0; i < len;) {
        size_t w = p[i] < 0x80 ? 1 : (p[i] & 0xE0) == 0xC0 ? 2 : (p[i] & 0xF0) == 0xE0 ? 3 : (p[i] & 0xF8) == 0xF0 ? 4 : 1;
        if (i + w > len) w = 1;
        for (size_t j = 1; j < w; j++)
            if ((p[i + j] & 0xC0) != 0x80) w = 1;
        int ok = 1;
        for (size_t j = 0; j < w; j++) ok &= vocab->ids[p[i + j]] >= 0;
        if (ok) {
            for (size_t j = 0; j < w; j++) {
                ids[n] = vocab->ids[p[i + j]];
                fed[n++] = p[i + j];
            }
        } else {
            (*skipped)++;
            // list each distinct character once (printable as it is; other bytes as \xNN)
            char one[16];
            if (w == 1 && (p[i] < 0x20 || p[i] >= 0x7f)) snprintf(one, sizeof one, "\\x%02x", p[i]);
            else snprintf(one, sizeof one, "%.*s", (int)w, (const char *)p + i);
            if (!strstr(skipped_text, one) && used + strlen(one) + 1 < skipped_len) {
                memcpy(skipped_text + used, one, strlen(one) + 1);
                used += strlen(one);
            }
        }
        i += w;
    }
    return n;
}

static char display_byte(unsigned char b) { return (char)(b == 0 ? 1 : b); }

static void gen_publish(TuiTrainer *tt) {
    TuiPriv *P = tt->priv;
    UiSnapshot *s = P->snap;
    P->gen_text.extra_n = P->gbuf_n;
    if (tui_rows_fill(&s->attn, &P->rows, P->view_layer, &P->gen_text)) s->attn.layer = -1;
    if (P->gshare_rows > 0)
        for (int l = 0; l < tui_layers_shown(tt); l++) {
            double total = P->gshare[l][0] + P->gshare[l][1] + P->gshare[l][2];
            for (int g = 0; g < UI_GROUP_COUNT; g++)
                s->layer[l].share[g] = total > 0 ? (float)(P->gshare[l][g] / total) : 0.0f;
        }
    tui_publish(tt);
}

// One forward of T <= seq_len ids through the generator; returns the logits after the last one.
static const float *gen_forward(TuiTrainer *tt, const int32_t *ids, int T) {
    TuiPriv *P = tt->priv;
    key_origins_capture(&P->gen_pre, &P->gen.mem, P->gen.pos);
    const float *logits = generator_feed(&P->gen, ids, T);
    int H = tt->model->cfg.n_heads, K = workspace_keys(P->gen.ws);
    TuiKeys keys = key_origins_keys(&P->gen_pre, T);
    if (K != keys.n_cmem + keys.n_mem + T) return logits; // the engine changed its key order: show nothing
    for (int l = 0; l < tui_layers_shown(tt); l++) {
        float sh[UI_GROUP_COUNT];
        tui_attention_shares(workspace_attention(P->gen.ws, l), H, T, K, keys.n_cmem, keys.n_mem, sh);
        for (int g = 0; g < UI_GROUP_COUNT; g++) P->gshare[l][g] += (double)sh[g] * T;
    }
    P->gshare_rows += T;
    tui_rows_push(&P->rows, workspace_attention(P->gen.ws, P->view_layer), H, T, K, &keys);
    return logits;
}

// Commands that arrive while generating, between characters.
static void handle_during_generation(TuiTrainer *tt, const UiCommand *c) {
    TuiPriv *P = tt->priv;
    switch (c->type) {
    case UI_CMD_QUIT: P->quit = 1, P->quit_save = c->ival; break;
    case UI_CMD_PAUSE: P->paused = 1; break;
    case UI_CMD_RESUME: P->paused = 0; break;
    case UI_CMD_TOGGLE_PAUSE: P->paused = !P->paused; break;
    case UI_CMD_STEP: tui_message(tt, 0, "n steps once while paused, not during a generation"); break;
    case UI_CMD_GENERATE:
        P->pending_gen = *c;
        P->has_pending_gen = 1;
        tui_message(tt, 0, "the new prompt runs when this generation ends");
        break;
    case UI_CMD_VIEW_LAYER:
        if (c->ival >= 0 && c->ival < tui_layers_shown(tt) && c->ival != P->view_layer) {
            P->view_layer = c->ival;
            tui_rows_clear(&P->rows); // the rows so far belong to the previous layer
        }
        break;
    default: P->handle(tt, c); break;
    }
}

static int gen_reserve(TuiPriv *P, long n) {
    if (n <= P->gbuf_cap) return 0;
    unsigned char *b = realloc(P->gbuf, (size_t)n);
    if (!b) return -1;
    P->gbuf = b;
    P->gbuf_cap = n;
    return 0;
}

// The characters of a prompt left out of the encoding, for the messages.
typedef struct {
    int count;
    char text[64];
} Skipped;

// Encodes c's prompt into ids (allocated here) and P->gbuf; the count of ids, or -1 after saying why not.
static long gen_encode(TuiTrainer *tt, const UiCommand *c, long want, int32_t **ids, Skipped *skipped) {
    TuiPriv *P = tt->priv;
    const Vocab *vocab = &tt->corpus->vocab;
    size_t len = strnlen(c->text, sizeof c->text);
    *ids = malloc(sizeof(int32_t) * (len + 1));
    if (!*ids || gen_reserve(P, (long)len + want + 1) || (!P->gen_ready && generator_init(&P->gen, tt->model))) {
        tui_message(tt, 1, "generation: out of memory");
        return -1;
    }
    P->gen_ready = 1;
    char refused[256];
    if (prompt_vocab_check(vocab, c->text, refused, sizeof refused) >= 0) { // as `sample` refuses it
        tui_message(tt, 1, "%s", refused);
        tui_publish(tt);
        return -1;
    }
    long n = tui_encode_prompt(vocab, c->text, *ids, P->gbuf, &skipped->count, skipped->text, sizeof skipped->text);
    if (n == 0) {
        tui_message(tt, 1, "none of the prompt's characters are in the model's vocabulary (%s)", skipped->text);
        tui_publish(tt);
        return -1;
    }
    P->gbuf_n = n;
    return n;
}

// A copy of stream 0's training memory; the prompt continues at the next stream position, so slot ages and
// provenance are counted in one numbering (training text, then prompt + output).
static void gen_begin(TuiTrainer *tt, long n) {
    TuiPriv *P = tt->priv;
    generator_set_memory(&P->gen, run_memory(tt->run), 0); // the weights changed since the last one
    P->gen.pos = memory_next_position(run_memory(tt->run));
    P->gen_text = tui_training_text(tt);
    P->gen_text.extra = P->gbuf;
    P->gen_text.extra_base = P->gen.pos;
    P->gen_text.extra_n = n;
    P->generating = 1;
    tui_update_clock(tt);
    tui_rows_clear(&P->rows);
    memset(P->gshare, 0, sizeof P->gshare);
    P->gshare_rows = 0;
    UiSnapshot *s = P->snap;
    ui_gen_begin(s, "");
    for (long i = 0; i < n; i++) {
        char b = display_byte(P->gbuf[i]);
        ui_gen_append(s, &b, 1);
    }
    s->gen_prompt_len = (int)strlen(s->gen_text);
}

// Samples up to want characters after logits, serving commands between them; the count made (fewer when a
// quit came).
static long gen_sample(TuiTrainer *tt, const UiCommand *c, long want, const float *logits) {
    TuiPriv *P = tt->priv;
    long made = 0;
    for (; made < want; made++) {
        UiCommand in;
        while (!P->quit && tui_queue_pop(tt->queue, &in)) handle_during_generation(tt, &in);
        if (P->quit || tui_queue_quit_posted(tt->queue)) {
            if (!P->quit) P->quit_save = tui_queue_quit_save_posted(tt->queue);
            P->quit = 1;
            break;
        }
        int32_t id = sample_logits(logits, tt->model->cfg.vocab_size, c->fval, c->top_k, &P->rng);
        unsigned char byte = tt->corpus->vocab.chars[id];
        P->gbuf[P->gbuf_n++] = byte;
        logits = gen_forward(tt, &id, 1);
        char shown = display_byte(byte);
        ui_gen_append(P->snap, &shown, 1);
        if (now_seconds() - P->last_pub >= tt->publish_interval) gen_publish(tt);
    }
    return made;
}

static void generate_one(TuiTrainer *tt, const UiCommand *c) {
    TuiPriv *P = tt->priv;
    int seq_len = tt->model->cfg.seq_len;
    long want = c->ival > 0 ? c->ival : 200;
    int32_t *ids = NULL;
    Skipped skipped = {0, ""};
    long n = gen_encode(tt, c, want, &ids, &skipped);
    if (n < 0) {
        free(ids);
        return;
    }
    gen_begin(tt, n);
    const char *plural = skipped.count > 1 ? "s" : "";
    if (skipped.count) tui_message(tt, 0, "skipped %d character%s not in the vocabulary: %s", skipped.count, plural, skipped.text);
    else tui_message(tt, 0, "generating %ld characters (T %.2f, top-k %d)", want, c->fval, c->top_k);
    const float *logits = NULL;
    for (long at = 0; at < n; at += seq_len) logits = gen_forward(tt, ids + at, n - at < seq_len ? (int)(n - at) : seq_len);
    free(ids);
    gen_publish(tt);
    long made = gen_sample(tt, c, want, logits);
    P->generating = 0;
    if (skipped.count)
        tui_message(tt, 0, "generated %ld characters (T %.2f, top-k %d); skipped %d prompt character%s not in the "
                    "vocabulary: %s", made, c->fval, c->top_k, skipped.count, plural, skipped.text);
    else tui_message(tt, 0, "generated %ld characters (T %.2f, top-k %d)", made, c->fval, c->top_k);
    gen_publish(tt);
    tui_update_clock(tt);
}

void tui_generate(TuiTrainer *tt, const UiCommand *cmd) {
    TuiPriv *P = tt->priv;
    UiCommand c = *cmd;
    for (;;) {
        generate_one(tt, &c);
        if (!P->has_pending_gen || P->quit) break;
        c = P->pending_gen;
        P->has_pending_gen = 0;
    }
}
