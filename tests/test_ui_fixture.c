// Shared by the UI tests: a fixed synthetic snapshot, golden-file comparison, a command recorder.
#include "harness.h"
#include "tests/ui_fixture.h"
#include "ui/command.h"
#include "ui/grid.h"
#include "ui/heatmap.h"
#include "ui/snapshot.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


// Original filler text (positions index into it cyclically).
static const char corpus[] =
    "ROMEO: I wonder what the night will bring.\nJULIET: Only the morning, and the lark that sings it.\n"
    "NURSE: Come, both of you, the hour grows late and the candles are short.\n";

static void snippet(char *out, int64_t first, int64_t last) {
    int n = 0, len = (int)strlen(corpus);
    for (int64_t p = first; p <= last && n < UI_SNIPPET_BYTES; p++) out[n++] = corpus[p % len];
    out[n] = 0;
}

static void fill_slots(UiAttention *a) {
    int64_t now = a->query_pos;
    for (int j = 0; j < a->n_cur; j++) { // current: the last n_cur characters
        a->slot[a->n_cmem + a->n_mem + j].first = a->slot[a->n_cmem + a->n_mem + j].last = now - (a->n_cur - 1 - j);
    }
    for (int j = 0; j < a->n_mem; j++) // memory: the n_mem characters before those
        a->slot[a->n_cmem + j].first = a->slot[a->n_cmem + j].last = now - a->n_cur - (a->n_mem - 1 - j);
    for (int j = 0; j < a->n_cmem; j++) { // compressed: pairs of characters before the memory
        int64_t first = now - a->n_cur - a->n_mem - 2 * (a->n_cmem - j);
        a->slot[j].first = first;
        a->slot[j].last = first + 1;
    }
    for (int j = 0; j < ui_attn_keys(a); j++) {
        int64_t f = a->slot[j].first;
        int64_t l = j < a->n_cmem ? a->slot[j].last : f;
        snippet(a->slot[j].text, f < 0 ? 0 : f, l < 0 ? 0 : l);
    }
}

// Attention with a recency bias, a few hot compressed slots and per-head variety; rows sum to 1.
static void fill_attention(UiAttention *a) {
    int K = ui_attn_keys(a);
    memset(a->mean, 0, sizeof a->mean);
    for (int h = 0; h < a->n_heads; h++)
        for (int q = 0; q < a->n_queries; q++) {
            double sum = 0, w[UI_MAX_KEYS];
            for (int k = 0; k < K; k++) {
                double age = (double)(a->query_pos - (a->n_queries - 1 - q) - a->slot[k].last);
                double logit = -0.15 * age * (h + 1) / 2.0;
                if (k < a->n_cmem && (k % 37 == 17 + h)) logit = 1.5;
                if (k == a->n_cmem + 3) logit = 0.5 + 0.3 * h;
                w[k] = ui_attn_masked(a, q, k) ? 0 : exp(logit < -30 ? -30 : logit);
                sum += w[k];
            }
            for (int k = 0; k < K; k++) {
                a->head[h][q][k] = (float)(w[k] / sum);
                a->mean[q][k] += (float)(w[k] / sum / a->n_heads);
            }
        }
}

static void fill_layers(UiSnapshot *s) {
    for (int l = 0; l < s->n_layers; l++) {
        UiLayerStats *ls = &s->layer[l];
        ls->share[UI_GROUP_CMEM] = 0.04f + 0.07f * (float)l;
        ls->share[UI_GROUP_MEM] = 0.25f;
        ls->share[UI_GROUP_CUR] = 1.0f - ls->share[0] - ls->share[1];
        for (int i = 0; i < 80; i++) {
            float v = 0.02f * expf(-(float)i / 30.0f) * (1.0f + 0.3f * (float)l) + 0.001f * sinf((float)i * 0.9f + (float)l);
            ui_ring_push(&ls->ar_hist, v);
            ls->ar_loss = v;
        }
    }
}

static void fill_losses(UiSnapshot *s) {
    for (int64_t step = 1; step <= s->step; step++) {
        double x = (double)step;
        ui_series_push(&s->train_loss, step, (float)(1.5 + 2.7 * exp(-x / 1500) + 0.05 * sin(x * 0.7)));
        if (step % 500 == 0) ui_series_push(&s->valid_loss, step, (float)(1.6 + 2.6 * exp(-x / 1500)));
    }
}

void ui_test_fill_snapshot(UiSnapshot *s) {
    ui_snapshot_reset(s);
    s->seq = 42;
    s->state = UI_RUN_RUNNING;
    s->step = 12345;
    s->epoch = 4;
    s->epoch_progress = 0.148f;
    s->tokens_per_sec = 18234;
    s->lr = 2.5e-4f;
    s->train_ce = 1.532f;
    s->train_bpc = s->train_ce / logf(2);
    s->valid_ce = 1.611f;
    s->compression_rate = 2;
    snprintf(s->compress_fn, sizeof s->compress_fn, "conv");
    s->mem_fill = s->mem_len = 8;
    s->cmem_fill = s->cmem_len = 128;
    snprintf(s->corpus, sizeof s->corpus, "tinyshakespeare");
    s->n_layers = 6;
    s->n_heads = 4;
    s->seq_len = 8;
    s->unsaved = 1;
    fill_losses(s);
    UiAttention *a = &s->attn;
    *a = (UiAttention){.layer = 0, .n_queries = 8, .n_cmem = 128, .n_mem = 8, .n_cur = 8, .n_heads = 4, .query_pos = 99999};
    fill_slots(a);
    fill_attention(a);
    fill_layers(s);
    ui_gen_begin(s, "ROMEO: I");
    const char *more = " wonder what the night will bring.\nJULIET: Only the morning";
    ui_gen_append(s, more, (int)strlen(more));
    s->gen_length = 200;
    s->temperature = 0.8f;
    s->top_k = 40;
    ui_snapshot_message(s, 0, "saved checkpoint to run.safetensors");
}

