// The TUI's trainer thread with a tiny model: it trains, publishes snapshots whose attention and slot
// provenance match the corpus, obeys pause/step/rate/validate/generate/save/quit, and generation leaves
// the training memory alone.
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/tui_queue.h"
#include "app/tui_trainer.h"
#include "engine/checkpoint.h"

typedef struct {
    Corpus corpus;
    Model *model;
    Trainer t;
    TuiQueue q;
    TuiBox box;
    TuiTrainer tt;
    UiSnapshot *snap;
    uint64_t seen;
    char save_path[600];
} Rig;

static void rig_start(Rig *r, long max_steps) {
    memset(r, 0, sizeof *r);
    const char *line = "ROMEO: But soft, what light through yonder window breaks?\nJULIET: Ay me!\n";
    size_t n = 0, len = strlen(line);
    unsigned char *text = malloc(len * 200);
    for (int i = 0; i < 200; i++, n += len) memcpy(text + n, line, len);
    char err[512];
    CHECK(corpus_from_text(&r->corpus, text, n, "test text", err, sizeof err) == 0);
    Config cfg;
    CHECK(config_preset(&cfg, "default") == 0);
    cfg = (Config){.vocab_size = r->corpus.vocab.size, .d_model = 16, .n_heads = 2, .n_layers = 2, .d_ff = 32,
                   .seq_len = 8, .mem_len = 8, .c_mem_len = 16, .compression_rate = 2, .batch_size = 2,
                   .lr = 1e-3f, .warmup = 10, .clip = 1.0f, .seed = 1};
    CHECK_MSG(config_validate(&cfg, err, sizeof err) == 0, "%s", err);
    r->model = model_new(&cfg, 1, err, sizeof err);
    CHECK(r->model != NULL);
    CHECK(trainer_init(&r->t, r->model, &r->corpus, err, sizeof err) == 0);
    CHECK(tui_queue_init(&r->q) == 0);
    CHECK(tui_box_init(&r->box) == 0);
    r->snap = malloc(sizeof *r->snap);
    ui_snapshot_reset(r->snap);
    snprintf(r->save_path, sizeof r->save_path, "%s/tui.safetensors", test_tmpdir());
    r->tt = (TuiTrainer){.model = r->model, .trainer = &r->t, .corpus = &r->corpus, .save_path = r->save_path,
                         .max_steps = max_steps, .validate_every = 10, .validate_segments = 3,
                         .publish_interval = 0.01, .queue = &r->q, .box = &r->box};
    CHECK(tui_trainer_start(&r->tt, err, sizeof err) == 0);
}

static void rig_stop(Rig *r) {
    UiCommand c = {.type = UI_CMD_QUIT};
    tui_queue_push(&r->q, &c);
    tui_trainer_join(&r->tt);
    CHECK(tui_box_done(&r->box, NULL, 0));
    tui_box_destroy(&r->box);
    tui_queue_destroy(&r->q);
    trainer_free(&r->t);
    model_free(r->model);
    corpus_free(&r->corpus);
    free(r->snap);
}

static void post(Rig *r, UiCommandType type, int ival, const char *text) {
    UiCommand c;
    memset(&c, 0, sizeof c);
    c.type = type;
    c.ival = ival;
    if (text) snprintf(c.text, sizeof c.text, "%s", text);
    CHECK(tui_queue_push(&r->q, &c) == 0);
}

typedef int (*SnapPred)(const UiSnapshot *s, const void *arg);

// Polls the box until pred holds (20 s at most).
static void wait_for(Rig *r, SnapPred pred, const void *arg, const char *what) {
    double t0 = now_seconds();
    for (;;) {
        tui_box_fetch(&r->box, r->snap, &r->seen);
        if (r->seen > 0 && pred(r->snap, arg)) return; // seen 0: nothing published yet
        if (now_seconds() - t0 > 20) test_fail(__FILE__, __LINE__, "timed out waiting for %s (state %d, step %lld, message '%s')", what, r->snap->state, (long long)r->snap->step, r->snap->message);
        usleep(2000);
    }
}

