// The learning-rate schedule: labml's linear warm-up then constant, and the optional cosine decay to lr/10.
#include <math.h>

#include "engine/adam.h"
#include "tests/harness.h"

TEST(lr_warms_up_then_stays_constant_without_decay) {
    Config c = {.lr = 1e-3f, .warmup = 100};
    CHECK(fabsf(adam_lr(&c, 1) - (1e-8f + 1e-5f)) < 1e-9f);
    CHECK(fabsf(adam_lr(&c, 50) - (1e-8f + 5e-4f)) < 1e-9f);
    CHECK(adam_lr(&c, 100) == 1e-3f && adam_lr(&c, 1000000) == 1e-3f);
}

TEST(lr_decays_by_cosine_to_a_tenth) {
    Config c = {.lr = 1e-3f, .warmup = 100, .lr_decay_steps = 1100};
    CHECK(fabsf(adam_lr(&c, 100) - 1e-3f) < 1e-9f);
    CHECK_MSG(fabsf(adam_lr(&c, 600) - 5.5e-4f) < 1e-8f, "%g", adam_lr(&c, 600)); // halfway: (1 + 0.1) / 2
    CHECK(fabsf(adam_lr(&c, 1100) - 1e-4f) < 1e-9f && adam_lr(&c, 5000) == adam_lr(&c, 1100));
    for (long t = 101; t <= 1100; t++) CHECK(adam_lr(&c, t) <= adam_lr(&c, t - 1));
    c.lr_decay_steps = 50; // ending before the warm-up does: no decay
    CHECK(adam_lr(&c, 5000) == 1e-3f);
}
