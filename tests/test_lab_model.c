// The memory lab in the whole model: every compression function and loss gradient-checked through memory
// update and loss (like tests/test_model.c for model.md's conv), parameter-free functions training nothing,
// the most-used attention accounting against the attention probabilities, per-(function, rate) parameter
// sets surviving switches, sharded training, the generator's cache and the checkpoint names.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ar_loss.h"
#include "engine/compress_ops.h"
#include "engine/compression.h"
#include "engine/forward.h"
#include "engine/generate.h"
#include "engine/model.h"
#include "engine/trainer.h"
#include "engine/workspace.h"
#include "tests/gradcheck.h"
#include "tests/fixtures.h"
#include "tests/harness.h"
#include "tests/model_case.h"

// The ops' scratch: one buffer large enough for every case of this file.
static float *op_scratch(long n) {
    static float buf[1 << 16];
    CHECK(n <= (long)(sizeof buf / sizeof buf[0]));
    return buf;
}

static double set_loss(void *ctx) {
    ModelCase *c = ctx;
    memory_copy(&c->scratch, &c->start);
    model_forward(c->m, c->ws, &c->scratch, c->inputs, c->targets, 3);
    model_update_memory(c->m, c->ws, &c->scratch, 100);
    return model_ar_loss(c->m, c->ws, NULL, 0);
}

static void setup(ModelCase *c, GcRng *r, int fn, int loss, int rate) {
    Config cfg = model_case_config(rate);
    char err[256];
    c->m = model_new(&cfg, 7, err, sizeof err);
    CHECK_MSG(c->m, "%s", err);
    model_case_randomise_main(c->m, r);
    CHECK_MSG(!model_set_compression(c->m, fn, loss, err, sizeof err), "%s", err);
    CompressSet *cs = model_active_set(c->m);
    CHECK_INT_EQ(cs->fn, fn);
    CHECK_INT_EQ(cs->has_decoder, loss == COMPRESS_LOSS_AUTOENCODE);
    gc_fill_normal(r, cs->block.params, cs->block.layout.total, 0.3); // every tensor away from its init
    model_case_prime(c, r);
}

// Smallest |h1| (the dilated stack's only pre-activation a parameter moves) over the rows the checked step
// evicts, in every layer: the dilated check redraws its case until no parameter step can cross a ReLU kink.
static double dilated_min_abs_h1(ModelCase *c) {
    memory_copy(&c->scratch, &c->start);
    model_forward(c->m, c->ws, &c->scratch, c->inputs, c->targets, 3);
    int n_old = model_update_memory(c->m, c->ws, &c->scratch, 100), d = 8, rate = model_active_set(c->m)->rate;
    double smallest = INFINITY;
    for (int l = 0; l < 2; l++) {
        const float *w1 = set_fn_params(model_active_set(c->m), l, d), *b1 = w1 + 2 * d * d;
        const float *h0 = c->ws->to_compress + (long)l * 2 * n_old * d;
        for (int s = 0; s < 2 * n_old; s++)
            for (int o = 0; o < d; o++) {
                double h = h0[s * d + o] + b1[o];
                for (int i = 0; i < d; i++) {
                    h += w1[(o * d + i) * 2 + 1] * fmax(0.0, h0[s * d + i]);
                    if (s % rate >= 1) h += w1[(o * d + i) * 2] * fmax(0.0, h0[(s - 1) * d + i]);
                }
                smallest = fmin(smallest, fabs(h));
            }
    }
    return smallest;
}