static int state_is(const UiSnapshot *s, const void *arg) { return (int)s->state == *(const int *)arg; }
static int message_has(const UiSnapshot *s, const void *arg) { return strstr(s->message, arg) != NULL; }
static int step_is(const UiSnapshot *s, const void *arg) { return s->step == *(const long *)arg; }
static int step_at_least(const UiSnapshot *s, const void *arg) { return s->step >= *(const long *)arg; }
static int attn_layer_is(const UiSnapshot *s, const void *arg) { return s->attn.layer == *(const int *)arg; }

static void check_slots_match_text(const Rig *r, const UiAttention *a) {
    const unsigned char *text = r->corpus.text;
    for (int k = 0; k < ui_attn_keys(a); k++) {
        const UiSlot *sl = &a->slot[k];
        CHECK(sl->first >= 0 && sl->last >= sl->first && sl->last <= a->query_pos);
        int n = (int)(sl->last - sl->first + 1);
        CHECK_MSG(!memcmp(sl->text, text + sl->first, (size_t)n), "slot %d [%lld,%lld] '%s'", k,
                  (long long)sl->first, (long long)sl->last, sl->text);
        if (ui_attn_group(a, k) != UI_GROUP_CMEM) CHECK_INT_EQ(n, 1);
    }
}

TEST(app_trainer_trains_publishes_and_stops_at_max_steps) {
    Rig r;
    rig_start(&r, 30);
    int stopped = UI_RUN_STOPPED;
    wait_for(&r, state_is, &stopped, "--max-steps");
    const UiSnapshot *s = r.snap;
    const Config *c = &r.model->cfg;
    CHECK_INT_EQ(s->step, 30);
    CHECK(strstr(s->message, "max-steps") != NULL);
    CHECK_INT_EQ(ui_series_len(&s->train_loss), 30);
    CHECK_INT_EQ(ui_series_len(&s->valid_loss), 3);  // every 10 steps
    CHECK(isfinite(s->valid_ce) && isfinite(s->train_ce));
    CHECK_NEAR(s->train_bpc, s->train_ce / M_LN2, 1e-4);
    CHECK_INT_EQ(s->n_layers, 2);
    CHECK_INT_EQ(s->compression_rate, 2);
    CHECK(!strcmp(s->compress_fn, "conv"));
    CHECK_INT_EQ(s->mem_fill, r.t.mem.m);
    CHECK_INT_EQ(s->cmem_fill, 16);
    CHECK(s->unsaved);
    CHECK(s->epoch == 1 && s->epoch_progress > 0);
    for (int l = 0; l < 2; l++) {
        const UiLayerStats *ls = &s->layer[l];
        CHECK_NEAR(ls->share[0] + ls->share[1] + ls->share[2], 1.0, 1e-4);
        CHECK(ls->share[UI_GROUP_CMEM] > 0); // the compressed memory is full and read
        CHECK(isfinite(ls->ar_loss));
        CHECK(ui_ring_len(&ls->ar_hist) > 0);
    }
    // The heatmap: the last step (segment 29 of stream 0, positions 232..239) over the memory as it was
    // before that step, every slot's text straight from the corpus.
    const UiAttention *a = &s->attn;
    CHECK(ui_attn_valid(a));
    CHECK_INT_EQ(a->layer, 0);
    CHECK_INT_EQ(a->n_cur, 8);
    CHECK_INT_EQ(a->n_queries, 8);
    CHECK_INT_EQ(a->n_mem, 8);
    CHECK_INT_EQ(a->n_cmem, 16);
    CHECK_INT_EQ(a->query_pos, 29 * c->seq_len + 7);
    check_slots_match_text(&r, a);
    CHECK_INT_EQ(a->slot[a->n_cmem - 1].last - a->slot[a->n_cmem - 1].first + 1, 2); // c = 2
    CHECK_INT_EQ(a->slot[a->n_cmem].first, 29 * c->seq_len - 8);  // memory = the previous segment
    for (int q = 0; q < a->n_queries; q++) {
        double row = 0;
        for (int k = 0; k < ui_attn_keys(a); k++) row += a->mean[q][k];
        CHECK_NEAR(row, 1.0, 1e-4);
    }
    // Another layer on request; the matrices change, the provenance does not.
    UiSlot first = a->slot[0];
    post(&r, UI_CMD_VIEW_LAYER, 1, NULL);
    int one = 1;
    wait_for(&r, attn_layer_is, &one, "layer 1's attention");
    CHECK(ui_attn_valid(&r.snap->attn));
    CHECK(r.snap->attn.slot[0].first == first.first && !strcmp(r.snap->attn.slot[0].text, first.text));
    rig_stop(&r);
}

