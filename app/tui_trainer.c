// The TUI's trainer thread: training steps, commands, validation and saves (generation: tui_generate.c,
// the snapshot: tui_publish.c).
#include "app/tui_trainer.h"
#include "app/tui_trainer_priv.h"

#include "app/parallel.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/cli.h"
#include "app/prompt_vocab.h"
#include "app/tui_fill.h"
#include "app/tui_recall.h"
#include "engine/checkpoint.h"
#include "engine/generate.h"
#include "engine/output_file.h"

#define BAD_STEPS_LIMIT 5

// ---------------------------------------------------------------------------------------------------------
// Training

static void set_activity(TuiTrainer *tt, const char *what, int done, int total) {
    UiSnapshot *s = tt->priv->snap;
    if (what[0] && strcmp(s->activity, what)) s->activity_since = now_seconds();
    snprintf(s->activity, sizeof s->activity, "%s", what);
    s->activity_done = done;
    s->activity_total = total;
}

static void handle(TuiTrainer *tt, const UiCommand *c);

// Commands that arrive while validating, between segments: pausing and the view take effect at once (the
// validation finishes first), quitting ends it, the rest waits for its end.
static void handle_during_validation(TuiTrainer *tt, const UiCommand *c) {
    TuiPriv *P = tt->priv;
    switch (c->type) {
    case UI_CMD_QUIT: P->quit = 1; break;
    case UI_CMD_PAUSE: P->paused = 1; break;
    case UI_CMD_VIEW_LAYER:
        if (c->ival >= 0 && c->ival < tui_layers_shown(tt)) P->view_layer = c->ival;
        break;
    case UI_CMD_SET_TEMP: case UI_CMD_SET_LEN: case UI_CMD_SET_TOPK: handle(tt, c); break;
    default:
        if (P->n_deferred < TUI_DEFERRED_CAP) P->deferred[P->n_deferred++] = *c;
        else tui_message(tt, 1, "%s was dropped: the trainer is validating", ui_command_name(c->type));
        break;
    }
    tui_update_clock(tt);
    tui_publish(tt);
}

// Seconds of training so far: the runs before this one and, while running, this one (validation excluded).
static double trained_seconds(const TuiTrainer *tt) {
    const TuiPriv *P = tt->priv;
    return tt->run_seconds + (P->running ? now_seconds() - P->run_start : 0);
}

// Between validation segments the UI is still served (pause, views) and the progress published; a quit cuts
// a one-process validation short (the other ranks of memscope-mpi read all n, so rank 0 must too).
static int validation_tick(void *ctx, long done, long total) {
    TuiTrainer *tt = ctx;
    UiCommand c;
    while (!tt->priv->quit && tui_queue_pop(tt->queue, &c)) handle_during_validation(tt, &c);
    if (now_seconds() - tt->priv->last_pub >= tt->publish_interval) {
        set_activity(tt, "validating", (int)done, (int)total);
        tui_publish(tt);
    }
    return par_ranks() <= 1 && (tt->priv->quit || tui_queue_quit_posted(tt->queue));
}

// Mean CE over n validation segments, publishing the progress; `whole`: the whole split from a fresh
// validation memory, as `train` measures it. NAN when a quit cut it short.
static float validate_segments(TuiTrainer *tt, long n, int whole) {
    float ce = run_validate(tt->run, n, whole, validation_tick, tt);
    set_activity(tt, "", 0, 0);
    return ce;
}

static void log_error(TuiTrainer *tt, int rc, const char *err) {
    if (!rc || tt->priv->log_failed) return;
    tt->priv->log_failed = 1;
    tui_message(tt, 1, "%s", err);
}

