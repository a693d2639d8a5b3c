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
#include "engine/run.h"

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

// The unseen recall text every model of `lab compare` is scored on, with its answers and a per-character
// right/wrong buffer the scoring fills.
typedef struct {
    unsigned char *text;
    size_t n;
    int32_t *ids;     // (n + 1) encoded with the training vocabulary
    uint8_t *correct; // (n + 1)
    RecallAnswer *answers;
    long n_answers;
} RecallEval;

static void recall_eval_free(RecallEval *e) {
    free(e->answers);
    free(e->correct);
    free(e->ids);
    free(e->text);
}

// Unseen text of the same kind as training (another seed), encoded with the training vocabulary.
static int recall_eval_open(RecallEval *e, const RecallSpec *train_spec, long chars, const Vocab *v,
                            const char *cmd) {
    RecallSpec spec = *train_spec;
    spec.seed ^= 0x5eed;
    spec.bytes = (size_t)chars;
    *e = (RecallEval){0};
    e->text = recall_generate(&spec, &e->n);
    e->ids = malloc(sizeof(int32_t) * (e->n + 1));
    e->correct = malloc(e->n + 1);
    e->n_answers = e->text ? recall_find_answers(e->text, e->n, &e->answers) : -1;
    if (!e->text || !e->ids || !e->correct || e->n_answers < 0)
        return fail(cmd, "out of memory for the evaluation text");
    if (vocab_encode(v, e->text, e->n, e->ids) >= 0) // --set recall.* changed the alphabet
        return fail(cmd, "the evaluation text has characters the training text lacks; use a longer training corpus");
    return 0;
}

// The lab's config with --set and --seed applied, and the recall corpus it trains on; returns an exit status.
static int compare_setup(Config *base, RecallSpec *train_spec, Corpus *corpus, const Options *o, const char *cmd) {
    lab_config(base);
    *train_spec = recall_default_spec();
    if (apply_sets(base, train_spec, o, cmd)) return 2;
    if (o->has_seed) base->seed = o->seed;
    char err[1024];
    size_t n = 0;
    unsigned char *text = recall_generate(train_spec, &n);
    if (!text || corpus_from_text(corpus, text, n, "built-in recall corpus", err, sizeof err))
        return fail(cmd, "%s", text ? err : "out of memory");
    return 0;
}

// (a) the config as set, (b) and (c) the Transformer-XLs with the same K = N_m + N_cm + Q and with N_m.
static void compare_runs(LabRun runs[3], const Config *base) {
    Config xl_big = *base, xl_small = *base;
    xl_big.mem_len = base->mem_len + base->c_mem_len;
    xl_big.c_mem_len = 0;
    xl_big.compression_rate = 1;
    xl_small.c_mem_len = 0;
    xl_small.compression_rate = 1;
    // (b) and (c) keep no compressed memory, so a compression loss would only cost time
    xl_big.compress_loss = xl_small.compress_loss = COMPRESS_LOSS_NONE;
    runs[0] = (LabRun){.name = "(a) compressive", .cfg = *base};
    runs[1] = (LabRun){.name = "(b) xl N_m+N_cm", .cfg = xl_big};
    runs[2] = (LabRun){.name = "(c) xl N_m", .cfg = xl_small};
}

// Trains one model, scores its recall on the unseen text and saves it with --save; returns 0 or 1.
static int compare_one(LabRun *run, const char *tag, Corpus *corpus, RecallEval *e, const Config *base,
                       const Options *o, long steps, long threads, const char *cmd) {
    Model *m = lab_train(run, corpus, steps, threads, 0, cmd);
    if (!m) return 1;
    EvalProgress watch;
    EvalHooks hooks = eval_progress_hooks(&watch, NULL, "lab compare: scoring", (long)e->n);
    evaluate_stream_ex(m, e->ids, (long)e->n, e->correct, &hooks, &run->eval);
    progress_end(&watch.progress);
    recall_report_init(&run->recall, base); // the same buckets for all: the reach of (a)
    recall_report_add(&run->recall, e->answers, e->n_answers, e->correct, (long)e->n);
    int rc = o->save && save_model(o->save, tag, m, &corpus->vocab, cmd);
    model_free(m);
    return rc;
}

