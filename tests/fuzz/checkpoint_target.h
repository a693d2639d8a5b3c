// The checkpoint fuzz target, shared by the libFuzzer harness (fuzz_checkpoint.c), the plain replay
// driver (replay_main.c) and the unit suites (tests/test_reliability_fuzz.c).
//
// One input is one file's bytes. It goes through everything memscope does with a checkpoint it is
// given: st_open (every tensor's bytes are read, so an offset outside the file shows up under ASan),
// checkpoint_open, build_model (the memory budget, model_new and checkpoint_load_weights, exactly as
// `memscope info/sample/eval/train --load` call them), and for a full checkpoint trainer_init on a
// corpus of the checkpoint's own characters plus checkpoint_load_state. Whatever loads must then take
// a training step, save, and load again: a file memscope accepts is one it can use.
#ifndef MEMSCOPE_FUZZ_CHECKPOINT_TARGET_H
#define MEMSCOPE_FUZZ_CHECKPOINT_TARGET_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "app/cli.h"
#include "engine/checkpoint.h"
#include "engine/generate.h"
#include "engine/safetensors.h"
#include "engine/trainer.h"

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

static FuzzOutcome fuzz_after_weights(Checkpoint *ck, Model *m, const Config *cfg, const char *save_path) {
    char err[1024];
    // A loaded model must generate: feed two characters and sample.
    Generator g;
    fuzz_require(generator_init(&g, m) == 0, "generator_init", "");
    int32_t ids[2] = {0, (int32_t)(ck->vocab.size - 1)};
    const float *logits = generator_feed(&g, ids, 2);
    Rng rng;
    rng_seed(&rng, 1);
    int next = sample_logits(logits, cfg->vocab_size, 1.0f, 0, &rng);
    fuzz_require(next >= 0 && next < cfg->vocab_size, "sample_logits", "id out of range");
    generator_free(&g);
    if (!ck->has_state) return FUZZ_LOADED_WEIGHTS;

    Corpus corpus;
    fuzz_require(fuzz_corpus(&corpus, ck, cfg) == 0, "fuzz corpus", "");
    Trainer t;
    fuzz_require(trainer_init(&t, m, &corpus, err, sizeof err) == 0, "trainer_init", err);
    FuzzOutcome out = FUZZ_REJECTED_STATE;
    if (checkpoint_load_state(ck, &t, err, sizeof err) != 0) {
        fuzz_check_message(err);
    } else {
        trainer_step(&t, NULL);
        if (save_path) {
            // Whatever was accepted and stepped must save and be accepted again.
            // (Weights so large that the step overflowed are refused by the save, with its message.)
            if (checkpoint_save(save_path, m, &ck->vocab, &t, err, sizeof err) == 0) {
                Checkpoint again;
                fuzz_require(checkpoint_open(&again, save_path, err, sizeof err) == 0, "reopen", err);
                checkpoint_close(&again);
            } else {
                fuzz_require(strstr(err, "NaN or Inf") != NULL, "checkpoint_save", err);
            }
            unlink(save_path);
        }
        out = FUZZ_LOADED_FULL;
    }
    trainer_free(&t);
    corpus_free(&corpus);
    return out;
}

// Runs one input; save_path (may be NULL) is a scratch file for the save/reload round trip.
static FuzzOutcome fuzz_checkpoint_input(const uint8_t *data, size_t size, const char *save_path) {
    char path[64], err[1024];
    int fd = fuzz_memfd(data, size, path, sizeof path);
    if (fd < 0) abort();
    FuzzOutcome out;
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
    // As `memscope train --load`: the checkpoint's model keys; training keys from it or the preset.
    Config cfg = ck.cfg;
    Options o;
    memset(&o, 0, sizeof o);
    fuzz_require(build_config(&cfg, &o, &ck, "fuzz") == 0, "build_config", "");
    cfg.vocab_size = ck.vocab.size;
    Model *m = build_model(&cfg, &ck, "train");
    if (!m) {
        out = FUZZ_REJECTED_BY_MODEL;
    } else {
        out = fuzz_after_weights(&ck, m, &cfg, save_path);
        model_free(m);
    }
    checkpoint_close(&ck);
    close(fd);
    return out;
}

#endif
