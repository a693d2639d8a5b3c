// memscope bench: training, evaluation and generation speed, FLOPs and the BLAS ceiling, in one run.
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/bench_ranks.h"
#include "app/cli.h"
#include "app/commands.h"
#include "app/half_fidelity.h"
#include "engine/eval_stream.h"
#include "engine/flops.h"
#include "engine/generate.h"
#include "engine/run.h"

#define REPS 3

static const char *const bench_help =
    "usage: memscope bench [--data FILE] [--json] [--preset NAME] [--threads N] [--load CKPT]\n"
    "       memscope bench --mpi ...   (under mpirun: memscope bench --mpi --help)\n"
    "Measures, after warm-up and as the median of 3 repetitions: training tokens/s at the labml, default\n"
    "and large presets with 1 and 2 threads (or the given ones), the model FLOPs per training token and\n"
    "the GFLOP/s achieved, the cblas_sgemm GFLOP/s of each model's largest matmul shape with 1 and 2\n"
    "threads, evaluation characters/s, and generation characters/s (prompt prefill and sampling, with the\n"
    "key/value cache, with its opt-in fp16 copy, and with every memory slot recomputed), and generation's\n"
    "ceiling: the bytes one character reads (counted from the shapes) against the GB/s one thread reads\n"
    "from a working set that size.\n"
    "--load CKPT adds the fp16 generation's fidelity on that trained checkpoint: max |logit difference|, CE\n"
    "and argmax agreement over 4,000 held-out characters of --data fed one at a time, and the agreement of\n"
    "1,000 greedily generated characters.\n"
    EXIT_STATUS_HELP;

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, n, sizeof v[0], compare_doubles);
    return v[n / 2];
}

// The preset's model, for the inference figures.
static int model_for(const char *preset, const Corpus *corpus, Config *cfg, Model **m) {
    char err[512];
    bench_config(cfg, preset, corpus);
    *m = model_new(cfg, cfg->seed, err, sizeof err);
    if (!*m) fprintf(stderr, "memscope bench: %s\n", err);
    return *m ? 0 : -1;
}

// A run of the preset on corpus, or -1 after a line.
static int run_for(const char *preset, const Corpus *corpus, int threads, Config *cfg, Run *r) {
    char err[512];
    bench_config(cfg, preset, corpus);
    if (!run_open(r, cfg, corpus, NULL, threads, err, sizeof err)) return 0;
    fprintf(stderr, "memscope bench: %s\n", err);
    return -1;
}

static int timed_steps(const Config *c) {
    long tokens = (long)c->batch_size * c->seq_len;
    return tokens >= 1024 ? 3 : tokens >= 512 ? 10 : 30;
}

static double train_speed(const char *preset, const Corpus *corpus, int threads) {
    Config cfg;
    Run r;
    if (run_for(preset, corpus, threads, &cfg, &r)) return 0;
    for (int i = run_warmup_steps(&cfg); i > 0; i--) run_step(&r, NULL);
    double speeds[REPS];
    int steps = timed_steps(&cfg);
    for (int rep = 0; rep < REPS; rep++) {
        double t0 = now_seconds();
        for (int i = 0; i < steps; i++) run_step(&r, NULL);
        speeds[rep] = (double)steps * cfg.batch_size * cfg.seq_len / (now_seconds() - t0);
    }
    run_close(&r);
    return median(speeds, REPS);
}

// GFLOP/s of cblas_sgemm for rows × in → out (as linear_forward calls it), median of repetitions.
static double sgemm_gflops(long rows, long in, long out, int threads) {
    float *a = calloc((size_t)(rows * in), sizeof(float)), *w = calloc((size_t)(out * in), sizeof(float));
    float *c = calloc((size_t)(rows * out), sizeof(float));
    if (!a || !w || !c) abort();
    for (long i = 0; i < rows * in; i++) a[i] = (float)(i % 7) * 0.1f;
    for (long i = 0; i < out * in; i++) w[i] = (float)(i % 5) * 0.1f;
    set_threads(threads);
    double flops = 2.0 * rows * in * out, speeds[REPS];
    int calls = (int)(2e9 / flops) + 1;
    for (int r = 0; r < REPS; r++) {
        double t0 = now_seconds();
        for (int i = 0; i < calls; i++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)out, (int)in, 1.0f, a, (int)in, w,
                        (int)in, 0.0f, c, (int)out);
        speeds[r] = calls * flops / (now_seconds() - t0) / 1e9;
    }
    free(a);
    free(w);
    free(c);
    return median(speeds, REPS);
}