TEST(app_trainer_pause_step_rate_validate) {
    Rig r;
    rig_start(&r, 0);
    int running = UI_RUN_RUNNING, paused = UI_RUN_PAUSED;
    wait_for(&r, state_is, &running, "running");
    post(&r, UI_CMD_PAUSE, 0, NULL);
    wait_for(&r, state_is, &paused, "paused");
    long step = r.snap->step;
    usleep(100 * 1000);
    tui_box_fetch(&r.box, r.snap, &r.seen);
    CHECK_INT_EQ(r.snap->step, step); // paused means paused
    post(&r, UI_CMD_STEP, 0, NULL);
    long want = step + 1;
    wait_for(&r, step_is, &want, "one step");
    CHECK_INT_EQ(r.snap->state, UI_RUN_PAUSED);
    // A new rate takes effect at the next compression: the newest compressed slot then spans 3.
    post(&r, UI_CMD_RATE_UP, 0, NULL);
    wait_for(&r, message_has, "new rate starts as mean pooling", "the rate message");
    CHECK_INT_EQ(r.snap->compression_rate, 3);
    post(&r, UI_CMD_STEP, 0, NULL);
    post(&r, UI_CMD_STEP, 0, NULL);
    want = step + 3;
    wait_for(&r, step_is, &want, "two more steps");
    const UiAttention *a = &r.snap->attn;
    CHECK(ui_attn_valid(a));
    check_slots_match_text(&r, a);
    CHECK_INT_EQ(a->slot[a->n_cmem - 1].last - a->slot[a->n_cmem - 1].first + 1, 3);
    post(&r, UI_CMD_SET_RATE, 2, NULL);
    wait_for(&r, message_has, "trained convs are back", "the old rate back");
    post(&r, UI_CMD_SET_RATE, 99, NULL);
    wait_for(&r, message_has, "out of range", "a refused rate");
    CHECK(r.snap->message_is_error);
    CHECK_INT_EQ(r.snap->compression_rate, 2);
    int before = ui_series_len(&r.snap->valid_loss);
    post(&r, UI_CMD_VALIDATE, 0, NULL);
    wait_for(&r, message_has, "validation CE", "validation");
    CHECK_INT_EQ(ui_series_len(&r.snap->valid_loss), before + 1);
    // Validation ran through the same workspace; switching layers still shows the training attention.
    post(&r, UI_CMD_VIEW_LAYER, 1, NULL);
    int one = 1;
    wait_for(&r, attn_layer_is, &one, "layer 1");
    CHECK_INT_EQ(r.snap->attn.n_cur, 8);
    check_slots_match_text(&r, &r.snap->attn);
    post(&r, UI_CMD_RESUME, 0, NULL);
    want = step + 10;
    wait_for(&r, step_at_least, &want, "training again");
    rig_stop(&r);
}

static unsigned long mem_checksum(const Memory *m) {
    unsigned long sum = (unsigned long)m->m * 131 + (unsigned long)m->cm;
    size_t per = (size_t)m->n_layers * m->batch * m->d;
    const unsigned char *b = (const unsigned char *)m->mem;
    for (size_t i = 0; i < per * m->mem_cap * sizeof(float); i++) sum = sum * 31 + b[i];
    b = (const unsigned char *)m->cmem;
    for (size_t i = 0; i < per * m->cmem_cap * sizeof(float); i++) sum = sum * 31 + b[i];
    return sum;
}

