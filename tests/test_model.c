// Whole-model tests: finite-difference gradient of CE + AR through memory, compressed memory and the
// relative tables; memory bookkeeping; generation leaves training memory alone.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ar_loss.h"
#include "engine/compression.h"
#include "engine/forward.h"
#include "engine/generate.h"
#include "engine/model.h"
#include "tests/gradcheck.h"
#include "tests/harness.h"
#include "tests/model_case.h"

// Noise on every parameter so zero-initialised tables and unit LayerNorms are exercised too.
static void randomise(Model *m, GcRng *r) {
    model_case_randomise_main(m, r);
    CompressSet *cs = model_active_set(m);
    gc_fill_normal(r, cs->block.params, cs->block.layout.total, 0.3);
}

// The two halves of the training loss. AR treats everything but the convs as constants (model.md), and CE
// does not depend on the convs at all, so main tensors are checked against CE and convs against AR.
static double ce_loss(void *ctx) {
    ModelCase *c = ctx;
    return model_forward(c->m, c->ws, &c->start, c->inputs, c->targets, 3);
}

static double ar_loss(void *ctx) {
    ModelCase *c = ctx;
    memory_copy(&c->scratch, &c->start);
    model_forward(c->m, c->ws, &c->scratch, c->inputs, c->targets, 3);
    model_update_memory(c->m, c->ws, &c->scratch, 100);
    return model_ar_loss(c->m, c->ws, NULL, 0);
}

static void setup_case(ModelCase *c, GcRng *r) {
    Config cfg = model_case_config(2);
    char err[256];
    c->m = model_new(&cfg, 7, err, sizeof err);
    CHECK_MSG(c->m, "%s", err);
    randomise(c->m, r);
    model_case_prime(c, r);
}

TEST(model_gradient_matches_finite_differences) {
    GcRng r;
    gc_rng_init(&r, 42);
    ModelCase c;
    setup_case(&c, &r);
    Model *m = c.m;
    model_zero_grad(m);
    memory_copy(&c.scratch, &c.start);
    model_forward(m, c.ws, &c.scratch, c.inputs, c.targets, 3);
    model_backward(m, c.ws, &c.scratch, c.inputs, c.targets);
    CHECK(model_update_memory(m, c.ws, &c.scratch, 100) > 0);
    model_ar_loss(m, c.ws, NULL, 1);
    CHECK(model_active_set(m)->used);
    GradcheckOpts o = gradcheck_default_opts();
    o.tol = 5e-2;
    o.floor = 3e-3; // the forward is float: rounding noise of the loss is ~3e-5 in a numeric gradient
    o.max_checks = 40;
    o.quiet = 1;
    double worst = 0;
    for (int i = 0; i < m->main.layout.n; i++) {
        const TensorInfo *t = &m->main.layout.tensors[i];
        double e = gradcheck_tensor_ex(t->name, m->main.params + t->offset, t->numel, m->main.grads + t->offset,
                                       ce_loss, &c, &o);
        worst = e > worst ? e : worst;
    }
    CompressSet *cs = model_active_set(m);
    for (int i = 0; i < cs->block.layout.n; i++) {
        const TensorInfo *t = &cs->block.layout.tensors[i];
        double e = gradcheck_tensor_ex(t->name, cs->block.params + t->offset, t->numel, cs->block.grads + t->offset,
                                       ar_loss, &c, &o);
        worst = e > worst ? e : worst;
    }
    printf("    whole model: worst relative error %.2e over %d tensors\n", worst,
           m->main.layout.n + cs->block.layout.n);
    model_case_free(&c);
}

TEST(ce_gradient_never_reaches_convs_and_ar_only_reaches_convs) {
    GcRng r;
    gc_rng_init(&r, 5);
    ModelCase c;
    setup_case(&c, &r);
    Model *m = c.m;
    model_zero_grad(m);
    memory_copy(&c.scratch, &c.start);
    model_forward(m, c.ws, &c.scratch, c.inputs, c.targets, 3);
    model_backward(m, c.ws, &c.scratch, c.inputs, c.targets);
    CompressSet *cs = model_active_set(m);
    for (long i = 0; i < cs->block.layout.total; i++) CHECK(cs->block.grads[i] == 0.0f);
    float *before = malloc(sizeof(float) * m->main.layout.total);
    memcpy(before, m->main.grads, sizeof(float) * m->main.layout.total);
    model_update_memory(m, c.ws, &c.scratch, 100);
    float ar[2];
    CHECK(model_ar_loss(m, c.ws, ar, 1) > 0.0f);
    gradcheck_identical("main grads after AR", before, m->main.grads, m->main.layout.total);
    free(before);
    model_case_free(&c);
}