// whole: the whole validation split (--valid-every), else the next validate_segments segments.
static void validate(TuiTrainer *tt, int announce, int whole) {
    TuiPriv *P = tt->priv;
    if (run_valid_segments(tt->run) < 1) {
        if (announce) tui_message(tt, 1, "no validation: the validation split is shorter than one batch");
        return;
    }
    tui_stash(tt);
    // validation time is not training time: neither the log's train_seconds nor the tokens/s window count it
    double v0 = now_seconds(), trained = trained_seconds(tt);
    long n = whole ? run_valid_segments(tt->run) : tt->validate_segments > 0 ? tt->validate_segments : 20;
    par_announce(PAR_VALIDATE, (int)n, whole); // the other ranks read the same segments in lock-step
    float ce = validate_segments(tt, n, whole);
    double spent = now_seconds() - v0;
    if (P->running) P->run_start += spent;
    P->win_start += spent;
    if (isnan(ce) && tui_queue_quit_posted(tt->queue)) return;
    if (!isfinite(ce)) {
        tui_message(tt, 1, "validation CE is not finite");
        return;
    }
    P->snap->valid_ce = ce;
    ui_series_push(&P->snap->valid_loss, run_steps(tt->run), ce);
    run_record_valid(tt->run, ce);
    char err[1200];
    if (tt->log)
        log_error(tt, train_log_valid(tt->log, whole ? "periodic" : "partial", run_steps(tt->run), trained, ce, err,
                                      sizeof err), err);
    if (announce || whole)
        tui_message(tt, 0, "validation CE %.4f (%.3f bpc) over %ld segments%s", ce, ce / M_LN2, n, whole ? " (the whole split)" : "");
}

// With a compression loss other than the attention one, the attention-reconstruction loss of the rows the
// step just compressed (shard 0's streams) costs an extra pass: it is sampled only when a snapshot is filled.
static void sample_reconstruction(TuiTrainer *tt) {
    Model *m = tt->model;
    if (m->cfg.compress_loss == COMPRESS_LOSS_ATTENTION) return; // every step's AR loss is it already
    TuiPriv *P = tt->priv;
    float ar[64];
    model_attention_reconstruction(m, run_workspace(tt->run), ar);
    for (int l = 0; l < tui_layers_shown(tt) && l < 64; l++) {
        tui_recon_add(&P->buckets, l, ar[l], RECON_DECAY);
        P->snap->layer[l].ar_loss = ar[l];
        P->ar_sum[l] += ar[l];
    }
    P->ar_n++;
}

// Recall by distance on the next held-out window (see app/tui_recall.h). It runs on a memory and a
// workspace of its own, so the training attention in the trainer's workspace stays as it was.
static void measure_recall(TuiTrainer *tt) {
    if (tui_recall_run(&tt->priv->recall, tt->model, run_steps(tt->run), now_seconds()))
        tui_message(tt, 1, "recall: out of memory");
}

static void save(TuiTrainer *tt, const char *path_arg);

// --max-steps/--steps, --epochs, --minutes: training stops (the UI stays; Space trains on).
static void check_limits(TuiTrainer *tt) {
    TuiPriv *P = tt->priv;
    if (P->stopped) return;
    double trained = trained_seconds(tt);
    char why[96] = "";
    if (tt->max_steps > 0 && run_steps(tt->run) - P->start_step >= tt->max_steps)
        snprintf(why, sizeof why, "--max-steps %ld", tt->max_steps);
    else if (tt->epochs > 0 && run_batches_done(tt->run) >= tt->epochs * run_position(tt->run).per_epoch)
        snprintf(why, sizeof why, "--epochs %ld", tt->epochs);
    else if (tt->minutes > 0 && trained >= tt->minutes * 60)
        snprintf(why, sizeof why, "--minutes %g of training", tt->minutes);
    if (!why[0]) return;
    P->stopped = 1;
    tui_message(tt, 0, "stopped after %s (Space trains on, n steps once)", why);
}

// --valid-every and --save-every, after a counted step.
static void periodic_work(TuiTrainer *tt) {
    TuiPriv *P = tt->priv;
    double trained = trained_seconds(tt);
    if (tt->valid_every > 0 && trained >= P->next_valid) {
        validate(tt, 0, 1);
        P->next_valid += tt->valid_every;
        tui_publish(tt);
    }
    if (tt->save_every > 0 && tt->steps_run % tt->save_every == 0) save(tt, NULL);
}