TEST(app_trainer_generates_on_a_copy_and_saves) {
    Rig r;
    rig_start(&r, 20);
    int stopped = UI_RUN_STOPPED;
    wait_for(&r, state_is, &stopped, "--max-steps");
    // The trainer is idle (waiting for a command) and published after its last write: safe to read.
    unsigned long before = mem_checksum(&r.t.mem);
    long base = tui_next_position(&r.t.mem);
    post(&r, UI_CMD_GENERATE, 30, "ROMEO: \xc3\xa9");
    wait_for(&r, message_has, "generated 30 characters", "the generation");
    const UiSnapshot *s = r.snap;
    CHECK_MSG(strstr(s->message, "skipped 1 prompt character") != NULL, "message '%s'", s->message);
    CHECK_INT_EQ(s->state, UI_RUN_STOPPED);
    CHECK_INT_EQ(s->gen_prompt_len, 7);
    CHECK(!strncmp(s->gen_text, "ROMEO: ", 7));
    CHECK_INT_EQ(strlen(s->gen_text), 37);
    const UiAttention *a = &s->attn;
    CHECK(ui_attn_valid(a));
    CHECK_INT_EQ(a->generating, 1);
    CHECK_INT_EQ(a->n_cur, 1);
    CHECK_INT_EQ(a->query_pos, base + 36); // positions continue after the training memory
    double newest = 0;                     // the newest query reads every column: its row sums to 1
    for (int k = 0; k < ui_attn_keys(a); k++) newest += a->mean[a->n_queries - 1][k];
    CHECK_NEAR(newest, 1.0, 1e-4);
    for (int l = 0; l < 2; l++) CHECK_NEAR(s->layer[l].share[0] + s->layer[l].share[1] + s->layer[l].share[2], 1.0, 1e-4);
    for (int k = 0; k < ui_attn_keys(a); k++) { // slot texts: training text, then prompt + output
        const UiSlot *sl = &a->slot[k];
        for (long p = sl->first; p <= sl->last && p - sl->first < UI_SNIPPET_BYTES; p++) {
            char want = p < base ? (char)r.corpus.text[p] : s->gen_text[p - base];
            CHECK_MSG(sl->text[p - sl->first] == want, "slot %d position %ld", k, p);
        }
    }
    CHECK(mem_checksum(&r.t.mem) == before); // the training memory is untouched
    CHECK_INT_EQ(s->step, 20);
    // Save: a full checkpoint that opens, at the current step; unsaved clears.
    post(&r, UI_CMD_SAVE, 0, NULL);
    wait_for(&r, message_has, "saved to", "the save");
    CHECK(strstr(r.snap->message, r.save_path) && strstr(r.snap->message, "(step 20)"));
    CHECK(!r.snap->unsaved);
    Checkpoint ck;
    char err[512];
    CHECK_MSG(checkpoint_open(&ck, r.save_path, err, sizeof err) == 0, "%s", err);
    CHECK(ck.has_state);
    CHECK_INT_EQ(ck.step, 20);
    checkpoint_close(&ck);
    char bad[700];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.safetensors", test_tmpdir());
    post(&r, UI_CMD_SAVE, 0, bad);
    wait_for(&r, message_has, "save failed", "a failed save");
    CHECK(r.snap->message_is_error);
    CHECK(r.tt.last_save_failed);
    // Nothing in the vocabulary at all: an error, no generation.
    post(&r, UI_CMD_GENERATE, 10, "\xc3\xa9\xc3\xa9");
    wait_for(&r, message_has, "none of the prompt", "the refusal");
    rig_stop(&r);
}

TEST(app_trainer_quits_in_the_middle_of_a_generation) {
    Rig r;
    rig_start(&r, 5);
    int stopped = UI_RUN_STOPPED, generating = UI_RUN_GENERATING;
    wait_for(&r, state_is, &stopped, "--max-steps");
    post(&r, UI_CMD_GENERATE, 1000000, "ROMEO");
    wait_for(&r, state_is, &generating, "generating");
    post(&r, UI_CMD_PAUSE, 0, NULL);
    post(&r, UI_CMD_QUIT, 0, NULL);
    double t0 = now_seconds();
    tui_trainer_join(&r.tt); // honoured between characters, long before a million of them
    CHECK(now_seconds() - t0 < 10);
    r.tt.started = 0;
    rig_stop(&r);
}
