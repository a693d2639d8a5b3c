// Unix conventions of the binary: exit statuses (0 / 1 runtime / 2 usage) for every command, --version,
// help CMD, the JSONL log's header and records, progress lines off a terminal, stdout carrying results only.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/sha256.h"
#include "tests/cli_run.h"
#include "tests/harness.h"

static const char *text_file(void) {
    static char path[600];
    snprintf(path, sizeof path, "%s/conventions.txt", test_tmpdir());
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 6000; i++) fputc("abcde fgh\n"[(i * 7 + i / 13) % 10], f);
    fclose(f);
    return path;
}

#define TINY "--set d_model=8 --set n_heads=2 --set n_layers=1 --set d_ff=8 --set seq_len=4 --set mem_len=4 " \
             "--set c_mem_len=2 --set batch_size=2 --threads 1"

TEST(sha256_known_answers) {
    char hex[65];
    sha256_hex((const unsigned char *)"abc", 3, hex);
    CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    sha256_hex((const unsigned char *)"", 0, hex);
    CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    // 56 bytes: the length no longer fits the first block's tail
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex((const unsigned char *)two, strlen(two), hex);
    CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

// Every command: a usage error exits 2, a runtime error (a missing file) exits 1, each with one stderr line.
TEST(exit_status_usage_errors_are_2) {
    const char *usage[] = {"train --preset huge", "train --bogus", "train --steps 0", "eval --data x",
                           "eval --load", "sample --temperature abc", "sample --load x", "info",
                           "bench --preset nope", "bench --threads 0", "lab nope", "lab recall --bogus",
                           "lab compare --set zz=1", "lab ablation --preset no", "lab attention",
                           "help nope", "nope", "train --data builtin --set d_model=7 --set n_heads=2", "tui --bogus",
                           "watch --bogus", "watch --text abc", "demo --bogus", "export onlyone.st", "export --to x a b",
                           "import --from labml in.st", "import --bogus", "version --bogus", "info --bogus",
                           "export --meta d_model=8 a.st b.st", "export --meta =x a.st b.st",
                           "import --from labml in.st --data x --set foo=1 --save o.st",
                           "import --from labml in.st --data x --set seq_len=4 --set mem_len=4 --save o.st"};
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
        RunResult r = run("%s", usage[i]);
        CHECK_MSG(r.status == 2, "'%s' exited %d (want 2): %s", usage[i], r.status, r.err);
        CHECK_MSG(count_lines(r.err) == 1, "'%s' printed more than one stderr line: %s", usage[i], r.err);
    }
}

TEST(exit_status_runtime_errors_are_1) {
    char cmds[9][700];
    const char *t = text_file();
    snprintf(cmds[0], sizeof cmds[0], "train --data /nonexistent/x.txt --steps 1");
    snprintf(cmds[1], sizeof cmds[1], "eval --load /nonexistent/x.st --data %s", t);
    snprintf(cmds[2], sizeof cmds[2], "sample --load /nonexistent/x.st --prompt a");
    snprintf(cmds[3], sizeof cmds[3], "info /nonexistent/x.st");
    snprintf(cmds[4], sizeof cmds[4], "bench --load /nonexistent/x.st");
    snprintf(cmds[5], sizeof cmds[5], "lab attention --load /nonexistent/x.st --data %s", t);
    snprintf(cmds[6], sizeof cmds[6], "watch --load /nonexistent/x.st --text abcdef --measure 200");
    snprintf(cmds[7], sizeof cmds[7], "export /nonexistent/x.st %s/exported.st", test_tmpdir());
    snprintf(cmds[8], sizeof cmds[8], "import --from labml /nonexistent/x.st --data %s --set seq_len=4 --set mem_len=4 "
             "--set c_mem_len=4 --save %s/imported.st", t, test_tmpdir());
    for (int i = 0; i < 9; i++) {
        RunResult r = run("%s", cmds[i]);
        CHECK_MSG(r.status == 1, "'%s' exited %d (want 1): %s", cmds[i], r.status, r.err);
        CHECK_MSG(count_lines(r.err) == 1, "'%s' printed more than one stderr line: %s", cmds[i], r.err);
    }
}

TEST(version_and_help_cmd) {
    RunResult a = run("--version"), b = run("version");
    CHECK_MSG(a.status == 0 && strstr(a.out, "memscope ") && strstr(a.out, "OpenBLAS"), "--version: %d %s", a.status,
              a.out);
    CHECK(strstr(a.out, "fp16 kernels") && strstr(a.out, "AVX-512") && strstr(a.out, "MPI"));
    CHECK(!strcmp(a.out, b.out));
    RunResult hv = run("help version"), hh = run("help help");
    CHECK_MSG(hv.status == 0 && strstr(hv.out, "usage: memscope version"), "help version: %d %s", hv.status, hv.err);
    CHECK_MSG(hh.status == 0 && strstr(hh.out, "usage: memscope [COMMAND]"), "help help: %d %s", hh.status, hh.err);
    RunResult h = run("help train"), t = run("train --help");
    CHECK(h.status == 0 && !strcmp(h.out, t.out));
    RunResult u = run("--help");
    CHECK(u.status == 0 && strstr(u.out, "exit status: 0 success, 1 a runtime failure"));
    CHECK(strstr(t.out, "exit status"));
}