// The active set's every tensor against finite differences of its loss through the memory update. The loss
// comes back as a float, so a numeric derivative is quantised to ulp(L)/(2·eps) (6e-5 at eps 1e-3 for L ~ 1):
// - the autoencode loss of conv, pooling and most-used is exactly quadratic in each parameter, so a central
//   difference has no truncation error and eps 3e-2 keeps the quantisation at 2e-6;
// - the dilated stack is piecewise quadratic (ReLU): a step that crosses a kink gives a wrong numeric value, so
//   the case is redrawn until every pre-activation a parameter moves is ≥ 2e-2 from its kink, and eps 3e-3
//   (a step moves them by ≤ 3e-3·max(1, |w|)·|row| < 2e-2); the quantisation is then 2e-5 for the attention
//   loss (L ≲ 1: floor 1e-2) and up to 1.6e-4 for the autoencode loss of layer-1 rows (L ~ 10: floor 3e-2);
// tolerance 5e-2 and (otherwise) floor 3e-3 are test_model.c's. Over 41 seeds the worst errors were 2-5e-3
// (quadratic cases) and 1.2e-2 (dilated).
static void lab_gradcheck(int fn, int loss, int rate, unsigned seed) {
    double eps = fn == COMPRESS_DILATED ? 3e-3 : 3e-2;
    double fl = fn != COMPRESS_DILATED ? 3e-3 : loss == COMPRESS_LOSS_AUTOENCODE ? 3e-2 : 1e-2;
    if (getenv("LAB_SEED")) seed += (unsigned)atoi(getenv("LAB_SEED"));
    GcRng r;
    gc_rng_init(&r, seed);
    ModelCase c;
    setup(&c, &r, fn, loss, rate);
    for (int attempt = 0; fn == COMPRESS_DILATED && dilated_min_abs_h1(&c) < 2e-2; attempt++) {
        CHECK_MSG(attempt < 200, "no dilated case away from the ReLU kinks");
        model_case_free(&c);
        gc_rng_init(&r, seed * 1000 + (unsigned)attempt + 1);
        setup(&c, &r, fn, loss, rate);
    }
    Model *m = c.m;
    model_zero_grad(m);
    memory_copy(&c.scratch, &c.start);
    model_forward(m, c.ws, &c.scratch, c.inputs, c.targets, 3);
    model_backward(m, c.ws, &c.scratch, c.inputs, c.targets);
    CHECK(model_update_memory(m, c.ws, &c.scratch, 100) > 0);
    float ar[2];
    float total = model_ar_loss(m, c.ws, ar, 1);
    CHECK(total > 0.0f && isfinite(total));
    CompressSet *cs = model_active_set(m);
    CHECK(cs->used);
    CHECK_MSG(cs->block.layout.n > 0, "%s/%s has no tensors to check", compress_fn_name(fn), compress_loss_name(loss));
    GradcheckOpts o = gradcheck_default_opts();
    o.tol = 5e-2;
    o.floor = fl;
    o.eps = eps;
    o.max_checks = 40;
    o.quiet = 1;
    double worst = 0;
    for (int i = 0; i < cs->block.layout.n; i++) {
        const TensorInfo *t = &cs->block.layout.tensors[i];
        double e = gradcheck_tensor_ex(t->name, cs->block.params + t->offset, t->numel, cs->block.grads + t->offset,
                                       set_loss, &c, &o);
        worst = e > worst ? e : worst;
    }
    printf("    %s + %s loss, c=%d: worst relative error %.2e over %d tensors\n", compress_fn_name(fn),
           compress_loss_name(loss), rate, worst, cs->block.layout.n);
    model_case_free(&c);
}

TEST(lab_gradcheck_conv_autoencode) { lab_gradcheck(COMPRESS_CONV, COMPRESS_LOSS_AUTOENCODE, 2, 11); }
TEST(lab_gradcheck_dilated_attention) { lab_gradcheck(COMPRESS_DILATED, COMPRESS_LOSS_ATTENTION, 2, 12); }
TEST(lab_gradcheck_dilated_attention_rate4) { lab_gradcheck(COMPRESS_DILATED, COMPRESS_LOSS_ATTENTION, 4, 13); }
TEST(lab_gradcheck_dilated_autoencode) { lab_gradcheck(COMPRESS_DILATED, COMPRESS_LOSS_AUTOENCODE, 2, 14); }
TEST(lab_gradcheck_mean_autoencode) { lab_gradcheck(COMPRESS_MEAN, COMPRESS_LOSS_AUTOENCODE, 2, 15); }
TEST(lab_gradcheck_max_autoencode) { lab_gradcheck(COMPRESS_MAX, COMPRESS_LOSS_AUTOENCODE, 2, 16); }
TEST(lab_gradcheck_most_used_autoencode) { lab_gradcheck(COMPRESS_MOST_USED, COMPRESS_LOSS_AUTOENCODE, 2, 17); }