TEST(memory_follows_the_merge_compress_order) {
    // Q=3, N_m=4, c=2: lengths after each segment, worked out by hand from model.md steps 3-4.
    Config cfg = model_case_config(2);
    char err[256];
    Model *m = model_new(&cfg, 3, err, sizeof err);
    Workspace *ws = workspace_new(m, 2);
    Memory mem;
    memory_init(&mem, 2, 2, 8, 4, 3, 3);
    int32_t in[6] = {1, 2, 3, 4, 5, 6};
    int want_m[] = {3, 4, 3, 4, 3}, want_cm[] = {0, 1, 3, 3, 3}, want_removed[] = {0, 2, 4, 2, 4};
    for (int seg = 0; seg < 5; seg++) {
        model_forward(m, ws, &mem, in, NULL, 3);
        int removed = model_update_memory(m, ws, &mem, seg * 3);
        CHECK_INT_EQ(removed, want_removed[seg]);
        CHECK_INT_EQ(mem.m, want_m[seg]);
        CHECK_INT_EQ(mem.cm, want_cm[seg]);
    }
    // positions: memory rows are the last characters seen; compressed rows cover pairs before them
    CHECK_INT_EQ(mem.mem_pos[0], 12);
    CHECK_INT_EQ(mem.mem_pos[2], 14);
    CHECK_INT_EQ(mem.cmem_first[2], 10);
    CHECK_INT_EQ(mem.cmem_last[2], 11);
    // the newest memory row of layer 0 is the embedding of the last input token
    const float *row = memory_rows(&mem, 0, 1) + 2 * 8;
    for (int j = 0; j < 8; j++) CHECK(row[j] == m->p.embed[6 * 8 + j]);
    memory_free(&mem);
    workspace_free(ws);
    model_free(m);
}

TEST(segment_logits_ignore_future_tokens) {
    Config cfg = model_case_config(2);
    char err[256];
    Model *m = model_new(&cfg, 3, err, sizeof err);
    GcRng r;
    gc_rng_init(&r, 9);
    randomise(m, &r);
    Workspace *ws = workspace_new(m, 2);
    Memory mem;
    memory_init(&mem, 2, 2, 8, 4, 3, 3);
    int32_t a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 2, 0, 4, 5, 6};
    float la[6 * 7];
    model_forward(m, ws, &mem, a, NULL, 3);
    memcpy(la, workspace_logits(ws), sizeof la);
    model_forward(m, ws, &mem, b, NULL, 3);
    const float *lb = workspace_logits(ws);
    for (int v = 0; v < 14; v++) CHECK(la[v] == lb[v]); // positions 0 and 1 of stream 0
    int changed = 0;
    for (int v = 14; v < 21; v++) changed |= la[v] != lb[v];
    CHECK(changed);
    memory_free(&mem);
    workspace_free(ws);
    model_free(m);
}

TEST(greedy_generation_is_deterministic_and_matches_full_segments) {
    Config cfg = model_case_config(2);
    char err[256];
    Model *m = model_new(&cfg, 11, err, sizeof err);
    GcRng r;
    gc_rng_init(&r, 3);
    randomise(m, &r);
    Generator g1, g2;
    generator_init(&g1, m);
    generator_init(&g2, m);
    int32_t prompt[5] = {1, 2, 3, 4, 5};
    Rng rng;
    rng_seed(&rng, 0);
    int32_t out1[20], out2[20];
    const float *l1 = generator_feed(&g1, prompt, 5), *l2 = generator_feed(&g2, prompt, 5);
    for (int i = 0; i < 20; i++) {
        out1[i] = sample_logits(l1, 7, 0.0f, 0, &rng);
        out2[i] = sample_logits(l2, 7, 0.0f, 0, &rng);
        l1 = generator_feed(&g1, &out1[i], 1);
        l2 = generator_feed(&g2, &out2[i], 1);
    }
    for (int i = 0; i < 20; i++) CHECK_INT_EQ(out1[i], out2[i]);
    generator_free(&g1);
    generator_free(&g2);
    model_free(m);
}

