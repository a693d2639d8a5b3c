// Safetensors: round trips, the exact bytes written, atomic saves and their failures, and a gallery
// of broken files the reader must refuse with a one-line message.
#include "tests/harness.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/safetensors.h"

// ---------------------------------------------------------------------------------------------------------
// Helpers

// A path in the test's scratch directory. The counter keeps names unique when tests share one
// process (--no-fork) and so one scratch directory.
static void fresh_path(char *out, size_t outlen, const char *name) {
    static int counter;
    snprintf(out, outlen, "%s/%d-%s", test_tmpdir(), counter++, name);
}

static void write_bytes(const char *path, const void *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    CHECK_MSG(f != NULL, "cannot create %s", path);
    CHECK(n == 0 || fwrite(bytes, 1, n, f) == n);
    CHECK(fclose(f) == 0);
}

// The whole file, malloc'd.
static unsigned char *read_bytes(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    CHECK(fseek(f, 0, SEEK_END) == 0);
    long size = ftell(f);
    CHECK(size >= 0 && fseek(f, 0, SEEK_SET) == 0);
    unsigned char *bytes = malloc((size_t)size + 1);
    CHECK(bytes != NULL && fread(bytes, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    *n = (size_t)size;
    return bytes;
}

static void put_u64_le(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64_le(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

// Writes a safetensors-shaped file: the header's length, the header (header_len bytes, so it may
// hold NULs), then data (data_len bytes; zeros when data is NULL).
static void write_st_file(const char *path, const char *header, size_t header_len, const void *data, size_t data_len) {
    size_t n = 8 + header_len + data_len;
    unsigned char *bytes = calloc(n, 1);
    CHECK(bytes != NULL);
    put_u64_le(bytes, header_len);
    memcpy(bytes + 8, header, header_len);
    if (data) memcpy(bytes + 8 + header_len, data, data_len);
    write_bytes(path, bytes, n);
    free(bytes);
}

static int is_one_line(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20) return 0;
    return 1;
}

// st_open must fail with one line that starts with the path and contains fragment, leaving f empty.
static void expect_rejected(const char *path, const char *fragment) {
    StFile f;
    memset(&f, 0x5a, sizeof f); // garbage, to see st_open clear it
    char err[512] = "";
    int rc = st_open(&f, path, err, sizeof err);
    CHECK_MSG(rc == -1, "st_open accepted %s (expected an error containing '%s')", path, fragment);
    CHECK_MSG(strncmp(err, path, strlen(path)) == 0 && strncmp(err + strlen(path), ": ", 2) == 0,
              "message '%s' does not start with the path", err);
    CHECK_MSG(strstr(err, fragment) != NULL, "message '%s' lacks '%s'", err, fragment);
    CHECK_MSG(is_one_line(err), "message '%s' is not one line", err);
    CHECK(f.tensors == NULL && f.n_tensors == 0 && f.meta == NULL && f.n_meta == 0);
    CHECK(f.buffer == NULL && f.buffer_len == 0);
}

// Writes header (plus data_len zero bytes of data) to a new file and expects it to be refused.
static void expect_header_rejected(const char *header, size_t data_len, const char *fragment) {
    char path[1024];
    fresh_path(path, sizeof path, "bad.safetensors");
    write_st_file(path, header, strlen(header), NULL, data_len);
    expect_rejected(path, fragment);
}

// The same for a header holding just tensor 'x' = {"dtype": dtype, "shape": shape, "data_offsets":
// offsets}, each given as JSON text.
static void expect_tensor_rejected(const char *dtype, const char *shape, const char *offsets, size_t data_len,
                                   const char *fragment) {
    char header[512];
    snprintf(header, sizeof header, "{\"x\":{\"dtype\":%s,\"shape\":%s,\"data_offsets\":%s}}", dtype, shape, offsets);
    expect_header_rejected(header, data_len, fragment);
}

static StFile open_ok(const char *path) {
    StFile f;
    char err[512] = "";
    int rc = st_open(&f, path, err, sizeof err);
    CHECK_MSG(rc == 0, "st_open failed: %s", err);
    return f;
}

static int count_entries(const char *dir, const char *containing) {
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "cannot list %s", dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strstr(e->d_name, containing)) n++;
    closedir(d);
    return n;
}

static void fresh_dir(char *out, size_t outlen, const char *name) {
    fresh_path(out, outlen, name);
    CHECK_MSG(mkdir(out, 0755) == 0, "cannot create %s", out);
}

// ---------------------------------------------------------------------------------------------------------
// Round trips and the written format

typedef struct {
    const char *name;
    StDtype dtype;
    int ndim;
    int64_t shape[3];
    const void *data;
} Spec;

static const char vocab_text[] = "quote\" backslash\\ newline\n tab\t e-acute \xc3\xa9 euro \xe2\x82\xac "
                                 "smile \xf0\x9f\x98\x80 ctrl \x01 del \x7f / end";

TEST(st_round_trip_every_dtype_with_metadata) {
    static const float f32a[6] = {1.5f, -2.25f, 0.0f, 1e-30f, -1e30f, 3.0f}, f32b[1] = {-0.0f};
    static const double f64a[4] = {3.141592653589793, -1e300, 5e-324, 0.1}, f64b[2] = {2.0, -2.0};
    static const int32_t i32a[6] = {INT32_MIN, -1, 0, 1, INT32_MAX, 42}, i32b[3] = {7, 8, 9};
    static const int64_t i64a[2] = {INT64_MIN, INT64_MAX}, i64b[4] = {-5, 5, 1LL << 40, 0};
    static const uint8_t u8a[5] = {0, 1, 127, 128, 255}, u8b[3] = {9, 8, 7};
    static const uint64_t u64a[1] = {UINT64_MAX}, u64b[2] = {0, 1ULL << 63};
    const Spec specs[] = {
        {"f32.a", ST_F32, 2, {2, 3}, f32a}, {"f32.b", ST_F32, 1, {1}, f32b},
        {"f64.a", ST_F64, 1, {4}, f64a}, {"f64.b", ST_F64, 2, {2, 1}, f64b},
        {"i32.a", ST_I32, 3, {3, 1, 2}, i32a}, {"i32.b", ST_I32, 1, {3}, i32b},
        {"u8.a", ST_U8, 1, {5}, u8a}, // odd size: the writer must pad before the next tensor
        {"i64.a", ST_I64, 1, {2}, i64a}, {"i64.b", ST_I64, 2, {2, 2}, i64b},
        {"u8.b", ST_U8, 1, {3}, u8b},
        {"u64.scalar", ST_U64, 0, {0}, u64a}, {"u64.b", ST_U64, 1, {2}, u64b},
        {"f32.empty", ST_F32, 2, {0, 3}, NULL},
    };
    const int n = (int)(sizeof specs / sizeof specs[0]);
    char path[1024], err[512];
    fresh_path(path, sizeof path, "round.safetensors");
    StWriter *w = st_writer_new();
    for (int i = 0; i < n; i++)
        st_writer_add(w, specs[i].name, specs[i].dtype, specs[i].ndim, specs[i].shape, specs[i].data);
    st_writer_meta(w, "vocab", vocab_text);
    st_writer_meta(w, "step", "1200");
    st_writer_meta(w, "empty", "");
    CHECK_MSG(st_writer_save(w, path, err, sizeof err) == 0, "save failed: %s", err);
    st_writer_free(w);

    StFile f = open_ok(path);
    CHECK_INT_EQ(f.n_tensors, n);
    for (int i = 0; i < n; i++) {
        const StTensor *t = &f.tensors[i];
        CHECK_MSG(strcmp(t->name, specs[i].name) == 0, "tensor %d is '%s', expected '%s'", i, t->name, specs[i].name);
        CHECK_INT_EQ(t->dtype, specs[i].dtype);
        CHECK_INT_EQ(t->ndim, specs[i].ndim);
        size_t count = 1;
        for (int d = 0; d < t->ndim; d++) {
            CHECK_INT_EQ(t->shape[d], specs[i].shape[d]);
            count *= (size_t)specs[i].shape[d];
        }
        CHECK_INT_EQ(t->nbytes, count * st_dtype_size(specs[i].dtype));
        CHECK_MSG(t->nbytes == 0 || memcmp(t->data, specs[i].data, t->nbytes) == 0, "tensor '%s' data differs",
                  t->name);
    }
    CHECK_INT_EQ(f.n_meta, 3);
    CHECK(strcmp(st_meta(&f, "vocab"), vocab_text) == 0);
    CHECK(strcmp(st_meta(&f, "step"), "1200") == 0);
    CHECK(strcmp(st_meta(&f, "empty"), "") == 0);
    st_close(&f);
    st_close(&f); // closing an emptied StFile again is harmless
}

TEST(st_find_and_meta_look_up_by_name) {
    static const int32_t values[3] = {1, 2, 3};
    const int64_t shape[1] = {3};
    char path[1024], err[512];
    fresh_path(path, sizeof path, "find.safetensors");
    StWriter *w = st_writer_new();
    st_writer_add(w, "alpha", ST_I32, 1, shape, values);
    st_writer_add(w, "beta", ST_I32, 1, shape, values);
    st_writer_meta(w, "d_model", "64");
    CHECK(st_writer_save(w, path, err, sizeof err) == 0);
    st_writer_free(w);

    StFile f = open_ok(path);
    const StTensor *beta = st_find(&f, "beta");
    CHECK(beta != NULL && beta == &f.tensors[1]);
    CHECK(st_find(&f, "alpha") == &f.tensors[0]);
    CHECK(st_find(&f, "gamma") == NULL);
    CHECK(st_find(&f, "alph") == NULL);
    CHECK(strcmp(st_meta(&f, "d_model"), "64") == 0);
    CHECK(st_meta(&f, "d_mode") == NULL);
    CHECK(st_meta(&f, "alpha") == NULL);
    const int32_t *ints = beta->data;
    CHECK_INT_EQ(ints[2], 3);
    st_close(&f);
}

TEST(st_dtype_sizes) {
    CHECK_INT_EQ(st_dtype_size(ST_F32), 4);
    CHECK_INT_EQ(st_dtype_size(ST_F64), 8);
    CHECK_INT_EQ(st_dtype_size(ST_I32), 4);
    CHECK_INT_EQ(st_dtype_size(ST_I64), 8);
    CHECK_INT_EQ(st_dtype_size(ST_U8), 1);
    CHECK_INT_EQ(st_dtype_size(ST_U64), 8);
}

// Pins the format down byte for byte: the header padded to 8 with spaces, tensors back to back.
TEST(st_writer_output_is_exact) {
    static const uint8_t bytes[3] = {1, 2, 3};
    static const float one[1] = {1.0f};
    const int64_t shape3[1] = {3};
    char path[1024], err[512];
    fresh_path(path, sizeof path, "exact.safetensors");
    StWriter *w = st_writer_new();
    st_writer_add(w, "x", ST_U8, 1, shape3, bytes);
    st_writer_add(w, "s", ST_F32, 0, NULL, one);
    st_writer_meta(w, "a", "b");
    CHECK(st_writer_save(w, path, err, sizeof err) == 0);
    st_writer_free(w);

    const char *json = "{\"__metadata__\":{\"a\":\"b\"},"
                       "\"x\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
                       "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[3,7]}}";
    size_t json_len = strlen(json), padded = (json_len + 7) / 8 * 8;
    size_t n;
    unsigned char *file = read_bytes(path, &n);
    CHECK_INT_EQ(n, 8 + padded + 7);
    CHECK_INT_EQ(get_u64_le(file), padded);
    CHECK_MSG(memcmp(file + 8, json, json_len) == 0, "header is %.*s", (int)padded, (const char *)file + 8);
    for (size_t i = json_len; i < padded; i++) CHECK_INT_EQ(file[8 + i], ' ');
    CHECK(memcmp(file + 8 + padded, bytes, 3) == 0);
    CHECK(memcmp(file + 8 + padded + 3, one, 4) == 0);
    free(file);
}

// Whatever the header's natural length, it is padded to a multiple of 8. The data section has no holes (the format requires it): tensors follow each other in the order added.
TEST(st_header_padded_to_8_and_tensors_packed_in_order) {
    static const uint8_t data[16] = {0};
    for (int name_len = 1; name_len <= 9; name_len++) {
        char name[16], path[1024], err[512];
        memset(name, 'n', (size_t)name_len);
        name[name_len] = '\0';
        fresh_path(path, sizeof path, "pad.safetensors");
        StWriter *w = st_writer_new();
        const int64_t shape_a[1] = {5}, shape_b[1] = {2}, shape_c[1] = {1};
        st_writer_add(w, name, ST_U8, 1, shape_a, data);
        st_writer_add(w, "b", ST_I32, 1, shape_b, data);
        st_writer_add(w, "c", ST_F64, 1, shape_c, data);
        CHECK(st_writer_save(w, path, err, sizeof err) == 0);
        st_writer_free(w);

        StFile f = open_ok(path);
        uint64_t header_len = get_u64_le(f.buffer);
        CHECK_MSG(header_len % 8 == 0, "header length %" PRIu64 " for a name of %d bytes", header_len, name_len);
        CHECK_INT_EQ(f.buffer_len, 8 + header_len + 21); // U8 [0, 5), I32 [5, 13), F64 [13, 21)
        const unsigned char *section = (const unsigned char *)f.buffer + 8 + header_len;
        CHECK(f.tensors[0].data == section);
        CHECK(f.tensors[1].data == section + 5);
        CHECK(f.tensors[2].data == section + 13);
        st_close(&f);
    }
}

// A byte that is not valid UTF-8 is written as \u00XX and so reads back as the UTF-8 form of U+00XX.
TEST(st_invalid_utf8_metadata_reads_back_as_code_points) {
    char path[1024], err[512];
    fresh_path(path, sizeof path, "latin.safetensors");
    StWriter *w = st_writer_new();
    st_writer_meta(w, "k\xff", "a\xff" "b\xc3" "\xe2\x82" "c\xc3\xa9");
    CHECK(st_writer_save(w, path, err, sizeof err) == 0);
    st_writer_free(w);
    StFile f = open_ok(path);
    CHECK_INT_EQ(f.n_tensors, 0);
    CHECK_INT_EQ(f.n_meta, 1);
    CHECK(strcmp(f.meta[0].key, "k\xc3\xbf") == 0);
    CHECK_MSG(strcmp(f.meta[0].value, "a\xc3\xbf" "b\xc3\x83" "\xc3\xa2\xc2\x82" "c\xc3\xa9") == 0, "value is '%s'",
              f.meta[0].value);
    st_close(&f);
}

TEST(st_writer_aborts_on_duplicate_name) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        FILE *quiet = freopen("/dev/null", "w", stderr); // the abort message is expected
        (void)quiet;
        static const uint8_t b[1] = {0};
        const int64_t shape[1] = {1};
        StWriter *w = st_writer_new();
        st_writer_add(w, "same", ST_U8, 1, shape, b);
        st_writer_add(w, "same", ST_U8, 1, shape, b);
        _exit(0);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "child status %d", status);
}

