#include "cli.h"

#include <cblas.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/builtin_corpus.h"

#define DEFAULT_CORPUS "data/tinyshakespeare.txt"
#include "app/recall_corpus.h"
#include "engine/output_file.h"

int fail(const char *cmd, const char *fmt, ...) {
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    // One line, whatever the message quotes (a path or a value with a newline or an escape sequence in it).
    for (char *c = msg; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
    fprintf(stderr, "memscope %s: %s\n", cmd, msg);
    return 1;
}

double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

void set_threads(long threads) { openblas_set_num_threads((int)threads); }

static int parse_long(const char *cmd, const char *flag, const char *text, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return -fail(cmd, "%s '%s' is not valid; use a whole number from %ld to %ld", flag, text, lo, hi);
    *out = v;
    return 0;
}

static int parse_double(const char *cmd, const char *flag, const char *text, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= lo && v <= hi))
        return -fail(cmd, "%s '%s' is not valid; use a number from %g to %g", flag, text, lo, hi);
    *out = v;
    return 0;
}

static int allowed_flag(const char *allowed, const char *name) {
    size_t n = strlen(name);
    if (n == 0) return 0; // "--" or "--=x": an empty name matches everywhere and never advances
    for (const char *p = allowed; (p = strstr(p, name)); p += n)
        if ((p == allowed || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0)) return 1;
    return 0;
}

// One flag with its value; returns -1 on error.
static int take_value(Options *o, const char *cmd, const char *name, const char *v) {
    long x;
    if (!strcmp(name, "data")) o->data = v;
    else if (!strcmp(name, "preset")) o->preset = v;
    else if (!strcmp(name, "load")) o->load = v;
    else if (!strcmp(name, "save")) o->save = v;
    else if (!strcmp(name, "log")) o->log = v;
    else if (!strcmp(name, "prompt")) o->prompt = v;
    else if (!strcmp(name, "attention-stats")) o->attention_stats = v;
    else if (!strcmp(name, "set")) {
        if (o->n_sets == MAX_SETS) return -fail(cmd, "too many --set (at most %d)", MAX_SETS);
        o->sets[o->n_sets++] = v;
    } else if (!strcmp(name, "steps")) return parse_long(cmd, "--steps", v, 1, 1000000000L, &o->steps);
    else if (!strcmp(name, "epochs")) return parse_long(cmd, "--epochs", v, 1, 100000, &o->epochs);
    else if (!strcmp(name, "save-every")) return parse_long(cmd, "--save-every", v, 1, 1000000000L, &o->save_every);
    else if (!strcmp(name, "n")) {
        o->has_length = 1;
        return parse_long(cmd, "-n", v, 0, 100000000L, &o->length);
    }
    else if (!strcmp(name, "threads")) return parse_long(cmd, "--threads", v, 1, 256, &o->threads);
    else if (!strcmp(name, "top-k")) return parse_long(cmd, "--top-k", v, 0, 256, &o->top_k);
    else if (!strcmp(name, "max-steps")) return parse_long(cmd, "--max-steps", v, 0, 1000000000L, &o->max_steps);
    else if (!strcmp(name, "exit-after-frames"))
        return parse_long(cmd, "--exit-after-frames", v, 1, 1000000000L, &o->exit_after_frames);
    else if (!strcmp(name, "temperature")) return parse_double(cmd, "--temperature", v, 0.0, 100.0, &o->temperature);
    else if (!strcmp(name, "minutes")) return parse_double(cmd, "--minutes", v, 0.01, 1e6, &o->minutes);
    else if (!strcmp(name, "valid-every")) return parse_double(cmd, "--valid-every", v, 1.0, 1e8, &o->valid_every);
    else if (!strcmp(name, "progress-every")) {
        o->has_progress_every = 1;
        return parse_double(cmd, "--progress-every", v, 0.0, 1e8, &o->progress_every);
    }
    else if (!strcmp(name, "seed")) {
        if (parse_long(cmd, "--seed", v, 0, 0x7fffffffffffffffL, &x)) return -1;
        o->seed = (unsigned long long)x;
        o->has_seed = 1;
    }
    return 0;
}

