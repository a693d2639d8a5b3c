// The opt-in fp16 generation (engine/half.h): fp16 conversion, the fp16 row product, the generator's logits
// against full precision, and refusing weights that do not fit fp16.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/generate.h"
#include "engine/vecmath.h"
#include "tests/cli_run.h"
#include "tests/gradcheck.h"
#include "tests/harness.h"
#include "tests/model_case.h"

// The fp16 path's stated tolerance on this test model's logits (|logit| up to ~5): fp16 keeps 11 significant
// bits (relative rounding error ≤ 2⁻¹¹ ≈ 4.9e-4 per weight and cached key/value).
#define HALF_LOGIT_TOLERANCE 2e-2

static float bits_float(uint32_t b) {
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

TEST(half_conversion_rounds_to_nearest_even) {
    CHECK_INT_EQ(half_from_float(1.0f), 0x3c00);
    CHECK_INT_EQ(half_from_float(-2.0f), 0xc000);
    CHECK_INT_EQ(half_from_float(65504.0f), 0x7bff);
    CHECK_INT_EQ(half_from_float(65519.0f), 0x7bff);     // below the midpoint to 2¹⁶
    CHECK_INT_EQ(half_from_float(65520.0f), 0x7c00);     // the tie rounds to even: Inf
    CHECK_INT_EQ(half_from_float(1.0f + 0x1p-11f), 0x3c00);        // tie, stays even
    CHECK_INT_EQ(half_from_float(1.0f + 3 * 0x1p-11f), 0x3c02);    // tie, rounds up to even
    CHECK_INT_EQ(half_from_float(0x1p-24f), 0x0001);                // smallest subnormal
    CHECK_INT_EQ(half_from_float(0x1p-25f), 0x0000);                // tie to even: zero
    CHECK_INT_EQ(half_from_float(1.5f * 0x1p-25f), 0x0001);
    CHECK_INT_EQ(half_from_float(0x1p-14f - 0x1p-25f), 0x0400);     // rounds up into the normals
    CHECK_INT_EQ(half_from_float(INFINITY), 0x7c00);
    CHECK(half_from_float(NAN) != 0x7c00 && (half_from_float(NAN) & 0x7c00) == 0x7c00);
    for (uint32_t h = 0; h < 0x10000; h++) { // every non-NaN half survives the round trip
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue;
        CHECK_MSG(half_from_float(half_to_float((uint16_t)h)) == h, "0x%04x", h);
    }
}

// The vector conversion (F16C in -march=native builds) gives the same bits as the scalar one.
TEST(half_vector_conversion_matches_scalar) {
    enum { N = 1 << 16 };
    static float x[N];
    static uint16_t v[N];
    GcRng r;
    gc_rng_init(&r, 4);
    for (int i = 0; i < N; i++) { // sign, an exponent from 2⁻³⁰ (zero as fp16) to 2¹⁷ (Inf), any mantissa
        uint64_t u = gc_rng_u64(&r);
        uint32_t e = 97 + (uint32_t)(u >> 40) % 48;
        x[i] = bits_float((uint32_t)(u & 0x807fffff) | e << 23);
    }
    for (int i = 0; i < 64; i++) x[i] = ldexpf(1.0f + (float)i / 64, -30 + i);           // subnormals to overflow
    half_from_floats(v, x, N);
    for (int i = 0; i < N; i++)
        CHECK_MSG(v[i] == half_from_float(x[i]), "%a: 0x%04x vs 0x%04x", x[i], v[i], half_from_float(x[i]));
    for (int i = 0; i + 8 <= N; i += 8) {
        v8f w = v8_load_half(v + i);
        for (int k = 0; k < 8; k++) CHECK(w[k] == half_to_float(v[i + k]) || isnan(w[k]));
    }
}

// fp16 weights widened exactly: the product is vec_gemv's on the widened weights.
TEST(half_gemv_is_gemv_of_the_widened_weights) {
    int out = 13, in = 40;
    float w[13 * 40], x[40], bias[13], y[13], want[13];
    uint16_t w16[13 * 40];
    GcRng r;
    gc_rng_init(&r, 9);
    gc_fill_normal(&r, w, out * in, 1.0);
    gc_fill_normal(&r, x, in, 1.0);
    gc_fill_normal(&r, bias, out, 1.0);
    half_from_floats(w16, w, out * in);
    for (int i = 0; i < out * in; i++) w[i] = half_to_float(w16[i]);
    vec_gemv_half(y, w16, x, bias, out, in);
    vec_gemv(want, w, x, bias, out, in);
    for (int o = 0; o < out; o++) CHECK_NEAR(y[o], want[o], 1e-5 * (1 + fabs(want[o])));
}

static Config tiny_config(void) {
    return (Config){.vocab_size = 7, .d_model = 16, .n_heads = 2, .n_layers = 2, .d_ff = 24, .seq_len = 3,
                    .mem_len = 4, .c_mem_len = 3, .compression_rate = 2, .batch_size = 2, .lr = 1e-3f,
                    .warmup = 0, .clip = 1.0f, .seed = 1};
}

static Model *random_model(uint64_t seed) {
    Config cfg = tiny_config();
    char err[256];
    Model *m = model_new(&cfg, seed, err, sizeof err);
    GcRng r;
    gc_rng_init(&r, seed);
    gc_fill_normal(&r, m->main.params, m->main.layout.total, 0.3);
    for (int i = 0; i < m->main.layout.n; i++) {
        const TensorInfo *t = &m->main.layout.tensors[i];
        if (strstr(t->name, "norm.weight"))
            for (long k = 0; k < t->numel; k++) m->main.params[t->offset + k] += 1.0f;
    }
    CompressSet *cs = model_active_set(m);
    gc_fill_normal(&r, cs->block.params, cs->block.layout.total, 0.3);
    return m;
}

// Prompts of several characters (fp32) and single characters (fp16), through compression, trimming and the
// cache's compaction: the fp16 logits stay within the stated tolerance of fp32's, with the same memory.
TEST(half_generation_logits_within_tolerance_of_fp32) {
    Model *m = random_model(21);
    Generator full, half;
    char err[256];
    CHECK(!generator_init(&full, m) && !generator_init(&half, m));
    CHECK_MSG(!generator_set_half(&half, 1, err, sizeof err), "%s", err);
    CHECK(half.half);
    GcRng r;
    gc_rng_init(&r, 5);
    double worst = 0, scale = 0;
    int32_t ids[3];
    for (int s = 0; s < 120; s++) {
        int T = s % 17 == 0 ? 3 : 1;
        for (int t = 0; t < T; t++) ids[t] = gc_rng_int(&r, 7);
        const float *a = generator_feed(&full, ids, T), *b = generator_feed(&half, ids, T);
        for (int v = 0; v < 7; v++) {
            worst = fmax(worst, fabs(a[v] - b[v]));
            scale = fmax(scale, fabs(a[v]));
        }
        CHECK_INT_EQ(half.mem.m, full.mem.m);
        CHECK_INT_EQ(half.mem.cm, full.mem.cm);
    }
    CHECK(scale > 1.0); // logits of a useful size
    CHECK_MSG(worst > 0 && worst < HALF_LOGIT_TOLERANCE, "fp16 logits differ by %g (|logit| up to %g)", worst, scale);
    // after the weights change, reset makes new copies
    for (long i = 0; i < m->main.layout.total; i++) m->main.params[i] *= -1.0f;
    generator_reset(&full);
    generator_reset(&half);
    const float *a = generator_feed(&full, ids, 1), *b = generator_feed(&half, ids, 1);
    for (int v = 0; v < 7; v++) CHECK_NEAR(a[v], b[v], HALF_LOGIT_TOLERANCE);
    // and off is fp32 again, bit for bit
    generator_reset(&full);
    generator_reset(&half);
    CHECK(!generator_set_half(&half, 0, err, sizeof err));
    a = generator_feed(&full, ids, 1);
    b = generator_feed(&half, ids, 1);
    for (int v = 0; v < 7; v++) CHECK(a[v] == b[v]);
    generator_free(&full);
    generator_free(&half);
    model_free(m);
}

TEST(half_refuses_weights_beyond_fp16_range) {
    Model *m = random_model(3);
    m->p.layer[1].w_up[5] = 1e6f;
    Generator g;
    char err[256];
    CHECK(!generator_init(&g, m));
    CHECK(generator_set_half(&g, 1, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "layers.1.ffn.up.weight[5]") && strstr(err, "does not fit fp16"), "%s", err);
    CHECK(!g.half);
    int32_t id = 2;
    const float *l = generator_feed(&g, &id, 1); // still generates, in fp32
    CHECK(isfinite(l[0]));
    generator_free(&g);
    model_free(m);
}

#define TINY_CKPT "tests/fuzz/corpus/real_weights_tiny.safetensors"

// A copy of the tiny checkpoint with the first element of `tensor` (F32) set to value.
static const char *patched_checkpoint(const char *tensor, float value) {
    static char path[600], buf[1 << 16];
    FILE *f = fopen(TINY_CKPT, "rb");
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    uint64_t header;
    memcpy(&header, buf, sizeof header);
    char key[128];
    snprintf(key, sizeof key, "\"%s\"", tensor);
    const char *at = strstr(buf + 8, key);
    CHECK(at && (size_t)(at - buf) < 8 + header);
    long begin = atol(strstr(at, "\"data_offsets\":[") + strlen("\"data_offsets\":["));
    memcpy(buf + 8 + header + begin, &value, sizeof value);
    snprintf(path, sizeof path, "%s/patched.safetensors", test_tmpdir());
    f = fopen(path, "wb");
    fwrite(buf, 1, n, f);
    fclose(f);
    return path;
}

TEST(cli_sample_half) {
    RunResult r = run("sample --load " TINY_CKPT " --prompt ab -n 30 --temperature 0 --half");
    CHECK_MSG(r.status == 0 && strlen(r.out) == 2 + 30 + 1, "%d %s%s", r.status, r.out, r.err);
    r = run("sample --load %s --prompt ab -n 5 --half", patched_checkpoint("layers.0.ffn.up.weight", 1e6f));
    CHECK_REFUSED(r, "--half: layers.0.ffn.up.weight[0] = 1e+06 does not fit fp16");
    r = run("eval --load " TINY_CKPT " --half");
    CHECK_REFUSED(r, "unknown option '--half'");
}

// The labml shape (d 128, 4 heads: the AVX-512 kernels where built for them), memory full and compressed
// memory trimmed, past the cache's compaction: the same tolerance.
TEST(half_generation_at_the_labml_shape) {
    GcRng r;
    gc_rng_init(&r, 6);
    Model *m = model_case_labml(&r);
    const Config cfg = m->cfg;
    char err[256];
    Generator full, half;
    CHECK(!generator_init(&full, m) && !generator_init(&half, m));
    CHECK_MSG(!generator_set_half(&half, 1, err, sizeof err), "%s", err);
    double worst = 0, scale = 0;
    for (int i = 0; i < 700; i++) {
        int32_t id = gc_rng_int(&r, 65);
        const float *a = generator_feed(&full, &id, 1), *b = generator_feed(&half, &id, 1);
        for (int v = 0; v < 65; v++) {
            worst = fmax(worst, fabs(a[v] - b[v]));
            scale = fmax(scale, fabs(a[v]));
        }
    }
    CHECK_INT_EQ(half.mem.cm, cfg.c_mem_len);
    CHECK(scale > 1.0);
    CHECK_MSG(worst > 0 && worst < HALF_LOGIT_TOLERANCE, "fp16 logits differ by %g (|logit| up to %g)", worst, scale);
    generator_free(&full);
    generator_free(&half);
    model_free(m);
}