// Where the keys of the coming step come from: the memory before its update (empty when the step starts
// a new epoch, which resets the memory), current rows at the segment's positions.
static void capture_key_origins(TuiTrainer *tt) {
    TuiPriv *P = tt->priv;
    RunPosition pos = run_position(tt->run);
    if (pos.new_epoch) {
        P->pre.n_cmem = P->pre.n_mem = 0;
        P->pre.cur_first = 0;
    } else key_origins_capture(&P->pre, run_memory(tt->run), pos.batch * tt->model->cfg.seq_len);
}

// One step, timed so the share of it spent in all-reduce can be shown; a parameter drift between the
// shards stops training.
static void timed_step(TuiTrainer *tt, StepStats *s) {
    TuiPriv *P = tt->priv;
    double reduced0, reduced1, bytes, t0 = now_seconds();
    par_reduce_totals(&reduced0, &bytes);
    par_announce(PAR_STEP, 0, 0);
    run_step(tt->run, s);
    par_reduce_totals(&reduced1, &bytes);
    double took = now_seconds() - t0;
    if (took > 0) P->allreduce_share += 0.1f * ((float)((reduced1 - reduced0) / took) - P->allreduce_share);
    char drift[256];
    if (par_check_params(tt->model, run_steps(tt->run), drift, sizeof drift)) {
        P->error_stop = 1;
        tui_message(tt, 1, "%s", drift);
    }
}

static void record_step(TuiTrainer *tt, const StepStats *s) {
    TuiPriv *P = tt->priv;
    long step = run_steps(tt->run);
    key_origins_swap(&P->pre, &P->view);
    P->view_valid = workspace_keys(run_workspace(tt->run)) == P->view.n_cmem + P->view.n_mem + tt->model->cfg.seq_len;
    P->stashed = 0;
    P->last = *s;
    P->have_last = 1;
    if (s->skipped) {
        tui_message(tt, 1, "step %ld: loss or gradient is not finite; the step was not applied", step + 1);
        if (++P->bad_in_a_row >= BAD_STEPS_LIMIT) {
            P->error_stop = 1;
            tui_message(tt, 1, "%d non-finite steps in a row: training paused (lower lr?)", BAD_STEPS_LIMIT);
        }
    } else {
        P->bad_in_a_row = 0;
        ui_series_push(&P->snap->train_loss, step, s->ce);
    }
}

// The reconstruction panel shows the attention-reconstruction loss; when it is what trains the
// compression, the step computed it already (else sample_reconstruction measures it).
static void record_step_reconstruction(TuiTrainer *tt, const StepStats *s) {
    TuiPriv *P = tt->priv;
    if (s->compressed > 0 && !s->skipped && tt->model->cfg.compress_loss == COMPRESS_LOSS_ATTENTION) {
        for (int l = 0; l < tui_layers_shown(tt); l++) {
            P->snap->layer[l].ar_loss = s->ar[l];
            P->ar_sum[l] += s->ar[l];
            tui_recon_add(&P->buckets, l, s->ar[l], RECON_DECAY);
        }
        P->ar_n++;
    }
    P->buckets_due = P->view_valid && !s->skipped;
}

// Tokens per second over a window of about a second (the first figure after a quarter of one).
static void count_step_tokens(TuiTrainer *tt, double now) {
    TuiPriv *P = tt->priv;
    const Config *c = &tt->model->cfg;
    tt->steps_run++;
    P->win_tokens += (long)c->batch_size * c->seq_len;
    double el = now - P->win_start;
    if (el >= 1.0 || (P->tps == 0 && el >= 0.25)) P->tps = (float)(P->win_tokens / el);
    if (el >= 1.0) {
        P->win_start = now;
        P->win_tokens = 0;
    }
}

