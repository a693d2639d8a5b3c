// The attention picture (engine/attention_stats.c): bucket statistics against the probabilities by hand, the
// conservation of attention mass, the reconstruction-loss distribution, and the CSV/JSON exports.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/attention_report.h"
#include "engine/ar_loss.h"
#include "engine/compression.h"
#include "engine/forward.h"
#include "engine/model.h"
#include "engine/workspace.h"
#include "tests/gradcheck.h"
#include "tests/harness.h"

// Q=4, N_m=8, N_cm=8, c=2: after a few segments every group has at least 6 slots.
static Model *stats_model(unsigned seed) {
    Config cfg = {.vocab_size = 7, .d_model = 8, .n_heads = 2, .n_layers = 2, .d_ff = 12, .seq_len = 4, .mem_len = 8,
                  .c_mem_len = 8, .compression_rate = 2, .batch_size = 2, .lr = 1e-3f, .warmup = 0, .clip = 1.0f};
    char err[256];
    Model *m = model_new(&cfg, seed, err, sizeof err);
    CHECK_MSG(m, "%s", err);
    GcRng r;
    gc_rng_init(&r, seed);
    gc_fill_normal(&r, m->main.params, m->main.layout.total, 0.5);
    return m;
}

static void fill_tokens(GcRng *r, int32_t *x, int n) {
    for (int i = 0; i < n; i++) x[i] = gc_rng_int(r, 7);
}

TEST(attention_stats_buckets_match_the_probabilities) {
    Model *m = stats_model(3);
    Workspace *ws = workspace_new(m, 2);
    Memory mem;
    CHECK(!memory_init(&mem, 2, 2, 8, 8, 8, 4));
    GcRng r;
    gc_rng_init(&r, 4);
    int32_t in[8];
    for (int seg = 0; seg < 8; seg++) {
        fill_tokens(&r, in, 8);
        model_forward(m, ws, &mem, in, NULL, 4);
        model_update_memory(m, ws, &mem, seg * 4);
    }
    CHECK(mem.cm == 8 && mem.m >= 6);
    fill_tokens(&r, in, 8);
    model_forward(m, ws, &mem, in, NULL, 4);
    AttentionStats s;
    CHECK(!attention_stats_init(&s, m));
    attention_stats_add_segment(&s, m, ws, mem.cm, mem.m);
    int K = workspace_keys(ws), cm = mem.cm, mm = mem.m;
    CHECK_INT_EQ(K, cm + mm + 4);
    // layer 1, memory bucket 5 (rows [5·m/6, m)), by hand over streams, heads and queries
    const float *p = workspace_attention(ws, 1);
    int lo = 5 * mm / 6, hi = mm;
    double sum = 0, sq = 0, mass = 0;
    long count = 0;
    for (int b = 0; b < 2; b++)
        for (int h = 0; h < 2; h++)
            for (int i = 0; i < 4; i++) {
                double w = 0;
                for (int j = lo; j < hi; j++) w += p[(((long)b * 2 + h) * 4 + i) * K + cm + j];
                sum += w / (hi - lo);
                sq += (w / (hi - lo)) * (w / (hi - lo));
                mass += w;
                count++;
            }
    CHECK_INT_EQ(attention_stats_count(&s, 1, ATT_MEMORY, 5), count);
    CHECK_NEAR(attention_stats_mean(&s, 1, ATT_MEMORY, 5), sum / count, 1e-7);
    CHECK_NEAR(attention_stats_mass(&s, 1, ATT_MEMORY, 5), mass / count, 1e-7);
    CHECK_NEAR(attention_stats_std(&s, 1, ATT_MEMORY, 5), sqrt(fmax(0, sq / count - (sum / count) * (sum / count))), 1e-6);
    // the current segment: query i sees i + 1 keys, so bucket 0 has a sample only when i + 1 ≥ 6: never at Q = 4
    CHECK_INT_EQ(attention_stats_count(&s, 0, ATT_CURRENT, 0), 0);
    CHECK(isnan(attention_stats_mean(&s, 0, ATT_CURRENT, 0)));
    CHECK_INT_EQ(attention_stats_count(&s, 0, ATT_CURRENT, 5), 2 * 2 * 4); // the query's own key: always
    // every key is in exactly one bucket: the masses of a layer add up to one per (stream, head, query)
    for (int l = -1; l < 2; l++) {
        double total = 0;
        for (int g = 0; g < ATT_GROUPS; g++)
            for (int k = 0; k < ATT_BUCKETS; k++)
                if (attention_stats_count(&s, l, g, k))
                    total += attention_stats_mass(&s, l, g, k) * attention_stats_count(&s, l, g, k);
        CHECK_NEAR(total, (l < 0 ? 2 : 1) * 2 * 2 * 4, 1e-4);
        double shares = 0;
        for (int g = 0; g < ATT_GROUPS; g++) shares += attention_stats_share(&s, l, g);
        CHECK_NEAR(shares, 1.0, 1e-5);
    }
    attention_stats_free(&s);
    memory_free(&mem);
    workspace_free(ws);
    model_free(m);
}

