// memscope lab: the memory lab, where compression functions and losses are compared. `lab recall` shows or
// writes the recall corpus; `lab compare` trains a Compressive Transformer and two Transformer-XLs on it and
// reports recall accuracy by distance; `lab ablation` trains every compression function and loss for the same
// steps (the paper's Table 5 at a CPU budget);
// `lab attention` prints and exports the attention picture of a checkpoint (the paper's Figures 2 and 6).
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/progress.h"
#include "app/commands.h"
#include "app/recall_corpus.h"
#include "app/attention_report.h"
#include "engine/checkpoint.h"
#include "engine/eval_stream.h"
#include "engine/output_file.h"
#include "engine/trainer.h"

static const char *const lab_help =
    "usage: memscope lab recall   [-n CHARS] [--seed S] [--save FILE]\n"
    "       memscope lab compare  [--steps N] [--threads N] [--json] [--seed S] [-n CHARS] [--save PREFIX]\n"
    "                             [--set key=value]...\n"
    "       memscope lab ablation [--data FILE] [--preset P] [--steps N] [--threads N] [--json] [--save PREFIX]\n"
    "                             [--set key=value]...\n"
    "       memscope lab attention --load CKPT --data FILE [--attention-stats OUT.csv|OUT.json] [--json]\n"
    "recall    prints the start of the recall corpus (a fact 'key QXA is 7.' is asked again after a controlled\n"
    "          distance, 'what is QXA?7.', with filler between) and its answers' distances; --save writes\n"
    "          CHARS of it to FILE (without -n the whole default corpus, the one --data builtin:recall reads).\n"
    "compare   trains, for the same steps and the same keys per query (K), (a) the Compressive Transformer,\n"
    "          (b) a Transformer-XL with N_m+N_cm memory rows and no compression, (c) a Transformer-XL with\n"
    "          N_m rows, on the recall corpus, then prints each one's recall accuracy (argmax on the answer\n"
    "          digits) by distance on CHARS (default 100000) unseen characters. --set changes the lab's small\n"
    "          config (the keys of `train`) or the task: recall.pending (facts waiting at once; 2+ makes the\n"
    "          key matter), recall.digits, recall.min, recall.near, recall.near_percent, recall.max.\n"
    "ablation  trains one model per compression function and loss (memscope help keys lists them) on\n"
    "          --data (default: data/tinyshakespeare.txt, else built-in) with\n"
    "          the default preset (or --preset) for the same steps, and prints each one's validation CE.\n"
    "attention the mean attention weight on 6 buckets each of compressed memory, memory and the current\n"
    "          segment (oldest to newest), per layer and over layers with standard deviations, and the\n"
    "          distribution of the attention-reconstruction loss per layer, over every character of FILE.\n"
    "--save PREFIX writes every trained model to PREFIX-NAME.safetensors (weights and config). --force lets an\n"
    "output replace a checkpoint this run did not --load.\n"
    EXIT_STATUS_HELP;

// The lab's model: small enough to train three times in a few minutes on 2 cores, with a compressed reach
// (N_m + c·N_cm + Q = 112) well beyond the Transformer-XL's (N_m + N_cm + Q = 64) at the same K = 64, and a raw
// memory (N_m = 32) that holds the near half of the facts (16..32 back) for every model, where recall is learnt.
static void lab_config(Config *cfg) {
    *cfg = (Config){.d_model = 128, .n_heads = 4, .n_layers = 2, .d_ff = 256, .seq_len = 16, .mem_len = 32,
                    .c_mem_len = 16, .compression_rate = 4, .batch_size = 16, .lr = 2e-3f, .warmup = 200,
                    .clip = 1.0f, .seed = 0};
}