static void train_one(TuiTrainer *tt, int counted) {
    TuiPriv *P = tt->priv;
    capture_key_origins(tt);
    int val_due = tt->validate_every > 0 && (run_steps(tt->run) + 1) % tt->validate_every == 0;
    StepStats s;
    timed_step(tt, &s);
    record_step(tt, &s);
    record_step_reconstruction(tt, &s);
    double now = now_seconds();
    if (counted) count_step_tokens(tt, now);
    if (tt->log && !P->log_failed) {
        char err[1200];
        log_error(tt, train_log_step(tt->log, &s, counted ? P->tps : 0, err, sizeof err), err);
    }
    check_limits(tt);
    tui_update_clock(tt);
    int recall_due = counted && tui_recall_due(&P->recall, now);
    if (!counted || val_due || recall_due || !P->running || now - P->last_pub >= tt->publish_interval) {
        if (s.compressed > 0 && !s.skipped) sample_reconstruction(tt);
        tui_fill_training_view(tt);
        if (recall_due) measure_recall(tt);
        if (val_due && !s.skipped) validate(tt, 0, 0);
        tui_publish(tt);
    }
    if (counted && !s.skipped) periodic_work(tt);
}

static void set_rate(TuiTrainer *tt, int rate) {
    Model *m = tt->model;
    int cur = m->cfg.compression_rate, known = 0;
    char err[256];
    if (rate == cur) {
        tui_message(tt, 0, "compression rate is already %d", rate);
        return;
    }
    for (int i = 0; i < m->n_sets; i++) known |= m->sets[i].rate == rate;
    if (config_rate_check(&m->cfg, rate, err, sizeof err) ||
        model_compress_sets_allow(m, m->cfg.compress, rate, m->cfg.compress_loss, err, sizeof err) ||
        model_set_rate(m, rate, err, sizeof err)) {
        tui_message(tt, 1, "%s", err);
        return;
    }
    par_announce(PAR_RATE, rate, 0);
    tui_message(tt, 0, "compression rate %d -> %d from the next compression; existing slots stay%s", cur, rate,
            known ? " (this rate's trained convs are back)" : "; new rate starts as mean pooling");
}

// A new compression function or loss from the next compression on; compressed slots already made stay.
static void set_compression(TuiTrainer *tt, int fn, int loss) {
    Model *m = tt->model;
    int old_fn = m->cfg.compress, old_loss = m->cfg.compress_loss;
    char err[256];
    if (fn == old_fn && loss == old_loss) {
        tui_message(tt, 0, "compression is already %s with the %s loss", compress_fn_name(fn), compress_loss_name(loss));
        return;
    }
    if (model_compress_sets_allow(m, fn, m->cfg.compression_rate, loss, err, sizeof err) ||
        model_set_compression(m, fn, loss, err, sizeof err)) {
        tui_message(tt, 1, "%s", err);
        return;
    }
    par_announce(PAR_COMPRESSION, fn, loss);
    if (loss != old_loss) // the reconstruction figures of the old loss describe another training
        tui_recon_clear(&tt->priv->buckets);
    if (fn != old_fn)
        tui_message(tt, 0, "compression %s -> %s from the next compression; existing slots stay%s", compress_fn_name(old_fn),
                compress_fn_name(fn), compress_fn_has_params(fn) ? "" : " (no parameters to train)");
    else tui_message(tt, 0, "compression loss %s -> %s", compress_loss_name(old_loss), compress_loss_name(loss));
}

// :compress NAME / :compress_loss NAME: the engine's parser decides (the UI checked the name already).
static void set_compression_by_name(TuiTrainer *tt, const char *name, int is_loss) {
    Model *m = tt->model;
    int v = is_loss ? compress_loss_parse(name) : compress_fn_parse(name);
    if (v < 0) {
        char names[128];
        config_choice_list(is_loss ? compress_loss_choices : compress_fn_choices, ", ", " or ", names, sizeof names);
        tui_message(tt, 1, "unknown compression %s '%.40s': use %s", is_loss ? "loss" : "function", name, names);
        return;
    }
    if (is_loss) set_compression(tt, m->cfg.compress, v);
    else set_compression(tt, v, m->cfg.compress_loss);
}

