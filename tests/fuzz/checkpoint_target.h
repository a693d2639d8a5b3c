// The checkpoint fuzz target, shared by the libFuzzer harness (fuzz_checkpoint.c), the plain replay
// driver (replay_main.c) and the unit suites (tests/test_reliability_fuzz.c).
//
// One input is one file's bytes. It goes through everything memscope does with a checkpoint it is
// given: st_open (every tensor's bytes are read, so an offset outside the file shows up under ASan),
// checkpoint_open, the memory budget (run_budget), and run_open on a corpus of the checkpoint's own
// characters (model_new, checkpoint_load_weights and, for a full checkpoint, checkpoint_load_state and the
// history, exactly as `memscope train --load` opens its run). Whatever loads must generate; a full
// checkpoint must then take a training step, save, and load again: a file memscope accepts is one it can use.
// Engine code only: the target links no app/ object.
#ifndef MEMSCOPE_FUZZ_CHECKPOINT_TARGET_H
#define MEMSCOPE_FUZZ_CHECKPOINT_TARGET_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/checkpoint.h"
#include "engine/generate.h"
#include "engine/run.h"
#include "engine/safetensors.h"

// What one input produced: the furthest stage it reached.
typedef enum {
    FUZZ_REJECTED_BY_READER,     // st_open refused it
    FUZZ_REJECTED_AS_CHECKPOINT, // a safetensors file, but checkpoint_open refused it
    FUZZ_REJECTED_BY_MODEL,      // build_model (budget, shapes) refused it
    FUZZ_REJECTED_STATE,         // weights loaded; checkpoint_load_state refused the state
    FUZZ_LOADED_WEIGHTS,         // a weights-only checkpoint, fully used
    FUZZ_LOADED_FULL,            // a full checkpoint, resumed, stepped, saved and reloaded
} FuzzOutcome;

// Aborts (a finding for the fuzzer) unless err is one non-empty line.
static void fuzz_check_message(const char *err) {
    if (!err[0]) {
        fprintf(stderr, "fuzz: a refusal came without a message\n");
        abort();
    }
    for (const char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20) {
            fprintf(stderr, "fuzz: message is not one line: %s\n", err);
            abort();
        }
}

static void fuzz_require(int ok, const char *what, const char *err) {
    if (ok) return;
    fprintf(stderr, "fuzz: %s: %s\n", what, err);
    abort();
}

// Writes the bytes into an anonymous in-memory file and gives its /proc path.
static int fuzz_memfd(const uint8_t *data, size_t size, char *path, size_t pathlen) {
    int fd = memfd_create("fuzz-checkpoint", MFD_CLOEXEC);
    if (fd < 0) return -1;
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return fd;
}

// Reads every tensor's bytes (ASan flags any pointer outside the buffer) and looks names up.
static unsigned fuzz_touch(const StFile *f) {
    unsigned sum = 0;
    for (int i = 0; i < f->n_tensors; i++) {
        const unsigned char *p = f->tensors[i].data;
        for (size_t k = 0; k < f->tensors[i].nbytes; k++) sum += p[k];
        if (st_find(f, f->tensors[i].name) == NULL) abort();
    }
    for (int i = 0; i < f->n_meta; i++)
        if (st_meta(f, f->meta[i].key) == NULL) abort();
    return sum;
}

// A corpus made of the checkpoint's characters, long enough for a few batches.
static int fuzz_corpus(Corpus *c, const Checkpoint *ck, const Config *cfg) {
    size_t n = ((size_t)cfg->batch_size * ((size_t)cfg->seq_len + 1) * 3 + 64) * 10 / 9 + 16;
    unsigned char *text = malloc(n);
    if (!text) return -1;
    for (size_t i = 0; i < n; i++) text[i] = ck->vocab.chars[(i * 7 + i / 5) % (size_t)ck->vocab.size];
    char err[256];
    if (corpus_from_text(c, text, n, "fuzz corpus", err, sizeof err)) return -1;
    vocab_encode(&ck->vocab, c->text, c->n, c->ids);
    c->vocab = ck->vocab;
    return 0;
}

// A loaded model must generate: feed two characters and sample.
static void fuzz_generate(Model *m, const Checkpoint *ck) {
    Generator g;
    fuzz_require(generator_init(&g, m) == 0, "generator_init", "");
    int32_t ids[2] = {0, (int32_t)(ck->vocab.size - 1)};
    const float *logits = generator_feed(&g, ids, 2);
    Rng rng;
    rng_seed(&rng, 1);
    int next = sample_logits(logits, m->cfg.vocab_size, 1.0f, 0, &rng);
    fuzz_require(next >= 0 && next < m->cfg.vocab_size, "sample_logits", "id out of range");
    generator_free(&g);
}