// ---------------------------------------------------------------------------------------------------------
// Saving: atomic replacement and reported failures

static void save_one_tensor(const char *path, const char *name, size_t bytes, char *err, size_t errlen, int *rc) {
    uint8_t *data = calloc(bytes ? bytes : 1, 1);
    CHECK(data != NULL);
    const int64_t shape[1] = {(int64_t)bytes};
    StWriter *w = st_writer_new();
    st_writer_add(w, name, ST_U8, 1, shape, data);
    *rc = st_writer_save(w, path, err, errlen);
    st_writer_free(w);
    free(data);
}

TEST(st_save_replaces_existing_file_and_leaves_no_temp_file) {
    char dir[1024], path[1100], err[512];
    int rc;
    fresh_dir(dir, sizeof dir, "atomic");
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    save_one_tensor(path, "old", 4, err, sizeof err, &rc);
    CHECK_MSG(rc == 0, "first save: %s", err);
    save_one_tensor(path, "new", 12, err, sizeof err, &rc);
    CHECK_MSG(rc == 0, "second save: %s", err);
    StFile f = open_ok(path);
    CHECK_INT_EQ(f.n_tensors, 1);
    CHECK(st_find(&f, "new") != NULL && st_find(&f, "old") == NULL);
    st_close(&f);
    CHECK_INT_EQ(count_entries(dir, ""), 1);
    CHECK_INT_EQ(count_entries(dir, ".tmp."), 0);
}

