// The JSON parser of safetensors headers (see json.h). Values are stored flat in document order, strings in
// one pool sized from the text, so a header of millions of entries costs two allocations that grow.
#include "engine/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Real headers nest three levels deep (header, tensor, shape); anything far deeper is an attack on
// the recursive parser's stack.
#define JSON_MAX_DEPTH 32

size_t utf8_sequence_length(const unsigned char *s, size_t avail) {
    unsigned char lead = s[0];
    size_t len;
    uint32_t cp, min;
    if (lead < 0x80) return 1;
    if ((lead & 0xE0) == 0xC0) len = 2, cp = lead & 0x1F, min = 0x80;
    else if ((lead & 0xF0) == 0xE0) len = 3, cp = lead & 0x0F, min = 0x800;
    else if ((lead & 0xF8) == 0xF0) len = 4, cp = lead & 0x07, min = 0x10000;
    else return 0;
    if (len > avail) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

// Encodes a code point (a valid scalar value) as UTF-8 into out; returns the byte count.
static size_t utf8_encode(uint32_t cp, char *out) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}


// Doubles the value array when it is full (the old block stays valid when that fails).
static int json_grow(Json *j) {
    size_t cap = j->cap_values ? j->cap_values * 2 : 16;
    if (cap < j->cap_values || cap > SIZE_MAX / sizeof *j->values) return -1;
    JsonValue *grown = realloc(j->values, cap * sizeof *grown);
    if (!grown) return -1;
    j->values = grown;
    j->cap_values = cap;
    return 0;
}

