#include "ui/text_buf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Room for `more` bytes and the NUL after them; 0, or -1 (remembered) when memory ran out.
static int reserve(TextBuf *t, size_t more) {
    if (t->oom) return -1;
    if (t->len + more + 1 <= t->cap) return 0;
    size_t cap = t->cap ? t->cap : 4096;
    while (cap < t->len + more + 1) cap *= 2;
    char *p = realloc(t->p, cap);
    if (!p) {
        t->oom = 1;
        return -1;
    }
    t->p = p;
    t->cap = cap;
    return 0;
}

void text_buf_append(TextBuf *t, const char *s, size_t n) {
    if (reserve(t, n)) return;
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = 0;
}

void text_buf_printf(TextBuf *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(t, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

char *text_buf_finish(TextBuf *t) {
    if (!reserve(t, 0)) return t->p;
    free(t->p);
    t->p = NULL;
    return NULL;
}

const char *text_buf_num(char *buf, size_t n, double v, int json) {
    if (isfinite(v)) snprintf(buf, n, "%.7g", v);
    else snprintf(buf, n, "%s", json ? "null" : "");
    return buf;
}

void text_buf_quoted(TextBuf *t, const char *s, int json) {
    text_buf_printf(t, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"') text_buf_printf(t, json ? "\\\"" : "\"\"");
        else if (json && *p == '\\') text_buf_printf(t, "\\\\");
        else if (*p < 0x20 || *p == 0x7f) {
            if (json) text_buf_printf(t, "\\u%04x", *p);
            else text_buf_printf(t, "?");
        } else text_buf_printf(t, "%c", *p);
    }
    text_buf_printf(t, "\"");
}