// The default choice is model.md's: selecting it again changes nothing and adds no set.
TEST(lab_default_is_conv_with_attention_loss) {
    Config cfg = model_case_config(2);
    char err[256];
    Model *m = model_new(&cfg, 3, err, sizeof err);
    CHECK_INT_EQ(m->cfg.compress, COMPRESS_CONV);
    CHECK_INT_EQ(m->cfg.compress_loss, COMPRESS_LOSS_ATTENTION);
    long n = model_active_set(m)->block.layout.total;
    float *before = malloc(sizeof(float) * n);
    memcpy(before, model_active_set(m)->block.params, sizeof(float) * n);
    CHECK(!model_set_compression(m, COMPRESS_CONV, COMPRESS_LOSS_ATTENTION, err, sizeof err));
    CHECK_INT_EQ(m->n_sets, 1);
    CHECK_INT_EQ(model_active_set(m)->block.layout.total, n);
    CHECK(!memcmp(before, model_active_set(m)->block.params, sizeof(float) * n));
    CHECK(model_set_compression(m, COMPRESS_FN_COUNT, 0, err, sizeof err) < 0);
    CHECK(model_set_compression(m, 0, COMPRESS_LOSS_COUNT, err, sizeof err) < 0);
    CHECK(compress_fn_parse("most-used") == COMPRESS_MOST_USED && compress_fn_parse("dilated") == COMPRESS_DILATED);
    CHECK(compress_fn_parse("conv") == COMPRESS_CONV && compress_fn_parse("avg") < 0);
    CHECK(compress_loss_parse("autoencode") == COMPRESS_LOSS_AUTOENCODE && compress_loss_parse("mse") < 0);
    free(before);
    model_free(m);
}

// A new dilated set starts as mean pooling, a new decoder repeats each compressed row c times.
TEST(lab_new_sets_start_as_mean_pooling) {
    Config cfg = model_case_config(2);
    char err[256];
    Model *m = model_new(&cfg, 3, err, sizeof err);
    CHECK(!model_set_compression(m, COMPRESS_DILATED, COMPRESS_LOSS_AUTOENCODE, err, sizeof err));
    GcRng r;
    gc_rng_init(&r, 4);
    float in[2 * 2 * 8], a[2 * 8], b[2 * 8], rec[2 * 2 * 8];
    gc_fill_normal(&r, in, 32, 1.0);
    CompressSet *cs = model_active_set(m);
    CHECK_INT_EQ(cs->block.layout.n, 2 * 6 + 2 * 2);
    dilated_forward(a, op_scratch(dilated_scratch_floats(2, 8, 2)), in, cs->block.params, 2, 8, 2);
    pool_mean_forward(b, in, 2, 8, 2);
    for (int i = 0; i < 16; i++) CHECK_NEAR(a[i], b[i], 1e-6);
    const TensorInfo *dec = &cs->block.layout.tensors[12];
    CHECK(strstr(dec->name, "decoder.weight") != NULL);
    deconv_forward(rec, op_scratch(deconv_scratch_floats(2, 8, 2)), b, cs->block.params + dec->offset,
                   cs->block.params + dec->offset + 8 * 8 * 2, 2, 8, 2);
    for (int t = 0; t < 4; t++)
        for (int e = 0; e < 8; e++) CHECK(rec[t * 8 + e] == b[(t / 2) * 8 + e]);
    model_free(m);
}

// Parameter-free functions train nothing: no tensors, no gradient, the loss is still measured; the "none" loss
// measures nothing.
TEST(lab_parameter_free_functions_train_nothing) {
    int fns[3] = {COMPRESS_MEAN, COMPRESS_MAX, COMPRESS_MOST_USED};
    for (int f = 0; f < 3; f++)
        for (int loss = COMPRESS_LOSS_ATTENTION; loss <= COMPRESS_LOSS_NONE; loss += 2) {
            GcRng r;
            gc_rng_init(&r, 30 + f);
            ModelCase c;
            setup(&c, &r, fns[f], loss, 2);
            CHECK_INT_EQ(model_active_set(c.m)->block.layout.total, 0);
            StepStats s;
            long main_before = c.m->main.adam_t;
            for (int i = 0; i < 4; i++) {
                model_case_fill_tokens(&r, c.inputs, 6, 7);
                model_case_fill_tokens(&r, c.targets, 6, 7);
                train_on_segment(c.m, c.ws, &c.start, c.inputs, c.targets, 100 + 3 * i, &s);
                CHECK(!s.skipped);
                if (s.compressed) CHECK(loss == COMPRESS_LOSS_NONE ? s.ar_total == 0.0f : s.ar_total > 0.0f);
            }
            CHECK_INT_EQ(c.m->main.adam_t, main_before + 4);
            model_case_free(&c);
        }
}