typedef struct {
    double eval, prefill, sample, sample_half, sample_recompute;
    double bytes_per_char, bytes_per_char_half, read_gb_per_s; // the generation ceiling
} InferenceSpeed;

// How much of the corpus a benchmark reads: `want` characters, or all of a shorter corpus (a slice past the
// end would read beyond the ids).
static long corpus_prefix(const Corpus *corpus, long want) { return (long)corpus->n < want ? (long)corpus->n : want; }

// Characters/s of greedy sampling after a 64-character prompt: a warm-up of n/4 characters, then the
// median of REPS runs of n (the memory is full after the first few dozen characters at labml).
static double sample_speed(Generator *g, const Corpus *corpus, int n) {
    Rng rng;
    rng_seed(&rng, 1);
    const float *logits = generator_feed(g, corpus->ids, corpus_prefix(corpus, 64));
    double speeds[REPS];
    for (int r = -1; r < REPS; r++) {
        int chars = r < 0 ? n / 4 : n;
        double t0 = now_seconds();
        for (int i = 0; i < chars; i++) {
            int32_t next = sample_logits(logits, g->model->cfg.vocab_size, 0.0f, 0, &rng);
            logits = generator_feed(g, &next, 1);
        }
        if (r >= 0) speeds[r] = chars / (now_seconds() - t0);
    }
    return median(speeds, REPS);
}

static InferenceSpeed inference_speed(const Corpus *corpus) {
    InferenceSpeed s = {0};
    Config cfg;
    Model *m;
    if (model_for("labml", corpus, &cfg, &m)) return s;
    set_threads(1);
    long n = corpus_prefix(corpus, 20000), prefill = corpus_prefix(corpus, 4000);
    EvalResult r;
    double t0 = now_seconds();
    evaluate_stream(m, corpus->ids, n, &r);
    s.eval = n / (now_seconds() - t0);
    Generator g;
    if (generator_init(&g, m) == 0) {
        t0 = now_seconds();
        generator_feed(&g, corpus->ids, prefill);
        s.prefill = prefill / (now_seconds() - t0);
        generator_reset(&g);
        s.sample = sample_speed(&g, corpus, 4000);
        char err[256];
        generator_reset(&g);
        if (generator_set_half(&g, 1, err, sizeof err) == 0) s.sample_half = sample_speed(&g, corpus, 4000);
        generator_free(&g);
    }
    if (generator_init(&g, m) == 0) {
        workspace_use_cache(g.ws, NULL);
        // the baseline projects every memory slot anew for every character
        workspace_set_memory_attention(g.ws, MEMORY_ATTENTION_PROJECTED);
        s.sample_recompute = sample_speed(&g, corpus, 400);
        generator_free(&g);
    }
    s.bytes_per_char = generation_bytes_per_char(&cfg, 0);
    s.bytes_per_char_half = generation_bytes_per_char(&cfg, 1);
    s.read_gb_per_s = read_gb_per_s(s.bytes_per_char);
    model_free(m);
    return s;
}

typedef struct {
    const char *preset;
    int threads;
    double tokens_per_s, flops_per_token, executed_per_token, sgemm[3];
} TrainRow;

static void measure_training(TrainRow *row, const Corpus *corpus) {
    Config cfg;
    config_preset(&cfg, row->preset);
    cfg.vocab_size = corpus->vocab.size;
    row->flops_per_token = train_flops_per_token(&cfg);
    row->executed_per_token = train_flops_executed_per_token(&cfg);
    row->tokens_per_s = train_speed(row->preset, corpus, row->threads);
    long rows, in, out;
    largest_matmul(&cfg, 1, &rows, &in, &out);
    for (int t = 1; t <= 2; t++) row->sgemm[t] = sgemm_gflops(rows, in, out, t);
}

