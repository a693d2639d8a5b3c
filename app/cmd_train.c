// memscope train: headless training with progress, JSON log, periodic saves and a final validation.
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/session.h"
#include "app/commands.h"
#include "app/config_help.h"
#include "app/progress.h"
#include "app/train_log.h"
#include "engine/output_file.h"
#include "app/parallel.h"
#include "engine/run.h"

static const char *const train_help =
    "usage: memscope train [--data FILE] [--preset labml|default|large] [--set key=value]...\n"
    "                      [--steps N | --epochs N] [--minutes M] [--valid-every SECONDS]\n"
    "                      [--load CKPT] [--save CKPT] [--save-every N] [--on-save-error stop|continue]\n"
    "                      [--log FILE] [--progress-every SECONDS] [--threads N] [--seed N] [--force]\n"
    "Trains headless. Without --steps, --epochs or --minutes, trains one epoch. --minutes stops after M\n"
    "minutes of training (with --steps or --epochs, whichever comes first). --valid-every prints the\n"
    "validation CE over the whole validation split every SECONDS of training time ('valid at T s step N:\n"
    "ce X'; validation time is not counted): the loss curve against wall time.\n"
    "--load resumes a full checkpoint exactly (or starts a fresh optimizer from a weights-only one); the\n"
    "model keys then come from the checkpoint.\n"
    "--log writes JSON lines: a header (version, every config key, data path, size and sha256, threads, seed,\n"
    "start time, host), one record per step (with \"time\": seconds since the start) and one per validation.\n"
    "At the end prints the validation CE over the whole validation split (stdout carries results only).\n"
    "Progress goes to stderr: a live line on a terminal, else a plain line every --progress-every SECONDS\n"
    "(default 10; 0 turns it off), with step, epoch, loss, tokens/s, elapsed time and ETA.\n"
    "Ctrl-C, SIGTERM or SIGHUP stop after the current step and save (a second Ctrl-C quits at once). A save\n"
    "that fails (disk full, read-only directory) leaves the previous checkpoint intact and stops training,\n"
    "or with --on-save-error continue, training goes on and the next save tries again (exit status 1 if the\n"
    "last save failed). Non-finite steps are skipped; 5 in a row stop training without saving.\n"
    "--force lets --save or --log replace a checkpoint this run did not --load.\n";
// then the config keys (app/config_help.h) and EXIT_STATUS_HELP

// The first signal asks the loop to stop after the current step (and save); a second one, for a user
// who does not want to wait, ends the process at once with the default action. Either way the
// checkpoint on disk is whole: saves write a temporary file and rename it.
static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
    if (stop_requested) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_requested = sig;
    static const char msg[] = "\nmemscope train: stopping after this step (again to quit at once)\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
}

// Under mpirun every rank stops at the step rank 0 stops at (mpirun signals all of them, not at once).
static int stop_now(void) { return stop_requested = par_root_decides(stop_requested); }

static void install_signal_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

typedef struct {
    Options o;
    Session s;
    TrainLog log;
    int continue_on_save_error; // --on-save-error continue
    int on_save_error_given;
    int last_save_failed;
} TrainRun;

// Seconds left: the sooner of the steps' end and the --minutes budget (0 without one).
static double eta_seconds(long done, long total, double elapsed, double budget) {
    double eta = done > 0 && total != LONG_MAX ? elapsed / done * (total - done) : budget - elapsed;
    if (budget && budget - elapsed < eta) eta = budget - elapsed;
    return eta < 0 ? 0 : eta;
}

// The live line on a terminal ("\r", redrawn), or one plain line (tty = 0) for a log file or a pipe.
static void progress(const Run *run, const StepStats *s, long done, long total, double tps, double elapsed,
                     double budget, int tty) {
    char eta[16], spent[16];
    format_duration(eta, sizeof eta, eta_seconds(done, total, elapsed, budget));
    format_duration(spent, sizeof spent, elapsed);
    char of[48] = ""; // "(120/3921)": this run's steps, when it has a step count
    if (total != LONG_MAX) snprintf(of, sizeof of, " (%ld/%ld)", done, total);
    if (tty)
        fprintf(stderr, "\rstep %ld%s  epoch %.2f  ce %.4f  bpc %.3f  ar %.4f  %.0f tok/s  ETA %s   ", s->step, of,
                run_epochs_done(run), s->ce, s->bpc, s->ar_total, tps, eta);
    else
        fprintf(stderr, "memscope train: step %ld%s epoch %.2f ce %.4f bpc %.3f %.0f tok/s elapsed %s ETA %s\n", s->step,
                of, run_epochs_done(run), s->ce, s->bpc, tps, spent, eta);
}