static int lab_keys(const Config *c) { return c->mem_len + c->c_mem_len + c->seq_len; }

static void compare_print_json(const LabRun runs[3], const Config *c, long steps, long threads, double total,
                               size_t n_eval) {
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
               lab_keys(&runs[r].cfg), runs[r].seconds, runs[r].tokens_per_s, runs[r].train_ce, runs[r].eval.ce, json);
    }
    printf("]}\n");
}

// One row per distance bucket of (a): digit accuracy and, in brackets, whole-answer accuracy of each model.
static void compare_print_recall(const LabRun runs[3]) {
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
}

static void compare_print_text(const LabRun runs[3], const Config *c, long steps, long threads, double total,
                               const RecallEval *e) {
    printf("memscope lab compare: %ld steps each, %ld threads, %.0f s in all; d=%d H=%d L=%d d_ff=%d Q=%d B=%d\n",
           steps, threads, total, c->d_model, c->n_heads, c->n_layers, c->d_ff, c->seq_len, c->batch_size);
    printf("recall accuracy (argmax on the %ld answers' digits of %zu unseen characters) by distance D back to "
           "the fact\n\n", e->n_answers, e->n);
    compare_print_recall(runs);
    printf("\n(digit accuracy, in brackets whole answers)\n\n");
    printf("%-18s %6s %6s %3s %5s %9s %9s %9s %9s\n", "model", "N_m", "N_cm", "c", "K", "train ce", "eval ce",
           "tok/s", "seconds");
    for (int r = 0; r < 3; r++)
        printf("%-18s %6d %6d %3d %5d %9.4f %9.4f %9.0f %9.1f\n", runs[r].name, runs[r].cfg.mem_len,
               runs[r].cfg.c_mem_len, runs[r].cfg.compression_rate, lab_keys(&runs[r].cfg), runs[r].train_ce,
               runs[r].eval.ce, runs[r].tokens_per_s, runs[r].seconds);
}

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
    RecallSpec train_spec;
    Corpus corpus = {0};
    int rc = compare_setup(&base, &train_spec, &corpus, &o, cmd);
    if (rc) return rc;
    RecallEval e;
    LabRun runs[3];
    compare_runs(runs, &base);
    rc = recall_eval_open(&e, &train_spec, eval_chars, &corpus.vocab, cmd);
    double t_all = now_seconds();
    for (int r = 0; r < 3 && !rc; r++) rc = compare_one(&runs[r], tags[r], &corpus, &e, &base, &o, steps, threads, cmd);
    if (!rc && o.json) compare_print_json(runs, &base, steps, threads, now_seconds() - t_all, e.n);
    else if (!rc) compare_print_text(runs, &base, steps, threads, now_seconds() - t_all, &e);
    recall_eval_free(&e);
    corpus_free(&corpus);
    return rc;
}

// ---------------------------------------------------------------------------------------------------------
// lab ablation

// Table 5's rows: each compression function with the loss it is trained with, then the losses of conv.
static const struct {
    int fn, loss;
} ablation_rows[] = {{COMPRESS_CONV, COMPRESS_LOSS_ATTENTION},     {COMPRESS_MEAN, COMPRESS_LOSS_NONE},
                     {COMPRESS_MAX, COMPRESS_LOSS_NONE},           {COMPRESS_MOST_USED, COMPRESS_LOSS_NONE},
                     {COMPRESS_DILATED, COMPRESS_LOSS_ATTENTION},  {COMPRESS_CONV, COMPRESS_LOSS_AUTOENCODE},
                     {COMPRESS_DILATED, COMPRESS_LOSS_AUTOENCODE}, {COMPRESS_CONV, COMPRESS_LOSS_NONE}};
