// Filling memscope watch's WatchView (ui/watch_view.h) from the reader: status numbers, the attention of the
// chosen layer with the text behind every slot, what each character of the text panel is now (current segment,
// memory row, compressed slot, gone) and the compression the last segment made.
#ifndef MEMSCOPE_APP_WATCH_FILL_H
#define MEMSCOPE_APP_WATCH_FILL_H

#include "app/watch_reader.h"
#include "ui/watch_view.h"

// text: the n bytes the reader's ids encode. v->layer, v->playing, v->speed, v->title and v->demo are the
// caller's and left as they are.
void watch_fill(WatchView *v, const WatchReader *w, const unsigned char *text);

#endif
