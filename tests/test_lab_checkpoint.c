// The memory lab's choices in config and checkpoints: `compress` and `compress_loss` as --set keys, stored by
// name, every (function, rate) parameter set and its optimizer state saved and restored so that training
// resumes bit-identically, and a loss chosen on --load that the file was not trained with.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/checkpoint.h"
#include "engine/trainer.h"
#include "tests/fixtures.h"
#include "tests/harness.h"

TEST(lab_config_keys_take_names) {
    Config cfg;
    char err[256], out[64];
    config_preset(&cfg, "default");
    CHECK(cfg.compress == COMPRESS_CONV && cfg.compress_loss == COMPRESS_LOSS_ATTENTION);
    CHECK_MSG(!config_set(&cfg, "compress=most-used", err, sizeof err), "%s", err);
    CHECK(cfg.compress == COMPRESS_MOST_USED);
    CHECK(!config_set(&cfg, "compress=most_used", err, sizeof err) && cfg.compress == COMPRESS_MOST_USED);
    CHECK(!config_set(&cfg, "compress_loss=autoencode", err, sizeof err) && cfg.compress_loss == COMPRESS_LOSS_AUTOENCODE);
    CHECK(!config_get(&cfg, "compress", out, sizeof out) && !strcmp(out, "most-used"));
    CHECK(!config_get(&cfg, "compress_loss", out, sizeof out) && !strcmp(out, "autoencode"));
    CHECK(config_set(&cfg, "compress=zip", err, sizeof err));
    CHECK_MSG(strstr(err, "compress='zip'") && strstr(err, "conv mean max dilated most-used"), "%s", err);
    CHECK(config_set(&cfg, "compress_loss=2", err, sizeof err));
    CHECK_MSG(strstr(err, "attention autoencode none"), "%s", err);
    CHECK(cfg.compress == COMPRESS_MOST_USED); // a refused value changes nothing
    CHECK(!config_validate(&cfg, err, sizeof err));
}

TEST(lab_model_new_applies_the_configured_choice) {
    Config cfg;
    char err[256];
    config_preset(&cfg, "default");
    cfg.vocab_size = 10;
    cfg.d_model = 16;
    cfg.d_ff = 16;
    cfg.compress = COMPRESS_DILATED;
    cfg.compress_loss = COMPRESS_LOSS_AUTOENCODE;
    Model *m = model_new(&cfg, 1, err, sizeof err);
    CHECK_MSG(m, "%s", err);
    CHECK(m->cfg.compress == COMPRESS_DILATED && m->cfg.compress_loss == COMPRESS_LOSS_AUTOENCODE);
    CHECK(model_active_set(m)->fn == COMPRESS_DILATED && model_active_set(m)->has_decoder);
    CHECK(!model_set_compression(m, COMPRESS_MAX, COMPRESS_LOSS_NONE, err, sizeof err));
    CHECK(m->cfg.compress == COMPRESS_MAX && m->cfg.compress_loss == COMPRESS_LOSS_NONE);
    model_free(m);
}

// A model that has used conv and dilated at rates 2 and 4 with the autoencode loss, then most-used.
static Model *switching_model(const Config *cfg, Trainer *t, const Corpus *corpus, float *losses) {
    char err[512];
    Model *m = model_new(cfg, cfg->seed, err, sizeof err);
    CHECK(!model_set_compression(m, COMPRESS_DILATED, COMPRESS_LOSS_AUTOENCODE, err, sizeof err));
    CHECK(!trainer_init(t, m, corpus, err, sizeof err));
    fixture_run_steps(t, 20, losses);
    CHECK(!model_set_rate(m, 4, err, sizeof err));
    fixture_run_steps(t, 20, losses + 20);
    CHECK(!model_set_compression(m, COMPRESS_MOST_USED, COMPRESS_LOSS_AUTOENCODE, err, sizeof err));
    fixture_run_steps(t, 20, losses + 40);
    return m;
}

static int same_block(const ParamBlock *a, const ParamBlock *b) {
    size_t n = sizeof(float) * (size_t)a->layout.total;
    return a->layout.total == b->layout.total && a->adam_t == b->adam_t && !memcmp(a->params, b->params, n) &&
           !memcmp(a->adam_m, b->adam_m, n) && !memcmp(a->adam_v, b->adam_v, n);
}

