// Data parallelism in the engine (trainer_set_ranks) without MPI: two "ranks" are two threads of this
// process, each with its own model and trainer, whose sums meet at a barrier. They must train as one
// trainer with two threads does, stay equal to each other, and gather the memory it holds on rank 0.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/trainer.h"
#include "tests/fixtures.h"
#include "tests/harness.h"

#define STEPS 20

typedef struct {
    pthread_barrier_t barrier;
    float *data[2];
    long n[2];
    int mismatched; // the ranks asked for sums of different sizes
} World;

typedef struct {
    World *w;
    Ranks ranks;
    const Corpus *corpus;
    Config cfg;
    Model *m;
    Trainer t;
    float losses[STEPS];
} Rank;

// Both ranks add rank 0's floats and rank 1's in that order, as two threads' shards are added.
static void fake_sum(void *ctx, float *data, long n) {
    Rank *r = ctx;
    World *w = r->w;
    w->data[r->ranks.rank] = data;
    w->n[r->ranks.rank] = n;
    pthread_barrier_wait(&w->barrier);
    float *sum = malloc(sizeof(float) * (n + 1));
    if (w->n[0] != w->n[1]) w->mismatched = 1;
    for (long i = 0; i < n && !w->mismatched; i++) sum[i] = w->data[0][i] + w->data[1][i];
    pthread_barrier_wait(&w->barrier); // both have read both
    memcpy(data, sum, sizeof(float) * n);
    free(sum);
}

static void fake_finish(void *ctx) { (void)ctx; }

static void fake_gather(void *ctx, float *data, long n) {
    Rank *r = ctx;
    World *w = r->w;
    int me = r->ranks.rank, other = 1 - me;
    w->data[me] = data;
    pthread_barrier_wait(&w->barrier);
    if (me == 0) memcpy(data + other * n, w->data[other] + other * n, sizeof(float) * n);
    pthread_barrier_wait(&w->barrier);
}

static void *run_rank(void *arg) {
    Rank *r = arg;
    fixture_run_steps(&r->t, STEPS, r->losses);
    trainer_gather_memory(&r->t);
    return NULL;
}

static int floats_equal(const float *a, const float *b, long n) { return !memcmp(a, b, sizeof(float) * n); }

// by_layer: each layer's sum starts as the backward finishes it (Ranks.sum_by_layer), else the block's after.
static void two_ranks_against_two_threads(int by_layer) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    char err[512];
    Model *ref = model_new(&cfg, cfg.seed, err, sizeof err);
    Trainer rt;
    CHECK(!trainer_init(&rt, ref, &corpus, err, sizeof err));
    trainer_set_threads(&rt, 2);
    float want[STEPS];
    fixture_run_steps(&rt, STEPS, want);

    World w = {0};
    pthread_barrier_init(&w.barrier, NULL, 2);
    Rank ranks[2];
    pthread_t threads[2];
    for (int k = 0; k < 2; k++) {
        Rank *r = &ranks[k];
        *r = (Rank){.w = &w, .corpus = &corpus, .cfg = cfg};
        r->ranks = (Ranks){k, 2, r, fake_sum, fake_sum, fake_finish, fake_gather, by_layer};
        r->m = model_new(&cfg, cfg.seed, err, sizeof err);
        CHECK(r->m && !trainer_init(&r->t, r->m, &corpus, err, sizeof err));
        CHECK_MSG(!trainer_set_ranks(&r->t, &r->ranks, err, sizeof err), "%s", err);
        CHECK_INT_EQ(r->t.stream_lo, 2 * k);
        CHECK_INT_EQ(r->t.n_streams, 2);
        CHECK(r->t.parts_found);
    }
    for (int k = 0; k < 2; k++) CHECK(!pthread_create(&threads[k], NULL, run_rank, &ranks[k]));
    for (int k = 0; k < 2; k++) pthread_join(threads[k], NULL);
    CHECK(!w.mismatched);
    for (int i = 0; i < STEPS; i++)
        for (int k = 0; k < 2; k++)
            CHECK_MSG(fabsf(ranks[k].losses[i] - want[i]) <= 1e-6f * fabsf(want[i]),
                      "step %d: rank %d %.9g, one trainer %.9g", i + 1, k, ranks[k].losses[i], want[i]);
    long n = ref->main.layout.total;
    CHECK_MSG(floats_equal(ranks[0].m->main.params, ranks[1].m->main.params, n), "the ranks' parameters differ");
    for (long i = 0; i < n; i++)
        CHECK_MSG(fabsf(ranks[0].m->main.params[i] - ref->main.params[i]) <= 1e-6f, "parameter %ld: %.9g vs %.9g",
                  i, ranks[0].m->main.params[i], ref->main.params[i]);
    const Memory *a = &ranks[0].t.mem, *b = &rt.mem;
    CHECK(a->m == b->m && a->cm == b->cm && a->cm > 0 && a->cstart == b->cstart);
    size_t per = (size_t)a->n_layers * a->batch * a->d;
    for (size_t i = 0; i < per * a->mem_cap; i++)
        CHECK_MSG(fabsf(a->mem[i] - b->mem[i]) <= 1e-5f, "memory float %zu: %.9g vs %.9g", i, a->mem[i], b->mem[i]);
    for (size_t i = 0; i < per * a->cmem_room; i++)
        CHECK_MSG(fabsf(a->cmem[i] - b->cmem[i]) <= 1e-5f, "compressed memory float %zu: %.9g vs %.9g", i, a->cmem[i],
                  b->cmem[i]);
    const float *rank1_rows = ranks[1].t.mem.mem; // layer 0, stream 0: rank 0's, never sent to rank 1
    for (long i = 0; i < (long)a->mem_cap * a->d; i++) CHECK_MSG(rank1_rows[i] == 0.0f, "rank 1 holds rank 0's rows");
    for (int k = 0; k < 2; k++) {
        trainer_free(&ranks[k].t);
        model_free(ranks[k].m);
    }
    pthread_barrier_destroy(&w.barrier);
    trainer_free(&rt);
    model_free(ref);
    corpus_free(&corpus);
}

TEST(two_ranks_train_as_one_trainer_with_two_threads) { two_ranks_against_two_threads(0); }

TEST(two_ranks_summing_layer_by_layer_train_as_one_trainer_with_two_threads) { two_ranks_against_two_threads(1); }

TEST(a_batch_that_does_not_split_over_the_ranks_names_B_and_N) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    cfg.batch_size = 5;
    char err[512];
    Model *m = model_new(&cfg, cfg.seed, err, sizeof err);
    Trainer t;
    CHECK(!trainer_init(&t, m, &corpus, err, sizeof err));
    Ranks ranks = {1, 2, NULL, fake_sum, fake_sum, fake_finish, fake_gather, 0};
    CHECK(trainer_set_ranks(&t, &ranks, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "batch_size 5") && strstr(err, "2 ranks"), "%s", err);
    CHECK(t.ranks == NULL && t.n_streams == 5); // unchanged: still one trainer over every stream
    trainer_free(&t);
    model_free(m);
    corpus_free(&corpus);
}
