// fp16 against fp32 generation, side by side on the same characters (half_fidelity.h).
#include "app/half_fidelity.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "engine/generate.h"

#define PROMPT 64

static double ce_of(const float *logits, int vocab, int target) {
    double mx = logits[0], sum = 0.0;
    for (int v = 1; v < vocab; v++) mx = fmax(mx, logits[v]);
    for (int v = 0; v < vocab; v++) sum += exp(logits[v] - mx);
    return log(sum) + mx - logits[target];
}

// Teacher-forced: both read the same text one character at a time.
static void compare_on_text(Generator *full, Generator *half, const int32_t *ids, long n, HalfFidelity *f) {
    int V = full->model->cfg.vocab_size;
    long agree = 0;
    for (long i = 0; i + 1 < n; i++) {
        const float *a = generator_feed(full, ids + i, 1), *b = generator_feed(half, ids + i, 1);
        for (int v = 0; v < V; v++) f->max_dlogit = fmax(f->max_dlogit, fabs((double)a[v] - b[v]));
        f->ce32 += ce_of(a, V, ids[i + 1]);
        f->ce16 += ce_of(b, V, ids[i + 1]);
        agree += logits_argmax(a, V) == logits_argmax(b, V);
    }
    f->chars = n - 1;
    f->ce32 /= (double)f->chars;
    f->ce16 /= (double)f->chars;
    f->argmax_agree = (double)agree / (double)f->chars;
}

// Free-running: each continues greedily from its own previous choice.
static void compare_greedy(Generator *full, Generator *half, const int32_t *prompt, long n, HalfFidelity *f) {
    int V = full->model->cfg.vocab_size;
    generator_reset(full);
    generator_reset(half);
    const float *a = generator_feed(full, prompt, PROMPT), *b = generator_feed(half, prompt, PROMPT);
    long same = 0;
    f->greedy_prefix = -1;
    for (long i = 0; i < n; i++) {
        int32_t x = logits_argmax(a, V), y = logits_argmax(b, V);
        same += x == y;
        if (x != y && f->greedy_prefix < 0) f->greedy_prefix = i;
        a = generator_feed(full, &x, 1);
        b = generator_feed(half, &y, 1);
    }
    if (f->greedy_prefix < 0) f->greedy_prefix = n;
    f->greedy_n = n;
    f->greedy_agree = (double)same / (double)n;
}

int half_fidelity(Model *m, const int32_t *ids, long n_chars, long greedy_n, HalfFidelity *f) {
    Generator full, half;
    char err[256];
    memset(f, 0, sizeof *f);
    if (n_chars < PROMPT + 1)
        return fail("bench", "--load: the held-out text is shorter than %d characters", PROMPT + 1);
    if (generator_init(&full, m)) return fail("bench", "out of memory for the generation memory");
    if (generator_init(&half, m)) {
        generator_free(&full);
        return fail("bench", "out of memory for the generation memory");
    }
    int rc = generator_set_half(&half, 1, err, sizeof err);
    if (rc) fail("bench", "--half: %s", err);
    else {
        compare_on_text(&full, &half, ids, n_chars, f);
        compare_greedy(&full, &half, ids, greedy_n, f);
    }
    generator_free(&full);
    generator_free(&half);
    return rc ? -1 : 0;
}
