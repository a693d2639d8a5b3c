// UTF-8 decoding and display widths (wcwidth for code points outside ASCII/Latin-1).
#include "ui/utf8.h"

#include <string.h>
#include <wchar.h>

static int cont(unsigned char c) { return (c & 0xC0) == 0x80; }

int ui_utf8_decode(const char *s, size_t n, uint32_t *cp) {
    const unsigned char *u = (const unsigned char *)s;
    int len;
    uint32_t v, min;
    if (u[0] < 0x80) { *cp = u[0]; return 1; }
    if ((u[0] & 0xE0) == 0xC0) { len = 2; v = u[0] & 0x1F; min = 0x80; }
    else if ((u[0] & 0xF0) == 0xE0) { len = 3; v = u[0] & 0x0F; min = 0x800; }
    else if ((u[0] & 0xF8) == 0xF0) { len = 4; v = u[0] & 0x07; min = 0x10000; }
    else { *cp = UI_CP_INVALID; return 1; }
    if ((size_t)len > n) { *cp = UI_CP_INVALID; return 1; }
    for (int i = 1; i < len; i++) {
        if (!cont(u[i])) { *cp = UI_CP_INVALID; return 1; }
        v = (v << 6) | (u[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) { *cp = UI_CP_INVALID; return 1; }
    *cp = v;
    return len;
}

int ui_utf8_encode(uint32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int ui_cp_width(uint32_t cp) {
    if (cp < 0x300) return 1;
    if (cp >= 0x2500 && cp <= 0x28FF) return 1; // box drawing, blocks, arrows, braille: the UI's own glyphs
    int w = wcwidth((wchar_t)cp);
    return w < 0 ? 1 : w > 2 ? 2 : w;
}

int ui_str_width(const char *s, int n) {
    size_t len = n < 0 ? strlen(s) : (size_t)n;
    int w = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += (size_t)ui_utf8_decode(s + i, len - i, &cp);
        w += ui_cp_width(cp);
    }
    return w;
}
