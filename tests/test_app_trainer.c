// The TUI's trainer thread with a tiny model: it trains, publishes snapshots whose attention and slot
// provenance match the corpus, obeys pause/step/rate/validate/generate/save/quit, and generation leaves
// the training memory alone.
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/recall_corpus.h"
#include "app/tui_queue.h"
#include "app/tui_recall.h"
#include "app/tui_trainer.h"
#include "engine/checkpoint.h"
#include "tests/fixtures.h"

typedef struct {
    Corpus corpus;
    Run run;
    Model *model; // the run's
    TuiQueue q;
    TuiBox box;
    TuiTrainer tt;
    UiSnapshot *snap;
    uint64_t seen;
    char save_path[600];
} Rig;

static void rig_start_text(Rig *r, long max_steps, unsigned char *text, size_t n);

static void rig_start(Rig *r, long max_steps) {
    const char *line = "ROMEO: But soft, what light through yonder window breaks?\nJULIET: Ay me!\n";
    size_t n = 0, len = strlen(line);
    unsigned char *text = malloc(len * 200);
    for (int i = 0; i < 200; i++, n += len) memcpy(text + n, line, len);
    rig_start_text(r, max_steps, text, n);
}

// The rig on any text (the corpus takes it over).
static void rig_start_text(Rig *r, long max_steps, unsigned char *text, size_t n) {
    memset(r, 0, sizeof *r);
    char err[512];
    CHECK(corpus_from_text(&r->corpus, text, n, "test text", err, sizeof err) == 0);
    Config cfg;
    CHECK(config_preset(&cfg, "default") == 0);
    cfg = (Config){.vocab_size = r->corpus.vocab.size, .d_model = 16, .n_heads = 2, .n_layers = 2, .d_ff = 32,
                   .seq_len = 8, .mem_len = 8, .c_mem_len = 16, .compression_rate = 2, .batch_size = 2,
                   .lr = 1e-3f, .warmup = 10, .clip = 1.0f, .seed = 1};
    CHECK_MSG(config_validate(&cfg, err, sizeof err) == 0, "%s", err);
    CHECK_MSG(run_open(&r->run, &cfg, &r->corpus, NULL, 1, err, sizeof err) == 0, "%s", err);
    r->model = r->run.model;
    CHECK(tui_queue_init(&r->q) == 0);
    CHECK(tui_box_init(&r->box) == 0);
    r->snap = malloc(sizeof *r->snap);
    ui_snapshot_reset(r->snap);
    snprintf(r->save_path, sizeof r->save_path, "%s/tui.safetensors", test_tmpdir());
    r->tt = (TuiTrainer){.run = &r->run, .save_path = r->save_path,
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
    run_close(&r->run);
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
    CHECK_INT_EQ(s->mem_fill, r.run.t.mem.m);
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
    post(&r, UI_CMD_SET_RATE, 0, NULL); // :rate 0: the UI checks only that it is a number; the engine says why
    wait_for(&r, message_has, "compression_rate=0 is out of range; use 1 to", "the engine's reason");
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
    for (int l = 0; l < m->n_layers; l++)
        for (int s = 0; s < m->batch; s++) {
            b = (const unsigned char *)cmemory_rows(m, l, s);
            for (size_t i = 0; i < (size_t)m->cm * m->d * sizeof(float); i++) sum = sum * 31 + b[i];
        }
    return sum;
}

TEST(app_trainer_generates_on_a_copy_and_saves) {
    Rig r;
    rig_start(&r, 20);
    int stopped = UI_RUN_STOPPED;
    wait_for(&r, state_is, &stopped, "--max-steps");
    // The trainer is idle (waiting for a command) and published after its last write: safe to read.
    unsigned long before = mem_checksum(&r.run.t.mem);
    long base = memory_next_position(&r.run.t.mem);
    post(&r, UI_CMD_GENERATE, 30, "ROMEO: ");
    wait_for(&r, message_has, "generated 30 characters", "the generation");
    const UiSnapshot *s = r.snap;
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
    CHECK(mem_checksum(&r.run.t.mem) == before); // the training memory is untouched
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
    // A character outside the vocabulary: refused as `sample` refuses it, the character named.
    post(&r, UI_CMD_GENERATE, 10, "ROMEO\xc3\xa9");
    wait_for(&r, message_has, "prompt character '\xc3\xa9' (0xc3 0xa9) at offset 5 is not in the model's vocabulary",
             "the refusal");
    CHECK(r.snap->message_is_error);
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

static int fn_is(const UiSnapshot *s, const void *arg) { return !strcmp(s->compress_fn, arg); }
static int loss_is(const UiSnapshot *s, const void *arg) { return !strcmp(s->compress_loss, arg); }
static int recall_evals(const UiSnapshot *s, const void *arg) { return s->recall.evals >= *(const int *)arg; }

TEST(app_trainer_f_and_compress_change_the_function_and_loss) {
    Rig r;
    rig_start(&r, 0);
    int paused = UI_RUN_PAUSED;
    post(&r, UI_CMD_PAUSE, 0, NULL);
    wait_for(&r, state_is, &paused, "paused");
    CHECK(!strcmp(r.snap->compress_fn, "conv") && !strcmp(r.snap->compress_loss, "attention"));
    post(&r, UI_CMD_COMPRESS_NEXT, 0, NULL); // f
    wait_for(&r, fn_is, "mean", "f: conv -> mean");
    CHECK_INT_EQ(r.model->cfg.compress, COMPRESS_MEAN); // the trainer is idle (paused) after publishing
    CHECK(strstr(r.snap->message, "conv -> mean") != NULL && !r.snap->message_is_error);
    post(&r, UI_CMD_SET_COMPRESS, 0, "most-used"); // :compress most-used
    wait_for(&r, fn_is, "most-used", ":compress most-used");
    CHECK_INT_EQ(r.model->cfg.compress, COMPRESS_MOST_USED);
    post(&r, UI_CMD_COMPRESS_NEXT, 0, NULL); // wraps around
    wait_for(&r, fn_is, "conv", "f: most-used -> conv");
    post(&r, UI_CMD_SET_COMPRESS, 0, "bogus"); // the trainer checks names too: an error, nothing changes
    wait_for(&r, message_has, "unknown compression function 'bogus'", "the refusal");
    CHECK(r.snap->message_is_error && strstr(r.snap->message, "most-used") != NULL);
    CHECK_INT_EQ(r.model->cfg.compress, COMPRESS_CONV);
    post(&r, UI_CMD_SET_COMPRESS, 0, "max");
    post(&r, UI_CMD_SET_COMPRESS_LOSS, 0, "none"); // :compress_loss none
    wait_for(&r, loss_is, "none", ":compress_loss none");
    CHECK(!strcmp(r.snap->compress_fn, "max"));
    CHECK_INT_EQ(r.model->cfg.compress_loss, COMPRESS_LOSS_NONE);
    // Training goes on with the new choice; the Figure-2 view keeps measuring the attention-
    // reconstruction loss, which the training loss no longer gives.
    long want = r.snap->step + 6;
    post(&r, UI_CMD_RESUME, 0, NULL);
    wait_for(&r, step_at_least, &want, "training with max pooling");
    post(&r, UI_CMD_PAUSE, 0, NULL);
    wait_for(&r, state_is, &paused, "paused again");
    const UiBuckets *b = &r.snap->buckets;
    CHECK_INT_EQ(b->n_layers, 2);
    CHECK(b->steps > 0);
    for (int l = 0; l < 2; l++) {
        CHECK_MSG(isfinite(b->recon_mean[l]) && b->recon_mean[l] >= 0, "layer %d recon %f", l, b->recon_mean[l]);
        for (int g = 0; g < UI_GROUP_COUNT; g++) // memory full: every bucket has samples, weights in [0, 1]
            for (int k = 0; k < UI_BUCKETS; k++)
                CHECK(isfinite(b->layer[l].mean[g][k]) && b->layer[l].mean[g][k] >= 0 && b->layer[l].mean[g][k] <= 1);
    }
    CHECK(!r.snap->recall.active); // not a recall corpus: no panel
    rig_stop(&r);
}

TEST(app_trainer_measures_recall_on_a_recall_corpus) {
    RecallSpec spec = recall_default_spec();
    spec.bytes = 100000;
    size_t n;
    unsigned char *text = recall_generate(&spec, &n);
    CHECK(text != NULL);
    Rig r;
    rig_start_text(&r, 3, text, n);
    int one = 1;
    wait_for(&r, recall_evals, &one, "a recall evaluation");
    const UiRecall *rc = &r.snap->recall;
    CHECK(rc->active);
    CHECK_INT_EQ(rc->window, TUI_RECALL_WINDOW);
    CHECK(rc->n >= 4 && rc->n <= UI_RECALL_BUCKETS);
    double chars = 0;
    for (int i = 0; i < rc->n; i++) {
        CHECK(rc->b[i].chars_right <= rc->b[i].chars);
        CHECK(i == 0 || rc->b[i].lo == rc->b[i - 1].hi);
        chars += rc->b[i].chars;
    }
    CHECK(chars > 20);
    CHECK_INT_EQ(rc->b[rc->n - 1].hi, INT64_MAX);
    // v measures again at once (training stopped after --max-steps 3).
    post(&r, UI_CMD_VALIDATE, 0, NULL);
    int two = 2;
    wait_for(&r, recall_evals, &two, "v: a second recall evaluation");
    rig_stop(&r);
}

// ---------------------------------------------------------------------------------------------------------
// "Save and quit" is never dropped and never leaves without the checkpoint; another
// run's checkpoint is asked about before it is replaced; the compression sets stop at their cap.

// Fills the queue and keeps it full until the trainer has taken one command: handling it, the trainer
// publishes and stalls on the box's lock (held by the caller), so the ring then stays full. (Filling alone
// races a trainer that wakes late and takes one after the ring was full.)
static void fill_until_the_trainer_stalls(TuiQueue *q, const UiCommand *c) {
    long pushed = 0;
    for (int waited_ms = 0;; waited_ms++) {
        while (tui_queue_push(q, c) == 0) pushed++;
        pthread_mutex_lock(&q->mu);
        long taken = pushed - q->count;
        pthread_mutex_unlock(&q->mu);
        if (taken >= 1) break;
        CHECK_MSG(waited_ms < 10000, "the trainer took no command in 10 s");
        struct timespec ms = {0, 1000000L};
        nanosleep(&ms, NULL);
    }
    while (tui_queue_push(q, c) == 0) {} // the slot it freed
}

TEST(app_trainer_save_and_quit_survives_a_full_queue) {
    Rig r;
    rig_start(&r, 5);
    int stopped = UI_RUN_STOPPED;
    wait_for(&r, state_is, &stopped, "--max-steps");
    // Holding the box's lock stalls the trainer at its next publish: the queue then fills up behind it.
    pthread_mutex_lock(&r.box.mu);
    UiCommand c = {.type = UI_CMD_SET_TEMP, .fval = 0.5f};
    fill_until_the_trainer_stalls(&r.q, &c);
    UiCommand save = {.type = UI_CMD_SAVE}, quit = {.type = UI_CMD_QUIT, .ival = 1};
    CHECK(tui_queue_push(&r.q, &save) != 0); // dropped: the ring is full
    tui_queue_push(&r.q, &quit);             // sticky, with its save
    pthread_mutex_unlock(&r.box.mu);
    tui_trainer_join(&r.tt);
    r.tt.started = 0;
    Checkpoint ck;
    char err[512];
    CHECK_MSG(checkpoint_open(&ck, r.save_path, err, sizeof err) == 0, "save and quit wrote nothing: %s", err);
    CHECK_INT_EQ(ck.step, 5);
    checkpoint_close(&ck);
    rig_stop(&r);
}

TEST(app_trainer_a_signal_quit_saves_and_leaves_whatever_the_save_did) {
    for (int failing = 0; failing < 2; failing++) {
        Rig r;
        rig_start(&r, 5);
        int stopped = UI_RUN_STOPPED;
        wait_for(&r, state_is, &stopped, "--max-steps");
        if (failing) snprintf(r.save_path, sizeof r.save_path, "%s/no/such/dir/x.safetensors", test_tmpdir());
        pthread_mutex_lock(&r.box.mu); // a full queue, as above: the quit's save must not depend on a SAVE slot
        UiCommand c = {.type = UI_CMD_SET_TEMP, .fval = 0.5f}, quit = {.type = UI_CMD_QUIT, .ival = 2};
        for (int i = 0; i < 10 * TUI_QUEUE_CAP && tui_queue_push(&r.q, &c) == 0; i++) {}
        tui_queue_push(&r.q, &quit);
        pthread_mutex_unlock(&r.box.mu);
        tui_trainer_join(&r.tt); // returns: a signal always leaves
        r.tt.started = 0;
        CHECK_INT_EQ(r.tt.save_count, 1);
        CHECK_INT_EQ(r.tt.last_save_failed, failing);
        CHECK(tui_box_done(&r.box, NULL, 0));
        if (!failing) CHECK(access(r.save_path, F_OK) == 0);
        rig_stop(&r);
    }
}

static int quit_refused(const UiSnapshot *s, const void *arg) {
    (void)arg;
    return strstr(s->message, "not quitting") != NULL;
}

TEST(app_trainer_a_failed_save_at_quit_keeps_it_running) {
    Rig r;
    rig_start(&r, 5);
    int stopped = UI_RUN_STOPPED;
    wait_for(&r, state_is, &stopped, "--max-steps");
    snprintf(r.save_path, sizeof r.save_path, "%s/no/such/dir/x.safetensors", test_tmpdir());
    post(&r, UI_CMD_SAVE, 0, NULL);
    post(&r, UI_CMD_QUIT, 1, NULL);
    wait_for(&r, quit_refused, NULL, "the refused quit");
    CHECK(r.snap->message_is_error && strstr(r.snap->message, "no/such/dir"));
    CHECK(tui_box_take_quit_refused(&r.box));
    CHECK(!tui_box_done(&r.box, NULL, 0));
    CHECK(!tui_queue_quit_posted(&r.q));
    post(&r, UI_CMD_STEP, 0, NULL); // still obeying: one step while paused
    long six = 6;
    wait_for(&r, step_is, &six, "a step after the refused quit");
    rig_stop(&r); // a plain quit leaves
}

TEST(app_trainer_asks_before_replacing_another_runs_checkpoint) {
    Rig r;
    rig_start(&r, 5);
    int stopped = UI_RUN_STOPPED;
    wait_for(&r, state_is, &stopped, "--max-steps");
    size_t n;
    unsigned char *theirs = fixture_read_file("tests/fuzz/corpus/real_full_tiny.safetensors", &n);
    FILE *f = fopen(r.save_path, "wb");
    CHECK(f && fwrite(theirs, 1, n, f) == n && fclose(f) == 0);
    post(&r, UI_CMD_SAVE, 0, NULL);
    wait_for(&r, message_has, "did not load or write", "the question");
    size_t n_now;
    unsigned char *now = fixture_read_file(r.save_path, &n_now);
    CHECK(n_now == n && !memcmp(now, theirs, n)); // untouched
    free(now);
    // the corpus file is an input, never a save target (not even when asked twice)
    const char *data = "ROMEO: text\n";
    char data_path[480];
    snprintf(data_path, sizeof data_path, "%s/corpus.txt", test_tmpdir());
    f = fopen(data_path, "w");
    CHECK(f && fputs(data, f) >= 0 && fclose(f) == 0);
    snprintf(r.corpus.source, sizeof r.corpus.source, "%s", data_path);
    for (int i = 0; i < 2; i++) {
        post(&r, UI_CMD_SAVE, 0, data_path);
        wait_for(&r, message_has, "is the corpus this run reads", "the refusal");
        post(&r, UI_CMD_VALIDATE, 0, NULL); // another message in between
        wait_for(&r, message_has, "validation", "the validation");
    }
    char back[64];
    f = fopen(data_path, "r");
    CHECK(f && fgets(back, sizeof back, f) && fclose(f) == 0);
    CHECK(!strcmp(back, data));
    post(&r, UI_CMD_SAVE, 0, NULL); // the answer: save again
    wait_for(&r, message_has, "saved to", "the save after the question");
    post(&r, UI_CMD_STEP, 0, NULL);
    post(&r, UI_CMD_SAVE, 0, NULL); // its own file now: no question
    long six = 6;
    wait_for(&r, step_is, &six, "a step");
    wait_for(&r, message_has, "(step 6)", "the second save");
    free(theirs);
    rig_stop(&r);
}

TEST(app_trainer_compression_sets_stop_at_their_cap) {
    Rig r;
    rig_start(&r, 3);
    int stopped = UI_RUN_STOPPED;
    wait_for(&r, state_is, &stopped, "--max-steps");
    // mem_len 8: rates 1..8 for each of the five functions would be 40 sets; the cap keeps 16
    const char *fns[] = {"mean", "max", "dilated", "most-used", "conv"};
    for (int f = 0; f < 5; f++) {
        post(&r, UI_CMD_SET_COMPRESS, 0, fns[f]);
        for (int rate = 1; rate <= 8; rate++) post(&r, UI_CMD_SET_RATE, rate, NULL);
    }
    post(&r, UI_CMD_SET_COMPRESS, 0, "max"); // conv at rate 8 now; max r8 would be a new set
    wait_for(&r, message_has, "the most it may", "the cap's message");
    CHECK(r.model->n_sets <= COMPRESS_SETS_CAP);
    CHECK_INT_EQ(r.snap->compress_sets, r.model->n_sets);
    CHECK(r.snap->compress_sets_mb > 0);
    rig_stop(&r);
}
