// The memscope binary against bad input: one line on stderr naming the problem, a non-zero exit, no crash.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/checkpoint.h"
#include "tests/cli_run.h"
#include "tests/harness.h"

static const char *write_text(const char *name, const char *text, size_t n) {
    static char path[8][600];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 600, "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(p, "wb");
    fwrite(text, 1, n, f);
    fclose(f);
    return p;
}

static const char *sample_text(void) {
    static char text[6000];
    for (int i = 0; i < 5999; i++) text[i] = "abcde fgh\n"[(i * 7 + i / 13) % 10];
    return write_text("small.txt", text, 5999);
}

#define TINY "--set d_model=8 --set n_heads=2 --set n_layers=1 --set d_ff=8 --set seq_len=4 --set mem_len=4 " \
             "--set c_mem_len=2 --set batch_size=2"

// A trained-for-2-steps checkpoint of the tiny config.
static const char *tiny_checkpoint(void) {
    static char path[600];
    snprintf(path, sizeof path, "%s/tiny.safetensors", test_tmpdir());
    RunResult r = run("train --data %s " TINY " --steps 2 --save %s --threads 1", sample_text(), path);
    CHECK_MSG(r.status == 0, "training the fixture failed: %s", r.err);
    return path;
}

TEST(cli_missing_data_file) {
    RunResult r = run("train --data /nonexistent/file.txt --steps 1");
    CHECK_REFUSED(r, "/nonexistent/file.txt");
}

TEST(cli_empty_data_file) {
    RunResult r = run("train --data %s --steps 1", write_text("empty.txt", "", 0));
    CHECK_REFUSED(r, "empty.txt");
}

TEST(cli_data_shorter_than_a_batch) {
    RunResult r = run("train --data %s --steps 1", write_text("short.txt", "hello there", 11));
    CHECK_REFUSED(r, "batch");
}

TEST(cli_directory_as_data) {
    RunResult r = run("train --data %s --steps 1", test_tmpdir());
    CHECK_REFUSED(r, test_tmpdir());
}