static int is_switch(const char *name) {
    return !strcmp(name, "json") || !strcmp(name, "help") || !strcmp(name, "half") || !strcmp(name, "force");
}

int parse_options(Options *o, const char *cmd, const char *allowed, int argc, char **argv) {
    memset(o, 0, sizeof *o);
    o->temperature = 1.0;
    o->length = 200;
    o->threads = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h")) arg = "--help";
        if (!strcmp(arg, "-n")) arg = "--n";
        if (strncmp(arg, "--", 2))
            return -fail(cmd, "unexpected argument '%s'; see memscope %s --help", arg, cmd);
        char name[64];
        const char *eq = strchr(arg + 2, '=');
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - arg - 2) : (int)strlen(arg + 2), arg + 2);
        if (!allowed_flag(allowed, name) && !(is_switch(name) && !strcmp(name, "help")))
            return -fail(cmd, "unknown option '%s'; see memscope %s --help", argv[i], cmd);
        if (is_switch(name)) {
            if (!strcmp(name, "json")) o->json = 1;
            else if (!strcmp(name, "half")) o->half = 1;
            else if (!strcmp(name, "force")) o->force = 1;
            else o->help = 1;
            continue;
        }
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) return -fail(cmd, "option '%s' needs a value; see memscope %s --help", arg, cmd);
        if (take_value(o, cmd, name, value)) return -1;
    }
    return 0;
}

// --data builtin:recall: the memory lab's recall corpus (app/recall_corpus.h).
static int load_recall_corpus(Corpus *c, const char *cmd) {
    char err[1024];
    size_t n = 0;
    unsigned char *text = recall_corpus_generate(&n);
    if (!text) return fail(cmd, "out of memory for the recall corpus");
    if (corpus_from_text(c, text, n, "built-in recall corpus", err, sizeof err)) return fail(cmd, "%s", err);
    return 0;
}

int load_corpus(Corpus *c, const char *path, const char *cmd) {
    char err[1024];
    if (path && !strcmp(path, "builtin:recall")) return load_recall_corpus(c, cmd);
    if (path && !strncmp(path, "builtin:", 8))
        return fail(cmd, "--data %s: unknown built-in corpus; use builtin (Shakespeare-like text) or builtin:recall",
                    path);
    if (path && !strcmp(path, "builtin")) path = NULL;
    else if (!path && access(DEFAULT_CORPUS, R_OK) == 0) path = DEFAULT_CORPUS;
    else if (!path)
        fprintf(stderr, "memscope: data/tinyshakespeare.txt not found (run `make data` to fetch it); "
                        "using the built-in corpus\n");
    if (!path) {
        size_t n = 0;
        unsigned char *text = builtin_corpus_generate(&n);
        if (corpus_from_text(c, text, n, "built-in corpus", err, sizeof err)) return fail(cmd, "%s", err);
        return 0;
    }
    if (corpus_load(c, path, err, sizeof err)) return fail(cmd, "%s", err);
    return 0;
}

int encode_with_vocab(Corpus *c, const Vocab *v, const char *cmd) {
    long bad = vocab_encode(v, c->text, c->n, c->ids);
    if (bad >= 0) {
        unsigned char ch = c->text[bad];
        return fail(cmd, "%s has byte 0x%02x ('%c') at offset %ld, which is not in the checkpoint's vocabulary of %d "
                    "characters; use text made of the same characters", c->source, ch, ch >= 0x20 && ch < 0x7f ? ch : '?',
                    bad, v->size);
    }
    c->vocab = *v;
    return 0;
}

static int apply_sets(Config *cfg, const Options *o, const Checkpoint *ck, const char *cmd) {
    char err[512];
    for (int i = 0; i < o->n_sets; i++) {
        char key[64];
        const char *eq = strchr(o->sets[i], '=');
        snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - o->sets[i]) : 0, o->sets[i]);
        Config before = *cfg;
        if (config_set(cfg, o->sets[i], err, sizeof err)) return fail(cmd, "%s", err);
        if (ck && config_is_model_key(key) && memcmp(&before, cfg, sizeof before))
            return fail(cmd, "--set %s: %s comes from the checkpoint %s and cannot change on --load", o->sets[i], key,
                        ck->path);
    }
    return 0;
}