// The attention a memory row receives is accumulated from every forward's probabilities; most-used then keeps,
// per layer and stream, the evicted rows with the highest mean, in time order.
TEST(lab_most_used_keeps_the_most_attended_rows) {
    GcRng r;
    gc_rng_init(&r, 40);
    Config cfg = model_case_config(2);
    cfg.c_mem_len = 4;
    char err[256];
    Model *m = model_new(&cfg, 7, err, sizeof err);
    model_case_randomise_main(m, &r);
    CHECK(!model_set_compression(m, COMPRESS_MOST_USED, COMPRESS_LOSS_ATTENTION, err, sizeof err));
    Workspace *ws = workspace_new(m, 2);
    Memory mem, copy;
    CHECK(!memory_init(&mem, 2, 2, 8, 4, 4, 3) && !memory_init(&copy, 2, 2, 8, 4, 4, 3));
    int32_t in[6];
    model_case_fill_tokens(&r, in, 6, 7);
    model_forward(m, ws, &mem, in, NULL, 3);
    CHECK_INT_EQ(model_update_memory(m, ws, &mem, 0), 0); // 3 rows in memory, none read yet
    for (int j = 0; j < 3; j++) CHECK(mem.usage_reads[j] == 0.0f);
    model_case_fill_tokens(&r, in, 6, 7);
    model_forward(m, ws, &mem, in, NULL, 3);
    // expected usage of the 3 rows from this forward's probabilities: Σ over heads and queries
    double want[2][2][3] = {{{0}}};
    int K = workspace_keys(ws);
    CHECK_INT_EQ(K, 6);
    for (int l = 0; l < 2; l++) {
        const float *p = workspace_attention(ws, l);
        for (int b = 0; b < 2; b++)
            for (int h = 0; h < 2; h++)
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++) want[l][b][j] += p[(((long)b * 2 + h) * 3 + i) * K + j];
    }
    memory_copy(&copy, &mem);
    // m = 3 + 3 = 6 > 4: n = 1 slot from the 2 oldest rows
    CHECK_INT_EQ(model_update_memory(m, ws, &mem, 3), 2);
    CHECK_INT_EQ(mem.cm, 1);
    for (int l = 0; l < 2; l++)
        for (int b = 0; b < 2; b++) {
            int keep = want[l][b][1] >= want[l][b][0] ? 1 : 0;
            const float *kept = cmemory_rows(&mem, l, b), *row = memory_rows(&copy, l, b) + keep * 8;
            CHECK_MSG(!memcmp(kept, row, sizeof(float) * 8), "layer %d stream %d did not keep row %d", l, b, keep);
            // the survivor's usage moved up with it: row 2 of the old memory is row 0 now
            CHECK_NEAR(memory_usage(&mem, l, b)[0], want[l][b][2], 1e-5);
        }
    CHECK(mem.usage_reads[0] == 6.0f && mem.usage_reads[1] == 0.0f); // 3 queries × 2 heads; new rows unread
    CHECK_INT_EQ(mem.cmem_first[0], 0); // the span the kept row came from
    CHECK_INT_EQ(mem.cmem_last[0], 1);
    memory_free(&mem);
    memory_free(&copy);
    workspace_free(ws);
    model_free(m);
}