// A resumed run must take a step, save, and the file must open again.
static void fuzz_step_and_save(Run *run, const char *save_path) {
    char err[1024];
    run_step(run, NULL);
    if (!save_path) return;
    // Whatever was accepted and stepped must save and be accepted again.
    // (Weights so large that the step overflowed are refused by the save, with its message.)
    if (run_save(run, save_path, err, sizeof err) == 0) {
        Checkpoint again;
        fuzz_require(checkpoint_open(&again, save_path, err, sizeof err) == 0, "reopen", err);
        checkpoint_close(&again);
    } else {
        fuzz_require(strstr(err, "NaN or Inf") != NULL, "run_save", err);
    }
    unlink(save_path);
}

// As `memscope train --load` without options: the checkpoint's model keys, and its training keys or, in a
// file without them, the default preset's.
static void fuzz_config(Config *cfg, const Checkpoint *ck) {
    Config preset;
    config_preset(&preset, "default");
    *cfg = ck->cfg;
    if (!ck->has_training_keys) {
        cfg->batch_size = preset.batch_size;
        cfg->lr = preset.lr;
        cfg->warmup = preset.warmup;
        cfg->lr_decay_steps = preset.lr_decay_steps;
        cfg->clip = preset.clip;
        cfg->seed = preset.seed;
    }
    cfg->vocab_size = ck->vocab.size;
}

// The budget memscope refuses a config above: MEMSCOPE_MEMORY_LIMIT_MB, else 2 GiB (libFuzzer's RSS limit).
static int fuzz_fits(const Config *cfg) {
    const char *env = getenv("MEMSCOPE_MEMORY_LIMIT_MB");
    double limit = (env && atof(env) > 0 ? atof(env) : 2048.0) * 1048576.0;
    RunBudget b = run_budget(cfg, cfg->batch_size, 1);
    return (double)b.params + (double)b.activations <= limit;
}

// Everything after checkpoint_open: the config, the memory budget, the run (weights, state, history), then
// generation and, for a full checkpoint, a step and a save.
static FuzzOutcome fuzz_run(Checkpoint *ck, const char *save_path) {
    char err[1024];
    Config cfg;
    fuzz_config(&cfg, ck);
    if (config_validate(&cfg, err, sizeof err) != 0) {
        fuzz_check_message(err);
        return FUZZ_REJECTED_BY_MODEL;
    }
    if (!fuzz_fits(&cfg)) return FUZZ_REJECTED_BY_MODEL;
    Corpus corpus;
    fuzz_require(fuzz_corpus(&corpus, ck, &cfg) == 0, "fuzz corpus", "");
    Run run;
    int rc = run_open(&run, &cfg, &corpus, ck, 1, err, sizeof err);
    FuzzOutcome out = rc == -1 ? FUZZ_REJECTED_BY_MODEL : rc ? FUZZ_REJECTED_STATE
                      : ck->has_state ? FUZZ_LOADED_FULL : FUZZ_LOADED_WEIGHTS;
    if (rc) {
        fuzz_check_message(err);
    } else {
        fuzz_generate(run.model, ck);
        if (ck->has_state) fuzz_step_and_save(&run, save_path);
        run_close(&run);
    }
    corpus_free(&corpus);
    return out;
}

// Runs one input; save_path (may be NULL) is a scratch file for the save/reload round trip.
static FuzzOutcome fuzz_checkpoint_input(const uint8_t *data, size_t size, const char *save_path) {
    char path[64], err[1024];
    int fd = fuzz_memfd(data, size, path, sizeof path);
    if (fd < 0) abort();
    StFile f;
    if (st_open(&f, path, err, sizeof err) != 0) {
        fuzz_check_message(err);
        close(fd);
        return FUZZ_REJECTED_BY_READER;
    }
    volatile unsigned sink = fuzz_touch(&f);
    (void)sink;
    st_close(&f);

    Checkpoint ck;
    if (checkpoint_open(&ck, path, err, sizeof err) != 0) {
        fuzz_check_message(err);
        close(fd);
        return FUZZ_REJECTED_AS_CHECKPOINT;
    }
    FuzzOutcome out = fuzz_run(&ck, save_path);
    checkpoint_close(&ck);
    close(fd);
    return out;
}

#endif
