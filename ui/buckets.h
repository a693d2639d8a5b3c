// The paper's Figure 2, live: mean attention weight per slot on 6 age buckets of compressed memory,
// memory and the current segment, per layer and pooled, with each layer's attention-reconstruction loss.
#ifndef MEMSCOPE_UI_BUCKETS_H
#define MEMSCOPE_UI_BUCKETS_H

#include "ui/grid.h"
#include "ui/snapshot.h"

// A header row (group names), one block of bars per layer and one for all layers pooled (taller when
// rows allow; a window around `selected` when they do not all fit), a legend row with the scale.
// Bar height grows with the square root of the weight (as the heatmap's brightness does), so the small
// weights on old slots stay visible next to the large ones on the newest characters.
void ui_buckets_draw(Grid *g, UiRect r, const UiSnapshot *s, int selected);

// Height in eighths (0..8·rows) of a bar for value v when vmax fills `rows` rows. Any sample > 0 shows
// at least one eighth; NAN or v <= 0 gives 0.
int ui_bucket_level(float v, float vmax, int rows);

#endif