// --set recall.KEY=N changes the recall task (recall.pending, recall.digits, recall.min, recall.near,
// recall.near_percent, recall.max); other keys change the config.
static int set_recall(RecallSpec *spec, const char *assignment, const char *cmd) {
    static const char *const keys[] = {"pending", "digits", "min", "near", "near_percent", "max"};
    int *fields[] = {&spec->max_pending, &spec->value_digits, &spec->min_distance, &spec->near, &spec->near_percent,
                     &spec->max_distance};
    const char *eq = strchr(assignment, '=');
    for (int i = 0; eq && i < 6; i++) {
        size_t n = strlen(keys[i]);
        if ((size_t)(eq - assignment) != 7 + n || strncmp(assignment + 7, keys[i], n)) continue;
        char *end;
        long v = strtol(eq + 1, &end, 10);
        long hi = i < 2 ? 8 : i == 4 ? 100 : 4096;
        if (end == eq + 1 || *end || v < (i == 4 ? 0 : 1) || v > hi)
            return fail(cmd, "--set %s is not valid; use a whole number from %d to %ld", assignment, i == 4 ? 0 : 1, hi);
        *fields[i] = (int)v;
        return 0;
    }
    return fail(cmd, "--set %s: unknown recall key; use recall.pending, recall.digits, recall.min, recall.near, "
                "recall.near_percent or recall.max", assignment);
}

static int apply_sets(Config *cfg, RecallSpec *spec, const Options *o, const char *cmd) {
    char err[512];
    for (int i = 0; i < o->n_sets; i++) {
        if (!strncmp(o->sets[i], "recall.", 7)) {
            if (set_recall(spec, o->sets[i], cmd)) return -1;
        } else if (config_set(cfg, o->sets[i], err, sizeof err)) {
            return fail(cmd, "%s", err);
        }
    }
    // The distances must be in order; the generator would otherwise clamp them without a word.
    if (spec->min_distance > spec->max_distance)
        return fail(cmd, "--set recall.min=%d is above recall.max=%d; use min <= near <= max", spec->min_distance,
                    spec->max_distance);
    if (spec->near < spec->min_distance || spec->near > spec->max_distance)
        return fail(cmd, "--set recall.near=%d is outside recall.min=%d..recall.max=%d; use min <= near <= max",
                    spec->near, spec->min_distance, spec->max_distance);
    return 0;
}

// ---------------------------------------------------------------------------------------------------------
// lab recall

static int lab_recall(int argc, char **argv) {
    Options o;
    if (parse_options(&o, "lab recall", "n seed save force", argc, argv)) return 2;
    if (o.help) return fputs(lab_help, stdout), 0;
    if (check_outputs(&o, "lab recall")) return 1;
    RecallSpec spec = recall_default_spec();
    if (o.has_seed) spec.seed = o.seed;
    if (o.has_length) spec.bytes = (size_t)o.length;
    else if (!o.save) spec.bytes = 600;
    size_t n = 0;
    unsigned char *text = recall_generate(&spec, &n);
    if (!text) return fail("lab recall", "out of memory for %zu characters", spec.bytes);
    RecallAnswer *answers = NULL;
    long count = recall_find_answers(text, n, &answers);
    int rc = 0;
    if (o.save) {
        char err[1400] = "";
        OutputFile out;
        if (!output_open(&out, o.save, err, sizeof err)) {
            errno = 0;
            if (fwrite(text, 1, n, out.f) != n) out.error = errno ? errno : EIO;
            output_commit(&out, o.save, err, sizeof err);
        }
        if (err[0]) {
            rc = fail("lab recall", "--save %s", err);
        } else {
            long lo = LONG_MAX, hi = 0;
            for (long i = 0; i < count; i++) {
                lo = answers[i].distance < lo ? answers[i].distance : lo;
                hi = answers[i].distance > hi ? answers[i].distance : hi;
            }
            printf("wrote %zu characters to %s: %ld answers, distances %ld to %ld\n", n, o.save, count, count ? lo : 0,
                   hi);
        }
    } else {
        fwrite(text, 1, n, stdout);
        printf("\n\n%ld answers in these %zu characters (position: distance back to the fact):", count, n);
        for (long i = 0; i < count; i++) printf("%s%ld: %ld", i ? ", " : " ", answers[i].pos, answers[i].distance);
        printf("\n");
    }
    free(answers);
    free(text);
    return rc;
}

// ---------------------------------------------------------------------------------------------------------
// Training a model for the lab

typedef struct {
    const char *name;
    Config cfg; // compress and compress_loss choose the compression
    double seconds, tokens_per_s;
    float train_ce, valid_ce;
    RecallReport recall;
    EvalResult eval;
} LabRun;

