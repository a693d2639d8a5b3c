// The memscope binary against bad data files, out-of-range flags, oversized configs, strange prompts and
// non-finite checkpoints (issue 5): a clean one-line refusal naming the problem, or, for inputs that are
// merely unusual (NUL bytes, non-UTF-8), a normal run.
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/cli_run.h"
#include "tests/harness.h"


static const char *write_bytes(const char *name, const void *bytes, size_t n) {
    const char *p = test_path(name);
    FILE *f = fopen(p, "wb");
    CHECK(f && fwrite(bytes, 1, n, f) == n && fclose(f) == 0);
    return p;
}

// Text over the vocabulary of the committed fuzz seeds (" ,\nabcd").
static const char *seed_vocab_text(void) {
    static char text[6000];
    for (int i = 0; i < 5999; i++) text[i] = "ab cd,\nba dab "[(i * 7 + i / 11) % 14];
    return write_bytes("seedvocab.txt", text, 5999);
}

#define TINY "--set d_model=8 --set n_heads=2 --set n_layers=1 --set d_ff=8 --set seq_len=4 --set mem_len=4 " \
             "--set c_mem_len=2 --set batch_size=2 --threads 1"

// ---------------------------------------------------------------------------------------------------------
// Data files

TEST(cli_data_files_that_cannot_be_a_corpus) {
    char dir_fifo[700];
    snprintf(dir_fifo, sizeof dir_fifo, "%s/a.fifo", test_tmpdir());
    CHECK(mkfifo(dir_fifo, 0600) == 0);
    const struct {
        const char *path, *needle;
    } cases[] = {
        {"/nonexistent/corpus.txt", "no such file"},
        {write_bytes("empty.txt", "", 0), "is empty"},
        {write_bytes("one.txt", "x", 1), "holds 1 byte"},
        {write_bytes("two.txt", "xy", 2), "too few for one batch"},
        {write_bytes("short.txt", "hello ther", 10), "too few for one batch"},
        {test_tmpdir(), "is a directory"},
        {dir_fifo, "is not a regular file"},
        {"/dev/null", "is not a regular file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        RunResult r = run("train --data '%s' --steps 1 " TINY, cases[i].path);
        CHECK_REFUSED(r, cases[i].needle);
        CHECK_MSG(strstr(r.err, cases[i].path), "message does not name %s: %s", cases[i].path, r.err);
    }
}

TEST(cli_data_file_name_with_a_newline_stays_on_one_line) {
    RunResult r = run("train --data \"$(printf 'bad\\nname.txt')\" --steps 1");
    CHECK_REFUSED(r, "bad?name.txt");
}

TEST(cli_binary_and_non_utf8_data_train_and_round_trip) {
    // Every byte value, NULs included, and byte sequences that are not UTF-8: a byte vocabulary takes them all.
    static unsigned char bytes[8000];
    for (int i = 0; i < 8000; i++) bytes[i] = (unsigned char)((i * 131 + i / 7) & 0xff);
    const char *data = write_bytes("binary.bin", bytes, sizeof bytes);
    const char *ck = test_path("binary.safetensors");
    RunResult r = run("train --data %s --steps 2 --save %s " TINY, data, ck);
    CHECK_MSG(r.status == 0, "%s", r.err);
    r = run("info %s", ck);
    CHECK_MSG(r.status == 0 && strstr(r.out, "256 characters") && strstr(r.out, "\\x00") && strstr(r.out, "\\xff"),
              "%s%s", r.out, r.err);
    r = run("eval --load %s --data %s --json", ck, data);
    CHECK_MSG(r.status == 0 && strstr(r.out, "\"ce\":"), "%s%s", r.out, r.err);
    r = run("sample --load %s --prompt \"$(printf '\\377\\376\\001\\t')\" -n 5 --temperature 0", ck);
    CHECK_MSG(r.status == 0, "%s", r.err);
}

// ---------------------------------------------------------------------------------------------------------
// Flags and config keys: the message names the flag or key and the allowed range

TEST(cli_every_numeric_flag_names_its_range) {
    const struct {
        const char *cmd, *args, *needle;
    } cases[] = {
        {"train", "--steps 0", "--steps '0' is not valid; use a whole number from 1 to 1000000000"},
        {"train", "--steps 1e3", "--steps '1e3' is not valid"},
        {"train", "--epochs 100001", "--epochs '100001' is not valid; use a whole number from 1 to 100000"},
        {"train", "--save-every 0", "--save-every '0' is not valid; use a whole number from 1"},
        {"train", "--threads 0", "--threads '0' is not valid; use a whole number from 1 to 256"},
        {"train", "--threads 257", "from 1 to 256"},
        {"train", "--seed -1", "--seed '-1' is not valid; use a whole number from 0"},
        {"train", "--seed abc", "--seed 'abc'"},
        {"train", "--on-save-error maybe", "--on-save-error 'maybe' is not valid; use stop or continue"},
        {"train", "--on-save-error", "needs a value: stop or continue"},
        {"train", "--set lr=20", "lr='20' is not valid; use a number from 0 to 10"},
        {"train", "--set warmup=-3", "warmup='-3' is not valid; use a whole number from 0 to 100000000"},
        {"train", "--set clip=x", "clip='x' is not valid; use a number from 0 to 1e+09"},
        {"train", "--set batch_size=0", "batch_size='0' is not valid; use a whole number from 1 to 4096"},
        {"train", "--set \"lr=$(printf '1\\n2')\"", "lr='1?2' is not valid"},
        {"sample", "--load x --prompt a -n -1", "-n '-1' is not valid; use a whole number from 0 to 100000000"},
        {"sample", "--load x --prompt a --top-k 257", "--top-k '257' is not valid; use a whole number from 0 to 256"},
        {"sample", "--load x --prompt a --temperature -1", "--temperature '-1' is not valid; use a number from 0 to 100"},
        {"sample", "--load x --prompt a --temperature nan", "--temperature 'nan' is not valid"},
        {"eval", "--load x --data y --threads 1000", "--threads '1000' is not valid"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        RunResult r = run("%s %s", cases[i].cmd, cases[i].args);
        CHECK_REFUSED(r, cases[i].needle);
    }
}

TEST(cli_config_too_big_for_memory_is_refused_before_allocating) {
    const char *data = seed_vocab_text();
    RunResult r = run("train --data %s --steps 1 --set d_model=4096 --set n_heads=8 --set n_layers=64 "
                      "--set d_ff=16384", data);
    CHECK_REFUSED(r, "needs about");
    CHECK_MSG(strstr(r.err, "d_model=4096") && strstr(r.err, "n_layers=64") && strstr(r.err, "GiB"), "%s", r.err);
    r = run("train --data %s --steps 1 --set batch_size=4096 --set seq_len=4096 --set mem_len=4096 "
            "--set c_mem_len=4096", data);
    CHECK_REFUSED(r, "batch_size=4096");
    // A limit of one's own: MEMSCOPE_MEMORY_LIMIT_MB
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "env MEMSCOPE_MEMORY_LIMIT_MB=1 %s train --data %s --steps 1 >/dev/null 2>%s/err",
             binary(), data, test_tmpdir());
    int st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    char err[2048];
    char err_path[700];
    snprintf(err_path, sizeof err_path, "%s/err", test_tmpdir());
    read_into(err_path, err, sizeof err);
    CHECK_MSG(strstr(err, "MEMSCOPE_MEMORY_LIMIT_MB allows") && count_lines(err) == 1, "%s", err);
}

// ---------------------------------------------------------------------------------------------------------
// Prompts

TEST(cli_prompts_long_control_characters_and_foreign_bytes) {
    static char text[6000];
    for (int i = 0; i < 5999; i++) text[i] = "ab\tc\001d\033 e\n"[(i * 7 + i / 11) % 10];
    const char *data = write_bytes("ctl.txt", text, 5999);
    const char *ck = test_path("ctl.safetensors");
    RunResult r = run("train --data %s --steps 2 --save %s " TINY, data, ck);
    CHECK_MSG(r.status == 0, "%s", r.err);
    // control characters the model knows are fine, escape sequences included
    r = run("sample --load %s --prompt \"$(printf 'a\\tb\\001\\033c')\" -n 10 --temperature 0", ck);
    CHECK_MSG(r.status == 0 && strlen(r.out) == 6 + 10 + 1, "%d %s", r.status, r.err);
    // a long prompt (near the 128 KB limit of one argument)
    static char prompt[100001];
    for (int i = 0; i < 100000; i++) prompt[i] = "abcde "[i % 6];
    r = run("sample --load %s --prompt '%s' -n 3 --temperature 0", ck, prompt);
    struct stat st;
    CHECK(stat(test_path("stdout"), &st) == 0);
    CHECK_MSG(r.status == 0 && st.st_size == 100000 + 3 + 1, "%d %lld %s", r.status, (long long)st.st_size, r.err);
    // bytes outside the vocabulary: said which, where, never used as an index
    r = run("sample --load %s --prompt \"$(printf 'ab\\303\\251')\" -n 3", ck);
    CHECK_REFUSED(r, "0xc3");
    CHECK(strstr(r.err, "offset 2"));
}

// ---------------------------------------------------------------------------------------------------------
// Non-finite checkpoints

TEST(cli_nan_checkpoint_is_refused_by_every_command) {
    const char *nan = "tests/fuzz/corpus/broken_nan_weights.safetensors";
    const char *data = seed_vocab_text();
    RunResult r = run("info %s", nan);
    CHECK_REFUSED(r, "holds NaN or Inf");
    r = run("eval --load %s --data %s", nan, data);
    CHECK_REFUSED(r, "'head.bias' holds NaN or Inf");
    r = run("sample --load %s --prompt ab", nan);
    CHECK_REFUSED(r, "damaged");
    r = run("train --load %s --data %s --steps 1", nan, data);
    CHECK_REFUSED(r, "damaged");
}

TEST(cli_non_finite_steps_stop_training_and_leave_the_checkpoint_alone) {
    // Weights that are finite but overflow in the forward: every step is non-finite.
    const char *huge = "tests/fuzz/corpus/broken_huge_finite_weights.safetensors";
    const char *data = seed_vocab_text();
    const char *out = test_path("out.safetensors"), *log = test_path("nan.log");
    RunResult r = run("train --load tests/fuzz/corpus/real_weights_tiny.safetensors --data %s --steps 2 --save %s "
                      "--threads 1", data, out);
    CHECK_MSG(r.status == 0, "%s", r.err);
    FILE *f = fopen(out, "rb");
    static unsigned char before[1 << 16], after[1 << 16];
    size_t n_before = fread(before, 1, sizeof before, f);
    fclose(f);
    r = run("train --load %s --data %s --steps 50 --save %s --save-every 1 --log %s --threads 1 --force", huge, data, out, log);
    CHECK_MSG(r.status == 1, "status %d: %s", r.status, r.err);
    CHECK_MSG(strstr(r.err, "step 1 (epoch 0, batch 0): loss or gradient is not finite") &&
              strstr(r.err, "step 1 (epoch 0, batch 4)") && strstr(r.err, "5 non-finite steps in a row") &&
              strstr(r.err, "without saving"), "%s", r.err);
    f = fopen(out, "rb");
    size_t n_after = fread(after, 1, sizeof after, f);
    fclose(f);
    CHECK_MSG(n_after == n_before && !memcmp(before, after, n_before), "the checkpoint on disk changed");
    // eval and sample say so instead of printing NaN
    r = run("eval --load %s --data %s --json", huge, data);
    CHECK_REFUSED(r, "not finite");
    CHECK(r.out[0] == 0);
    r = run("sample --load %s --prompt ab -n 5", huge);
    CHECK_REFUSED(r, "not finite");
    char lines[8192];
    read_into(log, lines, sizeof lines);
    CHECK_INT_EQ(count_lines(lines), 6); // the header and the 5 skipped steps
    CHECK_MSG(strstr(lines, "\"ce\":null") && strstr(lines, "\"skipped\":true") && !strstr(lines, "nan"), "%s", lines);
}

// ---------------------------------------------------------------------------------------------------------
// Where to save

TEST(cli_save_path_is_checked_before_training) {
    const char *data = seed_vocab_text();
    RunResult r = run("train --data %s --steps 1 --save /nonexistent-dir/x.safetensors " TINY, data);
    CHECK_REFUSED(r, "directory /nonexistent-dir does not exist");
    r = run("train --data %s --steps 1 --save %s " TINY, data, test_tmpdir());
    CHECK_REFUSED(r, "directory");
    r = run("train --data %s --steps 1 --save %s/ " TINY, data, test_tmpdir());
    CHECK_REFUSED(r, "is not a file name");
}
