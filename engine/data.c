// Character-level data: byte vocabulary, corpus loading with the 90/10 split, and stream batching.
#include "engine/data.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// ---------------------------------------------------------------------------------------------------------
// Vocabulary

void vocab_build(Vocab *v, const unsigned char *text, size_t n) {
    unsigned char seen[256] = {0};
    for (size_t i = 0; i < n; i++) seen[text[i]] = 1;
    v->size = 0;
    // Walking the byte values upwards makes id order equal byte order, as model.md requires.
    for (int byte = 0; byte < 256; byte++) {
        v->ids[byte] = -1;
        if (!seen[byte]) continue;
        v->ids[byte] = (int16_t)v->size;
        v->chars[v->size++] = (unsigned char)byte;
    }
}

long vocab_encode(const Vocab *v, const unsigned char *text, size_t n, int32_t *ids) {
    for (size_t i = 0; i < n; i++) {
        int id = v->ids[text[i]];
        if (id < 0) return (long)i;
        ids[i] = id;
    }
    return -1;
}

// ---------------------------------------------------------------------------------------------------------
// Stream batching

void batcher_init(Batcher *bt, const int32_t *ids, size_t n, int batch, int seq_len) {
    bt->ids = ids;
    bt->n = n;
    bt->batch = batch;
    bt->seq_len = seq_len;
    bt->stream_len = batch > 0 ? n / (size_t)batch : 0;
    // A segment needs Q inputs plus one more position for its last target.
    bt->n_steps = (seq_len > 0 && bt->stream_len > 0) ? (long)((bt->stream_len - 1) / (size_t)seq_len) : 0;
}

void batcher_get(const Batcher *bt, long k, int32_t *inputs, int32_t *targets) {
    assert(k >= 0 && k < bt->n_steps);
    size_t q = (size_t)bt->seq_len;
    for (int b = 0; b < bt->batch; b++) {
        const int32_t *segment = bt->ids + (size_t)b * bt->stream_len + (size_t)k * q;
        memcpy(inputs + (size_t)b * q, segment, q * sizeof *inputs);
        memcpy(targets + (size_t)b * q, segment + 1, q * sizeof *targets);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Corpus

static void set_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_error(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

// floor(0.9 n) in integers: 0.9 is not exact in binary, and n * 9 could overflow for huge n.
static size_t train_split(size_t n) {
    return n / 10 * 9 + n % 10 * 9 / 10;
}

int corpus_from_text(Corpus *c, unsigned char *text, size_t n, const char *source, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    if (n < 2) {
        set_error(err, errlen, "%s: has %zu byte%s; a corpus needs at least 2 (one to train on, one to validate)",
                  source, n, n == 1 ? "" : "s");
        free(text);
        return -1;
    }
    int32_t *ids = n <= SIZE_MAX / sizeof *ids ? malloc(n * sizeof *ids) : NULL;
    if (!ids) {
        set_error(err, errlen, "%s: out of memory for %zu character ids; use a smaller corpus", source, n);
        free(text);
        return -1;
    }
    c->text = text;
    c->n = n;
    c->ids = ids;
    c->n_train = train_split(n);
    vocab_build(&c->vocab, text, n);
    // Cannot fail: the vocabulary was built from these very bytes.
    vocab_encode(&c->vocab, text, n, ids);
    snprintf(c->source, sizeof c->source, "%s", source);
    return 0;
}

// Reads exactly size bytes: 0, or -1 with errno, or 1 when the file ended early. A file that shrinks
// underneath us is reported rather than half-used.
static int read_all(int fd, unsigned char *buf, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t got = read(fd, buf + done, size - done);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return -1;
        if (got == 0) return 1;
        done += (size_t)got;
    }
    return 0;
}

static int open_error(const char *path, char *err, size_t errlen) {
    if (errno == ENOENT)
        set_error(err, errlen, "%s: no such file; run `make data` to fetch Tiny Shakespeare, or give the path of a text file",
                  path);
    else
        set_error(err, errlen, "%s: cannot open (%s); check the path and its permissions", path, strerror(errno));
    return -1;
}

// Checks what fstat says about the file before any memory is committed to it.
static int check_file(const char *path, const struct stat *st, char *err, size_t errlen) {
    if (S_ISDIR(st->st_mode)) {
        set_error(err, errlen, "%s: is a directory; give the path of a text file", path);
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        set_error(err, errlen, "%s: is not a regular file; copy the text into a file and give its path", path);
        return -1;
    }
    if (st->st_size == 0) {
        set_error(err, errlen, "%s: is empty; give a text file with some content (or run `make data`)", path);
        return -1;
    }
    if (st->st_size < 2) {
        set_error(err, errlen, "%s: holds 1 byte; a corpus needs at least 2 (one to train on, one to validate)", path);
        return -1;
    }
    if ((uintmax_t)st->st_size > SIZE_MAX / sizeof(int32_t)) {
        set_error(err, errlen, "%s: is too large to hold in memory; use a smaller corpus", path);
        return -1;
    }
    return 0;
}

int corpus_load(Corpus *c, const char *path, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    // O_NONBLOCK keeps open() from hanging on a FIFO; check_file then rejects it. Regular files ignore it.
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return open_error(path, err, errlen);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        set_error(err, errlen, "%s: cannot stat (%s); check the path and its permissions", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (check_file(path, &st, err, errlen) != 0) {
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    unsigned char *text = malloc(size);
    if (!text) {
        set_error(err, errlen, "%s: out of memory for %zu bytes; use a smaller corpus", path, size);
        close(fd);
        return -1;
    }
    int status = read_all(fd, text, size);
    if (status != 0) {
        set_error(err, errlen, "%s: cannot read (%s); check that it is readable and not being written to", path,
                  status > 0 ? "it became shorter while being read" : strerror(errno));
        free(text);
        close(fd);
        return -1;
    }
    close(fd);
    return corpus_from_text(c, text, size, path, err, errlen);
}

void corpus_free(Corpus *c) {
    free(c->text);
    free(c->ids);
    memset(c, 0, sizeof *c);
}
