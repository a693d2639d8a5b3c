// The loss history: downsampling, its JSON form, and its trip through a checkpoint.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/checkpoint.h"
#include "engine/history.h"
#include "engine/trainer.h"
#include "tests/fixtures.h"
#include "tests/harness.h"

TEST(history_merges_pairwise_when_full) {
    History *h = malloc(sizeof *h);
    history_reset(h);
    for (long s = 1; s <= HISTORY_POINTS; s++) history_push(h, s, (float)s);
    CHECK_INT_EQ(history_len(h), HISTORY_POINTS);
    history_push(h, HISTORY_POINTS + 1, 0.5f); // full: the stored points merge, stride 2
    CHECK_INT_EQ(h->stride, 2);
    CHECK_INT_EQ(h->count, HISTORY_POINTS / 2 + 1);
    long step;
    float v;
    history_at(h, 0, &step, &v);
    CHECK_INT_EQ(step, 2);
    CHECK_NEAR(v, 1.5, 1e-6);
    history_push(h, HISTORY_POINTS + 2, 1.5f); // two raw values make one point now: this one waits
    CHECK_INT_EQ(h->count, HISTORY_POINTS / 2 + 1);
    CHECK_INT_EQ(history_len(h), HISTORY_POINTS / 2 + 2); // shown as the partial point
    history_push(h, HISTORY_POINTS + 3, 2.5f);
    CHECK_INT_EQ(h->count, HISTORY_POINTS / 2 + 2);
    history_at(h, history_len(h) - 1, &step, &v);
    CHECK_INT_EQ(step, HISTORY_POINTS + 3);
    CHECK_NEAR(v, 2.0, 1e-6);
    free(h);
}

TEST(history_json_round_trips_and_names_what_is_wrong) {
    History *h = malloc(sizeof *h), *back = malloc(sizeof *back);
    history_reset(h);
    history_push(h, 1, 4.17f);
    history_push(h, 2, 4.0512345f);
    char json[256], err[200];
    history_to_json(h, json, sizeof json);
    CHECK_MSG(!strcmp(json, "[[1,4.17],[2,4.051234]]") || !strcmp(json, "[[1,4.17],[2,4.051235]]"), "%s", json);
    CHECK_MSG(!history_from_json(back, json, err, sizeof err), "%s", err);
    CHECK_INT_EQ(history_len(back), 2);
    long step;
    float v;
    history_at(back, 1, &step, &v);
    CHECK_INT_EQ(step, 2);
    CHECK_NEAR(v, 4.0512345, 1e-5);
    CHECK(!history_from_json(back, " [ ] ", err, sizeof err) && history_len(back) == 0);
    CHECK(!history_from_json(back, "[[1, 2.5] , [3,1e-1]]", err, sizeof err) && history_len(back) == 2);
    const char *bad[] = {"", "{}", "[[1,2]", "[[1]]", "[[2,1],[1,1]]", "[[-1,1]]", "[[1,nan]]", "[[1,1]]x", "[[1,1],]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(history_from_json(back, bad[i], err, sizeof err) == -1 && err[0], "accepted '%s'", bad[i]);
    free(h);
    free(back);
}

TEST(checkpoint_carries_the_loss_history) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    char err[512], path[600];
    snprintf(path, sizeof path, "%s/hist.safetensors", test_tmpdir());
    Model *m = model_new(&cfg, cfg.seed, err, sizeof err);
    Trainer t;
    CHECK(!trainer_init(&t, m, &corpus, err, sizeof err));
    float losses[12];
    for (int i = 0; i < 12; i++) {
        StepStats s;
        trainer_step(&t, &s);
        losses[i] = s.ce;
    }
    history_push(&t.valid_history, t.step, 3.25f);
    CHECK_INT_EQ(history_len(&t.train_history), 12);
    CHECK_MSG(!checkpoint_save(path, m, &corpus.vocab, &t, err, sizeof err), "%s", err);
    Checkpoint ck;
    CHECK_MSG(!checkpoint_open(&ck, path, err, sizeof err), "%s", err);
    CHECK(strncmp(st_meta(&ck.file, "history.train"), "[[1,", 4) == 0);
    CHECK(!strcmp(st_meta(&ck.file, "history.valid"), "[[12,3.25]]"));
    Trainer t2;
    CHECK(!trainer_init(&t2, m, &corpus, err, sizeof err));
    CHECK_MSG(!checkpoint_load_history(&ck, &t2, err, sizeof err), "%s", err);
    CHECK_INT_EQ(history_len(&t2.train_history), 12);
    for (int i = 0; i < 12; i++) {
        long step;
        float v;
        history_at(&t2.train_history, i, &step, &v);
        CHECK_INT_EQ(step, i + 1);
        CHECK_NEAR(v, losses[i], 1e-5 * losses[i]);
    }
    CHECK_INT_EQ(history_len(&t2.valid_history), 1);
    checkpoint_close(&ck);
    // a weights-only file has none: the history is empty, not an error
    CHECK(!checkpoint_save(path, m, &corpus.vocab, NULL, err, sizeof err));
    CHECK_MSG(!checkpoint_open(&ck, path, err, sizeof err), "%s", err);
    CHECK_MSG(!checkpoint_load_history(&ck, &t2, err, sizeof err), "%s", err);
    CHECK_INT_EQ(history_len(&t2.train_history), 0);
    checkpoint_close(&ck);
    trainer_free(&t);
    trainer_free(&t2);
    model_free(m);
    corpus_free(&corpus);
}