TEST(cli_nonsense_config_values) {
    const char *cases[][2] = {{"--set n_heads=3", "n_heads"},        {"--set compression_rate=0", "compression_rate"},
                              {"--set mem_len=-4", "mem_len"},       {"--set seq_len=-1", "seq_len"},
                              {"--set d_model=abc", "d_model"},      {"--set bogus=1", "bogus"},
                              {"--set lr=nan", "lr"},                {"--set n_layers=0", "n_layers"},
                              {"--set c_mem_len=4 --set mem_len=1 --set compression_rate=2", "mem_len"},
                              {"--set nokey", "key=value"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        RunResult r = run("train --data %s --steps 1 %s", sample_text(), cases[i][0]);
        CHECK_REFUSED(r, cases[i][1]);
    }
}

TEST(cli_bad_flags) {
    RunResult r = run("train --stepz 3");
    CHECK_REFUSED(r, "--stepz");
    r = run("train --steps");
    CHECK_REFUSED(r, "--steps");
    r = run("train --steps -5");
    CHECK_REFUSED(r, "--steps");
    r = run("train --preset huge");
    CHECK_REFUSED(r, "huge");
    r = run("frobnicate");
    CHECK_REFUSED(r, "frobnicate");
    r = run("sample --load x.safetensors");
    CHECK_REFUSED(r, "--prompt");
    r = run("eval --data x.txt");
    CHECK_REFUSED(r, "--load");
}

TEST(cli_every_command_has_help) {
    const char *cmds[] = {"train", "eval", "sample", "info", "bench"};
    for (int i = 0; i < 5; i++) {
        RunResult r = run("%s --help", cmds[i]);
        CHECK_MSG(r.status == 0 && strstr(r.out, "usage: memscope"), "%s --help: %d %s", cmds[i], r.status, r.err);
    }
}

TEST(cli_train_info_eval_sample_round_trip) {
    const char *ck = tiny_checkpoint();
    RunResult r = run("info %s", ck);
    CHECK_MSG(r.status == 0 && strstr(r.out, "step        2") && strstr(r.out, "d_model           8"), "%s%s", r.out,
              r.err);
    r = run("eval --load %s --data %s --json", ck, sample_text());
    CHECK_MSG(r.status == 0 && strstr(r.out, "\"ce\":"), "%s%s", r.out, r.err);
    r = run("sample --load %s --prompt abc -n 20 --temperature 0", ck);
    CHECK_MSG(r.status == 0 && strlen(r.out) == 3 + 20 + 1, "%s%s", r.out, r.err);
    RunResult again = run("sample --load %s --prompt abc -n 20 --temperature 0", ck);
    CHECK(!strcmp(r.out, again.out));
}

TEST(cli_bytes_outside_the_vocabulary) {
    const char *ck = tiny_checkpoint();
    RunResult r = run("eval --load %s --data %s", ck, write_text("foreign.txt", "abc XYZ abc", 11));
    CHECK_REFUSED(r, "0x58");
    r = run("sample --load %s --prompt 'aQb' -n 5", ck);
    CHECK_REFUSED(r, "0x51");
}

TEST(cli_truncated_and_corrupted_checkpoints) {
    const char *ck = tiny_checkpoint();
    FILE *f = fopen(ck, "rb");
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    RunResult r = run("info %s", write_text("truncated.safetensors", buf, n / 2));
    CHECK_REFUSED(r, "truncated.safetensors");
    memcpy(buf + 8, "{{{{", 4);
    r = run("eval --load %s --data %s", write_text("corrupt.safetensors", buf, n), sample_text());
    CHECK_REFUSED(r, "corrupt.safetensors");
    r = run("sample --load %s --prompt a", write_text("garbage.safetensors", "not a checkpoint at all", 23));
    CHECK_REFUSED(r, "garbage.safetensors");
    r = run("info /nonexistent.safetensors");
    CHECK_REFUSED(r, "/nonexistent.safetensors");
}

TEST(cli_checkpoint_shapes_disagree_with_config) {
    // metadata says d_model=16 but the tensors were written for d_model=8
    Config cfg = {.vocab_size = 3, .d_model = 8, .n_heads = 2, .n_layers = 1, .d_ff = 8, .seq_len = 4, .mem_len = 4,
                  .c_mem_len = 2, .compression_rate = 2, .batch_size = 2, .lr = 1e-3f, .warmup = 1, .clip = 1};
    char err[512], path[600];
    Model *m = model_new(&cfg, 1, err, sizeof err);
    m->cfg.d_model = 16;
    m->cfg.n_heads = 2;
    Vocab v;
    vocab_build(&v, (const unsigned char *)"abc", 3);
    snprintf(path, sizeof path, "%s/mismatch.safetensors", test_tmpdir());
    CHECK(!checkpoint_save(path, m, &v, NULL, err, sizeof err));
    model_free(m);
    RunResult r = run("info %s", path);
    CHECK_REFUSED(r, "embed.weight");
}

TEST(cli_load_refuses_changing_model_keys) {
    const char *ck = tiny_checkpoint();
    RunResult r = run("train --load %s --data %s --set d_model=16 --steps 1", ck, sample_text());
    CHECK_REFUSED(r, "d_model");
}

// tui --help lists exactly the options tui takes: every --flag it names is parsed (it asks for a value
// rather than calling the flag unknown), and train's own --on-save-error is neither listed nor taken.
TEST(cli_tui_help_lists_exactly_the_tui_options) {
    RunResult h = run("tui --help");
    CHECK_MSG(h.status == 0, "%s", h.err);
    const char *want[] = {"--data", "--load", "--preset", "--set", "--seed", "--save", "--save-every", "--log",
                          "--valid-every", "--steps", "--epochs", "--minutes", "--threads", "--max-steps",
                          "--exit-after-frames"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) CHECK_MSG(strstr(h.out, want[i]), "no %s", want[i]);
    int flags = 0;
    for (const char *p = h.out; (p = strstr(p, "--")); flags++) {
        char flag[40];
        int n = 0;
        while ((p[n] == '-' || (p[n] >= 'a' && p[n] <= 'z')) && n < 39) flag[n] = p[n], n++;
        flag[n] = 0;
        p += n;
        if (!strcmp(flag, "--help")) continue;
        RunResult r = run("tui %s", flag);
        CHECK_MSG(!strstr(r.err, "unknown option"), "tui --help names %s but tui refuses it: %s", flag, r.err);
    }
    CHECK(flags >= 15);
    CHECK(!strstr(h.out, "--on-save-error") && !strstr(h.out, "those of memscope train"));
    CHECK_REFUSED(run("tui --on-save-error continue"), "unknown option '--on-save-error'");
    CHECK_REFUSED(run("tui --steps 3 --epochs 1"), "not both");
}