// A checkpoint at path that this run neither loaded nor wrote belongs to someone else: the first save there
// asks (the message), the same save again replaces it.
static int foreign_checkpoint_asked(TuiTrainer *tt, const char *path) {
    TuiPriv *P = tt->priv;
    struct stat st;
    int ours = stat(path, &st) == 0 && tt->written_ino && st.st_dev == tt->written_dev && st.st_ino == tt->written_ino;
    if (ours || !output_holds_checkpoint(path) || output_same_file(path, tt->load_path)) return 0;
    if (!strcmp(P->confirm_path, path)) return 0; // asked already: this is the answer
    snprintf(P->confirm_path, sizeof P->confirm_path, "%s", path);
    tt->last_save_failed = 1;
    snprintf(tt->last_save_msg, sizeof tt->last_save_msg, "%s holds a checkpoint this run did not load or write: "
             "save again (s, :save) to replace it, or :save OTHER_PATH", path);
    tui_message(tt, 1, "%s", tt->last_save_msg);
    return 1;
}

static void save(TuiTrainer *tt, const char *path_arg) {
    TuiPriv *P = tt->priv;
    const char *path = path_arg && path_arg[0] ? path_arg : tt->save_path;
    char err[1024];
    tt->save_count++;
    if (output_same_file(path, tt->corpus->source)) { // the corpus this run trains on (a file, when it is one)
        tt->last_save_failed = 1;
        snprintf(tt->last_save_msg, sizeof tt->last_save_msg, "save refused: %s is the corpus this run reads; give "
                 "another name", path);
        tui_message(tt, 1, "%s", tt->last_save_msg);
        return;
    }
    if (foreign_checkpoint_asked(tt, path)) return;
    P->confirm_path[0] = 0;
    set_activity(tt, "saving", 0, 0);
    tui_publish(tt);
    par_announce(PAR_SAVE, 0, 0);
    int rc = par_save(path, tt->run, err, sizeof err);
    set_activity(tt, "", 0, 0);
    if (rc) {
        tt->last_save_failed = 1;
        snprintf(tt->last_save_msg, sizeof tt->last_save_msg, "save failed: %s", err);
        tui_message(tt, 1, "%s", tt->last_save_msg);
        return;
    }
    P->saved_step = run_steps(tt->run);
    tt->last_save_failed = 0;
    struct stat st;
    if (stat(path, &st) == 0) tt->written_dev = st.st_dev, tt->written_ino = st.st_ino;
    snprintf(tt->last_save_msg, sizeof tt->last_save_msg, "saved to %s (step %ld)", path, run_steps(tt->run));
    tui_message(tt, 0, "%s", tt->last_save_msg);
}

// "Save and quit" leaves only with the checkpoint on disk: when the save fails (or asks first), the trainer
// stays, paused, and the UI is told to stay open with the message. 1 when it may leave.
static int saved_before_quit(TuiTrainer *tt) {
    TuiPriv *P = tt->priv;
    int saved_now = tt->save_count && !tt->last_save_failed && P->saved_step == run_steps(tt->run);
    if (!saved_now) save(tt, "");
    if (!tt->last_save_failed || P->quit_save == 2) return 1; // 2: a signal leaves whatever the save did
    P->quit = P->quit_save = 0;
    P->paused = 1;
    tui_queue_clear_quit(tt->queue);
    tui_box_refuse_quit(tt->box); // before the message is published: whoever sees the message sees the refusal
    tui_message(tt, 1, "not quitting: %.200s (q to try again, :quit! leaves without saving)", tt->last_save_msg);
    tui_publish(tt);
    return 0;
}

// ---------------------------------------------------------------------------------------------------------
// Commands and the loop

