// The recall panel: recall accuracy by distance on held-out recall text (only with a recall corpus).
#ifndef MEMSCOPE_UI_RECALL_H
#define MEMSCOPE_UI_RECALL_H

#include "ui/grid.h"
#include "ui/snapshot.h"

// A header row, then one row per distance bucket: the range ("<= 32", "> 304"), a bar of the character
// accuracy (argmax on the answer's characters), the accuracy in percent and the answers it is over.
void ui_recall_draw(Grid *g, UiRect r, const UiRecall *rc);
// "<= hi" or "> lo" (the last bucket) into out.
void ui_recall_label(const UiRecallBucket *b, char *out, int n);

#endif
