// Recall accuracy on held-out recall text for the TUI (see tui_recall.h).
#include "app/tui_recall.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "engine/eval_stream.h"

void tui_recall_init(TuiRecall *r, const Corpus *c) {
    memset(r, 0, sizeof *r);
    r->text = c->text + c->n_train;
    r->ids = c->ids + c->n_train;
    r->n = (long)(c->n - c->n_train);
    RecallAnswer *answers = NULL;
    long found = r->n > 1 ? recall_find_answers(r->text, (size_t)r->n, &answers) : 0;
    free(answers);
    r->window = r->n < TUI_RECALL_WINDOW ? (int)r->n : TUI_RECALL_WINDOW;
    r->active = found >= TUI_RECALL_MIN_ANSWERS && r->window > 1;
    r->acc.active = r->active;
}

int tui_recall_due(const TuiRecall *r, double now) { return r->active && now >= r->next_due; }

// Decays the counts, or starts afresh when the buckets moved (the compression rate changed).
static void merge(UiRecall *acc, const RecallReport *rep) {
    int same = acc->n == rep->n;
    for (int i = 0; same && i < rep->n; i++)
        same = acc->b[i].lo == rep->b[i].lo && acc->b[i].hi == (rep->b[i].hi == LONG_MAX ? INT64_MAX : rep->b[i].hi);
    int n = rep->n < UI_RECALL_BUCKETS ? rep->n : UI_RECALL_BUCKETS;
    for (int i = 0; i < n; i++) {
        UiRecallBucket *b = &acc->b[i];
        float keep = same ? (float)TUI_RECALL_DECAY : 0.0f;
        b->lo = rep->b[i].lo;
        b->hi = rep->b[i].hi == LONG_MAX ? INT64_MAX : rep->b[i].hi;
        b->chars = b->chars * keep + (float)rep->b[i].chars;
        b->chars_right = b->chars_right * keep + (float)rep->b[i].chars_right;
        b->answers = b->answers * keep + (float)rep->b[i].answers;
    }
    acc->n = n;
}

int tui_recall_run(TuiRecall *r, Model *m, long step, double now) {
    if (!r->active) return 0;
    if (r->offset + r->window > r->n) r->offset = 0;
    const unsigned char *text = r->text + r->offset;
    uint8_t *correct = malloc((size_t)r->window);
    RecallAnswer *answers = NULL;
    if (!correct) return -1;
    long n_answers = recall_find_answers(text, (size_t)r->window, &answers);
    EvalResult res;
    evaluate_stream_ex(m, r->ids + r->offset, r->window, correct, NULL, &res);
    RecallReport rep;
    recall_report_init(&rep, &m->cfg);
    recall_report_add(&rep, answers, n_answers, correct, r->window);
    merge(&r->acc, &rep);
    free(answers);
    free(correct);
    r->offset += r->window;
    r->acc.evals++;
    r->acc.step = step;
    r->acc.window = r->window;
    double took = now_seconds() - now, wait = TUI_RECALL_COST_FACTOR * took;
    r->next_due = now_seconds() + (wait > TUI_RECALL_MIN_INTERVAL ? wait : TUI_RECALL_MIN_INTERVAL);
    return 0;
}
