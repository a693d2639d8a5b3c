// Safetensors reading and writing. The reader treats every file as hostile: it checks sizes before
// allocating, parses the JSON header with its own strict parser and validates every tensor entry
// (dtype, shape, offsets, overlaps), so callers can use StTensor fields without further checks.
// The writer replaces files atomically (temp file, fsync, rename, fsync of the directory).
#include "engine/safetensors.h"
#include "engine/json.h"
#include "engine/output_file.h"
#include "engine/vecmath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// The format is little-endian and tensor bytes are copied straight between memory and file.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c copies tensor bytes as they are in memory, which is only right on little-endian hosts"
#endif

// The same header limit as the reference implementation: a bigger header is certainly hostile.
#define ST_MAX_HEADER ((uint64_t)100 * 1000 * 1000)

static const char *const dtype_names[] = {"F32", "F64", "I32", "I64", "U8", "U64", "F16"}; // indexed by StDtype
#define N_DTYPES ((int)(sizeof dtype_names / sizeof dtype_names[0]))

size_t st_dtype_size(StDtype t) {
    switch (t) {
    case ST_F32: case ST_I32: return 4;
    case ST_F64: case ST_I64: case ST_U64: return 8;
    case ST_U8: return 1;
    case ST_F16: return 2;
    }
    return 0;
}

// ---------------------------------------------------------------------------------------------------------
// Shared helpers: error lines, safe display of hostile strings, sizes

// Writes "PATH: message" into err. Control characters (from an odd path, say) become '?' so the
// message always stays on one line.
__attribute__((format(printf, 4, 0)))
static void vset_error(char *err, size_t errlen, const char *path, const char *fmt, va_list ap) {
    if (!err || errlen == 0) return;
    int n = snprintf(err, errlen, "%s: ", path);
    if (n >= 0 && (size_t)n < errlen) vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    for (char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
}

__attribute__((format(printf, 4, 5)))
static void set_error(char *err, size_t errlen, const char *path, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vset_error(err, errlen, path, fmt, ap);
    va_end(ap);
}

// A string fit for quoting in an error message: control bytes become \xNN and long strings are cut
// at a character boundary, so a hostile tensor name can neither flood nor break the line.
typedef struct {
    char text[80];
} Shown;

static Shown shown(const char *s) {
    static const char hex[] = "0123456789abcdef";
    const size_t keep = 56; // at most keep + 3 bytes are written before the "...\0" (see below)
    Shown out;
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        // Past the limit, only the rest of a character already begun is kept (at most 3 bytes,
        // however malformed the input).
        if (o >= keep && ((*c & 0xC0) != 0x80 || o >= keep + 3)) {
            memcpy(out.text + o, "...", 4);
            return out;
        }
        if (*c < 0x20 || *c == 0x7f) {
            out.text[o++] = '\\';
            out.text[o++] = 'x';
            out.text[o++] = hex[*c >> 4];
            out.text[o++] = hex[*c & 15];
        } else {
            out.text[o++] = (char)*c;
        }
    }
    out.text[o] = '\0';
    return out;
}

// Bytes of a tensor of this dtype and shape; -1 when a dimension is negative or the product (or the
// product times the element size) does not fit in size_t. Zero dimensions are skipped while
// multiplying so that a huge dimension next to a zero one is still rejected.
static int tensor_byte_size(StDtype dtype, int ndim, const int64_t *shape, size_t *nbytes) {
    uint64_t elements = 1;
    int has_zero = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0) return -1;
        uint64_t dim = (uint64_t)shape[d];
        if (dim == 0) {
            has_zero = 1;
            continue;
        }
        if (dim > (uint64_t)SIZE_MAX / elements) return -1;
        elements *= dim;
    }
    size_t size = st_dtype_size(dtype);
    if (size == 0 || elements > SIZE_MAX / size) return -1;
    *nbytes = has_zero ? 0 : (size_t)elements * size;
    return 0;
}