static void print_table(const TrainRow *rows, int n, const InferenceSpeed *inf) {
    printf("%-8s %7s %12s %12s %9s %9s %15s %15s %9s\n", "preset", "threads", "tokens/s", "MFLOP/token", "GFLOP/s",
           "run MFLOP", "sgemm 1t GF/s", "sgemm 2t GF/s", "run of 2t");
    for (int i = 0; i < n; i++) {
        const TrainRow *r = &rows[i];
        double gflops = r->tokens_per_s * r->flops_per_token / 1e9, run = r->tokens_per_s * r->executed_per_token / 1e9;
        printf("%-8s %7d %12.0f %12.2f %9.1f %9.2f %15.1f %15.1f %8.0f%%\n", r->preset, r->threads, r->tokens_per_s,
               r->flops_per_token / 1e6, gflops, r->executed_per_token / 1e6, r->sgemm[1], r->sgemm[2],
               100.0 * run / r->sgemm[2]);
    }
    printf("(MFLOP/token and GFLOP/s count the model's products; run MFLOP the ones executed, fewer where the\n"
           " memory attention is absorbed into the queries; the ceiling fraction uses the executed ones)\n");
    printf("eval (labml, 1 thread)        %10.0f characters/s\n", inf->eval);
    printf("generation prefill            %10.0f characters/s\n", inf->prefill);
    printf("generation sampling, cached   %10.0f characters/s\n", inf->sample);
    printf("generation sampling, fp16     %10.0f characters/s  (opt-in sample --half: fp16 weights and keys; %.1fx "
           "the recompute loop)\n", inf->sample_half, inf->sample_half / inf->sample_recompute);
    printf("generation sampling, recompute%10.0f characters/s  (cache speed-up %.1fx)\n", inf->sample_recompute,
           inf->sample / inf->sample_recompute);
    double ceiling = inf->read_gb_per_s * 1e9 / inf->bytes_per_char;
    printf("generation ceiling            %10.0f characters/s  (%.2f MB read per character at %.1f GB/s, one thread "
           "reading a working set that size; cached sampling at %.0f%% of it)\n",
           ceiling, inf->bytes_per_char / 1e6, inf->read_gb_per_s, 100.0 * inf->sample / ceiling);
    printf("generation ceiling, fp16      %10.0f characters/s  (%.2f MB per character; fp16 sampling at %.0f%%)\n",
           inf->read_gb_per_s * 1e9 / inf->bytes_per_char_half, inf->bytes_per_char_half / 1e6,
           100.0 * inf->sample_half * inf->bytes_per_char_half / (inf->read_gb_per_s * 1e9));
}

static void print_json(const TrainRow *rows, int n, const InferenceSpeed *inf) {
    printf("{\"train\":[");
    for (int i = 0; i < n; i++) {
        const TrainRow *r = &rows[i];
        printf("%s{\"preset\":\"%s\",\"threads\":%d,\"tokens_per_s\":%.1f,\"flops_per_token\":%.0f,\"gflops\":%.2f,"
               "\"executed_flops_per_token\":%.0f,\"sgemm_gflops_1t\":%.1f,\"sgemm_gflops_2t\":%.1f}",
               i ? "," : "", r->preset, r->threads, r->tokens_per_s, r->flops_per_token,
               r->tokens_per_s * r->flops_per_token / 1e9, r->executed_per_token, r->sgemm[1], r->sgemm[2]);
    }
    printf("],\"eval_chars_per_s\":%.1f,\"prefill_chars_per_s\":%.1f,\"sample_chars_per_s\":%.1f,"
           "\"sample_half_chars_per_s\":%.1f,\"sample_recompute_chars_per_s\":%.1f,"
           "\"generation_bytes_per_char\":%.0f,\"generation_bytes_per_char_half\":%.0f,\"read_gb_per_s\":%.2f",
           inf->eval, inf->prefill, inf->sample, inf->sample_half, inf->sample_recompute, inf->bytes_per_char,
           inf->bytes_per_char_half, inf->read_gb_per_s);
}

