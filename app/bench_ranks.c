// memscope bench --mpi: training speed across the ranks of mpirun (or of this one process): tokens/s, the
// step split into compute and the allreduce wait, and the bandwidth the allreduce achieved.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/bench_ranks.h"
#include "app/cli.h"
#include "app/parallel.h"

#define REPS 3

static const char *const help =
    "usage: mpirun -np N memscope-mpi bench --mpi [--data FILE] [--json] [--preset NAME] [--threads N]\n"
    "Measures training across the ranks (or in one process, without mpirun) at the labml and default presets\n"
    "(or the given one), after warm-up, as the median of 3 repetitions: tokens/s of the whole batch, the step\n"
    "time split into compute and the wait in the allreduce (its share of the step; the wait includes waiting\n"
    "for a slower rank), the gradient bytes each step sums, and the transfer alone: the same sum with every\n"
    "rank ready (best of 7) and the bandwidth it achieves. --threads is per rank (default 1).\n"
    "How the gradient sum overlaps the step: MEMSCOPE_MPI_OVERLAP=step (the default: the whole block's sum\n"
    "starts after the backward pass and runs during the memory update and the AR loss), layer (each layer's\n"
    "sum starts as the backward pass finishes it; one thread per rank) or 0 (none).\n";

typedef struct {
    const char *preset;
    double tokens_per_s, step_ms, allreduce_ms, grad_bytes;
    double transfer_ms; // the same sum with every rank ready (par_time_sum)
} RankRow;

static int compare_rows(const void *a, const void *b) {
    double x = ((const RankRow *)a)->step_ms, y = ((const RankRow *)b)->step_ms;
    return (x > y) - (x < y);
}

static long grad_floats(Model *m) { return m->main.layout.total + model_active_set(m)->block.layout.total; }

void bench_config(Config *cfg, const char *preset, const Corpus *corpus) {
    config_preset(cfg, preset);
    cfg->vocab_size = corpus->vocab.size;
    cfg->seed = 0;
}

static int measure(RankRow *row, const char *preset, const Corpus *corpus, int threads) {
    Config cfg;
    char err[512];
    bench_config(&cfg, preset, corpus);
    Run run;
    if (run_open(&run, &cfg, corpus, NULL, threads, err, sizeof err)) return fail("bench", "%s", err);
    Model *m = run.model;
    int rc = par_attach(&run, err, sizeof err);
    if (rc) fail("bench", "%s", err);
    for (int i = rc ? 0 : run_warmup_steps(&cfg); i > 0; i--) run_step(&run, NULL);
    RankRow reps[REPS];
    int steps = cfg.batch_size * cfg.seq_len >= 512 ? 10 : 30;
    for (int r = 0; r < REPS && !rc; r++) {
        double s0, b0, s1, b1, t0 = now_seconds();
        par_reduce_totals(&s0, &b0);
        for (int i = 0; i < steps; i++) run_step(&run, NULL);
        double seconds = now_seconds() - t0;
        par_reduce_totals(&s1, &b1);
        reps[r] = (RankRow){preset, (double)steps * cfg.batch_size * cfg.seq_len / seconds, 1e3 * seconds / steps,
                            1e3 * (s1 - s0) / steps, 4.0 * grad_floats(m), 0.0};
    }
    if (!rc) {
        qsort(reps, REPS, sizeof reps[0], compare_rows);
        *row = reps[REPS / 2];
        row->transfer_ms = 1e3 * par_time_sum(grad_floats(m));
    }
    run_close(&run);
    return rc;
}

static void print_rows(const RankRow *rows, int n, int threads, int json) {
    const char *env = getenv("MEMSCOPE_MPI_OVERLAP");
    const char *overlap = env && !strcmp(env, "layer") ? "layer" : env && !strcmp(env, "0") ? "none" : "step";
    if (json) {
        printf("{\"ranks\":%d,\"threads_per_rank\":%d,\"overlap\":\"%s\",\"training\":[", par_ranks(), threads,
               overlap);
        for (int i = 0; i < n; i++)
            printf("%s{\"preset\":\"%s\",\"tokens_per_s\":%.1f,\"step_ms\":%.3f,\"compute_ms\":%.3f,\"allreduce_ms\":%.3f,"
                   "\"grad_bytes\":%.0f,\"transfer_ms\":%.3f}", i ? "," : "", rows[i].preset, rows[i].tokens_per_s,
                   rows[i].step_ms, rows[i].step_ms - rows[i].allreduce_ms, rows[i].allreduce_ms, rows[i].grad_bytes,
                   rows[i].transfer_ms);
        printf("]}\n");
        return;
    }
    printf("%d rank(s) × %d thread(s)", par_ranks(), threads);
    if (par_ranks() > 1) printf(", overlap: %s", overlap);
    printf("\n");
    printf("%-8s %10s %9s %11s %13s %6s %9s %12s %14s\n", "preset", "tokens/s", "step ms", "compute ms", "allreduce ms",
           "share", "grad MB", "transfer ms", "transfer GB/s");
    for (int i = 0; i < n; i++) {
        const RankRow *r = &rows[i];
        printf("%-8s %10.0f %9.2f %11.2f %13.2f %5.1f%% %9.2f ", r->preset, r->tokens_per_s, r->step_ms,
               r->step_ms - r->allreduce_ms, r->allreduce_ms, 100.0 * r->allreduce_ms / r->step_ms, r->grad_bytes / 1e6);
        if (r->transfer_ms > 0) printf("%12.2f %14.2f\n", r->transfer_ms, r->grad_bytes / (r->transfer_ms * 1e6));
        else printf("%12s %14s\n", "-", "-");
    }
}

int bench_ranks(int argc, char **argv) {
    Options o;
    char *args[64];
    int n_args = 0;
    for (int i = 0; i < argc && n_args < 64; i++)
        if (strcmp(argv[i], "--mpi")) args[n_args++] = argv[i];
    if (parse_options(&o, "bench", "data json preset threads", n_args, args)) return 2;
    if (o.help) return fputs(help, stdout), 0;
    Config probe;
    if (o.preset && config_preset(&probe, o.preset))
        return fail("bench", "unknown preset '%s'; use labml, default or large", o.preset), 2;
    Corpus corpus;
    if (load_corpus(&corpus, o.data, "bench")) return 1;
    int threads = o.threads ? (int)o.threads : 1, n = 0, rc = 0;
    const char *presets[] = {"labml", "default"};
    RankRow rows[2];
    if (o.preset) rc = measure(&rows[n++], o.preset, &corpus, threads);
    for (int p = 0; p < 2 && !o.preset && !rc; p++) rc = measure(&rows[n++], presets[p], &corpus, threads);
    if (!rc) print_rows(rows, n, threads, o.json);
    corpus_free(&corpus);
    return rc;
}