static int save(TrainRun *r, const char *path) {
    char err[1024];
    int tty = isatty(2);
    fprintf(stderr, "%smemscope train: saving %s...\n", tty ? "\n" : "", path);
    double t0 = now_seconds();
    if (par_save(path, &r->s.run, err, sizeof err)) {
        r->last_save_failed = 1;
        return fail("train", "step %ld: %s", run_steps(&r->s.run), err);
    }
    struct stat st;
    double mb = stat(path, &st) == 0 ? st.st_size / 1e6 : 0;
    fprintf(stderr, "memscope train: saved %s (%.1f MB in %.2f s)\n", path, mb, now_seconds() - t0);
    r->last_save_failed = 0;
    return 0;
}

static int setup(TrainRun *r) {
    char err[1024];
    if (check_outputs(&r->o, "train")) return 1;
    long threads = r->o.threads ? r->o.threads : 2;
    int rc = session_open(&r->s, &r->o, threads, NULL, NULL, "train");
    if (rc) return rc;
    if (r->o.log && !par_rank() && train_log_open(&r->log, r->o.log, err, sizeof err)) return fail("train", "%s", err);
    if (train_log_header(&r->log, &r->s.run.model->cfg, &r->s.corpus, (int)threads, run_steps(&r->s.run), err,
                         sizeof err))
        fprintf(stderr, "memscope train: %s\n", err);
    return 0;
}

// A log that cannot be written (disk full) is reported once and dropped; training goes on.
static void write_log(TrainRun *r, const StepStats *s, double tokens_per_s) {
    char err[1200];
    if (train_log_step(&r->log, s, tokens_per_s, err, sizeof err))
        fprintf(stderr, "%smemscope train: %s\n", isatty(2) ? "\n" : "", err);
}

static float validate(Run *run, const char *why);

static long steps_to_run(const TrainRun *r) {
    long per_epoch = run_position(&r->s.run).per_epoch;
    if (r->o.steps) return r->o.steps;
    if (r->o.minutes && !r->o.epochs) return LONG_MAX;
    long target = (r->o.epochs ? r->o.epochs : 1) * per_epoch;
    long done = run_batches_done(&r->s.run);
    return target > done ? target - done : 0;
}

// --valid-every: one point of the validation curve, at `seconds` of training time.
static void curve_point(TrainRun *r, double seconds) {
    float v = validate(&r->s.run, "periodic");
    if (isnan(v)) return; // interrupted
    run_record_valid(&r->s.run, v);
    printf("valid at %.0f s step %ld epoch %.2f: ce %.6f bpc %.6f\n", seconds, run_steps(&r->s.run),
           run_epochs_done(&r->s.run), v, v / M_LN2);
    fflush(stdout);
    char err[1200];
    if (train_log_valid(&r->log, "periodic", run_steps(&r->s.run), seconds, v, err, sizeof err))
        fprintf(stderr, "memscope train: %s\n", err);
}

// The training loop's clock and counters. Training time leaves out the time spent validating (paused).
typedef struct {
    int tty, bad_in_a_row;
    double start, paused, last_print;
    double every, budget, next_valid; // progress line, --minutes and --valid-every, in seconds
    long tokens_per_step, first_step;
} TrainLoop;

// Seconds of training at `now`: since the start, less the time spent validating.
static double trained_seconds(const TrainLoop *L, double now) { return now - L->start - L->paused; }

static void loop_begin(TrainLoop *L, const TrainRun *r) {
    const Config *c = &r->s.run.model->cfg;
    L->tty = isatty(2);
    L->start = now_seconds();
    L->last_print = L->paused = 0;
    L->every = L->tty ? 0.2 : r->o.has_progress_every ? r->o.progress_every : 10.0;
    L->budget = r->o.minutes * 60;
    L->next_valid = r->o.valid_every;
    L->tokens_per_step = (long)c->batch_size * c->seq_len;
    L->bad_in_a_row = 0;
    L->first_step = run_steps(&r->s.run);
}

