// A growing text buffer for the exporters (the screen as SVG/.txt/.ans, the numbers behind a view as
// CSV/JSON): append and printf without a length limit; running out of memory is remembered and reported
// once, by text_buf_finish.
#ifndef MEMSCOPE_UI_TEXT_BUF_H
#define MEMSCOPE_UI_TEXT_BUF_H

#include <stddef.h>

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} TextBuf;

void text_buf_append(TextBuf *t, const char *s, size_t n);
void text_buf_printf(TextBuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// The NUL-terminated text for the caller to free, or NULL (and nothing to free) when memory ran out.
char *text_buf_finish(TextBuf *t);

// For the data dumps: a number as CSV/JSON text (finite values with 7 significant digits, else "" in CSV
// and null in JSON), written into buf and returned; and a string appended as a JSON string or a quoted
// CSV field (quotes doubled; other control bytes as \u00XX in JSON, '?' in CSV).
const char *text_buf_num(char *buf, size_t n, double v, int json);
void text_buf_quoted(TextBuf *t, const char *s, int json);

#endif