__attribute__((format(printf, 2, 3)))
static int json_fail(Json *j, const char *fmt, ...) {
    int n = snprintf(j->error, sizeof j->error, "invalid header JSON at byte %zu: ", j->pos);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof j->error) vsnprintf(j->error + n, sizeof j->error - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int json_out_of_memory(Json *j) {
    snprintf(j->error, sizeof j->error, "out of memory while parsing the header");
    return -1;
}

static int json_peek(const Json *j) {
    return j->pos < j->len ? (unsigned char)j->text[j->pos] : -1;
}

static void json_skip_space(Json *j) {
    while (j->pos < j->len) {
        char c = j->text[j->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        j->pos++;
    }
}

static int json_new_value(Json *j, JsonKind kind, size_t *index) {
    if (j->n_values == j->cap_values && json_grow(j)) return json_out_of_memory(j);
    *index = j->n_values++;
    j->values[*index] = (JsonValue){.kind = kind, .pos = j->pos, .end = *index + 1};
    return 0;
}

static int json_value(Json *j, int depth);

static int json_hex4(Json *j, uint32_t *out) {
    if (j->len - j->pos < 4) return json_fail(j, "truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = j->text[j->pos + (size_t)i];
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (digit < 0) return json_fail(j, "\\u must be followed by four hex digits");
        v = v * 16 + (uint32_t)digit;
    }
    j->pos += 4;
    *out = v;
    return 0;
}

// Decodes \uXXXX (pos just past the 'u'), joining a surrogate pair into one code point.
static int json_unicode_escape(Json *j, uint32_t *cp) {
    if (json_hex4(j, cp)) return -1;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF) return json_fail(j, "unpaired low surrogate");
    if (*cp >= 0xD800 && *cp <= 0xDBFF) {
        uint32_t low;
        if (j->len - j->pos < 2 || j->text[j->pos] != '\\' || j->text[j->pos + 1] != 'u')
            return json_fail(j, "high surrogate without a following low surrogate");
        j->pos += 2;
        if (json_hex4(j, &low)) return -1;
        if (low < 0xDC00 || low > 0xDFFF) return json_fail(j, "high surrogate without a following low surrogate");
        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (low - 0xDC00);
    }
    // Every string read becomes a C string (a name or a metadata entry), where NUL would cut it short.
    if (*cp == 0) return json_fail(j, "\\u0000 is not allowed");
    return 0;
}

// Decodes the escape at pos (a backslash) into step (at most 4 UTF-8 bytes); returns its length.
static int json_escape(Json *j, char step[4], size_t *step_len) {
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (j->len - j->pos < 2) return json_fail(j, "unterminated string");
    char c = j->text[j->pos + 1];
    const char *simple = c ? strchr(from, c) : NULL;
    if (!simple && c != 'u') return json_fail(j, "invalid escape sequence");
    j->pos += 2;
    if (simple) {
        step[0] = to[simple - from];
        *step_len = 1;
        return 0;
    }
    uint32_t cp;
    if (json_unicode_escape(j, &cp)) return -1;
    *step_len = utf8_encode(cp, step);
    return 0;
}

// A string value, decoded into the pool. No step of decoding yields more bytes than it consumes
// and every string has two quotes to spare for its NUL, so a pool the size of the header holds all
// strings; the bounds check only guards that reasoning.
static int json_string(Json *j) {
    size_t self;
    if (json_new_value(j, JSON_STRING, &self)) return -1;
    j->pos++;
    char *out = j->strings + j->strings_len;
    size_t n = 0;
    for (;;) {
        if (j->pos >= j->len) return json_fail(j, "unterminated string");
        unsigned char c = (unsigned char)j->text[j->pos];
        if (c == '"') break;
        char step[4];
        size_t step_len = 0;
        if (c == '\\') {
            if (json_escape(j, step, &step_len)) return -1;
        } else if (c < 0x20) {
            return json_fail(j, "unescaped control character in a string");
        } else {
            step_len = utf8_sequence_length((const unsigned char *)j->text + j->pos, j->len - j->pos);
            if (step_len == 0) return json_fail(j, "invalid UTF-8 in a string");
            memcpy(step, j->text + j->pos, step_len);
            j->pos += step_len;
        }
        if (step_len + 1 > j->strings_cap - j->strings_len - n) return json_out_of_memory(j);
        memcpy(out + n, step, step_len);
        n += step_len;
    }
    j->pos++;
    out[n] = '\0';
    j->strings_len += n + 1;
    j->values[self].u.s.str = out;
    j->values[self].u.s.len = n;
    return 0;
}

static int json_integer(Json *j) {
    size_t self;
    if (json_new_value(j, JSON_INT, &self)) return -1;
    int negative = json_peek(j) == '-';
    if (negative) j->pos++;
    int c = json_peek(j);
    if (c < '0' || c > '9') return json_fail(j, "expected a digit");
    if (c == '0' && j->pos + 1 < j->len && j->text[j->pos + 1] >= '0' && j->text[j->pos + 1] <= '9')
        return json_fail(j, "numbers must not have leading zeros");
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t magnitude = 0;
    for (c = json_peek(j); c >= '0' && c <= '9'; c = json_peek(j)) {
        unsigned digit = (unsigned)(c - '0');
        if (magnitude > (limit - digit) / 10) return json_fail(j, "integer out of range");
        magnitude = magnitude * 10 + digit;
        j->pos++;
    }
    if (c == '.' || c == 'e' || c == 'E') return json_fail(j, "floating-point numbers are not allowed");
    j->values[self].u.integer = !negative ? (int64_t)magnitude
                              : magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude;
    return 0;
}

// Parses the elements of an object or array after its opening bracket, up to its closing one.
static int json_container(Json *j, int depth, int is_object) {
    size_t self;
    if (json_new_value(j, is_object ? JSON_OBJECT : JSON_ARRAY, &self)) return -1;
    char close = is_object ? '}' : ']';
    j->pos++;
    json_skip_space(j);
    if (json_peek(j) == close) {
        j->pos++;
        return 0;
    }
    for (;;) {
        json_skip_space(j);
        if (is_object) {
            if (json_peek(j) != '"') return json_fail(j, "expected a string key");
            if (json_string(j)) return -1;
            json_skip_space(j);
            if (json_peek(j) != ':') return json_fail(j, "expected ':' after an object key");
            j->pos++;
        }
        if (json_value(j, depth + 1)) return -1;
        j->values[self].u.count++;
        json_skip_space(j);
        int c = json_peek(j);
        if (c != ',' && c != close) return json_fail(j, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
        j->pos++;
        if (c == close) break;
    }
    j->values[self].end = j->n_values;
    return 0;
}

static int json_value(Json *j, int depth) {
    json_skip_space(j);
    int c = json_peek(j);
    if (c == '{' || c == '[') {
        if (depth > JSON_MAX_DEPTH) return json_fail(j, "nested deeper than %d levels", JSON_MAX_DEPTH);
        return json_container(j, depth, c == '{');
    }
    if (c == '"') return json_string(j);
    if (c == '-' || (c >= '0' && c <= '9')) return json_integer(j);
    if (c == 't' || c == 'f' || c == 'n') return json_fail(j, "true, false and null are not allowed");
    if (c < 0) return json_fail(j, "unexpected end of the header");
    if (c > 0x20 && c < 0x7f) return json_fail(j, "unexpected character '%c'", c);
    return json_fail(j, "unexpected byte 0x%02x", (unsigned)c);
}

// The writer pads the header with spaces, hence trailing whitespace is allowed.
int json_parse(Json *j, const char *text, size_t len) {
    *j = (Json){.text = text, .len = len, .strings_cap = len + 1};
    j->strings = malloc(j->strings_cap);
    if (!j->strings) return json_out_of_memory(j);
    if (json_value(j, 1)) return -1;
    json_skip_space(j);
    if (j->pos != j->len) return json_fail(j, "unexpected data after the end of the header object");
    return 0;
}

void json_free(Json *j) {
    free(j->values);
    free(j->strings);
    j->values = NULL;
    j->strings = NULL;
}
