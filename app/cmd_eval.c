// memscope eval: CE, bpc and AR over every character of a file, one stream with memory carried.
#include <math.h>
#include <stdio.h>

#include "app/cli.h"
#include "app/commands.h"
#include "engine/generate.h"

static const char *const eval_help =
    "usage: memscope eval --load CKPT --data FILE [--json] [--threads N]\n"
    "Evaluates every character of FILE (no train/valid split) as one stream of consecutive segments with\n"
    "memory carried: mean cross-entropy (nats), bits per character and the mean attention-reconstruction loss.\n";

int cmd_eval(int argc, char **argv) {
    Options o;
    if (parse_options(&o, "eval", "load data json threads", argc, argv)) return 2;
    if (o.help) return fputs(eval_help, stdout), 0;
    if (!o.load) return fail("eval", "--load CKPT is required; see memscope eval --help"), 2;
    if (!o.data) return fail("eval", "--data FILE is required; see memscope eval --help"), 2;
    set_threads(o.threads ? o.threads : 2);
    char err[1024];
    Checkpoint ck;
    if (checkpoint_open(&ck, o.load, err, sizeof err)) return fail("eval", "%s", err);
    Corpus corpus = {0};
    Model *m = NULL;
    int rc = 1;
    if (load_corpus(&corpus, o.data, "eval") || encode_with_vocab(&corpus, &ck.vocab, "eval")) goto out;
    if (!(m = build_model(&ck.cfg, &ck, "eval"))) goto out;
    double t0 = now_seconds();
    EvalResult r;
    evaluate_stream(m, corpus.ids, (long)corpus.n, &r);
    double dt = now_seconds() - t0;
    if (!isfinite(r.ce) || !isfinite(r.ar)) {
        fail("eval", "the loss over %s is not finite (NaN or Inf): the checkpoint's weights overflow", corpus.source);
        goto out;
    }
    if (o.json)
        printf("{\"ce\":%.6f,\"bpc\":%.6f,\"ar\":%.6f,\"characters\":%zu,\"segments\":%ld,\"seconds\":%.2f}\n", r.ce,
               r.bpc, r.ar, corpus.n, r.segments, dt);
    else
        printf("ce %.6f bpc %.6f ar %.6f (%zu characters, %ld segments, %.1f s)\n", r.ce, r.bpc, r.ar, corpus.n,
               r.segments, dt);
    rc = 0;
out:
    model_free(m);
    corpus_free(&corpus);
    checkpoint_close(&ck);
    return rc;
}
