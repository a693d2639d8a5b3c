// The commands' memory budget (app/cli.c) is the engine's run_budget: it counts the threads a run trains on.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "app/cli.h"
#include "tests/harness.h"

TEST(app_budget_counts_the_training_threads) {
    Config cfg;
    CHECK(config_preset(&cfg, "labml") == 0);
    cfg.vocab_size = 65;
    RunBudget one = run_budget(&cfg, cfg.batch_size, 1), two = run_budget(&cfg, cfg.batch_size, 2);
    double b1 = (double)(one.params + one.activations), b2 = (double)(two.params + two.activations);
    CHECK(b2 > b1); // a second gradient block
    char limit[64];
    snprintf(limit, sizeof limit, "%.6f", (b1 + b2) / 2 / 1048576.0); // between the two
    setenv("MEMSCOPE_MEMORY_LIMIT_MB", limit, 1);
    CHECK_INT_EQ(check_memory_budget(&cfg, 1, "train"), 0);
    fflush(stderr);
    int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2); // the refusal's line
    int refused = check_memory_budget(&cfg, 2, "train");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(devnull);
    CHECK_INT_EQ(refused, -1);
    // inference plans one stream: far below either
    CHECK_INT_EQ(check_memory_budget(&cfg, 1, "sample"), 0);
}