int build_config(Config *cfg, const Options *o, const Checkpoint *ck, const char *cmd) {
    const char *preset = o->preset ? o->preset : "default";
    if (config_preset(cfg, preset)) return fail(cmd, "unknown preset '%s'; use labml, default or large", preset);
    if (ck && o->preset && ck->has_training_keys)
        return fail(cmd, "--preset %s does nothing with --load %s: its model and training keys come from the "
                    "checkpoint; leave --preset out (--set changes training keys)", o->preset, ck->path);
    if (ck) {
        Config saved = ck->cfg;
        if (!ck->has_training_keys) {
            saved.batch_size = cfg->batch_size;
            saved.lr = cfg->lr;
            saved.warmup = cfg->warmup;
            saved.lr_decay_steps = cfg->lr_decay_steps;
            saved.clip = cfg->clip;
            saved.seed = cfg->seed;
        }
        *cfg = saved;
    }
    if (apply_sets(cfg, o, ck, cmd)) return -1;
    if (o->has_seed) cfg->seed = o->seed;
    return 0;
}

int check_config(const Config *cfg, const char *cmd) {
    char err[1024];
    return config_validate(cfg, err, sizeof err) ? fail(cmd, "%s", err) : 0;
}

// The most memory a command may plan to use: MEMSCOPE_MEMORY_LIMIT_MB when set, else the machine's RAM.
static double memory_limit_bytes(void) {
    const char *env = getenv("MEMSCOPE_MEMORY_LIMIT_MB");
    if (env && atof(env) > 0) return atof(env) * 1048576.0;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (double)pages * page : 1e18;
}

// Refuses, before anything is allocated, a config whose parameters, optimizer state and activations
// would not fit: a mistyped --set or a hostile checkpoint must not send the machine into swap or the
// OOM killer. Training plans for batch_size streams on `threads` threads; eval, sample and info run one
// stream. The figures are the engine's run_budget: the bytes a run of this config allocates.
int check_memory_budget(const Config *cfg, int threads, const char *cmd) {
    int inference = !strcmp(cmd, "eval") || !strcmp(cmd, "sample") || !strcmp(cmd, "info");
    Config c = *cfg;
    if (c.vocab_size <= 0) c.vocab_size = 256; // before the corpus is read: the largest vocabulary
    RunBudget b = run_budget(&c, inference ? 1 : c.batch_size, threads);
    double params = (double)b.params, acts = (double)b.activations;
    double limit = memory_limit_bytes();
    if (params + acts <= limit) return 0;
    const double gib = 1073741824.0;
    char batch[48] = "";
    if (!inference) snprintf(batch, sizeof batch, " batch_size=%d", cfg->batch_size);
    fail(cmd, "config: d_model=%d n_layers=%d d_ff=%d seq_len=%d mem_len=%d c_mem_len=%d%s needs about %.1f GiB "
         "(parameters and optimizer %.1f GiB, activations %.1f GiB), more than the %.1f GiB %s; lower d_model, "
         "n_layers, d_ff, seq_len%s or the memory lengths",
         cfg->d_model, cfg->n_layers, cfg->d_ff, cfg->seq_len, cfg->mem_len, cfg->c_mem_len, batch,
         (params + acts) / gib, params / gib, acts / gib, limit / gib,
         getenv("MEMSCOPE_MEMORY_LIMIT_MB") ? "MEMSCOPE_MEMORY_LIMIT_MB allows" : "of RAM on this machine",
         inference ? "" : ", batch_size");
    return -1;
}

Model *build_model(const Config *cfg, const Checkpoint *ck, const char *cmd) {
    char err[1024];
    if (check_memory_budget(cfg, 1, cmd)) return NULL;
    Model *m = model_new(cfg, cfg->seed, err, sizeof err);
    if (!m) {
        fail(cmd, "%s", err);
        return NULL;
    }
    if (ck && checkpoint_load_weights(ck, m, err, sizeof err)) {
        fail(cmd, "%s", err);
        model_free(m);
        return NULL;
    }
    return m;
}