TEST(sampling_respects_top_k_and_temperature) {
    float logits[5] = {0.0f, 3.0f, 2.9f, -1.0f, 1.0f};
    Rng rng;
    rng_seed(&rng, 1);
    CHECK_INT_EQ(sample_logits(logits, 5, 0.0f, 0, &rng), 1);
    int counts[5] = {0};
    for (int i = 0; i < 2000; i++) counts[sample_logits(logits, 5, 1.0f, 2, &rng)]++;
    CHECK(counts[0] == 0 && counts[3] == 0 && counts[4] == 0);
    CHECK(counts[1] > 800 && counts[2] > 800);
    Rng a, b;
    rng_seed(&a, 77);
    rng_seed(&b, 77);
    for (int i = 0; i < 50; i++) CHECK_INT_EQ(sample_logits(logits, 5, 0.8f, 0, &a), sample_logits(logits, 5, 0.8f, 0, &b));
}

// The same at the labml shape (d 128, 4 heads: the AVX-512 one-query kernels where built for them), one
// character at a time until the compressed memory is full, trimmed and its rows moved back to the front of
// their room; the reference projects every slot through the absorbed attention.
TEST(kv_cache_matches_recomputing_every_slot_at_the_labml_shape) {
    GcRng r;
    gc_rng_init(&r, 9);
    Model *m = model_case_labml(&r);
    const Config cfg = m->cfg;
    Generator g;
    CHECK(!generator_init(&g, m));
    Workspace *plain = workspace_new(m, 1);
    Memory mem;
    memory_init(&mem, cfg.n_layers, 1, cfg.d_model, cfg.mem_len, cfg.c_mem_len, cfg.seq_len);
    double worst = 0, scale = 0;
    int compacted = 0;
    for (long pos = 0; pos < 700; pos++) {
        int32_t id = gc_rng_int(&r, 65);
        int cstart_before = mem.cstart;
        const float *cached = generator_feed(&g, &id, 1);
        model_forward(m, plain, &mem, &id, NULL, 1);
        for (int v = 0; v < 65; v++) {
            worst = fmax(worst, fabs(cached[v] - workspace_logits(plain)[v]));
            scale = fmax(scale, fabs(cached[v]));
        }
        model_update_memory(m, plain, &mem, pos);
        compacted |= mem.cstart < cstart_before;
    }
    CHECK(compacted && mem.cm == cfg.c_mem_len);
    CHECK(scale > 1.0);
    CHECK_MSG(worst < 1e-5, "cached logits differ by %g (|logit| up to %g)", worst, scale);
    memory_free(&mem);
    workspace_free(plain);
    generator_free(&g);
    model_free(m);
}

// The generator's key/value cache must give the logits of projecting every memory row anew.
TEST(kv_cache_matches_recomputing_every_slot) {
    Config cfg = model_case_config(2);
    char err[256];
    Model *m = model_new(&cfg, 5, err, sizeof err);
    GcRng r;
    gc_rng_init(&r, 8);
    randomise(m, &r);
    Generator g;
    CHECK(!generator_init(&g, m));
    Workspace *plain = workspace_new(m, 1);
    Memory mem;
    memory_init(&mem, 2, 1, 8, 4, 3, 3);
    double worst = model_case_cached_vs_fresh(m, &g, plain, &mem, &r);
    CHECK(mem.cm == 3); // compressed memory filled and trimmed on the way
    CHECK_MSG(worst < 1e-5, "cached logits differ by %g", worst);
    // starting from another memory rebuilds the cache
    generator_set_memory(&g, &mem, 0);
    int32_t ids[1] = {2};
    const float *cached = generator_feed(&g, ids, 1);
    model_forward(m, plain, &mem, ids, NULL, 1);
    for (int v = 0; v < 7; v++) CHECK_NEAR(cached[v], workspace_logits(plain)[v], 1e-5);
    memory_free(&mem);
    workspace_free(plain);
    generator_free(&g);
    model_free(m);
}
