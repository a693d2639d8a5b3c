// Recall accuracy for the TUI when it trains on a recall corpus (app/recall_corpus.h).
//
// Design: the held-out text is the corpus's validation split, which training never reads. Every so
// often the trainer thread scores the next window of it (TUI_RECALL_WINDOW characters, the windows walk
// through the split and wrap) with evaluate_stream_ex: a one-stream pass from an empty memory of its own,
// so the training memory, workspace and weights are untouched. Each answer character the model ranks
// first counts as right (recall_report_add), by distance bucket. The counts of earlier windows are
// multiplied by TUI_RECALL_DECAY before a new window's are added, so the panel follows training while
// pooling a few windows (one window holds only ~50 answers). The next evaluation is due after
// max(TUI_RECALL_MIN_INTERVAL, TUI_RECALL_COST_FACTOR x the last one's duration) seconds, which keeps
// the cost at a few percent of training time whatever the model size.
#ifndef MEMSCOPE_APP_TUI_RECALL_H
#define MEMSCOPE_APP_TUI_RECALL_H

#include "app/recall_corpus.h"
#include "engine/data.h"
#include "engine/model.h"
#include "ui/snapshot.h"

#define TUI_RECALL_WINDOW 4096
#define TUI_RECALL_DECAY 0.7
#define TUI_RECALL_MIN_INTERVAL 5.0
#define TUI_RECALL_COST_FACTOR 40.0
#define TUI_RECALL_MIN_ANSWERS 20 // a held-out split with fewer answers is not a recall corpus

typedef struct {
    int active;                 // the corpus is a recall corpus
    const int32_t *ids;         // the held-out split
    const unsigned char *text;
    long n;
    long offset;                // where the next window starts
    int window;
    double next_due;            // now_seconds() of the next evaluation
    UiRecall acc;               // decayed counts (what the panel shows)
} TuiRecall;

// Looks for recall answers in the corpus's validation split: active when there are enough.
void tui_recall_init(TuiRecall *r, const Corpus *c);
int tui_recall_due(const TuiRecall *r, double now);
// Scores the next window with model m and updates r->acc (step = the training step it describes).
// Returns 0, or -1 when out of memory (nothing changes).
int tui_recall_run(TuiRecall *r, Model *m, long step, double now);

#endif