// Grows a doubling array by one slot's worth; returns the new block (cap updated) or NULL, in which
// case the old block is untouched.
static void *grow_array(void *items, size_t *cap, size_t item_size) {
    size_t new_cap = *cap ? *cap * 2 : 16;
    if (new_cap < *cap || new_cap > SIZE_MAX / item_size) return NULL;
    void *grown = realloc(items, new_cap * item_size);
    if (grown) *cap = new_cap;
    return grown;
}

static int by_string(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

// Sorts strs and returns a string occurring more than once, or NULL. Sorting keeps this
// O(n log n): a header can hold millions of names.
static const char *find_duplicate(const char **strs, size_t n) {
    if (n < 2) return NULL;
    qsort(strs, n, sizeof *strs, by_string);
    for (size_t i = 1; i < n; i++)
        if (strcmp(strs[i - 1], strs[i]) == 0) return strs[i];
    return NULL;
}

// ---------------------------------------------------------------------------------------------------------
// Reader

typedef struct {
    const char *path;
    char *err;
    size_t errlen;
    Json json;
    const unsigned char *data; // the data section (after the header)
    size_t data_len;
} Reader;

__attribute__((format(printf, 2, 3)))
static int reader_fail(Reader *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vset_error(r->err, r->errlen, r->path, fmt, ap);
    va_end(ap);
    return -1;
}

// Renders a shape like "[2, 3]" for messages.
static void format_shape(const StTensor *t, char *out, size_t outlen) {
    size_t used = (size_t)snprintf(out, outlen, "[");
    for (int d = 0; d < t->ndim && used < outlen; d++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%" PRId64, d ? ", " : "", t->shape[d]);
    if (used < outlen) snprintf(out + used, outlen - used, "]");
}

// Refuses anything but a regular file big enough for the length field; sets *size.
static int check_file(Reader *r, int fd, size_t *size) {
    struct stat st;
    if (fstat(fd, &st) != 0) return reader_fail(r, "cannot stat: %s", strerror(errno));
    if (S_ISDIR(st.st_mode)) return reader_fail(r, "is a directory, not a safetensors file");
    if (!S_ISREG(st.st_mode)) return reader_fail(r, "is not a regular file");
    if (st.st_size == 0) return reader_fail(r, "file is empty");
    if (st.st_size < 8)
        return reader_fail(r, "file is %lld bytes, too short for the 8-byte header length", (long long)st.st_size);
    if ((off_t)(size_t)st.st_size != st.st_size) return reader_fail(r, "file is too large to load");
    *size = (size_t)st.st_size;
    return 0;
}

static int read_all(Reader *r, int fd, unsigned char *buffer, size_t size) {
    for (size_t got = 0; got < size;) {
        ssize_t n = read(fd, buffer + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return reader_fail(r, "read error: %s", strerror(errno));
        if (n == 0) return reader_fail(r, "file shrank while being read");
        got += (size_t)n;
    }
    return 0;
}

// Loads the whole file into f->buffer (its size was checked first, so this is the one allocation
// that follows the file rather than its contents).
static int read_file(Reader *r, StFile *f) {
    // O_NONBLOCK: opening a FIFO must not hang before fstat gets the chance to reject it.
    int fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return reader_fail(r, "cannot open: %s", strerror(errno));
    size_t size = 0;
    int rc = check_file(r, fd, &size);
    if (rc == 0 && !(f->buffer = malloc(size))) rc = reader_fail(r, "out of memory loading %zu bytes", size);
    if (rc == 0) {
        f->buffer_len = size;
        rc = read_all(r, fd, f->buffer, size);
    }
    close(fd);
    return rc;
}

static uint64_t read_u64_le(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

// Checks the header length and parses the header; sets r->data to the section after it.
static int parse_header(Reader *r, const StFile *f) {
    const unsigned char *bytes = f->buffer;
    uint64_t header_len = read_u64_le(bytes);
    uint64_t available = f->buffer_len - 8;
    if (header_len < 2) return reader_fail(r, "header length %" PRIu64 " is too small for a JSON object", header_len);
    if (header_len > available)
        return reader_fail(r, "header length %" PRIu64 " exceeds the %" PRIu64 " bytes after the length field", header_len,
                    available);
    if (header_len > ST_MAX_HEADER)
        return reader_fail(r, "header length %" PRIu64 " exceeds the limit of %" PRIu64 " bytes", header_len, ST_MAX_HEADER);
    r->data = bytes + 8 + header_len;
    r->data_len = f->buffer_len - 8 - (size_t)header_len;
    if (json_parse(&r->json, (const char *)bytes + 8, (size_t)header_len)) return reader_fail(r, "%s", r->json.error);
    if (r->json.values[0].kind != JSON_OBJECT) return reader_fail(r, "header is not a JSON object");
    return 0;
}

// The loaders below take the tensor's name already made printable (name), for their messages.
static int load_dtype(Reader *r, StTensor *t, const char *name, const JsonValue *v) {
    if (v->kind != JSON_STRING) return reader_fail(r, "tensor '%s' has a dtype that is not a string", name);
    for (int i = 0; i < N_DTYPES; i++) {
        if (strcmp(v->u.s.str, dtype_names[i]) == 0) {
            t->dtype = (StDtype)i;
            return 0;
        }
    }
    return reader_fail(r, "tensor '%s' has unknown dtype '%s' (expected F32, F16, F64, I32, I64, U8 or U64)", name,
                shown(v->u.s.str).text);
}

// Reads the shape and, from it, the byte size the tensor must have.
static int load_shape(Reader *r, StTensor *t, const char *name, size_t index) {
    const JsonValue *v = &r->json.values[index];
    if (v->kind != JSON_ARRAY) return reader_fail(r, "tensor '%s' has a shape that is not an array", name);
    if (v->u.count > ST_MAX_DIMS)
        return reader_fail(r, "tensor '%s' has %zu dimensions (at most %d are supported)", name, v->u.count, ST_MAX_DIMS);
    for (size_t d = 0, item = index + 1; d < v->u.count; d++, item = r->json.values[item].end) {
        const JsonValue *dim = &r->json.values[item];
        if (dim->kind != JSON_INT) return reader_fail(r, "tensor '%s' has a shape entry that is not an integer", name);
        if (dim->u.integer < 0)
            return reader_fail(r, "tensor '%s' has a negative dimension (%" PRId64 ") in its shape", name, dim->u.integer);
        t->shape[d] = dim->u.integer;
    }
    t->ndim = (int)v->u.count;
    if (tensor_byte_size(t->dtype, t->ndim, t->shape, &t->nbytes) != 0) {
        char shape[ST_MAX_DIMS * 24 + 4];
        format_shape(t, shape, sizeof shape);
        return reader_fail(r, "tensor '%s' has shape %s of %s, whose size in bytes overflows", name, shape,
                    dtype_names[t->dtype]);
    }
    return 0;
}

// Reads data_offsets, checks them against the data section and the size the shape demands, and
// points t->data at the bytes.
static int load_offsets(Reader *r, StTensor *t, const char *name, size_t index) {
    const JsonValue *v = &r->json.values[index];
    if (v->kind != JSON_ARRAY || v->u.count != 2 || v[1].kind != JSON_INT || v[2].kind != JSON_INT)
        return reader_fail(r, "tensor '%s' has data_offsets that are not a pair of integers", name);
    int64_t begin = v[1].u.integer, end = v[2].u.integer;
    if (begin < 0 || end < 0)
        return reader_fail(r, "tensor '%s' has data_offsets [%" PRId64 ", %" PRId64 "] (negative)", name, begin, end);
    if (end < begin)
        return reader_fail(r, "tensor '%s' has data_offsets [%" PRId64 ", %" PRId64 "] (end before begin)", name, begin, end);
    if ((uint64_t)end > (uint64_t)r->data_len)
        return reader_fail(r, "tensor '%s' has data_offsets [%" PRId64 ", %" PRId64 "] beyond the %zu-byte data section",
                    name, begin, end, r->data_len);
    if ((uint64_t)(end - begin) != (uint64_t)t->nbytes) {
        char shape[ST_MAX_DIMS * 24 + 4];
        format_shape(t, shape, sizeof shape);
        return reader_fail(r, "tensor '%s' has data_offsets [%" PRId64 ", %" PRId64 "] spanning %" PRId64
                    " bytes, but shape %s of %s needs %zu", name, begin, end, end - begin, shape,
                    dtype_names[t->dtype], t->nbytes);
    }
    t->data = r->data + begin;
    return 0;
}

// Fills t from one header member: key = the tensor name, value = {"dtype", "shape", "data_offsets"}.
static int load_tensor(Reader *r, StTensor *t, size_t key, size_t value) {
    static const char *const fields[3] = {"dtype", "shape", "data_offsets"};
    const JsonValue *k = &r->json.values[key], *v = &r->json.values[value];
    if (k->u.s.len > ST_MAX_NAME - 1)
        return reader_fail(r, "tensor name '%s' is %zu bytes long (at most %d are allowed)", shown(k->u.s.str).text,
                    k->u.s.len, ST_MAX_NAME - 1);
    memcpy(t->name, k->u.s.str, k->u.s.len + 1);
    Shown shown_name = shown(t->name);
    const char *name = shown_name.text;
    if (v->kind != JSON_OBJECT) return reader_fail(r, "tensor '%s' is not a JSON object", name);
    size_t found[3] = {0, 0, 0}; // value indices; 0 (the root) means absent
    for (size_t m = 0, f = value + 1; m < v->u.count; m++, f = r->json.values[f + 1].end) {
        const char *field = r->json.values[f].u.s.str;
        int which = 0;
        while (which < 3 && strcmp(field, fields[which]) != 0) which++;
        if (which == 3) return reader_fail(r, "tensor '%s' has unknown field '%s'", name, shown(field).text);
        if (found[which]) return reader_fail(r, "tensor '%s' has field '%s' twice", name, field);
        found[which] = f + 1;
    }
    for (int i = 0; i < 3; i++)
        if (!found[i]) return reader_fail(r, "tensor '%s' has no '%s' field", name, fields[i]);
    if (load_dtype(r, t, name, &r->json.values[found[0]])) return -1;
    if (load_shape(r, t, name, found[1])) return -1;
    return load_offsets(r, t, name, found[2]);
}

static char *copy_string(const char *s, size_t len) {
    char *copy = malloc(len + 1);
    if (copy) memcpy(copy, s, len + 1);
    return copy;
}

// Loads "__metadata__": an object whose values must all be strings, with no key twice.
static int load_metadata(Reader *r, StFile *f, size_t value) {
    const JsonValue *v = &r->json.values[value];
    if (v->kind != JSON_OBJECT) return reader_fail(r, "'__metadata__' is not a JSON object");
    if (v->u.count > INT_MAX) return reader_fail(r, "'__metadata__' has too many entries");
    f->meta = calloc(v->u.count ? v->u.count : 1, sizeof *f->meta);
    if (!f->meta) return reader_fail(r, "out of memory");
    for (size_t m = 0, k = value + 1; m < v->u.count; m++, k = r->json.values[k + 1].end) {
        const JsonValue *key = &r->json.values[k], *val = &r->json.values[k + 1];
        if (val->kind != JSON_STRING) return reader_fail(r, "metadata '%s' is not a string", shown(key->u.s.str).text);
        StMeta entry = {copy_string(key->u.s.str, key->u.s.len), copy_string(val->u.s.str, val->u.s.len)};
        if (!entry.key || !entry.value) {
            free(entry.key);
            free(entry.value);
            return reader_fail(r, "out of memory");
        }
        f->meta[f->n_meta++] = entry;
    }
    const char **keys = malloc((size_t)f->n_meta * sizeof *keys + 1);
    if (!keys) return reader_fail(r, "out of memory");
    for (int i = 0; i < f->n_meta; i++) keys[i] = f->meta[i].key;
    const char *dup = find_duplicate(keys, (size_t)f->n_meta);
    int rc = dup ? reader_fail(r, "metadata key '%s' appears twice", shown(dup).text) : 0;
    free(keys);
    return rc;
}

static int check_unique_names(Reader *r, const StFile *f) {
    const char **names = malloc((size_t)f->n_tensors * sizeof *names + 1);
    if (!names) return reader_fail(r, "out of memory");
    for (int i = 0; i < f->n_tensors; i++) names[i] = f->tensors[i].name;
    const char *dup = find_duplicate(names, (size_t)f->n_tensors);
    int rc = dup ? reader_fail(r, "tensor name '%s' appears twice", shown(dup).text) : 0;
    free(names);
    return rc;
}

static int by_data_range(const void *a, const void *b) {
    const StTensor *x = *(const StTensor *const *)a, *y = *(const StTensor *const *)b;
    const unsigned char *xd = x->data, *yd = y->data;
    if (xd != yd) return xd < yd ? -1 : 1;
    return (x->nbytes > y->nbytes) - (x->nbytes < y->nbytes);
}

// Two tensors sharing bytes would let a write through one corrupt the other; empty tensors own no
// bytes and are left out. Sorted by start, each range only needs comparing with its predecessor.
static int check_no_overlap(Reader *r, const StFile *f) {
    const StTensor **sorted = malloc((size_t)f->n_tensors * sizeof *sorted + 1);
    if (!sorted) return reader_fail(r, "out of memory");
    size_t n = 0;
    for (int i = 0; i < f->n_tensors; i++)
        if (f->tensors[i].nbytes) sorted[n++] = &f->tensors[i];
    if (n > 1) qsort(sorted, n, sizeof *sorted, by_data_range);
    int rc = 0;
    for (size_t i = 1; i < n && rc == 0; i++) {
        const StTensor *a = sorted[i - 1], *b = sorted[i];
        size_t a_begin = (size_t)((const unsigned char *)a->data - r->data);
        size_t b_begin = (size_t)((const unsigned char *)b->data - r->data);
        if (a_begin + a->nbytes > b_begin)
            rc = reader_fail(r, "tensors '%s' (data_offsets [%zu, %zu]) and '%s' (data_offsets [%zu, %zu]) overlap",
                      shown(a->name).text, a_begin, a_begin + a->nbytes, shown(b->name).text, b_begin,
                      b_begin + b->nbytes);
    }
    free(sorted);
    return rc;
}

// Walks the header's members: "__metadata__" once, everything else a tensor.
static int load_entries(Reader *r, StFile *f) {
    const JsonValue *root = &r->json.values[0];
    size_t cap = 0;
    int seen_metadata = 0;
    for (size_t m = 0, k = 1; m < root->u.count; m++, k = r->json.values[k + 1].end) {
        if (strcmp(r->json.values[k].u.s.str, "__metadata__") == 0) {
            if (seen_metadata) return reader_fail(r, "'__metadata__' appears twice");
            seen_metadata = 1;
            if (load_metadata(r, f, k + 1)) return -1;
            continue;
        }
        // Grown per validated entry (not sized by the member count), so memory follows real tensors.
        if ((size_t)f->n_tensors == cap) {
            StTensor *grown = cap < INT_MAX ? grow_array(f->tensors, &cap, sizeof *grown) : NULL;
            if (!grown) return reader_fail(r, "out of memory");
            f->tensors = grown;
        }
        StTensor *t = &f->tensors[f->n_tensors];
        memset(t, 0, sizeof *t);
        if (load_tensor(r, t, k, k + 1)) return -1;
        f->n_tensors++;
    }
    if (check_unique_names(r, f)) return -1;
    return check_no_overlap(r, f);
}

// Every F16 tensor becomes an F32 copy (exact: fp16 values are all fp32 values), in one allocation.
static int widen_f16(Reader *r, StFile *f) {
    size_t total = 0;
    for (int i = 0; i < f->n_tensors; i++)
        if (f->tensors[i].dtype == ST_F16) total += f->tensors[i].nbytes / 2; // ≤ file size / 2: no overflow
    if (!total) return 0;
    f->widened = malloc(total * sizeof(float));
    if (!f->widened) return reader_fail(r, "out of memory widening %zu F16 values to F32", total);
    float *dst = f->widened;
    for (int i = 0; i < f->n_tensors; i++) {
        StTensor *t = &f->tensors[i];
        if (t->dtype != ST_F16) continue;
        size_t n = t->nbytes / 2;
        const unsigned char *src = t->data;
        for (size_t k = 0; k < n; k++) {
            uint16_t h;
            memcpy(&h, src + 2 * k, sizeof h); // tensors may start at any byte offset
            dst[k] = half_to_float(h);
        }
        t->dtype = ST_F32;
        t->nbytes = n * sizeof(float);
        t->data = dst;
        dst += n;
        f->n_widened++;
    }
    return 0;
}

int st_open(StFile *f, const char *path, char *err, size_t errlen) {
    memset(f, 0, sizeof *f);
    if (err && errlen) err[0] = '\0';
    Reader r = {.path = path, .err = err, .errlen = errlen};
    int rc = read_file(&r, f);
    if (rc == 0) rc = parse_header(&r, f);
    if (rc == 0) rc = load_entries(&r, f);
    if (rc == 0) rc = widen_f16(&r, f);
    json_free(&r.json);
    if (rc != 0) st_close(f);
    return rc;
}

void st_close(StFile *f) {
    for (int i = 0; i < f->n_meta; i++) {
        free(f->meta[i].key);
        free(f->meta[i].value);
    }
    free(f->meta);
    free(f->tensors);
    free(f->buffer);
    free(f->widened);
    memset(f, 0, sizeof *f);
}

const StTensor *st_find(const StFile *f, const char *name) {
    for (int i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

const char *st_meta(const StFile *f, const char *key) {
    for (int i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
    return NULL;
}

// ---------------------------------------------------------------------------------------------------------
// Writer

typedef struct {
    char *name;
    StDtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t nbytes;
    const void *data;
    size_t begin;        // offset in the data section, set by build_header
} PendingTensor;

struct StWriter {
    PendingTensor *tensors;
    size_t n_tensors, cap_tensors;
    StMeta *meta;
    size_t n_meta, cap_meta;
};

// Misuse of the writer (a bug in the caller) and running out of memory are not conditions to recover from.
__attribute__((noreturn, format(printf, 1, 2)))
static void fatal(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "safetensors: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static char *xstrdup(const char *s) {
    char *copy = copy_string(s, strlen(s));
    if (!copy) fatal("out of memory");
    return copy;
}

static int is_valid_utf8(const char *s) {
    size_t len = strlen(s);
    for (size_t i = 0, n; i < len; i += n)
        if (!(n = utf8_sequence_length((const unsigned char *)s + i, len - i))) return 0;
    return 1;
}

StWriter *st_writer_new(void) {
    StWriter *w = calloc(1, sizeof *w);
    if (!w) fatal("out of memory");
    return w;
}

void st_writer_free(StWriter *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_tensors; i++) free(w->tensors[i].name);
    for (size_t i = 0; i < w->n_meta; i++) {
        free(w->meta[i].key);
        free(w->meta[i].value);
    }
    free(w->tensors);
    free(w->meta);
    free(w);
}

// Aborts unless the tensor is one the reader will accept back unchanged.
static void check_tensor_args(const StWriter *w, const char *name, StDtype dtype, int ndim, const int64_t *shape) {
    if (!name) fatal("st_writer_add: NULL tensor name");
    // Names must read back byte for byte, so they must be valid UTF-8 (see append_json_string).
    if (strlen(name) > ST_MAX_NAME - 1 || !is_valid_utf8(name) || strcmp(name, "__metadata__") == 0)
        fatal("st_writer_add: invalid tensor name '%s' (too long, not UTF-8 or reserved)",
                          shown(name).text);
    if ((int)dtype < 0 || (int)dtype >= N_DTYPES)
        fatal("st_writer_add: tensor '%s' has invalid dtype %d", name, (int)dtype);
    if (ndim < 0 || ndim > ST_MAX_DIMS || (ndim > 0 && !shape))
        fatal("st_writer_add: tensor '%s' has invalid ndim %d", name, ndim);
    for (size_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0) fatal("st_writer_add: duplicate tensor name '%s'", name);
}

void st_writer_add(StWriter *w, const char *name, StDtype dtype, int ndim, const int64_t *shape, const void *data) {
    check_tensor_args(w, name, dtype, ndim, shape);
    PendingTensor t = {.dtype = dtype, .ndim = ndim, .data = data};
    for (int d = 0; d < ndim; d++) t.shape[d] = shape[d];
    if (tensor_byte_size(dtype, ndim, shape, &t.nbytes) != 0)
        fatal("st_writer_add: tensor '%s' has a negative dimension or an overflowing size", name);
    if (t.nbytes && !data) fatal("st_writer_add: tensor '%s' has NULL data", name);
    if (w->n_tensors == w->cap_tensors) {
        PendingTensor *grown = grow_array(w->tensors, &w->cap_tensors, sizeof *grown);
        if (!grown) fatal("out of memory");
        w->tensors = grown;
    }
    t.name = xstrdup(name);
    w->tensors[w->n_tensors++] = t;
}

void st_writer_meta(StWriter *w, const char *key, const char *value) {
    if (!key || !value) fatal("st_writer_meta: NULL key or value");
    for (size_t i = 0; i < w->n_meta; i++)
        if (strcmp(w->meta[i].key, key) == 0) fatal("st_writer_meta: duplicate metadata key '%s'", key);
    if (w->n_meta == w->cap_meta) {
        StMeta *grown = grow_array(w->meta, &w->cap_meta, sizeof *grown);
        if (!grown) fatal("out of memory");
        w->meta = grown;
    }
    w->meta[w->n_meta++] = (StMeta){xstrdup(key), xstrdup(value)};
}

// A growing text buffer for the header.
typedef struct {
    char *data;
    size_t len, cap;
} Text;

static void text_append(Text *b, const char *s, size_t n) {
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 256;
        while (n > cap - b->len) {
            if (cap > SIZE_MAX / 2) fatal("out of memory");
            cap *= 2;
        }
        char *grown = realloc(b->data, cap);
        if (!grown) fatal("out of memory");
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void text_puts(Text *b, const char *s) {
    text_append(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void text_printf(Text *b, const char *fmt, ...) {
    char piece[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(piece, sizeof piece, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof piece) fatal("text_printf: piece too long");
    text_append(b, piece, (size_t)n);
}

// Appends s as a JSON string. Valid UTF-8 passes through unchanged. A byte that is not part of valid
// UTF-8 is written as \u00XX so the header stays valid JSON; since the reader decodes \uXXXX to
// UTF-8, such a byte reads back as the UTF-8 encoding of U+00XX (0xFF comes back as C3 BF).
static void append_json_string(Text *b, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    text_puts(b, "\"");
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        size_t n = c >= 0x80 ? utf8_sequence_length(p + i, len - i) : 1;
        if (c == '"') text_puts(b, "\\\"");
        else if (c == '\\') text_puts(b, "\\\\");
        else if (c == '\n') text_puts(b, "\\n");
        else if (c == '\t') text_puts(b, "\\t");
        else if (c == '\r') text_puts(b, "\\r");
        else if (c < 0x20 || n == 0) text_printf(b, "\\u%04x", c);
        else text_append(b, s + i, n);
        i += n ? n : 1;
    }
    text_puts(b, "\"");
}

// The JSON header, padded with spaces to a multiple of 8 so the data section starts 8-aligned.
// Tensors are laid out back to back in the order added: the format forbids holes in the data section
// (Hugging Face's reader rejects them), so 8-byte values may be unaligned and readers copy them.
static int build_header(StWriter *w, Text *b, const char *path, char *err, size_t errlen) {
    text_puts(b, "{");
    if (w->n_meta) {
        text_puts(b, "\"__metadata__\":{");
        for (size_t i = 0; i < w->n_meta; i++) {
            if (i) text_puts(b, ",");
            append_json_string(b, w->meta[i].key);
            text_puts(b, ":");
            append_json_string(b, w->meta[i].value);
        }
        text_puts(b, "}");
    }
    size_t offset = 0;
    for (size_t i = 0; i < w->n_tensors; i++) {
        PendingTensor *t = &w->tensors[i];
        t->begin = offset;
        if (t->nbytes > SIZE_MAX - t->begin) {
            set_error(err, errlen, path, "the tensors' total size overflows");
            return -1;
        }
        if (i || w->n_meta) text_puts(b, ",");
        append_json_string(b, t->name);
        text_printf(b, ":{\"dtype\":\"%s\",\"shape\":[", dtype_names[t->dtype]);
        for (int d = 0; d < t->ndim; d++) text_printf(b, "%s%" PRId64, d ? "," : "", t->shape[d]);
        text_printf(b, "],\"data_offsets\":[%zu,%zu]}", t->begin, t->begin + t->nbytes);
        offset = t->begin + t->nbytes;
    }
    text_puts(b, "}");
    while (b->len % 8) text_puts(b, " ");
    if (b->len > ST_MAX_HEADER) {
        set_error(err, errlen, path, "header would be %zu bytes, more than readers accept", b->len);
        return -1;
    }
    return 0;
}

// Writes length, header and data (at the offsets build_header chose) into the temporary file of an
// atomic replacement (engine/output_file.h), which the caller commits.
static int write_tensors(const StWriter *w, const Text *header, FILE *fp) {
    unsigned char length[8];
    for (int i = 0; i < 8; i++) length[i] = (unsigned char)((uint64_t)header->len >> (8 * i));
    int ok = fwrite(length, 1, 8, fp) == 8 && fwrite(header->data, 1, header->len, fp) == header->len;
    for (size_t i = 0; ok && i < w->n_tensors; i++) {
        const PendingTensor *t = &w->tensors[i];
        ok = t->nbytes == 0 || fwrite(t->data, 1, t->nbytes, fp) == t->nbytes;
    }
    return ok ? 0 : -1;
}

// Removes PATH.tmp.<pid> files left by writers that were killed mid-save (kill -9, power cut): their
// process no longer exists. Files of live processes (a concurrent save) are left alone. Done before
// writing, so a disk filled by such leftovers gets its space back first. Best effort: errors are ignored.
static void remove_stale_temp_files(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dir_len = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);
    char *dir = xstrdup(dir_len ? path : ".");
    if (dir_len) dir[dir_len] = '\0';
    size_t base_len = strlen(base);
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        const char *name = e->d_name;
        if (strncmp(name, base, base_len) || strncmp(name + base_len, ".tmp.", 5)) continue;
        const char *digits = name + base_len + 5;
        char *end;
        errno = 0;
        long pid = strtol(digits, &end, 10);
        if (errno || end == digits || *end || *digits < '1' || *digits > '9' || pid <= 0 || pid > INT_MAX ||
            pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; // alive (or not ours to judge)
        size_t full_len = strlen(dir) + strlen(name) + 2;
        char *full = malloc(full_len);
        if (!full) break;
        snprintf(full, full_len, "%s/%s", dir, name);
        unlink(full);
        free(full);
    }
    if (d) closedir(d);
    free(dir);
}

int st_writer_save(StWriter *w, const char *path, char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    Text header = {0};
    if (build_header(w, &header, path, err, errlen) != 0) {
        free(header.data);
        return -1;
    }
    OutputFile o;
    int rc = output_open(&o, path, err, errlen);
    if (rc == 0) {
        remove_stale_temp_files(o.target);
        errno = 0;
        if (write_tensors(w, &header, o.f)) o.error = errno ? errno : EIO;
        rc = output_commit(&o, path, err, errlen);
    }
    free(header.data);
    return rc;
}