static void progress(const char *name, long step, long steps, float ce, double elapsed) {
    if (!isatty(2)) return;
    double eta = step > 0 ? elapsed / step * (steps - step) : 0;
    fprintf(stderr, "\r%-28s step %ld/%ld  ce %.4f  ETA %dm%02ds   ", name, step, steps, ce, (int)(eta / 60),
            (int)eta % 60);
}

static int validation_progress(void *ctx, long done, long total) {
    progress_update(ctx, done);
    return 0;
}

// Trains run->cfg on corpus for `steps`; returns the model (NULL on failure). With `validate`, also the
// validation CE over the whole validation split (run->valid_ce).
static Model *lab_train(LabRun *run, Corpus *corpus, long steps, long threads, int validate, const char *cmd) {
    run->cfg.vocab_size = corpus->vocab.size;
    Run r;
    if (check_config(&run->cfg, cmd) || open_run(&r, &run->cfg, corpus, NULL, threads, cmd)) return NULL;
    double t0 = now_seconds(), ce_sum = 0;
    long ce_n = 0;
    for (long i = 0; i < steps; i++) {
        StepStats s;
        run_step(&r, &s);
        if (i >= steps - 50 && !s.skipped) { // the training CE of the last 50 steps
            ce_sum += s.ce;
            ce_n++;
        }
        if (i % 20 == 0 || i == steps - 1) progress(run->name, i + 1, steps, s.ce, now_seconds() - t0);
    }
    run->seconds = now_seconds() - t0;
    run->tokens_per_s = (double)steps * run->cfg.batch_size * run->cfg.seq_len / run->seconds;
    run->train_ce = ce_n ? (float)(ce_sum / ce_n) : NAN;
    if (isatty(2)) fprintf(stderr, "\r%80s\r", "");
    if (validate) {
        Progress p;
        progress_begin(&p, "lab: validating", "segments", run_valid_segments(&r));
        run->valid_ce = run_validate_full(&r, validation_progress, &p);
        progress_end(&p);
    }
    Model *m = run_take_model(&r);
    set_threads(threads); // evaluation runs one stream: BLAS may use the threads
    return m;
}

// --save PREFIX: PREFIX-TAG.safetensors (weights and config; `memscope lab attention` or `eval` read it).
// Every PREFIX-TAG.safetensors a command will write is checked before minutes of training, not after.
static int check_prefix(const Options *o, const char *const *tags, int n, const char *cmd) {
    for (int i = 0; o->save && i < n; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s-%s.safetensors", o->save, tags[i]);
        if (check_output_path(path, "--save", o, cmd)) return 1;
    }
    return 0;
}

static int save_model(const char *prefix, const char *tag, const Model *m, const Vocab *v, const char *cmd) {
    char path[1200], err[1024];
    snprintf(path, sizeof path, "%s-%s.safetensors", prefix, tag);
    if (checkpoint_save(path, m, v, NULL, err, sizeof err)) return fail(cmd, "%s", err);
    fprintf(stderr, "memscope %s: saved %s\n", cmd, path);
    return 0;
}

// ---------------------------------------------------------------------------------------------------------
// lab compare

#define EVAL_CHARS 100000L // unseen recall text each model is scored on (about 1,400 answers)