#define N_ABLATION_ROWS ((int)(sizeof ablation_rows / sizeof ablation_rows[0]))

// Trains every row for `steps` (saving each with --save); returns 0 or 1.
static int ablation_train_all(LabRun runs[], Corpus *corpus, const Config *base, const Options *o, long steps,
                              long threads, const char *const *tags, const char *cmd) {
    for (int r = 0; r < N_ABLATION_ROWS; r++) {
        static char names[N_ABLATION_ROWS][48];
        snprintf(names[r], sizeof names[r], "%s + %s", compress_fn_name(ablation_rows[r].fn),
                 compress_loss_name(ablation_rows[r].loss));
        runs[r] = (LabRun){.name = names[r], .cfg = *base};
        runs[r].cfg.compress = ablation_rows[r].fn;
        runs[r].cfg.compress_loss = ablation_rows[r].loss;
        Model *m = lab_train(&runs[r], corpus, steps, threads, 1, cmd);
        if (!m) return 1;
        int rc = o->save && save_model(o->save, tags[r], m, &corpus->vocab, cmd);
        model_free(m);
        if (rc) return 1;
    }
    return 0;
}

static void ablation_print_json(const LabRun runs[], const char *source, long steps, long threads, double total) {
    printf("{\"data\":\"%s\",\"steps\":%ld,\"threads\":%ld,\"seconds\":%.1f,\"rows\":[", source, steps, threads,
           total);
    for (int r = 0; r < N_ABLATION_ROWS; r++)
        printf("%s{\"compress\":\"%s\",\"compress_loss\":\"%s\",\"train_ce\":%.4f,\"valid_ce\":%.4f,\"seconds\":%.1f}",
               r ? "," : "", compress_fn_name(runs[r].cfg.compress), compress_loss_name(runs[r].cfg.compress_loss),
               runs[r].train_ce, runs[r].valid_ce, runs[r].seconds);
    printf("]}\n");
}

static void ablation_print_text(const LabRun runs[], const Config *base, const char *source, long steps,
                                long threads, double total) {
    printf("memscope lab ablation: %s, %ld steps each, %ld threads, %.0f s in all; d=%d H=%d L=%d Q=%d N_m=%d "
           "N_cm=%d c=%d B=%d\n\n",
           source, steps, threads, total, base->d_model, base->n_heads, base->n_layers, base->seq_len,
           base->mem_len, base->c_mem_len, base->compression_rate, base->batch_size);
    printf("%-12s %-12s %10s %10s %10s\n", "compression", "loss", "train ce", "valid ce", "valid bpc");
    for (int r = 0; r < N_ABLATION_ROWS; r++)
        printf("%-12s %-12s %10.4f %10.4f %10.4f\n", compress_fn_name(runs[r].cfg.compress),
               compress_loss_name(runs[r].cfg.compress_loss), runs[r].train_ce, runs[r].valid_ce,
               runs[r].valid_ce / M_LN2);
}

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
    char tag_text[N_ABLATION_ROWS][64];
    const char *tags[N_ABLATION_ROWS];
    for (int r = 0; r < N_ABLATION_ROWS; r++) {
        snprintf(tag_text[r], sizeof tag_text[r], "%s-%s", compress_fn_name(ablation_rows[r].fn),
                 compress_loss_name(ablation_rows[r].loss));
        tags[r] = tag_text[r];
    }
    if (check_prefix(&o, tags, N_ABLATION_ROWS, cmd)) return 1;
    LabRun runs[N_ABLATION_ROWS];
    double t_all = now_seconds();
    int rc = ablation_train_all(runs, &corpus, &base, &o, steps, threads, tags, cmd);
    if (!rc && o.json) ablation_print_json(runs, corpus.source, steps, threads, now_seconds() - t_all);
    else if (!rc) ablation_print_text(runs, &base, corpus.source, steps, threads, now_seconds() - t_all);
    corpus_free(&corpus);
    return rc;
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