// Space pauses a running trainer; otherwise (and for an explicit resume) it trains on, past any stop.
static void pause_or_resume(TuiTrainer *tt, int toggle) {
    TuiPriv *P = tt->priv;
    if (toggle && !P->paused && !P->stopped && !P->error_stop) {
        P->paused = 1;
        return;
    }
    P->paused = 0;
    P->error_stop = 0;
    P->bad_in_a_row = 0;
    if (P->stopped) {
        P->stopped = 0;
        tt->max_steps = tt->epochs = 0; // the user asked for more
        tt->minutes = 0;
    }
}

static void handle(TuiTrainer *tt, const UiCommand *c) {
    TuiPriv *P = tt->priv;
    int cur = tt->model->cfg.compression_rate;
    switch (c->type) {
    case UI_CMD_PAUSE: P->paused = 1; break;
    case UI_CMD_RESUME:
    case UI_CMD_TOGGLE_PAUSE: pause_or_resume(tt, c->type == UI_CMD_TOGGLE_PAUSE); break;
    case UI_CMD_STEP:
        if (P->paused || P->stopped || P->error_stop) {
            train_one(tt, 0);
            return; // train_one published
        }
        tui_message(tt, 0, "n steps once while paused");
        break;
    case UI_CMD_RATE_UP: set_rate(tt, cur + 1); break;
    case UI_CMD_RATE_DOWN: set_rate(tt, cur - 1); break;
    case UI_CMD_SET_RATE: set_rate(tt, c->ival); break;
    case UI_CMD_VALIDATE:
        validate(tt, 1, 0);
        if (tt->priv->recall.active) measure_recall(tt);
        break;
    case UI_CMD_COMPRESS_NEXT:
        set_compression(tt, (tt->model->cfg.compress + 1) % COMPRESS_FN_COUNT, tt->model->cfg.compress_loss);
        break;
    case UI_CMD_SET_COMPRESS: set_compression_by_name(tt, c->text, 0); break;
    case UI_CMD_SET_COMPRESS_LOSS: set_compression_by_name(tt, c->text, 1); break;
    case UI_CMD_SAVE: save(tt, c->text); break;
    case UI_CMD_GENERATE: tui_generate(tt, c); return; // generate published
    case UI_CMD_SET_TEMP: P->snap->temperature = c->fval; break;
    case UI_CMD_SET_LEN: P->snap->gen_length = c->ival; break;
    case UI_CMD_SET_TOPK: P->snap->top_k = c->ival; break;
    case UI_CMD_QUIT: P->quit = 1, P->quit_save = c->ival; break;
    case UI_CMD_VIEW_LAYER:
        if (c->ival >= 0 && c->ival < tui_layers_shown(tt)) P->view_layer = c->ival;
        tui_fill_training_view(tt);
        break;
    default: break;
    }
    tui_update_clock(tt);
    tui_publish(tt);
}

static void *trainer_main(void *arg) {
    TuiTrainer *tt = arg;
    TuiPriv *P = tt->priv;
    tui_update_clock(tt);
    tui_publish(tt);
    do {
        while (!P->quit) {
            UiCommand c;
            while (!P->quit && P->n_deferred > 0) {
                UiCommand d = P->deferred[0];
                memmove(P->deferred, P->deferred + 1, sizeof d * (size_t)--P->n_deferred);
                handle(tt, &d);
            }
            while (!P->quit && tui_queue_pop(tt->queue, &c)) handle(tt, &c);
            if (P->quit) break;
            if (tui_queue_quit_posted(tt->queue)) { // QUIT did not fit in the queue: drain, then leave
                while (tui_queue_pop(tt->queue, &c)) handle(tt, &c);
                if (!P->quit_save) P->quit_save = tui_queue_quit_save_posted(tt->queue);
                P->quit = 1;
                break;
            }
            if (P->running) train_one(tt, 1);
            else if (tui_queue_wait(tt->queue, &c, -1)) handle(tt, &c);
        }
    } while (P->quit_save && !saved_before_quit(tt));
    par_announce(PAR_QUIT, 0, 0);
    tui_update_clock(tt);
    tui_publish(tt);
    tui_box_finish(tt->box, "");
    return NULL;
}