static int lab_compare(int argc, char **argv) {
    const char *cmd = "lab compare";
    Options o;
    if (parse_options(&o, cmd, "steps threads json seed set n save force", argc, argv)) return 2;
    if (o.help) return fputs(lab_help, stdout), 0;
    long steps = o.steps ? o.steps : 6000, threads = o.threads ? o.threads : 2;
    long eval_chars = o.has_length ? o.length : EVAL_CHARS;
    if (eval_chars < 1000) return fail(cmd, "-n %ld: evaluate on at least 1000 characters", eval_chars), 2;
    static const char *const tags[3] = {"compressive", "xl-big", "xl-small"};
    if (check_prefix(&o, tags, 3, cmd)) return 1;
    Config base;
    lab_config(&base);
    RecallSpec train_spec = recall_default_spec();
    if (apply_sets(&base, &train_spec, &o, cmd)) return 2;
    if (o.has_seed) base.seed = o.seed;
    char err[1024];
    size_t n = 0;
    unsigned char *text = recall_generate(&train_spec, &n);
    Corpus corpus = {0};
    if (!text || corpus_from_text(&corpus, text, n, "built-in recall corpus", err, sizeof err))
        return fail(cmd, "%s", text ? err : "out of memory");
    // unseen text of the same kind (another seed), encoded with the training vocabulary
    RecallSpec spec = train_spec;
    spec.seed ^= 0x5eed;
    spec.bytes = (size_t)eval_chars;
    size_t n_eval = 0;
    unsigned char *eval_text = recall_generate(&spec, &n_eval);
    int32_t *eval_ids = malloc(sizeof(int32_t) * (n_eval + 1));
    uint8_t *correct = malloc(n_eval + 1);
    RecallAnswer *answers = NULL;
    long n_answers = eval_text ? recall_find_answers(eval_text, n_eval, &answers) : -1;
    int rc = 1;
    if (!eval_text || !eval_ids || !correct || n_answers < 0) {
        fail(cmd, "out of memory for the evaluation text");
        goto out;
    }
    if (vocab_encode(&corpus.vocab, eval_text, n_eval, eval_ids) >= 0) { // --set recall.* changed the alphabet
        fail(cmd, "the evaluation text has characters the training text lacks; use a longer training corpus");
        goto out;
    }
    Config xl_big = base, xl_small = base;
    xl_big.mem_len = base.mem_len + base.c_mem_len;
    xl_big.c_mem_len = 0;
    xl_big.compression_rate = 1;
    xl_small.c_mem_len = 0;
    xl_small.compression_rate = 1;
    // (b) and (c) keep no compressed memory, so a compression loss would only cost time
    xl_big.compress_loss = xl_small.compress_loss = COMPRESS_LOSS_NONE;
    LabRun runs[3] = {{.name = "(a) compressive", .cfg = base},
                      {.name = "(b) xl N_m+N_cm", .cfg = xl_big},
                      {.name = "(c) xl N_m", .cfg = xl_small}};
    double t_all = now_seconds();
    for (int r = 0; r < 3; r++) {
        Model *m = lab_train(&runs[r], &corpus, steps, threads, 0, cmd);
        if (!m) goto out;
        EvalProgress watch;
        EvalHooks hooks = eval_progress_hooks(&watch, NULL, "lab compare: scoring", (long)n_eval);
        evaluate_stream_ex(m, eval_ids, (long)n_eval, correct, &hooks, &runs[r].eval);
        progress_end(&watch.progress);
        recall_report_init(&runs[r].recall, &base); // the same buckets for all: the reach of (a)
        recall_report_add(&runs[r].recall, answers, n_answers, correct, (long)n_eval);
        if (o.save && save_model(o.save, tags[r], m, &corpus.vocab, cmd)) {
            model_free(m);
            goto out;
        }
        model_free(m);
    }
    double total = now_seconds() - t_all;
    const Config *c = &base;
    if (o.json) {
        printf("{\"steps\":%ld,\"threads\":%ld,\"seconds\":%.1f,\"config\":{\"d_model\":%d,\"n_heads\":%d,\"n_layers\":%d,"
               "\"d_ff\":%d,\"seq_len\":%d,\"mem_len\":%d,\"c_mem_len\":%d,\"compression_rate\":%d,\"batch_size\":%d,"
               "\"lr\":%g,\"warmup\":%d},\"eval_chars\":%zu,\"runs\":[",
               steps, threads, total, c->d_model, c->n_heads, c->n_layers, c->d_ff, c->seq_len, c->mem_len, c->c_mem_len,
               c->compression_rate, c->batch_size, c->lr, c->warmup, n_eval);
        for (int r = 0; r < 3; r++) {
            static char json[8192];
            recall_report_json(&runs[r].recall, json, sizeof json);
            printf("%s{\"name\":\"%s\",\"mem_len\":%d,\"c_mem_len\":%d,\"compression_rate\":%d,\"keys\":%d,"
                   "\"seconds\":%.1f,\"tokens_per_s\":%.0f,\"train_ce\":%.4f,\"eval_ce\":%.4f,\"recall\":%s}",
                   r ? "," : "", runs[r].name, runs[r].cfg.mem_len, runs[r].cfg.c_mem_len, runs[r].cfg.compression_rate,
                   runs[r].cfg.mem_len + runs[r].cfg.c_mem_len + runs[r].cfg.seq_len, runs[r].seconds,
                   runs[r].tokens_per_s, runs[r].train_ce, runs[r].eval.ce, json);
        }
        printf("]}\n");
    } else {
        printf("memscope lab compare: %ld steps each, %ld threads, %.0f s in all; d=%d H=%d L=%d d_ff=%d Q=%d B=%d\n",
               steps, threads, total, c->d_model, c->n_heads, c->n_layers, c->d_ff, c->seq_len, c->batch_size);
        printf("recall accuracy (argmax on the %ld answers' digits of %zu unseen characters) by distance D back to "
               "the fact\n\n", n_answers, n_eval);
        printf("%-10s %-32s %8s", "distance", "reach", "answers");
        for (int r = 0; r < 3; r++) printf(" %16s", runs[r].name);
        printf("\n");
        for (int k = 0; k < runs[0].recall.n; k++) {
            const RecallBucket *b = &runs[0].recall.b[k];
            char range[48];
            recall_range_text(b, range, sizeof range);
            printf("%-10s %-32s %8ld", range, b->label, b->answers);
            for (int r = 0; r < 3; r++) {
                const RecallBucket *rb = &runs[r].recall.b[k];
                printf("   %5.1f%% (%4.1f%%)", rb->chars ? 100.0 * rb->chars_right / rb->chars : 0.0,
                       rb->answers ? 100.0 * rb->answers_right / rb->answers : 0.0);
            }
            printf("\n");
        }
        printf("\n(digit accuracy, in brackets whole answers)\n\n");
        printf("%-18s %6s %6s %3s %5s %9s %9s %9s %9s\n", "model", "N_m", "N_cm", "c", "K", "train ce", "eval ce",
               "tok/s", "seconds");
        for (int r = 0; r < 3; r++)
            printf("%-18s %6d %6d %3d %5d %9.4f %9.4f %9.0f %9.1f\n", runs[r].name, runs[r].cfg.mem_len,
                   runs[r].cfg.c_mem_len, runs[r].cfg.compression_rate,
                   runs[r].cfg.mem_len + runs[r].cfg.c_mem_len + runs[r].cfg.seq_len, runs[r].train_ce,
                   runs[r].eval.ce, runs[r].tokens_per_s, runs[r].seconds);
    }
    rc = 0;
out:
    free(answers);
    free(correct);
    free(eval_ids);
    free(eval_text);
    corpus_free(&corpus);
    return rc;
}

