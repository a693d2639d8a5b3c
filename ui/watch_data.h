// :dump-data in memscope watch and demo: the numbers behind the view, from the WatchView it was drawn from.
// The chosen query character's attention (the layer shown, the mean or the head shown) over every key it can
// see, with each slot's group, characters, age and text; the reconstruction error per layer of the
// compression the last segment caused (empty/null when it compressed nothing); where the reading is and its
// CE and bpc so far. Pure: no engine, no files.
#ifndef MEMSCOPE_UI_WATCH_DATA_H
#define MEMSCOPE_UI_WATCH_DATA_H

#include "ui/watch_view.h"

// CSV: one header line, then rows named by their first column: `query` (the character whose attention
// follows), one `attention` row per key slot, one `reconstruction` row per layer, then the summary rows
// `read`, `total`, `segment`, `ce` and `bpc`. JSON: one object with the same numbers.
// Caller frees; NULL when out of memory.
char *ui_watch_data_csv(const WatchUi *u, const WatchView *v);
char *ui_watch_data_json(const WatchUi *u, const WatchView *v);

#endif
