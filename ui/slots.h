// Text about key slots: the slot under the heatmap cursor, and the most-attended memory slots.
#ifndef MEMSCOPE_UI_SLOTS_H
#define MEMSCOPE_UI_SLOTS_H

#include "ui/grid.h"
#include "ui/snapshot.h"

// Mean attention a key gets from the query rows (a share of one query's attention).
float ui_slot_mass(const UiAttention *a, int head, int k);
// Up to n memory/compressed keys with the largest mass, largest first; returns how many.
int ui_slots_top(const UiAttention *a, int head, int *keys, int n);
// "memory #3 'ROMEO' 12 back · q7 12.4% · avg 8.1%"
void ui_slots_cursor_line(Grid *g, int x, int y, int w, const UiAttention *a, int head, int q, int k);
// "layer 4 reads 'ROMEO: I' compressed ~300 back 21% · ..."
void ui_slots_top_line(Grid *g, int x, int y, int w, const UiAttention *a, int head);
// A heading row, then one most-attended slot per row with its group, age and share.
void ui_slots_top_list(Grid *g, UiRect r, const UiAttention *a, int head);

#endif
