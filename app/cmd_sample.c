// memscope sample: continue a prompt with greedy, temperature or top-k sampling, memory carried.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/commands.h"
#include "app/prompt_vocab.h"
#include "engine/generate.h"

static const char *const sample_help =
    "usage: memscope sample --load CKPT --prompt TEXT [-n N] [--temperature T] [--top-k K] [--seed S] [--threads N]\n"
    "                       [--half]\n"
    "Feeds TEXT through the model with memory and prints it followed by N generated characters (default 200).\n"
    "--temperature 0 is greedy; default 1.0. --top-k K samples among the K most likely (0 = all).\n"
    "--half generates from fp16 copies of the weights and cached keys/values: about 1.35x faster at the\n"
    "labml shape, not bit-identical (logits within 1e-2 of full precision on trained checkpoints, measured\n"
    "by memscope bench --load CKPT); the prompt itself is still read in full precision.\n"
    EXIT_STATUS_HELP;

static int encode_prompt(const Vocab *v, const char *prompt, int32_t *ids) {
    char msg[256];
    if (prompt_vocab_check(v, prompt, msg, sizeof msg) >= 0) return fail("sample", "%s", msg);
    vocab_encode(v, (const unsigned char *)prompt, strlen(prompt), ids);
    return 0;
}

// Non-zero (after one line on stderr) when the model's output is NaN or Inf: its weights overflow, and
// what it would print is meaningless.
static int logits_not_finite(const float *logits, int vocab) {
    for (int i = 0; i < vocab; i++)
        if (!isfinite(logits[i]))
            return fail("sample", "the model's output is not finite (NaN or Inf): its weights overflow; nothing to "
                        "sample");
    return 0;
}

static int generate(Model *m, const Vocab *v, const int32_t *ids, long n_prompt, const Options *o) {
    Generator g;
    char err[256];
    if (generator_init(&g, m)) return fail("sample", "out of memory for the generation memory");
    if (o->half && generator_set_half(&g, 1, err, sizeof err)) {
        generator_free(&g);
        return fail("sample", "--half: %s", err);
    }
    Rng rng;
    rng_seed(&rng, o->has_seed ? o->seed : 0);
    const float *logits = generator_feed(&g, ids, n_prompt);
    int rc = logits_not_finite(logits, m->cfg.vocab_size);
    if (!rc) fputs(o->prompt, stdout);
    for (long i = 0; !rc && i < o->length && !ferror(stdout); i++) { // a closed pipe: stop
        int32_t next = sample_logits(logits, m->cfg.vocab_size, (float)o->temperature, (int)o->top_k, &rng);
        putchar(v->chars[next]);
        logits = generator_feed(&g, &next, 1);
        if ((rc = logits_not_finite(logits, m->cfg.vocab_size))) putchar('\n');
    }
    if (!rc) putchar('\n');
    generator_free(&g);
    return rc;
}

int cmd_sample(int argc, char **argv) {
    Options o;
    if (parse_options(&o, "sample", "load prompt n temperature top-k seed threads half", argc, argv)) return 2;
    if (o.help) return fputs(sample_help, stdout), 0;
    if (!o.load) return fail("sample", "--load CKPT is required; see memscope sample --help"), 2;
    if (!o.prompt || !o.prompt[0]) return fail("sample", "--prompt TEXT is required and must not be empty"), 2;
    set_threads(o.threads ? o.threads : 1);
    char err[1024];
    Checkpoint ck;
    if (checkpoint_open(&ck, o.load, err, sizeof err)) return fail("sample", "%s", err);
    long n = (long)strlen(o.prompt);
    int32_t *ids = malloc(sizeof(int32_t) * (n + 1));
    Model *m = NULL;
    int rc = 1;
    if (!ids || encode_prompt(&ck.vocab, o.prompt, ids)) goto out;
    if (!(m = build_model(&ck.cfg, &ck, "sample"))) goto out;
    rc = generate(m, &ck.vocab, ids, n, &o);
out:
    free(ids);
    model_free(m);
    checkpoint_close(&ck);
    return rc;
}
