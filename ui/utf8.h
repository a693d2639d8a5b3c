// UTF-8 decoding and display widths, independent of curses.
#ifndef MEMSCOPE_UI_UTF8_H
#define MEMSCOPE_UI_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UI_CP_INVALID 0xFFFDu

// Decodes one code point from s (at most n bytes, n >= 1). Returns the bytes used (>= 1);
// a malformed or truncated sequence gives UI_CP_INVALID and uses 1 byte.
int ui_utf8_decode(const char *s, size_t n, uint32_t *cp);
// Encodes cp into out (4 bytes room); returns the length.
int ui_utf8_encode(uint32_t cp, char *out);
// Display columns of a code point: 0 (combining), 1 or 2 (wide). Controls count as 1 (drawn as a dot).
int ui_cp_width(uint32_t cp);
// Display columns of the first n bytes of s (n < 0: up to the NUL).
int ui_str_width(const char *s, int n);

#endif