// ---------------------------------------------------------------------------------------------------------
// lab ablation

static int lab_ablation(int argc, char **argv) {
    const char *cmd = "lab ablation";
    Options o;
    if (parse_options(&o, cmd, "data steps threads json seed set preset save force", argc, argv)) return 2;
    if (o.help) return fputs(lab_help, stdout), 0;
    long steps = o.steps ? o.steps : 1000, threads = o.threads ? o.threads : 2;
    Config base;
    if (build_config(&base, &o, NULL, cmd)) return 2;
    Corpus corpus = {0};
    if (load_corpus(&corpus, o.data, cmd)) return 1;
    struct {
        int fn, loss;
    } rows[] = {{COMPRESS_CONV, COMPRESS_LOSS_ATTENTION},     {COMPRESS_MEAN, COMPRESS_LOSS_NONE},
                {COMPRESS_MAX, COMPRESS_LOSS_NONE},           {COMPRESS_MOST_USED, COMPRESS_LOSS_NONE},
                {COMPRESS_DILATED, COMPRESS_LOSS_ATTENTION},  {COMPRESS_CONV, COMPRESS_LOSS_AUTOENCODE},
                {COMPRESS_DILATED, COMPRESS_LOSS_AUTOENCODE}, {COMPRESS_CONV, COMPRESS_LOSS_NONE}};
    int n_rows = (int)(sizeof rows / sizeof rows[0]);
    char tag_text[8][64];
    const char *tags[8];
    for (int r = 0; r < n_rows; r++) {
        snprintf(tag_text[r], sizeof tag_text[r], "%s-%s", compress_fn_name(rows[r].fn), compress_loss_name(rows[r].loss));
        tags[r] = tag_text[r];
    }
    if (check_prefix(&o, tags, n_rows, cmd)) return 1;
    LabRun runs[8];
    double t_all = now_seconds();
    for (int r = 0; r < n_rows; r++) {
        static char names[8][48];
        snprintf(names[r], sizeof names[r], "%s + %s", compress_fn_name(rows[r].fn), compress_loss_name(rows[r].loss));
        runs[r] = (LabRun){.name = names[r], .cfg = base};
        runs[r].cfg.compress = rows[r].fn;
        runs[r].cfg.compress_loss = rows[r].loss;
        Model *m = lab_train(&runs[r], &corpus, steps, threads, 1, cmd);
        if (!m) {
            corpus_free(&corpus);
            return 1;
        }
        if (o.save && save_model(o.save, tags[r], m, &corpus.vocab, cmd)) {
            model_free(m);
            corpus_free(&corpus);
            return 1;
        }
        model_free(m);
    }
    double total = now_seconds() - t_all;
    if (o.json) {
        printf("{\"data\":\"%s\",\"steps\":%ld,\"threads\":%ld,\"seconds\":%.1f,\"rows\":[", corpus.source, steps, threads,
               total);
        for (int r = 0; r < n_rows; r++)
            printf("%s{\"compress\":\"%s\",\"compress_loss\":\"%s\",\"train_ce\":%.4f,\"valid_ce\":%.4f,\"seconds\":%.1f}",
                   r ? "," : "", compress_fn_name(runs[r].cfg.compress), compress_loss_name(runs[r].cfg.compress_loss), runs[r].train_ce,
                   runs[r].valid_ce, runs[r].seconds);
        printf("]}\n");
    } else {
        printf("memscope lab ablation: %s, %ld steps each, %ld threads, %.0f s in all; d=%d H=%d L=%d Q=%d N_m=%d "
               "N_cm=%d c=%d B=%d\n\n",
               corpus.source, steps, threads, total, base.d_model, base.n_heads, base.n_layers, base.seq_len,
               base.mem_len, base.c_mem_len, base.compression_rate, base.batch_size);
        printf("%-12s %-12s %10s %10s %10s\n", "compression", "loss", "train ce", "valid ce", "valid bpc");
        for (int r = 0; r < n_rows; r++)
            printf("%-12s %-12s %10.4f %10.4f %10.4f\n", compress_fn_name(runs[r].cfg.compress), compress_loss_name(runs[r].cfg.compress_loss),
                   runs[r].train_ce, runs[r].valid_ce, runs[r].valid_ce / M_LN2);
    }
    corpus_free(&corpus);
    return 0;
}