TEST(st_save_into_missing_directory_fails_clearly) {
    char path[1024], err[512];
    int rc;
    fresh_path(path, sizeof path, "no/such/dir/model.safetensors");
    save_one_tensor(path, "x", 4, err, sizeof err, &rc);
    CHECK_INT_EQ(rc, -1);
    CHECK_MSG(strncmp(err, path, strlen(path)) == 0, "message '%s' does not start with the path", err);
    CHECK_MSG(strstr(err, strerror(ENOENT)) != NULL, "message '%s' lacks the reason", err);
    CHECK(is_one_line(err));
}

TEST(st_save_into_read_only_directory_fails_clearly) {
    if (geteuid() == 0) {
        printf("    (skipped: root ignores directory permissions)\n");
        return;
    }
    char dir[1024], path[1100], err[512];
    int rc;
    fresh_dir(dir, sizeof dir, "readonly");
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    CHECK(chmod(dir, 0555) == 0);
    save_one_tensor(path, "x", 4, err, sizeof err, &rc);
    CHECK(chmod(dir, 0755) == 0);
    CHECK_INT_EQ(rc, -1);
    CHECK_MSG(strncmp(err, path, strlen(path)) == 0, "message '%s' does not start with the path", err);
    CHECK_MSG(strstr(err, strerror(EACCES)) != NULL, "message '%s' lacks the reason", err);
    CHECK_INT_EQ(count_entries(dir, ""), 0);
}