// Each (function, rate) keeps its parameters: training another function leaves them untouched, and changing the
// loss keeps the decoders for a switch back.
TEST(lab_switching_keeps_each_sets_parameters) {
    GcRng r;
    gc_rng_init(&r, 50);
    ModelCase c;
    setup(&c, &r, COMPRESS_CONV, COMPRESS_LOSS_ATTENTION, 2);
    Model *m = c.m;
    char err[256];
    StepStats s;
    for (int i = 0; i < 3; i++) train_on_segment(m, c.ws, &c.start, c.inputs, c.targets, 100 + 3 * i, &s);
    long nconv = model_active_set(m)->block.layout.total;
    float *conv = malloc(sizeof(float) * nconv);
    memcpy(conv, model_active_set(m)->block.params, sizeof(float) * nconv);
    CHECK(!model_set_compression(m, COMPRESS_DILATED, COMPRESS_LOSS_ATTENTION, err, sizeof err));
    for (int i = 0; i < 3; i++) train_on_segment(m, c.ws, &c.start, c.inputs, c.targets, 200 + 3 * i, &s);
    CHECK(model_active_set(m)->block.adam_t == 3);
    CHECK(!model_set_compression(m, COMPRESS_CONV, COMPRESS_LOSS_ATTENTION, err, sizeof err));
    CHECK(!memcmp(conv, model_active_set(m)->block.params, sizeof(float) * nconv));
    // autoencode: the conv gains its decoders after its own tensors, then trains them
    CHECK(!model_set_compression(m, COMPRESS_CONV, COMPRESS_LOSS_AUTOENCODE, err, sizeof err));
    CompressSet *cs = model_active_set(m);
    CHECK_INT_EQ(cs->block.layout.total, 2 * nconv);
    CHECK(!memcmp(conv, cs->block.params, sizeof(float) * nconv));
    for (int i = 0; i < 3; i++) train_on_segment(m, c.ws, &c.start, c.inputs, c.targets, 300 + 3 * i, &s);
    float *trained = malloc(sizeof(float) * 2 * nconv);
    memcpy(trained, cs->block.params, sizeof(float) * 2 * nconv);
    CHECK(memcmp(conv, trained, sizeof(float) * nconv) != 0);
    CHECK(!model_set_compression(m, COMPRESS_CONV, COMPRESS_LOSS_ATTENTION, err, sizeof err));
    CHECK_INT_EQ(cs->block.layout.total, nconv);
    CHECK(!model_set_compression(m, COMPRESS_CONV, COMPRESS_LOSS_AUTOENCODE, err, sizeof err));
    CHECK(!memcmp(trained, cs->block.params, sizeof(float) * 2 * nconv));
    // a new rate selects the function's set of that rate (and makes the rate's conv)
    CHECK(!model_set_compression(m, COMPRESS_DILATED, COMPRESS_LOSS_AUTOENCODE, err, sizeof err));
    CHECK(!model_set_rate(m, 3, err, sizeof err));
    CHECK(model_active_set(m)->fn == COMPRESS_DILATED && model_active_set(m)->rate == 3);
    int convs3 = 0;
    for (int i = 0; i < m->n_sets; i++) convs3 += m->sets[i].fn == COMPRESS_CONV && m->sets[i].rate == 3;
    CHECK_INT_EQ(convs3, 1);
    free(conv);
    free(trained);
    model_case_free(&c);
}

// Sharded training (one thread per shard) gives a single thread's losses with every lab choice.
//
// Adam turns a gradient that is exactly zero in theory but ±1e-9 in float (e.g. the autoencode loss's gradient
// into a function that starts as mean pooling, under a decoder that starts as its transpose) into a full ±lr
// step, so trajectories of different thread counts drift apart. The two trainers therefore run in lockstep:
// after every step the 3-thread one takes the 1-thread one's parameters, Adam state and memory, and each step's
// losses and gradients must agree to float precision.
static void copy_block(ParamBlock *dst, const ParamBlock *src, long n) {
    memcpy(dst->params, src->params, sizeof(float) * n);
    memcpy(dst->adam_m, src->adam_m, sizeof(float) * n);
    memcpy(dst->adam_v, src->adam_v, sizeof(float) * n);
    dst->adam_t = src->adam_t;
}

static double max_diff(const float *a, const float *b, long n, double *scale) {
    double d = 0;
    for (long i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        *scale = fmax(*scale, fabs(a[i]));
    }
    return d;
}

