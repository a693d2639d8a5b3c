// Checkpoints: exact resume, weights-only files, several compression rates.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/checkpoint.h"
#include "engine/trainer.h"
#include "tests/fixtures.h"
#include "tests/harness.h"

// With the word corpus, an epoch (168 steps at B=4, Q=4) ends inside a 200-step run.
TEST(resume_is_bit_identical) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    char err[512], path[600];
    snprintf(path, sizeof path, "%s/resume.safetensors", test_tmpdir());
    float straight[200], resumed[200];

    Model *m = model_new(&cfg, cfg.seed, err, sizeof err);
    Trainer t;
    CHECK(!trainer_init(&t, m, &corpus, err, sizeof err));
    CHECK(t.train.n_steps < 200 && t.train.n_steps > 100);
    fixture_run_steps(&t, 200, straight);
    trainer_free(&t);
    model_free(m);

    m = model_new(&cfg, cfg.seed, err, sizeof err);
    CHECK(!trainer_init(&t, m, &corpus, err, sizeof err));
    fixture_run_steps(&t, 100, resumed);
    CHECK_MSG(!checkpoint_save(path, m, &corpus.vocab, &t, err, sizeof err), "%s", err);
    trainer_free(&t);
    model_free(m);

    Checkpoint ck;
    CHECK_MSG(!checkpoint_open(&ck, path, err, sizeof err), "%s", err);
    CHECK(ck.has_state && ck.step == 100 && ck.has_training_keys);
    m = fixture_resume(&ck, &ck.cfg, 12345, &corpus, &t); // a different init: everything must come from the file
    checkpoint_close(&ck);
    fixture_run_steps(&t, 100, resumed + 100);
    fixture_check_same_losses(straight, resumed, 0, 200);
    trainer_free(&t);
    model_free(m);
    corpus_free(&corpus);
}

TEST(weights_only_checkpoint_loads_with_fresh_optimizer) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    char err[512], path[600];
    snprintf(path, sizeof path, "%s/weights.safetensors", test_tmpdir());
    Model *m = model_new(&cfg, 1, err, sizeof err);
    CHECK(!checkpoint_save(path, m, &corpus.vocab, NULL, err, sizeof err));
    Checkpoint ck;
    CHECK_MSG(!checkpoint_open(&ck, path, err, sizeof err), "%s", err);
    CHECK(!ck.has_state);
    Model *m2 = model_new(&ck.cfg, 2, err, sizeof err);
    CHECK(!checkpoint_load_weights(&ck, m2, err, sizeof err));
    CHECK(!memcmp(m->main.params, m2->main.params, sizeof(float) * m->main.layout.total));
    CHECK(!memcmp(model_active_set(m)->block.params, model_active_set(m2)->block.params,
                  sizeof(float) * model_active_set(m)->block.layout.total));
    CHECK_INT_EQ(m2->main.adam_t, 0);
    checkpoint_close(&ck);
    model_free(m);
    model_free(m2);
    corpus_free(&corpus);
}

TEST(every_rate_keeps_its_convs_through_a_checkpoint) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    char err[512], path[600];
    snprintf(path, sizeof path, "%s/rates.safetensors", test_tmpdir());
    Model *m = model_new(&cfg, 1, err, sizeof err);
    float conv2 = conv_weight(model_active_set(m), 1, 16)[5];
    CHECK(!model_set_rate(m, 4, err, sizeof err));
    CHECK(conv_weight(model_active_set(m), 0, 16)[(0 * 16 + 0) * 4 + 3] == 0.25f); // mean pooling start
    conv_weight(model_active_set(m), 1, 16)[7] = 0.5f;
    CHECK(!checkpoint_save(path, m, &corpus.vocab, NULL, err, sizeof err));
    Checkpoint ck;
    CHECK_MSG(!checkpoint_open(&ck, path, err, sizeof err), "%s", err);
    CHECK_INT_EQ(ck.cfg.compression_rate, 4);
    Model *m2 = model_new(&ck.cfg, 2, err, sizeof err);
    CHECK_MSG(!checkpoint_load_weights(&ck, m2, err, sizeof err), "%s", err);
    CHECK_INT_EQ(m2->n_sets, 2);
    CHECK(conv_weight(model_active_set(m2), 1, 16)[7] == 0.5f);
    CHECK(!model_set_rate(m2, 2, err, sizeof err));
    CHECK(conv_weight(model_active_set(m2), 1, 16)[5] == conv2);
    checkpoint_close(&ck);
    model_free(m);
    model_free(m2);
    corpus_free(&corpus);
}

TEST(vocab_json_round_trips_every_byte) {
    Vocab v, back;
    unsigned char all[256];
    for (int i = 0; i < 256; i++) all[i] = (unsigned char)i;
    vocab_build(&v, all, 256);
    char json[256 * 7 + 8];
    vocab_to_json(&v, json, sizeof json);
    CHECK(!vocab_from_json(&back, json));
    CHECK_INT_EQ(back.size, 256);
    CHECK(!memcmp(back.chars, v.chars, 256));
    CHECK(!vocab_from_json(&back, "\"\\n !abc\""));
    CHECK_INT_EQ(back.size, 6);
    CHECK(vocab_from_json(&back, "\"ba\"") != 0); // not in byte order
    CHECK(vocab_from_json(&back, "\"aa\"") != 0); // repeated
}

TEST(sharded_steps_match_a_single_thread) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    cfg.batch_size = 5; // shards of 2, 2, 1 streams
    char err[512];
    float one[40], three[40];
    for (int run = 0; run < 2; run++) {
        Model *m = model_new(&cfg, cfg.seed, err, sizeof err);
        Trainer t;
        CHECK(!trainer_init(&t, m, &corpus, err, sizeof err));
        trainer_set_threads(&t, run ? 3 : 1);
        CHECK_INT_EQ(t.n_shards, run ? 3 : 1);
        float *losses = run ? three : one;
        fixture_run_steps(&t, 20, losses);
        CHECK(!model_set_rate(m, 3, err, sizeof err)); // a new rate: larger convs, new shard buffers
        fixture_run_steps(&t, 20, losses + 20);
        if (run) CHECK(t.mem.cm > 0);
        trainer_free(&t);
        model_free(m);
    }
    for (int i = 0; i < 40; i++)
        CHECK_MSG(fabsf(one[i] - three[i]) <= 2e-5f * fabsf(one[i]), "step %d: %.9g with 1 thread, %.9g with 3",
                  i + 1, one[i], three[i]);
    corpus_free(&corpus);
}

// lr = 0 is a valid setting: the sharded update must still be an Adam pass (moments kept), not a second sum
// of the shards' gradients.
TEST(trainer_lr_zero_keeps_adam_moments_on_every_thread_count) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    cfg.lr = 0.0f;
    cfg.warmup = 0;
    char err[512];
    for (int threads = 1; threads <= 2; threads++) {
        Model *m = model_new(&cfg, cfg.seed, err, sizeof err);
        Trainer t;
        CHECK(!trainer_init(&t, m, &corpus, err, sizeof err));
        trainer_set_threads(&t, threads);
        float losses[3];
        fixture_run_steps(&t, 3, losses);
        double second_moment = 0.0;
        for (long i = 0; i < m->main.layout.total; i++) second_moment += m->main.adam_v[i];
        CHECK_MSG(second_moment > 0.0, "%d thread(s): Adam's second moment stayed zero", threads);
        trainer_free(&t);
        model_free(m);
    }
    corpus_free(&corpus);
}
