// Helpers the producer of a UiSnapshot uses: downsampling series, rings, generation text, messages.
#include "ui/snapshot.h"

#include <math.h>
#include <string.h>

void ui_series_reset(UiSeries *s) {
    memset(s, 0, sizeof *s);
    s->stride = 1;
}

void ui_snapshot_reset(UiSnapshot *s) {
    memset(s, 0, sizeof *s);
    s->valid_ce = NAN;
    s->train_ce = NAN;
    s->train_bpc = NAN;
    s->attn.layer = -1;
    ui_series_reset(&s->train_loss);
    ui_series_reset(&s->valid_loss);
    for (int l = 0; l < UI_MAX_LAYERS; l++) {
        s->layer[l].ar_loss = NAN;
        s->buckets.recon_mean[l] = s->buckets.recon_std[l] = NAN;
    }
}

// Halves the stored points: each pair becomes one point (mean value, later step).
static void series_compact(UiSeries *s) {
    int n = s->count / 2;
    for (int i = 0; i < n; i++) {
        s->step[i] = s->step[2 * i + 1];
        s->value[i] = 0.5f * (s->value[2 * i] + s->value[2 * i + 1]);
    }
    if (s->count % 2) {  // an odd last point stays as it is
        s->step[n] = s->step[s->count - 1];
        s->value[n] = s->value[s->count - 1];
        n++;
    }
    s->count = n;
    s->stride *= 2;
}

void ui_series_push(UiSeries *s, int64_t step, float value) {
    if (s->stride < 1) s->stride = 1;
    s->pend_sum += value;
    s->pend_step = step;
    if (++s->pend_n < s->stride) return;
    if (s->count == UI_SERIES_POINTS) series_compact(s);
    s->step[s->count] = s->pend_step;
    s->value[s->count] = (float)(s->pend_sum / s->pend_n);
    s->count++;
    s->pend_n = 0;
    s->pend_sum = 0;
}

static int series_count(const UiSeries *s) {
    return s->count < 0 ? 0 : s->count > UI_SERIES_POINTS ? UI_SERIES_POINTS : s->count;
}

int ui_series_len(const UiSeries *s) {
    return series_count(s) + (s->pend_n > 0);
}

void ui_series_at(const UiSeries *s, int i, int64_t *step, float *value) {
    if (i < series_count(s)) {
        *step = s->step[i];
        *value = s->value[i];
    } else {
        *step = s->pend_step;
        *value = s->pend_n > 0 ? (float)(s->pend_sum / s->pend_n) : NAN;
    }
}

void ui_ring_push(UiRing *r, float v) {
    if (r->count < UI_AR_POINTS) {
        r->v[(r->head + r->count) % UI_AR_POINTS] = v;
        r->count++;
    } else {
        r->v[r->head] = v;
        r->head = (r->head + 1) % UI_AR_POINTS;
    }
}

float ui_ring_at(const UiRing *r, int i) {
    int head = r->head % UI_AR_POINTS;
    return r->v[((head < 0 ? head + UI_AR_POINTS : head) + i % UI_AR_POINTS) % UI_AR_POINTS];
}

int ui_ring_len(const UiRing *r) {
    return r->count < 0 ? 0 : r->count > UI_AR_POINTS ? UI_AR_POINTS : r->count;
}

void ui_gen_begin(UiSnapshot *s, const char *prompt) {
    s->gen_text[0] = 0;
    s->gen_prompt_len = 0;
    ui_gen_append(s, prompt, (int)strlen(prompt));
    s->gen_prompt_len = (int)strlen(s->gen_text);
}

void ui_gen_append(UiSnapshot *s, const char *bytes, int n) {
    int len = (int)strnlen(s->gen_text, UI_GEN_BYTES - 1);
    if (n > UI_GEN_BYTES - 1) {  // only the tail of bytes can survive
        bytes += n - (UI_GEN_BYTES - 1);
        n = UI_GEN_BYTES - 1;
    }
    int drop = len + n - (UI_GEN_BYTES - 1);
    if (drop > 0) {
        memmove(s->gen_text, s->gen_text + drop, (size_t)(len - drop));
        len -= drop;
        s->gen_prompt_len = s->gen_prompt_len > drop ? s->gen_prompt_len - drop : 0;
    }
    memcpy(s->gen_text + len, bytes, (size_t)n);
    s->gen_text[len + n] = 0;
}

void ui_snapshot_message(UiSnapshot *s, int is_error, const char *text) {
    strncpy(s->message, text, UI_MESSAGE_BYTES - 1);
    s->message[UI_MESSAGE_BYTES - 1] = 0;
    s->message_is_error = is_error;
    s->message_seq++;
}

int ui_attn_valid(const UiAttention *a) {
    return a->layer >= 0 && a->n_queries > 0 && a->n_queries <= UI_MAX_QUERIES && a->n_cmem >= 0 &&
           a->n_mem >= 0 && a->n_cur >= 0 && a->n_cmem + a->n_mem + a->n_cur > 0 &&
           a->n_cmem + a->n_mem + a->n_cur <= UI_MAX_KEYS && a->n_heads >= 0 && a->n_heads <= UI_MAX_HEADS;
}

int ui_attn_keys(const UiAttention *a) {
    return a->n_cmem + a->n_mem + a->n_cur;
}

UiGroup ui_attn_group(const UiAttention *a, int key) {
    if (key < a->n_cmem) return UI_GROUP_CMEM;
    if (key < a->n_cmem + a->n_mem) return UI_GROUP_MEM;
    return UI_GROUP_CUR;
}

int ui_attn_group_start(const UiAttention *a, UiGroup g) {
    return g == UI_GROUP_CMEM ? 0 : g == UI_GROUP_MEM ? a->n_cmem : a->n_cmem + a->n_mem;
}

int ui_attn_group_count(const UiAttention *a, UiGroup g) {
    return g == UI_GROUP_CMEM ? a->n_cmem : g == UI_GROUP_MEM ? a->n_mem : a->n_cur;
}

int64_t ui_slot_age(const UiAttention *a, int k, int oldest) {
    int64_t age;
    if (__builtin_sub_overflow(a->query_pos, oldest ? a->slot[k].first : a->slot[k].last, &age))
        return a->query_pos > 0 ? INT64_MAX : INT64_MIN;
    return age;
}

const char *ui_group_name(UiGroup g) {
    static const char *const names[UI_GROUP_COUNT] = {"compressed", "memory", "current"};
    return names[g];
}
