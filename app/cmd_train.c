// memscope train: headless training with progress, JSON log, periodic saves and a final validation.
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/commands.h"
#include "engine/trainer.h"

static const char *const train_help =
    "usage: memscope train [--data FILE] [--preset labml|default] [--set key=value]... [--steps N | --epochs N]\n"
    "                      [--load CKPT] [--save CKPT] [--save-every N] [--log FILE] [--threads N] [--seed N]\n"
    "Trains headless. Without --steps or --epochs, trains one epoch. --load resumes a full checkpoint exactly\n"
    "(or starts a fresh optimizer from a weights-only one); the model keys then come from the checkpoint.\n"
    "--log writes one JSON object per step. At the end prints the validation CE over the whole validation split.\n"
    "keys: d_model n_heads n_layers d_ff seq_len mem_len c_mem_len compression_rate batch_size lr warmup clip seed\n";

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { stop_requested = sig; }

typedef struct {
    Options o;
    Corpus corpus;
    Checkpoint ck;
    int have_ck;
    Model *model;
    Trainer t;
    FILE *log;
} TrainRun;

static void log_step(FILE *f, const StepStats *s, int n_layers, double tokens_per_s) {
    fprintf(f, "{\"step\":%ld,\"ce\":%.6f,\"bpc\":%.6f,\"ar\":[", s->step, s->ce, s->bpc);
    for (int l = 0; l < n_layers; l++) fprintf(f, "%s%.6g", l ? "," : "", s->ar[l]);
    fprintf(f, "],\"lr\":%.6g,\"tokens_per_s\":%.1f%s}\n", s->lr, tokens_per_s, s->skipped ? ",\"skipped\":true" : "");
}

static void progress(const StepStats *s, long done, long total, double tps, double elapsed) {
    double eta = done > 0 ? elapsed / done * (total - done) : 0;
    fprintf(stderr, "\rstep %ld  (%ld/%ld)  ce %.4f  bpc %.3f  ar %.4f  %.0f tok/s  ETA %dm%02ds   ", s->step, done,
            total, s->ce, s->bpc, s->ar_total, tps, (int)(eta / 60), (int)eta % 60);
}

static int save(TrainRun *r, const char *path) {
    char err[1024];
    if (checkpoint_save(path, r->model, &r->corpus.vocab, &r->t, err, sizeof err)) return fail("train", "%s", err);
    return 0;
}

static int setup(TrainRun *r) {
    char err[1024];
    Config cfg;
    if (r->o.load) {
        if (checkpoint_open(&r->ck, r->o.load, err, sizeof err)) return fail("train", "%s", err);
        r->have_ck = 1;
    }
    if (build_config(&cfg, &r->o, r->have_ck ? &r->ck : NULL, "train")) return 1;
    if (load_corpus(&r->corpus, r->o.data, "train")) return 1;
    if (r->have_ck && encode_with_vocab(&r->corpus, &r->ck.vocab, "train")) return 1;
    cfg.vocab_size = r->corpus.vocab.size;
    if (config_validate(&cfg, err, sizeof err)) return fail("train", "%s", err);
    r->model = build_model(&cfg, r->have_ck ? &r->ck : NULL, "train");
    if (!r->model) return 1;
    if (trainer_init(&r->t, r->model, &r->corpus, err, sizeof err)) return fail("train", "%s", err);
    trainer_threads(&r->t, r->o.threads ? r->o.threads : 2);
    if (r->have_ck && r->ck.has_state && checkpoint_load_state(&r->ck, &r->t, err, sizeof err))
        return fail("train", "%s", err);
    if (r->o.log && !(r->log = fopen(r->o.log, "w")))
        return fail("train", "cannot write the log %s: %s", r->o.log, strerror(errno));
    return 0;
}

static long steps_to_run(const TrainRun *r) {
    long per_epoch = r->t.train.n_steps;
    if (r->o.steps) return r->o.steps;
    long target = (r->o.epochs ? r->o.epochs : 1) * per_epoch;
    long done = r->t.epoch * per_epoch + r->t.batch_index;
    return target > done ? target - done : 0;
}

static int train_loop(TrainRun *r, long total) {
    const Config *c = &r->model->cfg;
    int tty = isatty(2);
    double start = now_seconds(), last_print = 0;
    long tokens_per_step = (long)c->batch_size * c->seq_len;
    int bad_in_a_row = 0;
    for (long i = 0; i < total && !stop_requested; i++) {
        double t0 = now_seconds();
        StepStats s;
        trainer_step(&r->t, &s);
        double now = now_seconds();
        if (s.skipped) {
            fprintf(stderr, "%smemscope train: step %ld: loss or gradient is not finite; the step was not applied\n",
                    tty ? "\n" : "", s.step + 1);
            if (++bad_in_a_row >= 5) return fail("train", "5 non-finite steps in a row; stopping (lower lr?)");
        } else bad_in_a_row = 0;
        if (r->log) log_step(r->log, &s, c->n_layers, tokens_per_step / (now - t0));
        if (tty && (now - last_print > 0.2 || i == total - 1)) {
            progress(&s, i + 1, total, (i + 1) * tokens_per_step / (now - start), now - start);
            last_print = now;
        }
        if (r->o.save && r->o.save_every && (i + 1) % r->o.save_every == 0 && save(r, r->o.save)) return 1;
    }
    double elapsed = now_seconds() - start;
    if (tty) fputc('\n', stderr);
    long done = r->t.step;
    fprintf(stderr, "memscope train: %s after step %ld, %.1f s, %.0f tokens/s\n",
            stop_requested ? "stopped" : "finished", done, elapsed,
            elapsed > 0 ? total * (double)tokens_per_step / elapsed : 0.0);
    return 0;
}

static void teardown(TrainRun *r) {
    if (r->log) fclose(r->log);
    trainer_free(&r->t);
    model_free(r->model);
    if (r->have_ck) checkpoint_close(&r->ck);
    corpus_free(&r->corpus);
}

int cmd_train(int argc, char **argv) {
    TrainRun r = {0};
    const char *flags = "data preset set steps epochs load save save-every log threads seed";
    if (parse_options(&r.o, "train", flags, argc, argv)) return 2;
    if (r.o.help) return fputs(train_help, stdout), 0;
    if (r.o.steps && r.o.epochs) return fail("train", "give --steps or --epochs, not both"), 2;
    int rc = setup(&r);
    if (!rc) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        const Config *c = &r.model->cfg;
        fprintf(stderr, "memscope train: %s, %ld parameters, %d×%d tokens per step, %ld steps per epoch\n",
                r.corpus.source, model_param_count(r.model), c->batch_size, c->seq_len, r.t.train.n_steps);
        rc = train_loop(&r, steps_to_run(&r));
        if (!rc && r.o.save) rc = save(&r, r.o.save);
        if (!rc && !stop_requested) {
            float v = trainer_validate_full(&r.t);
            printf("valid ce %.6f bpc %.6f (%ld segments)\n", v, v / M_LN2, r.t.valid.n_steps);
        }
    }
    teardown(&r);
    return rc;
}