TEST(lab_sharded_steps_match_a_single_thread) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = {.vocab_size = corpus.vocab.size, .d_model = 16, .n_heads = 2, .n_layers = 2, .d_ff = 32,
                  .seq_len = 4, .mem_len = 4, .c_mem_len = 4, .compression_rate = 2, .batch_size = 5, .lr = 1e-2f,
                  .warmup = 10, .clip = 0.5f, .seed = 3};
    struct {
        int fn, loss;
    } choices[] = {{COMPRESS_DILATED, COMPRESS_LOSS_AUTOENCODE}, {COMPRESS_DILATED, COMPRESS_LOSS_ATTENTION},
                   {COMPRESS_MOST_USED, COMPRESS_LOSS_ATTENTION}, {COMPRESS_MOST_USED, COMPRESS_LOSS_AUTOENCODE},
                   {COMPRESS_MEAN, COMPRESS_LOSS_ATTENTION},      {COMPRESS_CONV, COMPRESS_LOSS_AUTOENCODE},
                   {COMPRESS_MAX, COMPRESS_LOSS_NONE}};
    char err[512];
    for (size_t ch = 0; ch < sizeof choices / sizeof choices[0]; ch++) {
        Model *m[2];
        Trainer t[2];
        for (int run = 0; run < 2; run++) {
            m[run] = model_new(&cfg, cfg.seed, err, sizeof err);
            CHECK(!model_set_compression(m[run], choices[ch].fn, choices[ch].loss, err, sizeof err));
            CHECK(!trainer_init(&t[run], m[run], &corpus, err, sizeof err));
            trainer_set_threads(&t[run], run ? 3 : 1);
        }
        CHECK_INT_EQ(t[1].n_shards, 3);
        for (int i = 0; i < 30; i++) {
            StepStats s[2];
            for (int run = 0; run < 2; run++) {
                if (i == 15) CHECK(!model_set_rate(m[run], 4, err, sizeof err)); // new sets, new shard buffers
                trainer_step(&t[run], &s[run]);
            }
            CHECK_MSG(fabsf(s[0].ce - s[1].ce) <= 1e-5f * s[0].ce && fabsf(s[0].ar_total - s[1].ar_total) <= 1e-5f * s[0].ar_total,
                      "%s/%s step %d: ce %.9g / %.9g, ar %.9g / %.9g with 1 / 3 threads", compress_fn_name(choices[ch].fn),
                      compress_loss_name(choices[ch].loss), i + 1, s[0].ce, s[1].ce, s[0].ar_total, s[1].ar_total);
            CompressSet *a = model_active_set(m[0]), *b = model_active_set(m[1]);
            CHECK_INT_EQ(a->used, b->used);
            double scale = 0, dg = max_diff(m[0]->main.grads, m[1]->main.grads, m[0]->main.layout.total, &scale);
            CHECK_MSG(dg <= 1e-5 * scale, "step %d: main gradients differ by %g (largest %g)", i + 1, dg, scale);
            scale = 0;
            dg = max_diff(a->block.grads, b->block.grads, a->block.layout.total, &scale);
            CHECK_MSG(dg <= 1e-5 * scale, "%s/%s step %d: compression gradients differ by %g (largest %g)",
                      compress_fn_name(choices[ch].fn), compress_loss_name(choices[ch].loss), i + 1, dg, scale);
            copy_block(&m[1]->main, &m[0]->main, m[0]->main.layout.total);
            for (int k = 0; k < m[0]->n_sets; k++) copy_block(&m[1]->sets[k].block, &m[0]->sets[k].block, m[0]->sets[k].capacity);
            memory_copy(&t[1].mem, &t[0].mem);
        }
        CHECK(t[0].mem.cm > 0);
        for (int run = 0; run < 2; run++) {
            trainer_free(&t[run]);
            model_free(m[run]);
        }
    }
    corpus_free(&corpus);
}

// The generator's key/value cache follows every compression function (it projects whatever rows were made), and
// Transformer-XL configs (N_cm = 0) or updates that make more slots than N_cm keep (the lab's baselines).
TEST(lab_kv_cache_matches_recomputing_with_every_function) {
    for (int fn = 0; fn < COMPRESS_FN_COUNT + 2; fn++) {
        Config cfg = model_case_config(2);
        if (fn >= COMPRESS_FN_COUNT) {
            cfg.c_mem_len = fn - COMPRESS_FN_COUNT; // 0, then 1
            cfg.compression_rate = 1;
        }
        char err[256];
        Model *m = model_new(&cfg, 5, err, sizeof err);
        GcRng r;
        gc_rng_init(&r, 60 + fn);
        model_case_randomise_main(m, &r);
        CHECK(!model_set_compression(m, fn % COMPRESS_FN_COUNT, COMPRESS_LOSS_ATTENTION, err, sizeof err));
        gc_fill_normal(&r, model_active_set(m)->block.params, model_active_set(m)->block.layout.total, 0.3);
        Generator g;
        CHECK(!generator_init(&g, m));
        Workspace *plain = workspace_new(m, 1);
        Memory mem;
        memory_init(&mem, 2, 1, 8, 4, cfg.c_mem_len, 3);
        double worst = model_case_cached_vs_fresh(m, &g, plain, &mem, &r);
        CHECK(mem.cm == cfg.c_mem_len);
        CHECK_MSG(worst < 1e-5, "%s, N_cm=%d: cached logits differ by %g", compress_fn_name(fn % COMPRESS_FN_COUNT),
                  cfg.c_mem_len, worst);
        memory_free(&mem);
        workspace_free(plain);
        generator_free(&g);
        model_free(m);
    }
}

