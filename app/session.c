// See session.h.
#include "app/session.h"

#include <string.h>

#include "app/parallel.h"

int session_open(Session *s, const Options *o, long threads, SessionCheck check, void *ctx, const char *cmd) {
    char err[1024];
    Config cfg;
    memset(s, 0, sizeof *s);
    if (o->load) {
        if (checkpoint_open(&s->ck, o->load, err, sizeof err)) return fail(cmd, "%s", err);
        s->have_ck = 1;
    }
    const Checkpoint *ck = s->have_ck ? &s->ck : NULL;
    if (build_config(&cfg, o, ck, cmd)) return 2;
    int rc = check ? check(&cfg, ctx) : 0;
    if (rc) return rc;
    if (load_corpus(&s->corpus, o->data, cmd)) return 1;
    if (ck && encode_with_vocab(&s->corpus, &ck->vocab, cmd)) return 1;
    cfg.vocab_size = s->corpus.vocab.size;
    if (config_validate(&cfg, err, sizeof err)) return fail(cmd, "%s", err), 2;
    if (open_run(&s->run, &cfg, &s->corpus, ck, threads, cmd)) return 1;
    s->run_open = 1;
    if (par_attach(&s->run, err, sizeof err)) return fail(cmd, "%s", err);
    return 0;
}

void session_close(Session *s) {
    if (s->run_open) run_close(&s->run);
    if (s->have_ck) checkpoint_close(&s->ck);
    corpus_free(&s->corpus);
    s->run_open = s->have_ck = 0;
}
