// Ops take their scratch from the workspace, sized once when it is made: after the first step of a run, a
// training step (forward, backward, memory update, compression loss, optimizer) allocates nothing, for every
// compression function and loss, on one thread and on two.
#include "tests/harness.h"

#include <stdlib.h>

#include "engine/config.h"
#include "engine/generate.h"
#include "engine/model.h"
#include "engine/trainer.h"
#include "tests/alloc_count.h"
#include "tests/fixtures.h"

// Allocations of steps 2..6 of a fresh run (the memory is full from step 2 on, so each of them compresses).
static long allocations_after_the_first_step(const Corpus *corpus, int fn, int loss, int threads) {
    Config cfg = fixture_small_config(corpus->vocab.size);
    cfg.compress = fn;
    cfg.compress_loss = loss;
    char err[512];
    Model *m = model_new(&cfg, cfg.seed, err, sizeof err);
    CHECK_MSG(m, "%s", err);
    Trainer t;
    CHECK_MSG(!trainer_init(&t, m, corpus, err, sizeof err), "%s", err);
    trainer_set_threads(&t, threads);
    StepStats s;
    trainer_step(&t, &s);
    long before = alloc_count();
    int compressed = 0;
    for (int i = 0; i < 5; i++) {
        trainer_step(&t, &s);
        compressed += s.compressed > 0;
    }
    long made = alloc_count() - before;
    CHECK_MSG(compressed == 5, "%s/%s: %d of 5 steps compressed", compress_fn_name(fn), compress_loss_name(loss),
              compressed);
    trainer_free(&t);
    model_free(m);
    return made;
}

TEST(training_steps_after_the_first_allocate_nothing) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    const int fns[] = {COMPRESS_CONV, COMPRESS_MEAN, COMPRESS_MAX, COMPRESS_DILATED, COMPRESS_MOST_USED};
    const int losses[] = {COMPRESS_LOSS_ATTENTION, COMPRESS_LOSS_AUTOENCODE};
    for (int threads = 1; threads <= 2; threads++)
        for (size_t f = 0; f < sizeof fns / sizeof fns[0]; f++)
            for (size_t l = 0; l < sizeof losses / sizeof losses[0]; l++) {
                long made = allocations_after_the_first_step(&corpus, fns[f], losses[l], threads);
                CHECK_MSG(made == 0, "%d thread(s), %s/%s: steps 2..6 allocated %ld times", threads,
                          compress_fn_name(fns[f]), compress_loss_name(losses[l]), made);
            }
    corpus_free(&corpus);
}

// The counter sees the binary's allocations (else the test above could not fail).
TEST(the_allocation_counter_sees_an_allocation) {
    long before = alloc_count();
    void *volatile p = malloc(16); // volatile: the compiler may not drop an unused allocation
    CHECK(alloc_count() == before + 1);
    free(p);
}

// Generation too: after the first character, feeding one more (forward, memory update, key/value cache) and
// sampling allocate nothing.
TEST(generating_characters_after_the_first_allocates_nothing) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    char err[512];
    Model *m = model_new(&cfg, cfg.seed, err, sizeof err);
    CHECK_MSG(m, "%s", err);
    Generator g;
    CHECK(!generator_init(&g, m));
    Rng rng;
    rng_seed(&rng, 7);
    int32_t id = corpus.ids[0];
    const float *logits = generator_feed(&g, &id, 1);
    long before = alloc_count();
    for (int i = 0; i < 40; i++) { // 40 characters fill the memory and compress (N_m = 4, c = 2)
        id = sample_logits(logits, cfg.vocab_size, 1.0f, 0, &rng);
        logits = generator_feed(&g, &id, 1);
    }
    long made = alloc_count() - before;
    CHECK_MSG(g.mem.cm > 0, "no compressed memory after 41 characters");
    CHECK_MSG(made == 0, "40 characters allocated %ld times", made);
    generator_free(&g);
    model_free(m);
    corpus_free(&corpus);
}
