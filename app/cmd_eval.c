// memscope eval: CE, bpc and AR over every character of a file, one stream with memory carried; recall accuracy
// by distance when the text is a recall corpus; the attention picture with --attention-stats.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/cli.h"
#include "app/progress.h"
#include "app/commands.h"
#include "app/recall_corpus.h"
#include "app/attention_report.h"
#include "engine/eval_stream.h"

static const char *const eval_help =
    "usage: memscope eval --load CKPT --data FILE [--attention-stats OUT.csv|OUT.json] [--json] [--threads N]\n"
    "                     [--force]\n"
    "Evaluates every character of FILE (no train/valid split) as one stream of consecutive segments with\n"
    "memory carried: mean cross-entropy (nats), bits per character and the mean attention-reconstruction loss.\n"
    "When FILE asks recall questions ('what is KEY?VALUE' after 'key KEY is VALUE', as `memscope lab recall`\n"
    "writes), also the recall accuracy (argmax on the answer characters) by distance back to the fact.\n"
    "--attention-stats writes the mean attention on 6 buckets each of compressed memory, memory and the current\n"
    "segment per layer, and the distribution of the reconstruction loss per layer (CSV, or JSON for .json);\n"
    "--force lets it replace a checkpoint this run did not --load.\n"
    EXIT_STATUS_HELP;

typedef struct {
    RecallAnswer *answers;
    long n_answers;
    RecallReport report;
} Recall;

static void print_result(const Options *o, const EvalResult *r, const Corpus *c, const Recall *rc, double dt) {
    if (o->json) {
        printf("{\"ce\":%.6f,\"bpc\":%.6f,\"ar\":%.6f,\"characters\":%zu,\"segments\":%ld,\"seconds\":%.2f", r->ce,
               r->bpc, r->ar, c->n, r->segments, dt);
        if (rc->n_answers) {
            static char json[8192];
            recall_report_json(&rc->report, json, sizeof json);
            printf(",\"recall\":%s", json);
        }
        printf("}\n");
        return;
    }
    printf("ce %.6f bpc %.6f ar %.6f (%zu characters, %ld segments, %.1f s)\n", r->ce, r->bpc, r->ar, c->n,
           r->segments, dt);
    if (!rc->n_answers) return;
    printf("recall accuracy over %ld answers, by distance back to the fact:\n", rc->n_answers);
    recall_report_print(&rc->report, "  ");
}

// Evaluates the corpus, scoring recall answers and collecting attention statistics when asked (stats NULL: not).
static int run_eval(Model *m, const Corpus *c, const Options *o, AttentionStats *stats) {
    Recall rc = {0};
    rc.n_answers = recall_find_answers(c->text, c->n, &rc.answers);
    uint8_t *correct = malloc(c->n + 1);
    if (!correct || rc.n_answers < 0) {
        free(correct);
        free(rc.answers);
        return fail("eval", "out of memory for %zu characters", c->n);
    }
    EvalHooks stat_hooks = stats ? attention_stats_hooks(stats) : (EvalHooks){0};
    EvalProgress watch;
    EvalHooks hooks = eval_progress_hooks(&watch, stats ? &stat_hooks : NULL, "eval", (long)c->n);
    double t0 = now_seconds();
    EvalResult r;
    evaluate_stream_ex(m, c->ids, (long)c->n, correct, &hooks, &r);
    double dt = now_seconds() - t0;
    progress_end(&watch.progress);
    int bad = !isfinite(r.ce) || !isfinite(r.ar);
    if (bad) {
        fail("eval", "the loss over %s is not finite (NaN or Inf): the checkpoint's weights overflow", c->source);
    } else {
        recall_report_init(&rc.report, &m->cfg);
        recall_report_add(&rc.report, rc.answers, rc.n_answers, correct, (long)c->n);
        print_result(o, &r, c, &rc, dt);
    }
    free(correct);
    free(rc.answers);
    return bad;
}

static int export_stats(const AttentionStats *st, const char *path) {
    char err[1024];
    if (attention_report_export(st, path, err, sizeof err)) return fail("eval", "%s", err);
    fprintf(stderr, "memscope eval: wrote the attention statistics (%ld segments, %ld compressions) to %s\n",
            st->segments, st->compressions, path);
    return 0;
}

int cmd_eval(int argc, char **argv) {
    Options o;
    if (parse_options(&o, "eval", "load data json threads attention-stats force", argc, argv)) return 2;
    if (o.help) return fputs(eval_help, stdout), 0;
    CheckpointRun r;
    int rc = checkpoint_run_open(&r, &o, o.attention_stats != NULL, "eval", "eval");
    if (rc) return rc;
    if (run_eval(r.m, &r.corpus, &o, r.have_stats ? &r.st : NULL)) rc = 1;
    else if (r.have_stats) rc = export_stats(&r.st, o.attention_stats);
    checkpoint_run_close(&r);
    return rc;
}
