// Attention heatmap of one layer: queries (rows) against key slots (columns) grouped
// [compressed | memory | current], half-block cells on a colour ramp, age labels and a legend.
#ifndef MEMSCOPE_UI_HEATMAP_H
#define MEMSCOPE_UI_HEATMAP_H

#include "ui/grid.h"
#include "ui/snapshot.h"

#define UI_HEAT_MAX_COLS 1024
#define UI_HEAT_MAX_SUB 512

typedef enum {
    UI_HEAT_HALF,  // '▀': fg = upper query, bg = lower query (UTF-8 and 256 colours)
    UI_HEAT_BG,    // coloured spaces, one query per row (256 colours, no UTF-8)
    UI_HEAT_SHADE, // density glyphs, one query per row (8 colours or none)
} UiHeatMode;

// Where every key and query lands on screen. Rows are counted in sub-rows (half rows in HALF mode).
typedef struct {
    UiHeatMode mode;
    int sub;                   // sub-rows per text row (2 or 1)
    int ncols;                 // display columns, separators included
    int col_k0[UI_HEAT_MAX_COLS], col_k1[UI_HEAT_MAX_COLS]; // key range [k0, k1); k0 = -1 for a separator
    int nsub;                  // sub-rows used
    int sub_q0[UI_HEAT_MAX_SUB], sub_q1[UI_HEAT_MAX_SUB];   // query range [q0, q1)
    int text_rows;             // text rows the cells take
    int keys_per_col;          // the largest number of keys averaged into one column
} UiHeatGeom;

// Value of matrix entry (q, k) for head mode `head` (-1 = mean over heads).
float ui_attn_value(const UiAttention *a, int head, int q, int k);
// 1 if key k is causally masked for query q.
int ui_attn_masked(const UiAttention *a, int q, int k);

// Text rows the heatmap widget wants for its cells at the smallest scale (plus 3 for labels/legend).
int ui_heat_rows_wanted(const UiAttention *a, int caps);
// Geometry of the cell area for w columns and heat_rows text rows.
void ui_heat_geometry(const UiAttention *a, int caps, int w, int heat_rows, UiHeatGeom *geo);

// The widget: group labels (top row), cells, age labels, legend, from the top of r.
// The cursor (cur_q, cur_k) is highlighted when show_cursor. Returns the rows used.
int ui_heatmap_draw(Grid *g, UiRect r, const UiAttention *a, int head, int cur_q, int cur_k, int show_cursor);
// Maps a click at (x, y) inside r to (query, key); returns 0 when it is not on a cell.
int ui_heatmap_hit(int caps, UiRect r, const UiAttention *a, int x, int y, int *q, int *k);

#endif