// Rank 0 decides for every rank, in one broadcast a step: stop (a signal, bit 1), out of time (2), validate
// now (4).
static int rank0_decides(const TrainLoop *L, double trained) {
    int due = par_root_decides((stop_requested ? 1 : 0) | (L->budget && trained >= L->budget ? 2 : 0) |
                               (L->next_valid && trained >= L->next_valid ? 4 : 0));
    stop_requested = due & 1 ? (stop_requested ? stop_requested : SIGTERM) : 0; // rank 0's word, as stop_now()
    return due;
}

static void validate_on_the_curve(TrainRun *r, TrainLoop *L, double trained) {
    double v0 = now_seconds();
    if (L->tty) fputc('\n', stderr);
    curve_point(r, trained);
    L->next_valid += r->o.valid_every;
    L->paused += now_seconds() - v0;
}

// A step that was not applied; returns 1 (after saying why) when it is the 5th in a row.
static int skipped_step(TrainRun *r, TrainLoop *L, const StepStats *s) {
    // The optimizer step did not happen, so its number repeats; the data position says which batch.
    long read = run_batches_done(&r->s.run) - 1, per_epoch = run_position(&r->s.run).per_epoch;
    fprintf(stderr, "%smemscope train: step %ld (epoch %ld, batch %ld): loss or gradient is not finite "
            "(ce %g, grad norm %g); the step was not applied\n", L->tty ? "\n" : "", s->step + 1, read / per_epoch,
            read % per_epoch, s->ce, s->grad_norm);
    write_log(r, s, 0.0);
    if (++L->bad_in_a_row >= 5)
        return fail("train", "step %ld: 5 non-finite steps in a row; stopping without saving (the last "
                    "checkpoint is unchanged); lower lr or check the data", s->step + 1);
    return 0;
}

static void show_progress(TrainRun *r, TrainLoop *L, const StepStats *s, long i, long total, double now) {
    if (L->every > 0 && (now - L->last_print >= L->every || (L->tty && i == total - 1))) {
        if (!L->last_print && !L->tty) L->last_print = now; // off a terminal the first line comes after `every` s
        else {
            double trained = trained_seconds(L, now);
            progress(&r->s.run, s, i + 1, total, (i + 1) * L->tokens_per_step / trained, trained, L->budget, L->tty);
            L->last_print = now;
        }
    }
}

// --save-every after step i; returns 1 when a failed save stops training (without --on-save-error continue).
static int periodic_save_stops(TrainRun *r, long i) {
    if (r->o.save && r->o.save_every && (i + 1) % r->o.save_every == 0 && save(r, r->o.save) &&
        !r->continue_on_save_error) {
        fprintf(stderr, "memscope train: stopping (the previous checkpoint is intact; --on-save-error continue "
                        "keeps training)\n");
        return 1;
    }
    return 0;
}

static void print_finish(const TrainRun *r, const TrainLoop *L) {
    double elapsed = trained_seconds(L, now_seconds());
    if (L->tty) fputc('\n', stderr);
    long done = run_steps(&r->s.run), ran = done - L->first_step;
    fprintf(stderr, "memscope train: %s after step %ld, %.1f s of training, %.0f tokens/s\n",
            stop_requested ? "stopped" : "finished", done, elapsed,
            elapsed > 0 ? ran * (double)L->tokens_per_step / elapsed : 0.0);
}

static int train_loop(TrainRun *r, long total) {
    TrainLoop L;
    loop_begin(&L, r);
    for (long i = 0; i < total; i++) {
        double trained = trained_seconds(&L, now_seconds());
        int due = rank0_decides(&L, trained);
        if (due & 3) break;
        if (due & 4) validate_on_the_curve(r, &L, trained);
        double t0 = now_seconds();
        StepStats s;
        run_step(&r->s.run, &s);
        double now = now_seconds();
        if (s.skipped) {
            if (skipped_step(r, &L, &s)) return 1;
            continue; // the model did not change, so there is nothing new to save
        }
        L.bad_in_a_row = 0;
        write_log(r, &s, L.tokens_per_step / (now - t0));
        show_progress(r, &L, &s, i, total, now);
        char drift[256];
        if (par_check_params(r->s.run.model, run_steps(&r->s.run), drift, sizeof drift))
            return fail("train", "%s", drift);
        if (periodic_save_stops(r, i)) return 1;
    }
    print_finish(r, &L);
    return 0;
}

static void teardown(TrainRun *r) {
    train_log_close(&r->log);
    session_close(&r->s);
}

// Validation stops early when a signal asks the run to stop.
static int validation_progress(void *ctx, long done, long total) {
    progress_update(ctx, done);
    return stop_now() != 0; // after every segment on every rank: no rank leaves a validation alone
}

