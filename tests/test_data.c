// Data layer: vocabulary, stream batching, the 90/10 split, corpus loading errors, the built-in corpus.
#include "tests/harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/builtin_corpus.h"
#include "engine/data.h"

// Relative to the directory the tests run in (the repository root); absent on machines without the copy.
#define SHARED_SHAKESPEARE "../shared/data/tinyshakespeare.txt"

static void write_file(const char *path, const void *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    CHECK_MSG(f != NULL, "cannot create %s", path);
    CHECK(fwrite(bytes, 1, n, f) == n);
    CHECK(fclose(f) == 0);
}

static void check_ints(const int32_t *got, const int32_t *want, int n, const char *what) {
    for (int i = 0; i < n; i++)
        CHECK_MSG(got[i] == want[i], "%s[%d] = %d, expected %d", what, i, (int)got[i], (int)want[i]);
}

// Error messages are shown to the user as a single line that says which file is at fault.
static void check_error_line(const char *err, const char *path) {
    CHECK_MSG(strstr(err, path) != NULL, "error does not name %s: \"%s\"", path, err);
    CHECK_MSG(strchr(err, '\n') == NULL, "error is not one line: \"%s\"", err);
}

static void check_load_fails(const char *path) {
    Corpus c;
    char err[1024] = "";
    CHECK_INT_EQ(corpus_load(&c, path, err, sizeof err), -1);
    check_error_line(err, path);
    CHECK(c.text == NULL && c.ids == NULL);
    corpus_free(&c);  // harmless after a failure
}

// ---------------------------------------------------------------------------------------------------------
// Vocabulary

TEST(vocab_hello_world_in_byte_order) {
    const char *text = "hello world";
    Vocab v;
    vocab_build(&v, (const unsigned char *)text, strlen(text));
    CHECK_INT_EQ(v.size, 8);
    CHECK(memcmp(v.chars, " dehlorw", 8) == 0);
    CHECK_INT_EQ(v.ids[' '], 0);
    CHECK_INT_EQ(v.ids['d'], 1);
    CHECK_INT_EQ(v.ids['w'], 7);
    CHECK_INT_EQ(v.ids['a'], -1);
    CHECK_INT_EQ(v.ids[0], -1);

    int32_t ids[11];
    const int32_t want[11] = {3, 2, 4, 4, 5, 0, 7, 5, 6, 4, 1};
    CHECK_INT_EQ(vocab_encode(&v, (const unsigned char *)text, 11, ids), -1);
    check_ints(ids, want, 11, "ids");
}

TEST(vocab_encode_reports_first_unknown_byte) {
    Vocab v;
    vocab_build(&v, (const unsigned char *)"hello world", 11);
    int32_t ids[8];
    CHECK_INT_EQ(vocab_encode(&v, (const unsigned char *)"hex", 3, ids), 2);
    CHECK_INT_EQ(vocab_encode(&v, (const unsigned char *)"Hello", 5, ids), 0);
    CHECK_INT_EQ(vocab_encode(&v, (const unsigned char *)"", 0, ids), -1);
}

TEST(vocab_covers_nul_and_high_bytes) {
    const unsigned char text[] = {0xff, 'a', 0x00, 0xc3, 'a', 0xff};
    Vocab v;
    vocab_build(&v, text, sizeof text);
    CHECK_INT_EQ(v.size, 4);
    const unsigned char want[] = {0x00, 'a', 0xc3, 0xff};
    CHECK(memcmp(v.chars, want, 4) == 0);
    CHECK_INT_EQ(v.ids[0xff], 3);
}

// ---------------------------------------------------------------------------------------------------------
// Stream batching

// Ids 100+i, so a mix-up between positions and ids shows.
static void fill_sequence(int32_t *ids, int n) {
    for (int i = 0; i < n; i++) ids[i] = 100 + i;
}

TEST(batcher_small_sequence_element_by_element) {
    // n = 23, B = 2: position 22 is truncated; streams are positions 0..10 and 11..21 (11 each).
    // Steps = floor((11 - 1) / 3) = 3: a 4th would need targets at positions 10..12 of an 11-long stream.
    int32_t ids[23];
    fill_sequence(ids, 23);
    Batcher bt;
    batcher_init(&bt, ids, 23, 2, 3);
    CHECK_INT_EQ(bt.stream_len, 11);
    CHECK_INT_EQ(bt.n_steps, 3);

    const int32_t want_inputs[3][6] = {
        {100, 101, 102, 111, 112, 113},
        {103, 104, 105, 114, 115, 116},
        {106, 107, 108, 117, 118, 119},
    };
    const int32_t want_targets[3][6] = {
        {101, 102, 103, 112, 113, 114},
        {104, 105, 106, 115, 116, 117},
        {107, 108, 109, 118, 119, 120},
    };
    int32_t inputs[6], targets[6];
    for (long k = 0; k < 3; k++) {
        batcher_get(&bt, k, inputs, targets);
        check_ints(inputs, want_inputs[k], 6, "inputs");
        check_ints(targets, want_targets[k], 6, "targets");
    }
}