// --load: fp16 against fp32 generation on the checkpoint (opened before the benchmarks, so a bad path or
// file fails at once), over the held-out part of the corpus.
static int measure_half_fidelity(const Checkpoint *ck, Corpus *corpus, HalfFidelity *f) {
    Model *m = NULL;
    int rc = 1;
    if (!encode_with_vocab(corpus, &ck->vocab, "bench") && (m = build_model(&ck->cfg, ck, "bench"))) {
        long held_out = (long)(corpus->n - corpus->n_train);
        rc = half_fidelity(m, corpus->ids + corpus->n_train, held_out < 4000 ? held_out : 4000, 1000, f) ? 1 : 0;
        // (half_fidelity refuses a held-out text shorter than its prompt, and its greedy run feeds only the prompt)
    }
    model_free(m);
    return rc;
}

static void print_half_fidelity(const char *path, const HalfFidelity *f) {
    printf("fp16 generation on %s, %ld held-out characters one at a time: max |logit difference| %.3g, CE fp32 "
           "%.5f, fp16 %.5f (difference %+.2g), same most likely character at %.2f%% of positions; %ld greedy "
           "characters: identical for the first %ld, %.1f%% of positions equal\n",
           path, f->chars, f->max_dlogit, f->ce32, f->ce16, f->ce16 - f->ce32, 100.0 * f->argmax_agree, f->greedy_n,
           f->greedy_prefix, 100.0 * f->greedy_agree);
}

static void print_half_fidelity_json(const HalfFidelity *f) {
    printf(",\"half_fidelity\":{\"chars\":%ld,\"max_abs_logit_diff\":%.6g,\"ce_fp32\":%.6f,\"ce_fp16\":%.6f,"
           "\"argmax_agreement\":%.6f,\"greedy_chars\":%ld,\"greedy_identical_prefix\":%ld,\"greedy_agreement\":%.6f}",
           f->chars, f->max_dlogit, f->ce32, f->ce16, f->argmax_agree, f->greedy_n, f->greedy_prefix, f->greedy_agree);
}

int cmd_bench(int argc, char **argv) {
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--mpi")) return bench_ranks(argc, argv);
    Options o;
    if (parse_options(&o, "bench", "data json preset threads load", argc, argv)) return 2;
    if (o.help) return fputs(bench_help, stdout), 0;
    Config probe;
    if (o.preset && config_preset(&probe, o.preset)) return fail("bench", "unknown preset '%s'; use labml, default or large", o.preset), 2;
    char err[1024];
    Checkpoint ck;
    if (o.load && checkpoint_open(&ck, o.load, err, sizeof err)) return fail("bench", "%s", err);
    Corpus corpus;
    if (load_corpus(&corpus, o.data, "bench")) {
        if (o.load) checkpoint_close(&ck);
        return 1;
    }
    const char *presets[] = {"labml", "default", "large"};
    TrainRow rows[6];
    int n = 0;
    for (int p = 0; p < 3; p++) {
        if (o.preset && strcmp(o.preset, presets[p])) continue;
        for (int t = 1; t <= 2; t++) {
            if (o.threads && t != o.threads) continue;
            rows[n] = (TrainRow){.preset = presets[p], .threads = t};
            measure_training(&rows[n++], &corpus);
            if (!o.json) fprintf(stderr, "memscope bench: %s, %d thread(s): %.0f tokens/s\n", presets[p], t,
                                 rows[n - 1].tokens_per_s);
        }
    }
    InferenceSpeed inf = inference_speed(&corpus);
    HalfFidelity fid;
    int rc = o.load ? measure_half_fidelity(&ck, &corpus, &fid) : 0;
    if (o.load) checkpoint_close(&ck);
    if (o.json) print_json(rows, n, &inf);
    else print_table(rows, n, &inf);
    if (o.load && !rc && o.json) print_half_fidelity_json(&fid);
    else if (o.load && !rc) print_half_fidelity(o.load, &fid);
    if (o.json) printf("}\n");
    corpus_free(&corpus);
    // a preset the corpus could not train (shorter than one batch) has no figure: the run did not do its job
    for (int i = 0; i < n; i++)
        if (rows[i].tokens_per_s <= 0) rc = 1;
    return rc;
}