// Mean validation CE over the whole validation split from a fresh validation memory (NAN when a signal cut
// it short), with a progress line on a terminal and a word when it starts and ends otherwise.
static float validate(Run *run, const char *why) {
    long n = run_valid_segments(run);
    if (n < 1) return NAN;
    Progress p;
    progress_begin(&p, "train: validating", "segments", n);
    if (!p.tty) fprintf(stderr, "memscope train: %s validation over %ld segments...\n", why, n);
    float v = run_validate_full(run, validation_progress, &p);
    progress_end(&p);
    if (!p.tty && !isnan(v)) fprintf(stderr, "memscope train: validation done in %.1f s\n", now_seconds() - p.start);
    return v;
}

// --on-save-error is train's alone: it is taken out of argv before the shared option parser runs.
static int take_on_save_error(TrainRun *r, int *argc, char **argv) {
    int k = 0;
    for (int i = 0; i < *argc; i++) {
        const char *a = argv[i], *value = NULL;
        if (!strncmp(a, "--on-save-error=", 16)) value = a + 16;
        else if (!strcmp(a, "--on-save-error")) {
            if (i + 1 >= *argc) return fail("train", "option '--on-save-error' needs a value: stop or continue");
            value = argv[++i];
        } else {
            argv[k++] = argv[i];
            continue;
        }
        r->on_save_error_given = 1;
        if (!strcmp(value, "stop")) r->continue_on_save_error = 0;
        else if (!strcmp(value, "continue")) r->continue_on_save_error = 1;
        else return fail("train", "--on-save-error '%s' is not valid; use stop or continue", value);
    }
    *argc = k;
    return 0;
}

int cmd_train(int argc, char **argv) {
    TrainRun r = {0};
    const char *flags = "data preset set steps epochs minutes valid-every load save save-every log progress-every "
                        "threads seed force";
    if (take_on_save_error(&r, &argc, argv)) return 2;
    if (parse_options(&r.o, "train", flags, argc, argv)) return 2;
    if (r.o.help) return fputs(train_help, stdout), print_config_key_names(stdout), fputs(EXIT_STATUS_HELP, stdout), 0;
    if (r.o.steps && r.o.epochs) return fail("train", "give --steps or --epochs, not both"), 2;
    if (!r.o.save && (r.o.save_every || r.on_save_error_given))
        return fail("train", "%s does nothing without --save CKPT; add --save or leave it out",
                    r.o.save_every ? "--save-every" : "--on-save-error"), 2;
    int rc = setup(&r);
    if (!rc) {
        install_signal_handlers();
        const Config *c = &r.s.run.model->cfg;
        fprintf(stderr, "memscope train: %s, %ld parameters, %d×%d tokens per step, %ld steps per epoch\n",
                r.s.corpus.source, model_param_count(r.s.run.model), c->batch_size, c->seq_len,
                run_position(&r.s.run).per_epoch);
        if (par_ranks() > 1)
            fprintf(stderr, "memscope train: %d ranks × %d streams, %d thread(s) each\n", par_ranks(),
                    run_streams(&r.s.run), run_threads(&r.s.run));
        rc = train_loop(&r, steps_to_run(&r));
        if (!rc && r.o.save) rc = save(&r, r.o.save);
        if (!rc && r.last_save_failed) rc = 1;
        if (!rc && !stop_now() && run_valid_segments(&r.s.run) < 1) {
            fprintf(stderr, "memscope train: no validation: the validation split (the last 10%%, %zu characters) is "
                    "shorter than one batch\n", r.s.corpus.n - r.s.corpus.n_train);
        } else if (!rc && !stop_requested) {
            float v = validate(&r.s.run, "final");
            if (isnan(v) && stop_requested)
                fprintf(stderr, "memscope train: validation interrupted\n");
            else if (!isfinite(v))
                rc = fail("train", "the validation loss is not finite (NaN or Inf): the model's weights overflow");
            else {
                printf("valid ce %.6f bpc %.6f (%ld segments)\n", v, v / M_LN2, run_valid_segments(&r.s.run));
                char err[1200];
                if (train_log_valid(&r.log, "final", run_steps(&r.s.run), -1.0, v, err, sizeof err))
                    fprintf(stderr, "memscope train: %s\n", err);
            }
        }
    }
    teardown(&r);
    return rc;
}