int open_run(Run *r, const Config *cfg, const Corpus *corpus, const Checkpoint *ck, long threads, const char *cmd) {
    char err[1024];
    if (check_memory_budget(cfg, (int)threads, cmd)) return 1;
    if (run_open(r, cfg, corpus, ck, (int)threads, err, sizeof err)) return fail(cmd, "%s", err);
    return 0;
}

// The corpus file a run reads: --data, else data/tinyshakespeare.txt when present (NULL: built-in text).
// The file --data reads (load_corpus's rule): the named file, none for the built-in corpora, else the default.
static const char *data_file(const Options *o) {
    if (o->data) return strncmp(o->data, "builtin", 7) ? o->data : NULL;
    return DEFAULT_CORPUS;
}

int check_output_path(const char *path, const char *flag, const Options *o, const char *cmd) {
    char err[1400];
    if (output_check(path, err, sizeof err)) return fail(cmd, "%s %s", flag, err);
    // the same file, whatever the name: device and inode (a name that does not exist yet is no input)
    const char *inputs[] = {o->load, data_file(o)}, *input_flags[] = {"--load", "--data"};
    for (int i = 0; i < 2; i++) {
        int resume_in_place = i == 0 && !strcmp(flag, "--save"); // train --load a.st --save a.st
        if (!resume_in_place && output_same_file(path, inputs[i]))
            return fail(cmd, "%s %s is the same file as %s %s; writing it would destroy the input; give another name",
                        flag, path, input_flags[i], inputs[i]);
    }
    const char *outputs[] = {o->save, o->log, o->attention_stats}, *output_flags[] = {"--save", "--log", "--attention-stats"};
    for (int i = 0; i < 3; i++)
        if (outputs[i] && strcmp(output_flags[i], flag) &&
            (!strcmp(outputs[i], path) || output_same_file(outputs[i], path)))
            return fail(cmd, "%s %s and %s %s are the same file; give each its own name", flag, path, output_flags[i],
                        outputs[i]);
    if (!o->force && output_holds_checkpoint(path) && !output_same_file(path, o->load))
        return fail(cmd, "%s %s holds a checkpoint this run did not load; give --force to replace it, or another name",
                    flag, path);
    return 0;
}

int check_outputs(const Options *o, const char *cmd) {
    if (o->save && check_output_path(o->save, "--save", o, cmd)) return 1;
    if (o->log && check_output_path(o->log, "--log", o, cmd)) return 1;
    if (o->attention_stats && check_output_path(o->attention_stats, "--attention-stats", o, cmd)) return 1;
    return 0;
}

int checkpoint_run_open(CheckpointRun *r, const Options *o, int want_stats, const char *cmd, const char *help_cmd) {
    memset(r, 0, sizeof *r);
    if (!o->load) return fail(cmd, "--load CKPT is required; see memscope %s --help", help_cmd), 2;
    if (!o->data) return fail(cmd, "--data FILE is required; see memscope %s --help", help_cmd), 2;
    if (check_outputs(o, cmd)) return 1;
    set_threads(o->threads ? o->threads : 2);
    char err[1024];
    if (checkpoint_open(&r->ck, o->load, err, sizeof err)) return fail(cmd, "%s", err);
    if (load_corpus(&r->corpus, o->data, cmd) || encode_with_vocab(&r->corpus, &r->ck.vocab, cmd) ||
        !(r->m = build_model(&r->ck.cfg, &r->ck, cmd)))
        return checkpoint_run_close(r), 1;
    if (want_stats && !(r->have_stats = !attention_stats_init(&r->st, r->m))) {
        fail(cmd, "out of memory for the attention statistics");
        return checkpoint_run_close(r), 1;
    }
    return 0;
}

void checkpoint_run_close(CheckpointRun *r) {
    if (r->have_stats) attention_stats_free(&r->st);
    model_free(r->m);
    corpus_free(&r->corpus);
    checkpoint_close(&r->ck);
    memset(r, 0, sizeof *r);
}