// A write failing part way (here the file size limit standing in for a full disk) is reported with
// its reason, the temp file is removed and the previous file is untouched.
TEST(st_save_write_failure_reports_and_cleans_up) {
    char dir[1024], path[1100], err[512];
    int rc;
    fresh_dir(dir, sizeof dir, "full");
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    save_one_tensor(path, "old", 16, err, sizeof err, &rc);
    CHECK(rc == 0);

    struct rlimit saved, small;
    CHECK(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    small = saved;
    small.rlim_cur = 64 * 1024;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN); // report EFBIG instead of killing us
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    save_one_tensor(path, "new", 1 << 20, err, sizeof err, &rc);
    CHECK(setrlimit(RLIMIT_FSIZE, &saved) == 0);
    signal(SIGXFSZ, old_handler);

    CHECK_INT_EQ(rc, -1);
    CHECK_MSG(strncmp(err, path, strlen(path)) == 0, "message '%s' does not start with the path", err);
    CHECK_MSG(strstr(err, strerror(EFBIG)) != NULL, "message '%s' lacks the reason", err);
    CHECK(is_one_line(err));
    CHECK_INT_EQ(count_entries(dir, ".tmp."), 0);
    StFile f = open_ok(path);
    CHECK(st_find(&f, "old") != NULL);
    st_close(&f);
}

// ---------------------------------------------------------------------------------------------------------
// Files the reader must refuse

#define F32X2 "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"

TEST(st_rejects_missing_file) {
    char path[1024];
    fresh_path(path, sizeof path, "absent.safetensors");
    expect_rejected(path, strerror(ENOENT));
}

TEST(st_rejects_directory) {
    char dir[1024];
    fresh_dir(dir, sizeof dir, "a-directory");
    expect_rejected(dir, "is a directory");
}