UiSnapshot *ui_test_new_snapshot(void) {
    UiSnapshot *s = malloc(sizeof *s);
    CHECK(s != NULL);
    ui_test_fill_snapshot(s);
    return s;
}

void ui_test_utf8_locale(void) {
    if (!setlocale(LC_ALL, "C.UTF-8")) setlocale(LC_ALL, "C.utf8");
}

void ui_test_post(void *ctx, const UiCommand *c) {
    UiTestRec *r = ctx;
    if (r->n < 32) r->cmds[r->n++] = *c;
}

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (p) p[n] = 0;
    fclose(f);
    return p;
}

static void write_all(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

// Line number (1-based) of the first difference, and that line of each text.
static int first_diff(const char *a, const char *b, char *la, char *lb, size_t n) {
    int line = 1;
    const char *sa = a, *sb = b;
    while (*a && *a == *b) {
        if (*a == '\n') line++, sa = a + 1, sb = b + 1;
        a++, b++;
    }
    snprintf(la, n, "%.*s", (int)strcspn(sa, "\n"), sa);
    snprintf(lb, n, "%.*s", (int)strcspn(sb, "\n"), sb);
    return line;
}

void ui_test_golden(const char *name, const char *got) {
    char path[512], out[512];
    snprintf(path, sizeof path, "tests/golden/ui/%s.txt", name);
    const char *upd = getenv("UPDATE_GOLDEN");
    if (upd && !strcmp(upd, "1")) {
        mkdir("tests/golden", 0755);
        mkdir("tests/golden/ui", 0755);
        write_all(path, got);
        return;
    }
    char *want = read_all(path);
    CHECK_MSG(want != NULL, "missing golden file %s (run from the repository root; UPDATE_GOLDEN=1 writes it)", path);
    if (!strcmp(want, got)) {
        free(want);
        return;
    }
    mkdir("tests/out", 0755);
    mkdir("tests/out/ui", 0755);
    snprintf(out, sizeof out, "tests/out/ui/%s.txt", name);
    write_all(out, got);
    char la[1024], lb[1024];
    int line = first_diff(want, got, la, lb, sizeof la);
    test_fail(__FILE__, __LINE__, "golden %s differs at line %d\n      expected: |%s|\n      got:      |%s|\n"
              "      (whole output in %s; UPDATE_GOLDEN=1 accepts it)", path, line, la, lb, out);
}

// The memory lab's parts on top of ui_test_fill_snapshot: Figure-2 buckets shaped like the paper's
// (weight falling with age through current and memory, rising again on the newest compressed slots),
// reconstruction losses, and a recall table (the recall corpus is on).
void ui_test_fill_lab(UiSnapshot *s) {
    UiBuckets *b = &s->buckets;
    b->n_layers = s->n_layers;
    b->steps = 57;
    for (int l = 0; l <= s->n_layers; l++) {
        UiBucketRow *row = l < s->n_layers ? &b->layer[l] : &b->pooled;
        float scale = l < s->n_layers ? 1.0f + 0.15f * (float)l : 1.3f;
        for (int k = 0; k < UI_BUCKETS; k++) {
            row->mean[UI_GROUP_CMEM][k] = scale * 0.002f * (1.0f + (float)(k * k) * 0.3f);
            row->mean[UI_GROUP_MEM][k] = scale * 0.004f * (1.0f + (float)k * 0.5f);
            row->mean[UI_GROUP_CUR][k] = scale * 0.01f * expf(0.55f * (float)k);
            for (int g = 0; g < UI_GROUP_COUNT; g++) row->std[g][k] = 0.5f * row->mean[g][k];
        }
        if (l < s->n_layers) {
            b->recon_mean[l] = 0.012f + 0.003f * (float)l;
            b->recon_std[l] = 0.004f;
        }
    }
    b->layer[1].mean[UI_GROUP_CMEM][0] = NAN; // a bucket without samples draws nothing
    UiRecall *r = &s->recall;
    static const int64_t hi[5] = {8, 16, 144, 272, INT64_MAX};
    static const float acc[5] = {0.9f, 0.62f, 0.31f, 0.05f, 0.0f};
    *r = (UiRecall){.active = 1, .n = 5, .evals = 3, .step = 12000, .window = 4096};
    for (int i = 0; i < 5; i++) {
        float chars = 40.0f + 10.0f * (float)i;
        r->b[i] = (UiRecallBucket){i ? hi[i - 1] : 0, hi[i], chars, acc[i] * chars, chars};
    }
    r->b[4].chars = r->b[4].answers = 0; // nothing that far yet: "-"
}
