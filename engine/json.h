// A small strict JSON parser for safetensors headers: objects, arrays, strings and integers only (no
// floats, true, false or null), strings decoded to UTF-8 without NUL, depth-limited against hostile input.
#ifndef MEMSCOPE_JSON_H
#define MEMSCOPE_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum { JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_INT } JsonKind;

// One parsed value. Values are stored flat in document order: a container is followed by its
// descendants (an object's members as key, value, key, value, ...) and `end` is the index just past
// its last descendant, so a walker steps over a whole subtree in one move.
typedef struct {
    JsonKind kind;
    size_t pos;             // byte offset in the header, for messages
    size_t end;
    union {
        size_t count;       // objects: members, arrays: items
        int64_t integer;
        struct {
            const char *str; // decoded UTF-8, NUL-terminated, never contains NUL itself
            size_t len;
        } s;
    } u;
} JsonValue;

typedef struct {
    const char *text;
    size_t len, pos;
    JsonValue *values;
    size_t n_values, cap_values;
    char *strings;          // all decoded strings; sized once, so JsonValue.u.s.str stays valid
    size_t strings_len, strings_cap;
    char error[160];
} Json;

// Parses text (len bytes) as one JSON value followed only by whitespace. 0, or -1 with j->error set; call
// json_free either way.
int json_parse(Json *j, const char *text, size_t len);
void json_free(Json *j);

// Length of the well-formed UTF-8 sequence at s (which has avail bytes), or 0 when there is none:
// overlong forms, surrogates and code points above U+10FFFF are all rejected.
size_t utf8_sequence_length(const unsigned char *s, size_t avail);

#endif