TEST(st_rejects_fifo_without_blocking) {
    char path[1024];
    fresh_path(path, sizeof path, "fifo");
    CHECK(mkfifo(path, 0600) == 0);
    expect_rejected(path, "not a regular file");
}

TEST(st_rejects_empty_file) {
    char path[1024];
    fresh_path(path, sizeof path, "empty.safetensors");
    write_bytes(path, "", 0);
    expect_rejected(path, "file is empty");
}

TEST(st_rejects_truncated_length_field) {
    char path[1024];
    fresh_path(path, sizeof path, "five.safetensors");
    write_bytes(path, "\x10\0\0\0\0", 5);
    expect_rejected(path, "5 bytes, too short");
}

TEST(st_rejects_header_length_beyond_file) {
    char path[1024];
    fresh_path(path, sizeof path, "cut.safetensors");
    unsigned char bytes[8 + 20];
    put_u64_le(bytes, 100);
    memset(bytes + 8, ' ', 20);
    write_bytes(path, bytes, sizeof bytes);
    expect_rejected(path, "header length 100 exceeds the 20 bytes after the length field");
    put_u64_le(bytes, UINT64_MAX);
    write_bytes(path, bytes, sizeof bytes);
    expect_rejected(path, "exceeds the 20 bytes");
}

TEST(st_rejects_header_over_100_mb) {
    char path[1024];
    fresh_path(path, sizeof path, "huge.safetensors");
    const uint64_t header_len = 100 * 1000 * 1000 + 8;
    unsigned char length[8];
    put_u64_le(length, header_len);
    write_bytes(path, length, 8);
    CHECK(truncate(path, (off_t)(8 + header_len)) == 0); // sparse: costs no disk
    expect_rejected(path, "exceeds the limit");
}

TEST(st_rejects_zero_and_one_byte_headers) {
    char path[1024];
    fresh_path(path, sizeof path, "zero.safetensors");
    write_st_file(path, "{}", 0, NULL, 8);
    expect_rejected(path, "header length 0 is too small");
    write_st_file(path, "{", 1, NULL, 0);
    expect_rejected(path, "header length 1 is too small");
}

TEST(st_rejects_truncated_data) {
    expect_header_rejected("{\"x\":" F32X2 "}", 7, "beyond the 7-byte data section");
}

TEST(st_rejects_invalid_json) {
    const char *broken[] = {
        "{\"x\" " F32X2 "}", "{\"x\":}", "{,}", "{\"x\":{\"dtype\":\"F32\",}}", "{'x':1}",
        "{\"x\":{\"shape\":[1 2]}}", "{\"x", "{\"x\":{}", "{\"x\":{}}}", "{x:1}", "  ", "{\"a\":1,}",
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++)
        expect_header_rejected(broken[i], 0, "invalid header JSON");
}

TEST(st_rejects_trailing_garbage) {
    expect_header_rejected("{} x", 0, "unexpected data after the end");
    expect_header_rejected("{}{}", 0, "unexpected data after the end");
    char path[1024];
    fresh_path(path, sizeof path, "nul-padding.safetensors");
    write_st_file(path, "{}\0\0\0\0\0\0", 8, NULL, 0);
    expect_rejected(path, "unexpected data after the end");
}

TEST(st_rejects_non_object_header) {
    expect_header_rejected("[]", 0, "header is not a JSON object");
    expect_header_rejected("\"tensors\"", 0, "header is not a JSON object");
    expect_header_rejected("12", 0, "header is not a JSON object");
}

TEST(st_rejects_unknown_dtype) {
    expect_tensor_rejected("\"BF16\"", "[2]", "[0,4]", 4, "tensor 'x' has unknown dtype 'BF16'");
    expect_tensor_rejected("\"f32\"", "[2]", "[0,8]", 8, "unknown dtype 'f32'");
    expect_tensor_rejected("7", "[2]", "[0,8]", 8, "dtype that is not a string");
}

TEST(st_rejects_negative_dimension) {
    expect_tensor_rejected("\"F32\"", "[2,-1]", "[0,0]", 8, "tensor 'x' has a negative dimension (-1)");
}

TEST(st_rejects_shape_and_size_overflow) {
    // 2^65 elements
    expect_tensor_rejected("\"F32\"", "[4294967296,4294967296,2]", "[0,8]", 8, "overflows");
    // 2^61 elements fit, but 2^61 * 8 bytes does not
    expect_tensor_rejected("\"F64\"", "[2305843009213693952]", "[0,8]", 8,
                           "shape [2305843009213693952] of F64, whose size in bytes overflows");
    // a zero dimension does not excuse the others
    expect_tensor_rejected("\"U8\"", "[0,4611686018427387904,8]", "[0,0]", 0, "overflows");
}

TEST(st_rejects_too_many_dimensions) {
    expect_tensor_rejected("\"U8\"", "[1,1,1,1,1,1,1,1,1]", "[0,1]", 1, "tensor 'x' has 9 dimensions (at most 8");
}