TEST(checkpoint_records_the_writer_version) {
    char ck[600];
    snprintf(ck, sizeof ck, "%s/versioned.safetensors", test_tmpdir());
    RunResult r = run("train --data %s " TINY " --steps 1 --save %s", text_file(), ck);
    CHECK_MSG(r.status == 0, "%s", r.err);
    RunResult v = run("--version");
    char first[200];
    sscanf(v.out, "memscope %199[^\n]", first);
    RunResult i = run("info %s", ck);
    CHECK_MSG(i.status == 0 && strstr(i.out, "written by") && strstr(i.out, first), "info: %s (version %s)", i.out,
              first);
}

// The log's header says what ran; step records carry time; validations are logged with their kind.
TEST(train_log_header_steps_and_validations) {
    char log[600];
    snprintf(log, sizeof log, "%s/run.jsonl", test_tmpdir());
    const char *t = text_file();
    RunResult r = run("train --data %s " TINY " --steps 3 --seed 7 --log %s", t, log);
    CHECK_MSG(r.status == 0, "%s", r.err);
    char body[16384];
    read_into(log, body, sizeof body);
    CHECK_MSG(!strncmp(body, "{\"type\":\"header\",\"version\":\"", 28), "first record: %.200s", body);
    const char *keys[] = {"\"config\":{\"d_model\":8,", "\"compress\":\"conv\"", "\"compress_loss\":\"attention\"",
                          "\"lr_decay_steps\":", "\"data_bytes\":6000", "\"data_sha256\":\"", "\"vocab_size\":",
                          "\"threads\":1", "\"seed\":7", "\"start_time\":\"20", "\"host\":"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) CHECK_MSG(strstr(body, keys[i]), "header lacks %s", keys[i]);
    FILE *f = fopen(t, "rb");
    unsigned char data[6000];
    CHECK(fread(data, 1, sizeof data, f) == sizeof data);
    fclose(f);
    char hex[65], want[96];
    sha256_hex(data, sizeof data, hex);
    snprintf(want, sizeof want, "\"data_sha256\":\"%s\"", hex);
    CHECK(strstr(body, want));
    CHECK(strstr(body, "{\"type\":\"step\",\"step\":3,\"time\":"));
    CHECK(strstr(body, "{\"type\":\"valid\",\"kind\":\"final\",\"step\":3,"));
}

// Off a terminal: plain progress lines (each ends in a newline, no carriage return), a word about the
// validation and the save; stdout holds the results alone.
TEST(train_progress_lines_off_a_terminal) {
    char ck[600];
    snprintf(ck, sizeof ck, "%s/progress.safetensors", test_tmpdir());
    RunResult r = run("train --data %s " TINY " --steps 40 --progress-every 0.000001 --save %s", text_file(), ck);
    CHECK_MSG(r.status == 0, "%s", r.err);
    CHECK_MSG(strstr(r.err, "memscope train: step ") && strstr(r.err, " epoch ") && strstr(r.err, " tok/s elapsed ") &&
                  strstr(r.err, " ETA "), "%s", r.err);
    CHECK(!strchr(r.err, '\r'));
    CHECK(strstr(r.err, "saving ") && strstr(r.err, "saved "));
    CHECK(strstr(r.err, "validation over") && strstr(r.err, "validation done"));
    CHECK_MSG(count_lines(r.out) == 1 && !strncmp(r.out, "valid ce ", 9), "stdout: %s", r.out);
    RunResult quiet = run("train --data %s " TINY " --steps 40 --progress-every 0", text_file());
    CHECK(!strstr(quiet.err, "memscope train: step "));
}

// A benchmark that could not measure what it was asked for (a corpus shorter than the preset's batch) failed.
TEST(bench_on_a_corpus_too_short_for_the_preset_exits_1) {
    char path[600];
    snprintf(path, sizeof path, "%s/short-bench.txt", test_tmpdir());
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 500; i++) fputc("abcde fgh\n"[i % 10], f);
    fclose(f);
    RunResult r = run("bench --data %s --preset default --threads 1", path);
    CHECK_MSG(r.status == 1 && strstr(r.err, "too few for one batch"), "status %d: %s", r.status, r.err);
}

// A weights-only export of a trained run carries its loss history; training from it continues the run's step
// count (the curves go on where they stopped) with a fresh optimizer.
TEST(weights_only_export_with_history_continues_the_step_count) {
    char full[600], light[600], log[600];
    snprintf(full, sizeof full, "%s/hist-full.st", test_tmpdir());
    snprintf(light, sizeof light, "%s/hist-light.st", test_tmpdir());
    snprintf(log, sizeof log, "%s/hist.jsonl", test_tmpdir());
    RunResult r = run("train --data %s " TINY " --steps 5 --save %s --progress-every 0", text_file(), full);
    CHECK_MSG(r.status == 0, "%s", r.err);
    r = run("export --weights-only %s %s", full, light);
    CHECK_MSG(r.status == 0, "%s", r.err);
    r = run("train --data %s --load %s --threads 1 --steps 2 --log %s --progress-every 0", text_file(), light, log);
    CHECK_MSG(r.status == 0, "%s", r.err);
    char body[8192];
    read_into(log, body, sizeof body);
    // step 6 after the 5 of the run; lr 1e-8 + 1 * 1e-3 / 400: the warm-up of a fresh optimizer
    CHECK_MSG(strstr(body, "{\"type\":\"step\",\"step\":6,") && strstr(body, "\"lr\":2.51e-06"), "%s", body);
}
