// F16 tensors, shipping copies (memscope export --weights-only --half) and labml state dicts (import/export).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/checkpoint_export.h"
#include "engine/eval_stream.h"
#include "engine/generate.h"
#include "engine/labml.h"
#include "engine/trainer.h"
#include "engine/vecmath.h"
#include "tests/cli_run.h"
#include "tests/fixtures.h"
#include "tests/harness.h"

#define LABML_GOLDEN "tests/golden/labml_tiny.safetensors"
#define LABML_TEXT "tests/golden/labml_tiny.txt"

TEST(f16_tensors_are_read_as_f32) {
    static const uint16_t halves[5] = {0x3c00, 0xc000, 0x0001, 0x7bff, 0x8000}; // 1, -2, 2^-24, 65504, -0
    static const float expect[5] = {1.0f, -2.0f, 0x1p-24f, 65504.0f, -0.0f};
    static const uint8_t pad[1] = {9}; // puts the F16 tensor at an odd offset
    const int64_t shape[1] = {5}, one[1] = {1};
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s", test_path("half.safetensors"));
    StWriter *w = st_writer_new();
    st_writer_add(w, "pad", ST_U8, 1, one, pad);
    st_writer_add(w, "h", ST_F16, 1, shape, halves);
    CHECK(!st_writer_save(w, path, err, sizeof err));
    st_writer_free(w);
    StFile f;
    CHECK_MSG(!st_open(&f, path, err, sizeof err), "%s", err);
    const StTensor *t = st_find(&f, "h");
    CHECK(t && t->dtype == ST_F32 && t->nbytes == 5 * sizeof(float) && f.n_widened == 1);
    CHECK(!memcmp(t->data, expect, sizeof expect));
    st_close(&f);
}

// A trained small model saved with its training state and a loss history.
static Model *trained(Corpus *corpus, const char *path) {
    fixture_word_corpus(corpus);
    Config cfg = fixture_small_config(corpus->vocab.size);
    char err[512];
    Model *m = model_new(&cfg, cfg.seed, err, sizeof err);
    Trainer t;
    CHECK(!trainer_init(&t, m, corpus, err, sizeof err));
    float losses[20];
    fixture_run_steps(&t, 20, losses);
    CHECK_MSG(!checkpoint_save(path, m, &corpus->vocab, &t, err, sizeof err), "%s", err);
    trainer_free(&t);
    return m;
}

// Adds the history keys another writer puts into checkpoints, by rewriting the file with them.
static void add_history(const char *path) {
    char err[512];
    Checkpoint ck;
    CHECK(!checkpoint_open(&ck, path, err, sizeof err));
    const char *meta[2] = {"history.train=[[1,4.5],[2,4.25]]", "history.valid=[[2,4.4]]"};
    ExportOptions o = {.meta = meta, .n_meta = 2};
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.hist", path);
    CHECK_MSG(!checkpoint_export(&ck, tmp, &o, err, sizeof err), "%s", err);
    checkpoint_close(&ck);
    CHECK(!rename(tmp, path));
}

TEST(export_weights_only_half_keeps_metadata_and_rounds_weights) {
    Corpus corpus;
    char full[1024], half[1024], err[512];
    snprintf(full, sizeof full, "%s", test_path("full.safetensors"));
    snprintf(half, sizeof half, "%s", test_path("half.safetensors"));
    Model *m = trained(&corpus, full);
    add_history(full);
    RunResult r = run("export --weights-only --half --meta made_by=test %s %s", full, half);
    CHECK_MSG(r.status == 0, "%s", r.err);
    Checkpoint ck;
    CHECK_MSG(!checkpoint_open(&ck, half, err, sizeof err), "%s", err);
    CHECK(!ck.has_state && ck.step == 20 && ck.file.n_widened == m->main.layout.n + m->sets[0].block.layout.n);
    CHECK(!strcmp(st_meta(&ck.file, "history.train"), "[[1,4.5],[2,4.25]]"));
    CHECK(!strcmp(st_meta(&ck.file, "history.valid"), "[[2,4.4]]"));
    CHECK(!strcmp(st_meta(&ck.file, "made_by"), "test"));
    CHECK(st_meta(&ck.file, "lr") && st_meta(&ck.file, "vocab") && !st_meta(&ck.file, "epoch"));
    for (int i = 0; i < ck.file.n_tensors; i++)
        CHECK(strncmp(ck.file.tensors[i].name, "optim.", 6) && strncmp(ck.file.tensors[i].name, "memory.", 7));
    Model *back = model_new(&ck.cfg, 99, err, sizeof err);
    CHECK_MSG(!checkpoint_load_weights(&ck, back, err, sizeof err), "%s", err);
    for (long i = 0; i < m->main.layout.total; i++)
        CHECK(back->main.params[i] == half_to_float(half_from_float(m->main.params[i])));
    model_free(back);
    checkpoint_close(&ck);
    model_free(m);
    corpus_free(&corpus);
}