TEST(batcher_exact_fit_reaches_last_position) {
    // n = 14, B = 2, Q = 3: streams of 7, (7 - 1) / 3 = 2 steps; the last target is the stream's last id.
    int32_t ids[14];
    fill_sequence(ids, 14);
    Batcher bt;
    batcher_init(&bt, ids, 14, 2, 3);
    CHECK_INT_EQ(bt.stream_len, 7);
    CHECK_INT_EQ(bt.n_steps, 2);
    int32_t inputs[6], targets[6];
    batcher_get(&bt, 1, inputs, targets);
    const int32_t want_inputs[6] = {103, 104, 105, 110, 111, 112};
    const int32_t want_targets[6] = {104, 105, 106, 111, 112, 113};
    check_ints(inputs, want_inputs, 6, "inputs");
    check_ints(targets, want_targets, 6, "targets");
}

TEST(batcher_too_short_has_no_steps) {
    int32_t ids[8];
    fill_sequence(ids, 8);
    Batcher bt;
    batcher_init(&bt, ids, 1, 2, 3);  // fewer tokens than streams: stream_len 0
    CHECK_INT_EQ(bt.stream_len, 0);
    CHECK_INT_EQ(bt.n_steps, 0);
    batcher_init(&bt, ids, 7, 2, 3);  // streams of 3: 2 positions after the first, one short of a segment
    CHECK_INT_EQ(bt.n_steps, 0);
    batcher_init(&bt, ids, 8, 2, 3);  // streams of 4: exactly one segment
    CHECK_INT_EQ(bt.n_steps, 1);
}

// ---------------------------------------------------------------------------------------------------------
// Split and corpus

static size_t split_of(size_t n) {
    unsigned char *text = malloc(n);
    CHECK(text != NULL);
    for (size_t i = 0; i < n; i++) text[i] = (unsigned char)('a' + i % 5);
    Corpus c;
    char err[256] = "";
    CHECK_MSG(corpus_from_text(&c, text, n, "test", err, sizeof err) == 0, "%s", err);
    size_t n_train = c.n_train;
    corpus_free(&c);
    return n_train;
}

TEST(split_point_is_floor_of_nine_tenths) {
    CHECK_INT_EQ(split_of(10), 9);
    CHECK_INT_EQ(split_of(11), 9);   // 9.9
    CHECK_INT_EQ(split_of(19), 17);  // 17.1
    CHECK_INT_EQ(split_of(2), 1);
    CHECK_INT_EQ(split_of(1115394), 1003854);  // the length of Tiny Shakespeare
}

TEST(corpus_from_text_fills_everything) {
    const char *source = "in-memory text";
    unsigned char *text = malloc(11);
    CHECK(text != NULL);
    memcpy(text, "hello world", 11);
    Corpus c;
    char err[256] = "";
    CHECK_MSG(corpus_from_text(&c, text, 11, source, err, sizeof err) == 0, "%s", err);
    CHECK(c.text == text);
    CHECK_INT_EQ(c.n, 11);
    CHECK_INT_EQ(c.n_train, 9);
    CHECK_INT_EQ(c.vocab.size, 8);
    const int32_t want[11] = {3, 2, 4, 4, 5, 0, 7, 5, 6, 4, 1};
    check_ints(c.ids, want, 11, "ids");
    CHECK(strcmp(c.source, source) == 0);
    corpus_free(&c);
    CHECK(c.text == NULL && c.ids == NULL && c.n == 0);
}

TEST(corpus_from_text_rejects_one_byte_and_frees_it) {
    unsigned char *text = malloc(1);
    CHECK(text != NULL);
    text[0] = 'x';
    Corpus c;
    char err[256] = "";
    CHECK_INT_EQ(corpus_from_text(&c, text, 1, "tiny", err, sizeof err), -1);  // LeakSanitizer checks the free
    check_error_line(err, "tiny");
}

TEST(corpus_load_reads_any_bytes) {
    const unsigned char bytes[] = {'a', 0x00, 0xff, 0xfe, '\n', 'a', 'b', 0x80, 'b', 'a'};
    const char *path = test_path("binary.txt");
    write_file(path, bytes, sizeof bytes);
    Corpus c;
    char err[1024] = "";
    CHECK_MSG(corpus_load(&c, path, err, sizeof err) == 0, "%s", err);
    CHECK_INT_EQ(c.n, sizeof bytes);
    CHECK(memcmp(c.text, bytes, sizeof bytes) == 0);
    CHECK_INT_EQ(c.n_train, 9);
    CHECK_INT_EQ(c.vocab.size, 7);  // NUL '\n' a b 0x80 0xfe 0xff
    CHECK_INT_EQ(c.ids[1], 0);      // NUL is the smallest byte
    CHECK_INT_EQ(c.ids[2], 6);      // 0xff the largest
    CHECK(strcmp(c.source, path) == 0);
    corpus_free(&c);
}