TEST(st_rejects_offsets_out_of_range) {
    expect_tensor_rejected("\"F32\"", "[2]", "[8,16]", 12, "data_offsets [8, 16] beyond the 12-byte data section");
    expect_tensor_rejected("\"F32\"", "[2]", "[-8,0]", 12, "(negative)");
    expect_tensor_rejected("\"F32\"", "[2]", "[0,99999999999999999999]", 12, "integer out of range");
    expect_tensor_rejected("\"F32\"", "[2]", "[0]", 12, "not a pair of integers");
    expect_tensor_rejected("\"F32\"", "[2]", "[0,8,8]", 12, "not a pair of integers");
    expect_tensor_rejected("\"F32\"", "[2]", "[[0],8]", 12, "not a pair of integers");
}

TEST(st_rejects_end_before_begin_with_exact_message) {
    char path[1024], expected[1200], err[512];
    fresh_path(path, sizeof path, "checkpoint.safetensors");
    const char *header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}";
    write_st_file(path, header, strlen(header), NULL, 16);
    StFile f;
    CHECK_INT_EQ(st_open(&f, path, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "%s: tensor 'x' has data_offsets [8, 4] (end before begin)", path);
    CHECK_MSG(strcmp(err, expected) == 0, "message is '%s'", err);
}

TEST(st_rejects_size_mismatch) {
    expect_tensor_rejected("\"F32\"", "[2,3]", "[0,20]", 24,
                           "data_offsets [0, 20] spanning 20 bytes, but shape [2, 3] of F32 needs 24");
    expect_tensor_rejected("\"U64\"", "[]", "[0,0]", 24, "needs 8");
}

TEST(st_rejects_overlapping_tensors) {
    expect_header_rejected("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
                           "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[4,12]}}", 16,
                           "tensors 'a' (data_offsets [0, 8]) and 'b' (data_offsets [4, 12]) overlap");
    // listed out of order, and the same range twice
    expect_header_rejected("{\"c\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[8,12]},"
                           "\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                           "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[8,12]}}", 16, "overlap");
    // one range inside another
    expect_header_rejected("{\"a\":{\"dtype\":\"U8\",\"shape\":[16],\"data_offsets\":[0,16]},"
                           "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[6,8]}}", 16, "overlap");
}