// Checkpoint names: model.md's for convs (the current rate's as `compress`), unique stems for the others.
TEST(lab_checkpoint_names) {
    Config cfg = model_case_config(2);
    char err[256], name[160];
    Model *m = model_new(&cfg, 3, err, sizeof err);
    CHECK(!model_set_compression(m, COMPRESS_DILATED, COMPRESS_LOSS_AUTOENCODE, err, sizeof err));
    CHECK(!model_set_rate(m, 4, err, sizeof err));
    for (int i = 0; i < m->n_sets; i++) {
        CompressSet *cs = &m->sets[i];
        compress_set_tensor_name(m, cs, 0, name, sizeof name);
        char key[64];
        compress_set_state_key(cs, key, sizeof key);
        if (cs->fn == COMPRESS_CONV && cs->rate == 2) {
            CHECK(!strcmp(name, "layers.0.compress_r2.weight") && !strcmp(key, "optim.t.r2"));
            compress_set_tensor_name(m, cs, cs->block.layout.n - 2, name, sizeof name);
            CHECK_MSG(!strcmp(name, "layers.1.compress_r2.decoder.weight"), "%s", name);
        } else if (cs->fn == COMPRESS_CONV) {
            CHECK(!strcmp(name, "layers.0.compress.weight") && !strcmp(key, "optim.t.r4"));
        } else {
            char want[64];
            snprintf(want, sizeof want, "layers.0.compress_dilated_r%d.conv1.weight", cs->rate);
            CHECK_MSG(!strcmp(name, want), "%s", name);
            snprintf(want, sizeof want, "optim.t.dilated_r%d", cs->rate);
            CHECK(!strcmp(key, want));
        }
    }
    CHECK_INT_EQ(m->n_sets, 4);
    compress_set_stem(COMPRESS_MOST_USED, 4, 3, name, sizeof name);
    CHECK(!strcmp(name, "layers.3.compress_most_used_r4."));
    int fn = -1, rate = -1;
    CHECK(compress_set_parse("layers.0.compress_most_used_r12.decoder.weight", &fn, &rate));
    CHECK(fn == COMPRESS_MOST_USED && rate == 12);
    CHECK(compress_set_parse("layers.0.compress_dilated_r4.conv1.bias", &fn, &rate) && fn == COMPRESS_DILATED && rate == 4);
    CHECK(!compress_set_parse("layers.1.compress_dilated_r4.conv1.bias", &fn, &rate));
    CHECK(!compress_set_parse("layers.0.compress_r4.weight", &fn, &rate));
    CHECK(!compress_set_parse("layers.0.compress.weight", &fn, &rate));
    CHECK(!compress_set_parse("layers.0.compress_mean_r0.decoder.weight", &fn, &rate));
    CHECK(!compress_set_parse("layers.0.compress_mean_r99.decoder.weight", &fn, &rate));
    CHECK(!compress_set_parse("layers.0.compress_max_r4", &fn, &rate));
    model_free(m);
}

// Switched to the "none" loss mid-run, the compression stops training on every thread count: no Adam step,
// so the momentum of the steps before does not keep moving its weights.
TEST(lab_none_loss_stops_the_compression_training_sharded_or_not) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    char err[512];
    for (int threads = 1; threads <= 2; threads++) {
        Model *m = model_new(&cfg, cfg.seed, err, sizeof err);
        Trainer t;
        CHECK(!trainer_init(&t, m, &corpus, err, sizeof err));
        trainer_set_threads(&t, threads);
        float losses[20];
        fixture_run_steps(&t, 20, losses);
        CHECK(!model_set_compression(m, COMPRESS_CONV, COMPRESS_LOSS_NONE, err, sizeof err));
        const ParamBlock *b = &model_active_set(m)->block;
        long n = b->layout.total, adam_t = b->adam_t;
        float *before = malloc(sizeof(float) * n);
        memcpy(before, b->params, sizeof(float) * n);
        fixture_run_steps(&t, 10, losses);
        CHECK_MSG(b->adam_t == adam_t && !memcmp(before, b->params, sizeof(float) * n),
                  "%d thread(s): the conv moved (Adam step %ld -> %ld)", threads, adam_t, b->adam_t);
        free(before);
        trainer_free(&t);
        model_free(m);
    }
    corpus_free(&corpus);
}