TEST(corpus_load_missing_file) {
    check_load_fails(test_path("no-such-file.txt"));
}

TEST(corpus_load_directory) {
    check_load_fails(test_tmpdir());
}

TEST(corpus_load_empty_file) {
    const char *path = test_path("empty.txt");
    write_file(path, "", 0);
    check_load_fails(path);
}

TEST(corpus_load_one_byte_file) {
    const char *path = test_path("one.txt");
    write_file(path, "x", 1);
    check_load_fails(path);
}

TEST(corpus_load_unreadable_file) {
    if (geteuid() == 0) {
        printf("    note: running as root, which reads any file; unreadable-file case skipped\n");
        return;
    }
    const char *path = test_path("locked.txt");
    write_file(path, "some text", 9);
    CHECK(chmod(path, 0) == 0);
    check_load_fails(path);
}

// ---------------------------------------------------------------------------------------------------------
// Tiny Shakespeare: the labml reference numbers of model.md

TEST(tiny_shakespeare_reference_numbers) {
    if (access(SHARED_SHAKESPEARE, R_OK) != 0) {
        printf("    note: %s not found; Tiny Shakespeare reference numbers skipped\n", SHARED_SHAKESPEARE);
        return;
    }
    Corpus c;
    char err[1024] = "";
    CHECK_MSG(corpus_load(&c, SHARED_SHAKESPEARE, err, sizeof err) == 0, "%s", err);
    CHECK_INT_EQ(c.vocab.size, 65);
    CHECK_INT_EQ(c.n_train, 1003854);
    CHECK_INT_EQ(c.n - c.n_train, 111540);
    Batcher train, valid;
    batcher_init(&train, c.ids, c.n_train, 32, 8);
    batcher_init(&valid, c.ids + c.n_train, c.n - c.n_train, 32, 8);
    CHECK_INT_EQ(train.n_steps, 3921);
    CHECK_INT_EQ(valid.n_steps, 435);
    corpus_free(&c);
}

// ---------------------------------------------------------------------------------------------------------
// Built-in corpus

static uint64_t fnv1a64(const unsigned char *bytes, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= bytes[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

TEST(builtin_corpus_is_deterministic) {
    size_t n1 = 0, n2 = 0;
    unsigned char *a = builtin_corpus_generate(&n1);
    unsigned char *b = builtin_corpus_generate(&n2);
    CHECK(a != NULL && b != NULL);
    CHECK_INT_EQ(n1, n2);
    CHECK(memcmp(a, b, n1) == 0);
    free(a);
    free(b);
}

TEST(builtin_corpus_size_and_printable_content) {
    size_t n = 0;
    unsigned char *text = builtin_corpus_generate(&n);
    CHECK(text != NULL);
    CHECK_MSG(n >= 800000 && n <= 1500000, "built-in corpus is %zu bytes", n);
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(text[i] == '\n' || (text[i] >= 0x20 && text[i] < 0x7f), "byte %zu is 0x%02x", i, text[i]);
    free(text);
}

TEST(builtin_corpus_pinned_prefix_and_hash) {
    size_t n = 0;
    unsigned char *text = builtin_corpus_generate(&n);
    CHECK(text != NULL);
    // Pinned from the generator as written; a change to it must update these on purpose.
    const char *prefix = "LADY CELESTE:\nMy friends rise in her holy city.\n\nFIRST CITIZEN:\n";
    CHECK_MSG(n >= strlen(prefix) && memcmp(text, prefix, strlen(prefix)) == 0, "starts \"%.60s\"",
              (const char *)text);
    CHECK_INT_EQ(n, 1100812);
    uint64_t hash = fnv1a64(text, n);
    CHECK_MSG(hash == 0x58fd8fc51bf329dfULL, "fnv1a64 = 0x%016llxULL over %zu bytes", (unsigned long long)hash, n);
    free(text);
}

TEST(builtin_corpus_has_play_structure) {
    size_t n = 0;
    unsigned char *text = builtin_corpus_generate(&n);
    CHECK(text != NULL);
    Corpus c;
    char err[256] = "";
    CHECK_MSG(corpus_from_text(&c, text, n, "built-in corpus", err, sizeof err) == 0, "%s", err);
    CHECK_MSG(c.vocab.size >= 40 && c.vocab.size <= 96, "vocabulary of %d", c.vocab.size);
    // Every speech starts with a capitalised name and a colon and ends with a blank line.
    size_t speeches = 0;
    for (size_t i = 0; i + 1 < c.n; i++) speeches += c.text[i] == ':' && c.text[i + 1] == '\n';
    CHECK_MSG(speeches > 10000, "%zu speeches", speeches);
    CHECK(c.text[c.n - 1] == '\n' && c.text[c.n - 2] == '\n');
    Batcher bt;
    batcher_init(&bt, c.ids, c.n_train, 32, 8);
    CHECK(bt.n_steps > 3000);
    corpus_free(&c);
}