TEST(export_half_refuses_weights_beyond_fp16) {
    Corpus corpus;
    char full[1024], half[1024], err[512];
    snprintf(full, sizeof full, "%s", test_path("full.safetensors"));
    snprintf(half, sizeof half, "%s", test_path("half.safetensors"));
    Model *m = trained(&corpus, full);
    m->p.head_b[0] = 1e5f;
    CHECK(!checkpoint_save(full, m, &corpus.vocab, NULL, err, sizeof err));
    RunResult r = run("export --half %s %s", full, half);
    CHECK_REFUSED(r, "tensor 'head.bias' element 0 is 100000, beyond fp16's range");
    FILE *fp = fopen(half, "rb");
    CHECK(!fp);
    model_free(m);
    corpus_free(&corpus);
}

// The labml golden file imported with the lengths the port used.
static Model *import_golden(StFile *f, Vocab *vocab) {
    char err[512];
    CHECK_MSG(!st_open(f, LABML_GOLDEN, err, sizeof err), "%s", err);
    size_t n;
    unsigned char *text = fixture_read_file(LABML_TEXT, &n);
    vocab_build(vocab, text, n);
    free(text);
    Config cfg;
    config_preset(&cfg, "labml");
    CHECK_MSG(!labml_read_shapes(f, LABML_GOLDEN, &cfg, err, sizeof err), "%s", err);
    cfg.seq_len = atoi(st_meta(f, "reference.seq_len"));
    cfg.mem_len = atoi(st_meta(f, "reference.mem_len"));
    cfg.c_mem_len = atoi(st_meta(f, "reference.c_mem_len"));
    CHECK(cfg.vocab_size == vocab->size && cfg.d_model == 8 && cfg.n_heads == 2 && cfg.n_layers == 2 &&
          cfg.d_ff == 12 && cfg.compression_rate == 2);
    Model *m = model_new(&cfg, 5, err, sizeof err);
    CHECK_MSG(!labml_load(f, LABML_GOLDEN, m, err, sizeof err), "%s", err);
    return m;
}

TEST(labml_import_evaluates_as_the_pytorch_port) {
    StFile f;
    Vocab vocab;
    Model *m = import_golden(&f, &vocab);
    size_t n;
    unsigned char *text = fixture_read_file(LABML_TEXT, &n);
    int32_t *ids = malloc(sizeof(int32_t) * n);
    CHECK(vocab_encode(&vocab, text, n, ids) < 0);
    EvalResult r;
    evaluate_stream(m, ids, (long)n, &r);
    double port = atof(st_meta(&f, "reference.ce"));
    CHECK_NEAR(r.ce, port, 1e-6);
    free(ids);
    free(text);
    model_free(m);
    st_close(&f);
}

TEST(labml_export_then_import_is_bit_exact) {
    StFile f, back;
    Vocab vocab;
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s", test_path("labml.safetensors"));
    Model *m = import_golden(&f, &vocab);
    CHECK_MSG(!labml_save(m, path, err, sizeof err), "%s", err);
    CHECK_MSG(!st_open(&back, path, err, sizeof err), "%s", err);
    const StTensor *rel = st_find(&back, "transformer.layers.1.self_attn.key_pos_embeddings");
    CHECK(rel && rel->shape[0] == 2 * LABML_P && back.n_tensors == f.n_tensors);
    Model *again = model_new(&m->cfg, 6, err, sizeof err);
    CHECK_MSG(!labml_load(&back, path, again, err, sizeof err), "%s", err);
    CHECK(!memcmp(m->main.params, again->main.params, sizeof(float) * m->main.layout.total));
    CHECK(!memcmp(m->sets[0].block.params, again->sets[0].block.params,
                  sizeof(float) * m->sets[0].block.layout.total));
    model_free(again);
    model_free(m);
    st_close(&back);
    st_close(&f);
}