// ---------------------------------------------------------------------------------------------------------
// Start and join

static void free_priv(TuiPriv *P) {
    if (!P) return;
    key_origins_free(&P->pre);
    key_origins_free(&P->view);
    key_origins_free(&P->gen_pre);
    free(P->stash);
    free(P->snap);
    tui_rows_free(&P->rows);
    if (P->gen_ready) generator_free(&P->gen);
    free(P->gbuf);
    free(P);
}

// The curves of a resumed run start where the run started, not at the resumed step.
static void load_history(UiSnapshot *s, const Run *r) {
    const History *from[2] = {run_history(r, 0), run_history(r, 1)};
    UiSeries *to[2] = {&s->train_loss, &s->valid_loss};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < history_len(from[k]); i++) {
            long step;
            float v;
            history_at(from[k], i, &step, &v);
            ui_series_push(to[k], step, v);
        }
    if (history_len(from[1]) > 0) {
        long step;
        history_at(from[1], history_len(from[1]) - 1, &step, &s->valid_ce);
    }
}

// The trainer thread's state, with room to stash one step's attention (shown layers × H × Q × K);
// NULL when memory runs out.
static TuiPriv *alloc_priv(const TuiTrainer *tt) {
    const Config *c = &tt->model->cfg;
    const Memory *mem = run_memory(tt->run);
    TuiPriv *P = calloc(1, sizeof *P);
    int L = c->n_layers < UI_MAX_LAYERS ? c->n_layers : UI_MAX_LAYERS;
    long k_max = (long)mem->cmem_cap + mem->mem_cap + c->seq_len;
    if (!P || !(P->snap = malloc(sizeof *P->snap)) || key_origins_init(&P->pre, mem) || key_origins_init(&P->view, mem) ||
        key_origins_init(&P->gen_pre, mem) || tui_rows_init(&P->rows) ||
        !(P->stash = malloc(sizeof(float) * L * c->n_heads * c->seq_len * k_max))) {
        free_priv(P);
        return NULL;
    }
    return P;
}

static void init_priv(TuiTrainer *tt, TuiPriv *P) {
    P->handle = handle;
    ui_snapshot_reset(P->snap);
    P->snap->gen_length = 200;
    P->snap->temperature = 0.8f;
    P->snap->top_k = 0;
    P->start_step = P->saved_step = run_steps(tt->run);
    P->next_valid = tt->valid_every;
    load_history(P->snap, tt->run);
    P->view_layer = 0;
    tui_buckets_reset(&P->buckets);
    tui_recall_init(&P->recall, tt->corpus);
    rng_seed(&P->rng, tt->model->cfg.seed * 0x9E3779B97F4A7C15ULL + 0x6d656d73ULL);
}

// The signals are the UI thread's to handle: the trainer thread starts (and stays) with them blocked.
static int start_thread(TuiTrainer *tt) {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGWINCH);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(&tt->thread, NULL, trainer_main, tt);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int tui_trainer_start(TuiTrainer *tt, char *err, size_t errlen) {
    tt->model = tt->run->model;
    tt->corpus = tt->run->corpus;
    TuiPriv *P = alloc_priv(tt);
    if (!P) {
        snprintf(err, errlen, "out of memory for the TUI's trainer state");
        return -1;
    }
    tt->priv = P;
    init_priv(tt, P);
    if (tt->publish_interval <= 0) tt->publish_interval = 1.0 / 30;
    tt->steps_run = 0;
    tt->run_seconds = 0;
    if (start_thread(tt)) {
        free_priv(P);
        tt->priv = NULL;
        snprintf(err, errlen, "cannot start the trainer thread");
        return -1;
    }
    tt->started = 1;
    return 0;
}

void tui_trainer_join(TuiTrainer *tt) {
    if (tt->started) pthread_join(tt->thread, NULL);
    tt->started = 0;
    free_priv(tt->priv);
    tt->priv = NULL;
}
