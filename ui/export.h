// The screen as a file: the cell grid exactly as drawn, as SVG (self-contained, monospaced; block,
// braille and box glyphs drawn as shapes, so the picture does not depend on the viewer's fonts), as
// plain text (.txt) or as text with colour escapes (.ans). Pure functions over a Grid, usable by every
// screen memscope draws.
#ifndef MEMSCOPE_UI_EXPORT_H
#define MEMSCOPE_UI_EXPORT_H

#include "ui/grid.h"

#include <stddef.h>
#include <time.h>

typedef enum { UI_EXPORT_NONE, UI_EXPORT_SVG, UI_EXPORT_TXT, UI_EXPORT_ANS } UiExportFormat;

// Each returns a NUL-terminated buffer the caller frees (NULL when out of memory).
char *ui_export_svg(const Grid *g);
char *ui_export_txt(const Grid *g);
char *ui_export_ans(const Grid *g);

// The format a file name asks for by its extension (.svg .txt .ans, any case); NONE for others.
UiExportFormat ui_export_format(const char *path);
// "memscope-step<step>-<YYYYmmdd-HHMMSS>.<ext>" in local time.
void ui_export_default_name(char *out, size_t n, long long step, time_t when, const char *ext);
// Writes text to a NEW file at path (never over an existing one); on any error nothing is left behind
// and err says what went wrong. Returns 0, UI_EXPORT_EXISTS when path exists, or -1.
#define UI_EXPORT_EXISTS (-2)
int ui_export_write_new(const char *path, const char *text, char *err, size_t errlen);
// Exports g to path in the format its extension names. Returns 0, or -1 with err.
int ui_export_grid(const Grid *g, const char *path, char *err, size_t errlen);
// Exports g as SVG under the default name for `step` (then -2, -3, ... when that file exists already: two
// presses in one second keep both pictures); the name written is left in path. Returns 0, or -1 with err.
int ui_export_grid_default(const Grid *g, long long step, char *path, size_t n, char *err, size_t errlen);

#endif