TEST(labml_names_map_both_ways) {
    char a[160], b[160];
    CHECK(!labml_name("layers.12.attn.q.weight", a, sizeof a));
    CHECK(!strcmp(a, "transformer.layers.12.self_attn.query.linear.weight"));
    CHECK(!labml_our_name(a, b, sizeof b) && !strcmp(b, "layers.12.attn.q.weight"));
    CHECK(!labml_name("layers.0.compress.bias", a, sizeof a) && !strcmp(a, "transformer.layers.0.compress.conv.bias"));
    CHECK(!labml_name("head.weight", a, sizeof a) && !strcmp(a, "generator.weight"));
    CHECK(labml_our_name("transformer.layers.01.norm_ff.weight", b, sizeof b) == -1);
    CHECK(labml_our_name("transformer.layers.0.dropout.weight", b, sizeof b) == -1);
    CHECK(labml_name("layers.0.compress_r4.weight", a, sizeof a) == -1);
}

#define IMPORT "import --from labml %s --data " LABML_TEXT " --save %s/out.safetensors"

TEST(labml_import_names_what_is_missing_or_wrong) {
    const char *dir = test_tmpdir();
    RunResult r = run(IMPORT " --set seq_len=4 --set c_mem_len=3", LABML_GOLDEN, dir);
    CHECK_REFUSED(r, "--set mem_len=N is missing");
    r = run("import --from labml %s --data README.md --set seq_len=4 --set mem_len=4 --set c_mem_len=3 "
            "--save %s/out.safetensors", LABML_GOLDEN, dir);
    CHECK_REFUSED(r, "distinct characters but tests/golden/labml_tiny.safetensors's src_embed.weight has 31 rows");
    r = run(IMPORT " --set seq_len=4 --set mem_len=4 --set c_mem_len=3 --set d_model=16", LABML_GOLDEN, dir);
    CHECK_REFUSED(r, "--set d_model=16: the state dict's shapes fix this key");
    r = run(IMPORT " --set seq_len=4 --set mem_len=1 --set c_mem_len=3", LABML_GOLDEN, dir); // import validates
    CHECK_REFUSED(r, "c_mem_len=3 needs mem_len >= compression_rate");
    char pt[1024];
    snprintf(pt, sizeof pt, "%s", test_path("model.pt"));
    FILE *fp = fopen(pt, "wb");
    fputs("PK\x03\x04 not really a zip", fp);
    fclose(fp);
    r = run(IMPORT " --set seq_len=4 --set mem_len=4 --set c_mem_len=3", pt, dir);
    CHECK_REFUSED(r, "is a PyTorch pickle, not safetensors; convert it with: python3 -c \"import torch; from "
                     "safetensors.torch import save_file; save_file(torch.load(");
    r = run(IMPORT " --set seq_len=4 --set mem_len=4 --set c_mem_len=3", "tests/golden/tiny.safetensors", dir);
    CHECK_REFUSED(r, "tensor 'src_embed.weight' is missing");
}

TEST(labml_import_names_a_foreign_tensor_and_a_short_table) {
    StFile f;
    Vocab vocab;
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s", test_path("extra.safetensors"));
    Model *m = import_golden(&f, &vocab);
    StWriter *w = st_writer_new();
    static const float x[1] = {1};
    const int64_t one[1] = {1};
    for (int i = 0; i < f.n_tensors; i++)
        st_writer_add(w, f.tensors[i].name, ST_F32, f.tensors[i].ndim, f.tensors[i].shape, f.tensors[i].data);
    st_writer_add(w, "transformer.layers.0.self_attn.extra", ST_F32, 1, one, x);
    CHECK(!st_writer_save(w, path, err, sizeof err));
    st_writer_free(w);
    StFile g;
    CHECK(!st_open(&g, path, err, sizeof err));
    Model *again = model_new(&m->cfg, 6, err, sizeof err);
    CHECK(labml_load(&g, path, again, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "tensor 'transformer.layers.0.self_attn.extra' is not one of labml's"), "%s", err);
    st_close(&g);
    Config big = m->cfg;
    big.c_mem_len = 4090; // R − 1 = 4097 > P: the table has no row for the largest distance
    model_free(again);
    again = model_new(&big, 6, err, sizeof err);
    CHECK_MSG(again, "%s", err);
    CHECK(labml_load(&f, LABML_GOLDEN, again, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "key_pos_embeddings' is [8192,2,4]; this model needs [2P>="), "%s", err);
    model_free(again);
    model_free(m);
    st_close(&f);
}
