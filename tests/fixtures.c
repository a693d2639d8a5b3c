#include "tests/fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "tests/harness.h"

void fixture_word_corpus(Corpus *c) {
    size_t n = 3000;
    unsigned char *text = malloc(n);
    Rng r;
    rng_seed(&r, 99);
    const char *words[] = {"the ", "memory ", "of ", "a ", "king ", "is ", "long\n", "short, "};
    size_t k = 0;
    while (k < n) {
        const char *w = words[rng_next(&r) % 8];
        for (size_t i = 0; w[i] && k < n; i++) text[k++] = (unsigned char)w[i];
    }
    char err[256];
    CHECK_MSG(!corpus_from_text(c, text, n, "test corpus", err, sizeof err), "%s", err);
}

Config fixture_small_config(int vocab) {
    return (Config){.vocab_size = vocab, .d_model = 16, .n_heads = 2, .n_layers = 2, .d_ff = 32, .seq_len = 4,
                    .mem_len = 4, .c_mem_len = 4, .compression_rate = 2, .batch_size = 4, .lr = 1e-2f,
                    .warmup = 10, .clip = 0.5f, .seed = 3};
}

void fixture_run_steps(Trainer *t, int n, float *losses) {
    for (int i = 0; i < n; i++) {
        StepStats s;
        trainer_step(t, &s);
        losses[i] = s.ce + s.ar_total;
    }
}

void fixture_check_same_losses(const float *straight, const float *resumed, int from, int to) {
    for (int i = from; i < to; i++)
        CHECK_MSG(!memcmp(&straight[i], &resumed[i], sizeof(float)), "step %d: %.9g straight vs %.9g resumed", i + 1,
                  straight[i], resumed[i]);
}

unsigned char *fixture_read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *bytes = malloc((size_t)size + 1);
    CHECK(bytes && fread(bytes, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    *n = (size_t)size;
    return bytes;
}

Model *fixture_resume(const Checkpoint *ck, const Config *cfg, uint64_t seed, const Corpus *corpus, Trainer *t) {
    char err[512];
    Model *m = model_new(cfg, seed, err, sizeof err);
    CHECK_MSG(m != NULL, "%s", err);
    CHECK_MSG(!checkpoint_load_weights(ck, m, err, sizeof err), "%s", err);
    CHECK_MSG(!trainer_init(t, m, corpus, err, sizeof err), "%s", err);
    CHECK_MSG(!checkpoint_load_state(ck, t, err, sizeof err), "%s", err);
    return m;
}
