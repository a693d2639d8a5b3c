// memscope bench: training tokens/s per preset and thread count (median of repetitions after warm-up).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/commands.h"
#include "engine/trainer.h"

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// Median tokens/s over `reps` timed runs of `steps` steps after `warmup` steps.
static double train_speed(const char *preset, const Corpus *corpus, int threads, int steps, int reps) {
    Config cfg;
    char err[512];
    config_preset(&cfg, preset);
    cfg.vocab_size = corpus->vocab.size;
    Model *m = model_new(&cfg, 0, err, sizeof err);
    Trainer t;
    if (!m || trainer_init(&t, m, corpus, err, sizeof err)) return 0;
    trainer_threads(&t, threads);
    for (int i = 0; i < 3; i++) trainer_step(&t, NULL);
    double speeds[16];
    for (int r = 0; r < reps; r++) {
        double t0 = now_seconds();
        for (int i = 0; i < steps; i++) trainer_step(&t, NULL);
        speeds[r] = (double)steps * cfg.batch_size * cfg.seq_len / (now_seconds() - t0);
    }
    qsort(speeds, reps, sizeof speeds[0], compare_doubles);
    trainer_free(&t);
    model_free(m);
    return speeds[reps / 2];
}

int cmd_bench(int argc, char **argv) {
    Options o;
    if (parse_options(&o, "bench", "data json", argc, argv)) return 2;
    if (o.help)
        return fputs("usage: memscope bench [--data FILE] [--json]\nTraining tokens/s at the labml and default "
                     "presets with 1 and 2 BLAS threads (median of 3 runs after warm-up).\n", stdout), 0;
    Corpus corpus;
    if (load_corpus(&corpus, o.data, "bench")) return 1;
    const char *presets[] = {"labml", "default"};
    if (o.json) printf("{");
    for (int p = 0; p < 2; p++)
        for (int threads = 1; threads <= 2; threads++) {
            double tps = train_speed(presets[p], &corpus, threads, 20, 3);
            if (o.json) printf("%s\"%s_t%d\":%.1f", p || threads > 1 ? "," : "", presets[p], threads, tps);
            else printf("train  %-8s threads %d  %8.0f tokens/s\n", presets[p], threads, tps);
            fflush(stdout);
        }
    if (o.json) printf("}\n");
    corpus_free(&corpus);
    return 0;
}