TEST(lab_checkpoint_resumes_every_set_bit_identically) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    char err[512], path[600];
    snprintf(path, sizeof path, "%s/lab.safetensors", test_tmpdir());
    float straight[100], resumed[100];
    Trainer t;
    Model *m = switching_model(&cfg, &t, &corpus, straight);
    CHECK_MSG(!checkpoint_save(path, m, &corpus.vocab, &t, err, sizeof err), "%s", err);
    fixture_run_steps(&t, 40, straight + 60);

    Checkpoint ck;
    CHECK_MSG(!checkpoint_open(&ck, path, err, sizeof err), "%s", err);
    CHECK(ck.cfg.compress == COMPRESS_MOST_USED && ck.cfg.compress_loss == COMPRESS_LOSS_AUTOENCODE);
    CHECK(ck.cfg.compression_rate == 4);
    Trainer t2;
    Model *back = fixture_resume(&ck, &ck.cfg, 999, &corpus, &t2);
    checkpoint_close(&ck);
    CHECK(back->cfg.compress == COMPRESS_MOST_USED && back->cfg.compress_loss == COMPRESS_LOSS_AUTOENCODE);
    // the trained model has moved on 40 steps; compare every set against a second identical run instead
    Trainer t3;
    float again[60];
    Model *ref = switching_model(&cfg, &t3, &corpus, again);
    CHECK_INT_EQ(back->n_sets, ref->n_sets);
    for (int i = 0; i < ref->n_sets; i++) {
        const CompressSet *a = &ref->sets[i];
        int found = 0;
        for (int j = 0; j < back->n_sets; j++)
            if (back->sets[j].fn == a->fn && back->sets[j].rate == a->rate) {
                found = 1;
                CHECK_MSG(same_block(&a->block, &back->sets[j].block), "set %s r%d differs after loading",
                          compress_fn_name(a->fn), a->rate);
            }
        CHECK_MSG(found, "set %s r%d was not restored", compress_fn_name(a->fn), a->rate);
    }
    CHECK(same_block(&ref->main, &back->main));
    fixture_run_steps(&t2, 40, resumed + 60);
    fixture_check_same_losses(straight, resumed, 60, 100);
    trainer_free(&t);
    trainer_free(&t2);
    trainer_free(&t3);
    model_free(m);
    model_free(back);
    model_free(ref);
    corpus_free(&corpus);
}

// A model.md file (conv, attention loss, no decoders) loads with the autoencode loss chosen on --load: fresh
// decoders and optimizer state for them, the conv itself from the file.
TEST(lab_checkpoint_takes_a_new_loss_on_load) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    char err[512], path[600];
    snprintf(path, sizeof path, "%s/plain.safetensors", test_tmpdir());
    Trainer t;
    Model *m = model_new(&cfg, cfg.seed, err, sizeof err);
    CHECK(!trainer_init(&t, m, &corpus, err, sizeof err));
    float losses[10];
    fixture_run_steps(&t, 10, losses);
    CHECK_MSG(!checkpoint_save(path, m, &corpus.vocab, &t, err, sizeof err), "%s", err);
    Checkpoint ck;
    CHECK_MSG(!checkpoint_open(&ck, path, err, sizeof err), "%s", err);
    Config want = ck.cfg;
    CHECK(!config_set(&want, "compress_loss=autoencode", err, sizeof err));
    CHECK(!config_set(&want, "compress=dilated", err, sizeof err));
    Trainer t2;
    Model *back = fixture_resume(&ck, &want, 5, &corpus, &t2);
    checkpoint_close(&ck);
    CHECK(back->cfg.compress == COMPRESS_DILATED && back->cfg.compress_loss == COMPRESS_LOSS_AUTOENCODE);
    const CompressSet *conv = NULL;
    for (int i = 0; i < back->n_sets; i++)
        if (back->sets[i].fn == COMPRESS_CONV) conv = &back->sets[i];
    CHECK(conv && conv->has_decoder && conv->block.adam_t == model_active_set(m)->block.adam_t && conv->block.adam_t > 0);
    CHECK(!memcmp(conv->block.params, model_active_set(m)->block.params, sizeof(float) * model_active_set(m)->block.layout.total));
    fixture_run_steps(&t2, 5, losses); // trains on: nothing missing
    trainer_free(&t);
    trainer_free(&t2);
    model_free(m);
    model_free(back);
    corpus_free(&corpus);
}