static int count_lines(const char *path, long *lines) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int c;
    *lines = 0;
    while ((c = fgetc(f)) != EOF) *lines += c == '\n';
    fclose(f);
    return 0;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    CHECK(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    CHECK(fread(s, 1, (size_t)n, f) == (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

TEST(attention_stats_run_exports_csv_and_json) {
    Model *m = stats_model(5);
    GcRng r;
    gc_rng_init(&r, 6);
    enum { N = 400 };
    int32_t ids[N];
    fill_tokens(&r, ids, N);
    AttentionStats s;
    CHECK(!attention_stats_init(&s, m));
    EvalResult res, plain;
    attention_stats_run(&s, m, ids, N, &res);
    evaluate_stream(m, ids, N, &plain);
    CHECK(res.ce == plain.ce && res.ar == plain.ar); // the hooks change nothing
    CHECK_INT_EQ(s.segments, res.segments);
    CHECK(s.compressions > 50 && s.n_recon[0] == s.compressions && s.n_recon[1] == s.compressions);
    // conv + attention loss: the reconstruction error is the AR loss itself
    double mean_ar = 0;
    for (long i = 0; i < s.compressions; i++) mean_ar += s.recon[0][i] + s.recon[1][i];
    CHECK_NEAR(mean_ar / s.compressions, res.ar, 1e-5 * (1 + res.ar));
    for (int l = 0; l < 2; l++) {
        double prev = -INFINITY;
        for (int q = 0; q <= 10; q++) {
            double v = attention_stats_recon_quantile(&s, l, q / 10.0);
            CHECK(v >= prev && v >= 0);
            prev = v;
        }
    }
    for (int g = 0; g < ATT_GROUPS; g++)
        for (int k = 0; k < ATT_BUCKETS; k++) {
            double mu = attention_stats_mean(&s, -1, g, k);
            CHECK(attention_stats_count(&s, -1, g, k) > 0 || g == ATT_CURRENT);
            if (isfinite(mu)) CHECK(mu >= 0 && mu <= 1 && attention_stats_std(&s, -1, g, k) >= 0);
        }
    char csv[600], json[600], err[700];
    snprintf(csv, sizeof csv, "%s/stats.csv", test_tmpdir());
    snprintf(json, sizeof json, "%s/stats.json", test_tmpdir());
    CHECK_MSG(!attention_report_export(&s, csv, err, sizeof err), "%s", err);
    CHECK_MSG(!attention_report_export(&s, json, err, sizeof err), "%s", err);
    long lines;
    CHECK(!count_lines(csv, &lines));
    CHECK_INT_EQ(lines, 1 + 3 * (3 * 6 * 2 + 3) + 2 * (1 + 7 + 10)); // header, attention (2 layers + all), reconstruction
    char *text = slurp(csv);
    CHECK(!strncmp(text, "kind,layer,group,bucket,mean,std,count,lo,hi\n", 45));
    CHECK(strstr(text, "\nattention,all,compressed,0,") && strstr(text, "\nreconstruction,1,p50,,"));
    free(text);
    text = slurp(json);
    long depth = 0, max_depth = 0;
    for (char *c = text; *c; c++) {
        depth += (*c == '{' || *c == '[') - (*c == '}' || *c == ']');
        CHECK(depth >= 0);
        max_depth = depth > max_depth ? depth : max_depth;
    }
    CHECK(depth == 0 && max_depth >= 4 && text[0] == '{');
    CHECK(strstr(text, "\"layer\":\"all\"") && strstr(text, "\"histogram\":{\"lo\":"));
    CHECK(!strstr(text, "nan") && !strstr(text, "inf"));
    free(text);
    CHECK(attention_report_export(&s, "/nonexistent-dir/x.csv", err, sizeof err) < 0);
    CHECK(strstr(err, "/nonexistent-dir/x.csv") != NULL);
    attention_stats_free(&s);
    model_free(m);
}

// With another compression function or loss, the reconstruction error stays model.md's attention loss.
TEST(attention_reconstruction_is_the_attention_loss_for_every_choice) {
    for (int fn = 0; fn < COMPRESS_FN_COUNT; fn++) {
        Model *m = stats_model(7);
        char err[256];
        CHECK(!model_set_compression(m, fn, COMPRESS_LOSS_NONE, err, sizeof err));
        Workspace *ws = workspace_new(m, 2);
        Memory mem;
        CHECK(!memory_init(&mem, 2, 2, 8, 8, 8, 4));
        GcRng r;
        gc_rng_init(&r, 8);
        int32_t in[8];
        float ar[2], att[2];
        int compressed = 0;
        for (int seg = 0; seg < 6; seg++) {
            fill_tokens(&r, in, 8);
            model_forward(m, ws, &mem, in, NULL, 4);
            if (!model_update_memory(m, ws, &mem, seg * 4)) continue;
            compressed++;
            CHECK(model_ar_loss(m, ws, ar, 0) == 0.0f && ar[0] == 0.0f); // the "none" loss measures nothing
            model_attention_reconstruction(m, ws, att);
            CHECK(!model_set_compression(m, fn, COMPRESS_LOSS_ATTENTION, err, sizeof err));
            model_ar_loss(m, ws, ar, 0);
            CHECK(ar[0] == att[0] && ar[1] == att[1] && att[0] > 0);
            CHECK(!model_set_compression(m, fn, COMPRESS_LOSS_NONE, err, sizeof err));
        }
        CHECK(compressed >= 3);
        memory_free(&mem);
        workspace_free(ws);
        model_free(m);
    }
}