// ---------------------------------------------------------------------------------------------------------
// lab attention

static int lab_attention(int argc, char **argv) {
    const char *cmd = "lab attention";
    Options o;
    if (parse_options(&o, cmd, "load data json threads attention-stats force", argc, argv)) return 2;
    if (o.help) return fputs(lab_help, stdout), 0;
    CheckpointRun run;
    int rc = checkpoint_run_open(&run, &o, 1, cmd, "lab");
    if (rc) return rc;
    EvalResult r;
    EvalHooks stat_hooks = attention_stats_hooks(&run.st);
    EvalProgress watch;
    EvalHooks hooks = eval_progress_hooks(&watch, &stat_hooks, cmd, (long)run.corpus.n);
    evaluate_stream_ex(run.m, run.corpus.ids, (long)run.corpus.n, NULL, &hooks, &r);
    progress_end(&watch.progress);
    char err[1024];
    if (o.attention_stats && attention_report_export(&run.st, o.attention_stats, err, sizeof err))
        rc = fail(cmd, "%s", err);
    else if (o.json)
        attention_report_json(&run.st, stdout);
    else
        attention_report_print(&run.st, stdout);
    checkpoint_run_close(&run);
    return rc;
}

int cmd_lab(int argc, char **argv) {
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") || !strcmp(argv[0], "help"))
        return fputs(lab_help, stdout), argc < 1 ? 2 : 0;
    if (!strcmp(argv[0], "recall")) return lab_recall(argc - 1, argv + 1);
    if (!strcmp(argv[0], "compare")) return lab_compare(argc - 1, argv + 1);
    if (!strcmp(argv[0], "ablation")) return lab_ablation(argc - 1, argv + 1);
    if (!strcmp(argv[0], "attention")) return lab_attention(argc - 1, argv + 1);
    fail("lab", "unknown lab command '%s'; use recall, compare, ablation or attention (memscope lab --help)", argv[0]);
    return 2;
}