TEST(st_rejects_duplicate_names) {
    expect_header_rejected("{\"x\":" F32X2 ",\"y\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,8]},"
                           "\"x\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}",
                           8, "tensor name 'x' appears twice");
    expect_header_rejected("{\"__metadata__\":{},\"__metadata__\":{}}", 0, "'__metadata__' appears twice");
    expect_header_rejected("{\"__metadata__\":{\"k\":\"1\",\"j\":\"2\",\"k\":\"3\"}}", 0,
                           "metadata key 'k' appears twice");
    expect_header_rejected("{\"x\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                           "has field 'dtype' twice");
}

TEST(st_rejects_non_string_metadata) {
    expect_header_rejected("{\"__metadata__\":{\"step\":5}}", 0, "metadata 'step' is not a string");
    expect_header_rejected("{\"__metadata__\":{\"a\":\"b\",\"c\":[\"d\"]}}", 0, "metadata 'c' is not a string");
    expect_header_rejected("{\"__metadata__\":{\"a\":{}}}", 0, "metadata 'a' is not a string");
    expect_header_rejected("{\"__metadata__\":[]}", 0, "'__metadata__' is not a JSON object");
    expect_header_rejected("{\"__metadata__\":\"x\"}", 0, "'__metadata__' is not a JSON object");
}

TEST(st_rejects_deep_nesting) {
    const int depth = 100000; // deep enough to overflow the stack of a parser without a limit
    char *header = malloc((size_t)depth * 2 + 16);
    CHECK(header != NULL);
    size_t n = 0;
    n += (size_t)sprintf(header, "{\"x\":");
    for (int i = 0; i < depth; i++) header[n++] = '[';
    for (int i = 0; i < depth; i++) header[n++] = ']';
    header[n++] = '}';
    header[n] = '\0';
    expect_header_rejected(header, 0, "nested deeper than");
    free(header);
    expect_header_rejected("{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 0, "nested deeper than");
}

TEST(st_rejects_long_name) {
    char header[1024];
    char name[300];
    memset(name, 'n', 256);
    name[256] = '\0';
    snprintf(header, sizeof header, "{\"%s\":" F32X2 "}", name);
    expect_header_rejected(header, 8, "is 256 bytes long (at most 255");
    name[255] = '\0'; // the longest allowed name is fine
    snprintf(header, sizeof header, "{\"%s\":" F32X2 "}", name);
    char path[1024];
    fresh_path(path, sizeof path, "long-ok.safetensors");
    write_st_file(path, header, strlen(header), NULL, 8);
    StFile f = open_ok(path);
    CHECK(st_find(&f, name) != NULL);
    st_close(&f);
}

TEST(st_rejects_floats_true_false_null) {
    expect_tensor_rejected("\"F32\"", "[2.0]", "[0,8]", 8, "floating-point");
    expect_tensor_rejected("\"F32\"", "[2e0]", "[0,8]", 8, "floating-point");
    expect_tensor_rejected("\"F32\"", "[2]", "[0,true]", 8, "true, false and null");
    expect_tensor_rejected("null", "[2]", "[0,8]", 8, "true, false and null");
    expect_header_rejected("{\"__metadata__\":{\"a\":false}}", 0, "true, false and null");
}

TEST(st_rejects_malformed_numbers) {
    expect_tensor_rejected("\"F32\"", "[02]", "[0,8]", 8, "leading zeros");
    expect_tensor_rejected("\"F32\"", "[-]", "[0,8]", 8, "expected a digit");
    expect_tensor_rejected("\"F32\"", "[+2]", "[0,8]", 8, "unexpected character '+'");
    expect_tensor_rejected("\"F32\"", "[9223372036854775808]", "[0,8]", 8, "integer out of range");
}

TEST(st_rejects_malformed_strings) {
    const char *cases[][2] = {
        {"{\"a\\x\":1}", "invalid escape"},
        {"{\"\\udc00\":1}", "unpaired low surrogate"},
        {"{\"\\ud800x\":1}", "without a following low surrogate"},
        {"{\"\\ud800\\u0041\":1}", "without a following low surrogate"},
        {"{\"\\u12\"}", "four hex digits"},
        {"{\"\\u12", "truncated \\u escape"},
        {"{\"a\\u0000b\":1}", "\\u0000 is not allowed"},
        {"{\"a\tb\":1}", "unescaped control character"},
        {"{\"a\xff\":1}", "invalid UTF-8"},
        {"{\"a\xc0\xaf\":1}", "invalid UTF-8"},         // overlong '/'
        {"{\"a\xed\xa0\x80\":1}", "invalid UTF-8"},     // an encoded surrogate
        {"{\"a\xf4\x90\x80\x80\":1}", "invalid UTF-8"}, // above U+10FFFF
        {"{\"a\xe2\x82\":1}", "invalid UTF-8"},         // cut short
        {"{\"a\\", "unterminated string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) expect_header_rejected(cases[i][0], 0, cases[i][1]);
}

TEST(st_rejects_bad_tensor_entries) {
    expect_header_rejected("{\"x\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "tensor 'x' has no 'shape' field");
    expect_header_rejected("{\"x\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "has no 'dtype' field");
    expect_header_rejected("{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "has no 'data_offsets' field");
    expect_header_rejected("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"foo\":1}}", 8,
                           "tensor 'x' has unknown field 'foo'");
    expect_header_rejected("{\"x\":[1,2]}", 8, "tensor 'x' is not a JSON object");
    expect_header_rejected("{\"x\":\"F32\"}", 8, "tensor 'x' is not a JSON object");
    expect_tensor_rejected("\"F32\"", "2", "[0,8]", 8, "shape that is not an array");
    expect_tensor_rejected("\"F32\"", "[\"2\"]", "[0,8]", 8, "shape entry that is not an integer");
}

// A hostile name must not break the one-line message (or flood it).
TEST(st_error_messages_keep_hostile_names_on_one_line) {
    char path[1024], err[512];
    fresh_path(path, sizeof path, "hostile.safetensors");
    const char *header = "{\"a\\nb\\u001b[31m\":{\"dtype\":\"Q\",\"shape\":[],\"data_offsets\":[0,0]}}";
    write_st_file(path, header, strlen(header), NULL, 0);
    StFile f;
    CHECK_INT_EQ(st_open(&f, path, err, sizeof err), -1);
    CHECK_MSG(is_one_line(err) && strstr(err, "'a\\x0ab\\x1b[31m'") != NULL, "message is '%s'", err);

    char big[400];
    memset(big, 'z', 300);
    snprintf(big + 300, sizeof big - 300, "\":{\"dtype\":\"Q\"}}");
    char header2[512] = "{\"";
    strcat(header2, big);
    write_st_file(path, header2, strlen(header2), NULL, 0);
    CHECK_INT_EQ(st_open(&f, path, err, sizeof err), -1);
    CHECK_MSG(strstr(err, "zzz...'") != NULL && strlen(err) < strlen(path) + 160, "message is '%s'", err);
}

// ---------------------------------------------------------------------------------------------------------
// Unusual but valid files

TEST(st_accepts_whitespace_escapes_gaps_and_empty_tensors) {
    const char *header = "\t{\n  \"caf\\u00e9 \\ud83d\\ude00\\n\\/\" : {\"shape\" : [ 2 ] ,\r\n"
                         "  \"data_offsets\" : [ 4 , 12 ], \"dtype\" : \"F32\" },\n"
                         "  \"empty\": {\"dtype\": \"F64\", \"shape\": [3, 0], \"data_offsets\": [6, 6]},\n"
                         "  \"tail\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [14, 15]},\n"
                         "  \"__metadata__\": {\"note\": \"tab\\there \\\"quoted\\\" \\\\ \\u20ac\",\n"
                         "                   \"\": \"\"}\n} \n ";
    const unsigned char data[16] = {0xEE, 0xEE, 0xEE, 0xEE, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0xEE, 0xEE, 7, 0xEE};
    char path[1024];
    fresh_path(path, sizeof path, "odd.safetensors");
    write_st_file(path, header, strlen(header), data, sizeof data); // header length not a multiple of 8
    StFile f = open_ok(path);
    CHECK_INT_EQ(f.n_tensors, 3);
    const StTensor *x = st_find(&f, "caf\xc3\xa9 \xf0\x9f\x98\x80\n/");
    CHECK(x != NULL && x->dtype == ST_F32 && x->ndim == 1 && x->shape[0] == 2 && x->nbytes == 8);
    float values[2];
    memcpy(values, x->data, sizeof values); // the data section need not be aligned
    CHECK_NEAR(values[0], 1.0, 0);
    CHECK_NEAR(values[1], 2.0, 0);
    const StTensor *empty = st_find(&f, "empty");
    CHECK(empty != NULL && empty->nbytes == 0 && empty->ndim == 2);
    CHECK(*(const unsigned char *)st_find(&f, "tail")->data == 7);
    CHECK(strcmp(st_meta(&f, "note"), "tab\there \"quoted\" \\ \xe2\x82\xac") == 0);
    CHECK(st_meta(&f, "") != NULL);
    st_close(&f);
}

TEST(st_accepts_empty_header_and_no_tensors) {
    char path[1024];
    fresh_path(path, sizeof path, "none.safetensors");
    write_st_file(path, "{}", 2, NULL, 0);
    StFile f = open_ok(path);
    CHECK_INT_EQ(f.n_tensors, 0);
    CHECK_INT_EQ(f.n_meta, 0);
    CHECK(st_find(&f, "x") == NULL && st_meta(&f, "x") == NULL);
    st_close(&f);

    // an empty writer produces such a file too
    char err[512];
    StWriter *w = st_writer_new();
    CHECK(st_writer_save(w, path, err, sizeof err) == 0);
    st_writer_free(w);
    f = open_ok(path);
    CHECK_INT_EQ(f.n_tensors, 0);
    CHECK_INT_EQ(f.buffer_len, 16);
    st_close(&f);
}

// Opens a damaged file: it must be refused with one line, or yield tensors that stay inside the buffer.
// Returns 1 when it was accepted.
static int open_damaged(const char *path, const unsigned char *bytes, size_t len) {
    char err[512] = "";
    StFile f;
    write_bytes(path, bytes, len);
    if (st_open(&f, path, err, sizeof err) != 0) {
        CHECK_MSG(err[0] && is_one_line(err), "bad message '%s'", err);
        CHECK(f.buffer == NULL && f.tensors == NULL && f.meta == NULL);
        return 0;
    }
    const unsigned char *lo = f.buffer, *hi = lo + f.buffer_len;
    for (int t = 0; t < f.n_tensors; t++) {
        const unsigned char *d = f.tensors[t].data;
        CHECK(d >= lo && d <= hi && f.tensors[t].nbytes <= (size_t)(hi - d));
    }
    st_close(&f);
    return 1;
}

// Every truncation and many single-byte corruptions of a real file (under ASan, a small fuzzer).
TEST(st_survives_corrupted_and_truncated_files) {
    static const float weights[4] = {1, 2, 3, 4};
    static const uint8_t bytes[3] = {5, 6, 7};
    static const int64_t longs[1] = {-9};
    const int64_t shape22[2] = {2, 2}, shape3[1] = {3}, shape1[1] = {1};
    char good[1024], bad[1024], err[512];
    fresh_path(good, sizeof good, "good.safetensors");
    fresh_path(bad, sizeof bad, "mutant.safetensors");
    StWriter *w = st_writer_new();
    st_writer_add(w, "w", ST_F32, 2, shape22, weights);
    st_writer_add(w, "b", ST_U8, 1, shape3, bytes);
    st_writer_add(w, "l", ST_I64, 1, shape1, longs);
    st_writer_meta(w, "k", "v\xc3\xa9");
    CHECK(st_writer_save(w, good, err, sizeof err) == 0);
    st_writer_free(w);
    size_t n;
    unsigned char *original = read_bytes(good, &n);
    int accepted = 0;
    for (size_t len = 0; len < n; len++) accepted += open_damaged(bad, original, len);
    CHECK_INT_EQ(accepted, 0); // every tensor ends at the file's end, so no truncation is valid
    static const unsigned char replacements[] = {0x00, 0xff, 0x80, '"', '[', ']', '{', '}',
                                                 '0',  '9',  '-',  ',', ':', '\\', ' ', 'e'};
    for (size_t pos = 0; pos < n; pos++) {
        for (size_t r = 0; r < sizeof replacements; r++) {
            unsigned char saved = original[pos];
            original[pos] = replacements[r];
            accepted += open_damaged(bad, original, n);
            original[pos] = saved;
        }
    }
    CHECK(accepted > 0); // e.g. changed data bytes
    free(original);
}
