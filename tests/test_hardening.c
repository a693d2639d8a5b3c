// Hardening: each defect found by a hostile user, tested as a class. The binary against empty flag names, short
// corpora, output targets that are not ours to replace or that are also inputs, configs at the edges, closed and
// full standard output, and hand-edited checkpoints; the engine's rules for compression parameter sets.
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/checkpoint.h"
#include "engine/output_file.h"
#include "tests/cli_run.h"
#include "tests/fixtures.h"
#include "tests/harness.h"

#define TINY "--set d_model=8 --set n_heads=2 --set n_layers=1 --set d_ff=8 --set seq_len=4 --set mem_len=4 " \
             "--set c_mem_len=2 --set batch_size=2 --threads 1"


// Text over a small alphabet: ~6,000 characters, enough for the tiny config.
static const char *text_file(const char *name, int n) {
    const char *p = test_path(name);
    FILE *f = fopen(p, "wb");
    CHECK(f);
    for (int i = 0; i < n; i++) fputc("ab cd,\nba dab "[(i * 7 + i / 11) % 14], f);
    CHECK(fclose(f) == 0);
    return p;
}

// Exit status of a shell command line (128 + signal when killed).
static int shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int shell(const char *fmt, ...) {
    static char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// A trained tiny checkpoint at name (full state), on text.
static const char *trained(const char *name, const char *text) {
    const char *ck = test_path(name);
    RunResult r = run("train --data %s --steps 3 --save %s " TINY, text, ck);
    CHECK_MSG(r.status == 0, "%s", r.err);
    return ck;
}

static long file_step(const char *path) {
    char err[512];
    Checkpoint ck;
    if (checkpoint_open(&ck, path, err, sizeof err)) return -1;
    long s = ck.step;
    checkpoint_close(&ck);
    return s;
}

// ---------------------------------------------------------------------------------------------------------
// 1. An empty flag name ("--", "--=x") is refused at once in every command, never spun on.

TEST(hard_empty_flag_names_are_refused_in_every_command) {
    const char *cmds[] = {"train", "eval", "sample", "bench", "tui", "lab recall", "lab compare", "lab ablation",
                          "lab attention", ""};
    const char *flags[] = {"--", "--=x"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        for (int f = 0; f < 2; f++) {
            int st = shell("timeout 10 %s %s %s >/dev/null 2>%s/err", binary(), cmds[i], flags[f], test_tmpdir());
            char err[1024];
            read_into(test_path("err"), err, sizeof err);
            CHECK_MSG(st == 2, "'memscope %s %s': status %d (124 = hung): %s", cmds[i], flags[f], st, err);
            CHECK_MSG(count_lines(err) == 1 && strstr(err, "unknown option"), "'%s %s': %s", cmds[i], flags[f], err);
        }
}

// ---------------------------------------------------------------------------------------------------------
// 2. A corpus shorter than the slices a benchmark reads (4,000 characters for generation).

TEST(hard_bench_on_a_corpus_shorter_than_its_slices) {
    const char *data = text_file("short.txt", 3000);
    RunResult r = run("bench --data %s --preset labml --threads 1", data);
    CHECK_MSG(r.status == 0, "status %d: %s", r.status, r.err);
    CHECK_MSG(strstr(r.out, "generation prefill") && strstr(r.out, "generation sampling, cached"), "%s", r.out);
}

// ---------------------------------------------------------------------------------------------------------
// 3. Output targets: only a regular file (or a new one) is replaced; a symlink is followed and stays a link;
//    an existing file keeps its mode.

TEST(hard_output_targets_that_are_not_regular_files_are_refused) {
    const char *data = text_file("d.txt", 6000), *ck = trained("a.st", data);
    const char *fifo = test_path("a.fifo"), *dir = test_path("adir");
    CHECK(mkfifo(fifo, 0600) == 0 && mkdir(dir, 0700) == 0);
    const char *targets[] = {"/dev/null", fifo, dir}, *kinds[] = {"character device", "FIFO", "directory"};
    for (int i = 0; i < 3; i++) {
        RunResult r[4] = {run("train --data %s --steps 1 --save %s " TINY, data, targets[i]),
                          run("train --data %s --steps 1 --log %s " TINY, data, targets[i]),
                          run("eval --load %s --data %s --attention-stats %s", ck, data, targets[i]),
                          run("lab recall -n 100 --save %s", targets[i])};
        for (int k = 0; k < 4; k++) {
            CHECK_REFUSED(r[k], kinds[i]);
            CHECK_MSG(strstr(r[k].err, targets[i]), "%s", r[k].err);
        }
    }
    struct stat st;
    CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    CHECK(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
    // a symlink to a device is refused too, naming what it points at
    const char *link = test_path("null.link");
    CHECK(symlink("/dev/null", link) == 0);
    RunResult r = run("eval --load %s --data %s --attention-stats %s", ck, data, link);
    CHECK_REFUSED(r, "is a symlink to /dev/null, which is a character device");
}

TEST(hard_a_symlink_target_is_replaced_in_place_and_the_link_stays) {
    const char *data = text_file("d.txt", 6000), *ck = trained("real.st", data), *link = test_path("link.st");
    CHECK(symlink("real.st", link) == 0);
    RunResult r = run("train --data %s --load %s --save %s --steps 2 --threads 1", data, link, link);
    CHECK_MSG(r.status == 0, "%s", r.err);
    struct stat st;
    CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
    CHECK_INT_EQ(file_step(ck), 5); // the target moved on: the link still leads to the new model
    // the CSV of --attention-stats through a link, and a dangling link refused
    const char *csv = test_path("stats.csv"), *csv_link = test_path("stats.link");
    fclose(fopen(csv, "w"));
    CHECK(symlink("stats.csv", csv_link) == 0);
    r = run("eval --load %s --data %s --attention-stats %s", ck, data, csv_link);
    CHECK_MSG(r.status == 0, "%s", r.err);
    CHECK(lstat(csv_link, &st) == 0 && S_ISLNK(st.st_mode) && stat(csv, &st) == 0 && st.st_size > 100);
    const char *dangling = test_path("dangling.st");
    CHECK(symlink("nowhere/x.st", dangling) == 0);
    r = run("train --data %s --steps 1 --save %s " TINY, data, dangling);
    CHECK_REFUSED(r, "symlink whose target cannot be reached");
}

TEST(hard_an_existing_checkpoint_keeps_its_mode) {
    const char *data = text_file("d.txt", 6000), *ck = trained("private.st", data);
    CHECK(chmod(ck, 0600) == 0);
    RunResult r = run("train --data %s --load %s --save %s --steps 1 --threads 1", data, ck, ck);
    CHECK_MSG(r.status == 0, "%s", r.err);
    struct stat st;
    CHECK(stat(ck, &st) == 0);
    CHECK_MSG((st.st_mode & 0777) == 0600, "mode %o", (unsigned)(st.st_mode & 0777));
    CHECK_INT_EQ(file_step(ck), 4);
}

// ---------------------------------------------------------------------------------------------------------
// 4. An output that is also an input (the same file, whatever the name), and another run's checkpoint.

TEST(hard_an_output_that_is_also_an_input_is_refused) {
    const char *data = text_file("d.txt", 6000), *ck = trained("a.st", data), *hard = test_path("hard.st");
    CHECK(link(ck, hard) == 0); // another name, the same inode
    static unsigned char before[1 << 16];
    size_t n_before;
    unsigned char *b = fixture_read_file(ck, &n_before);
    memcpy(before, b, n_before < sizeof before ? n_before : sizeof before);
    free(b);
    RunResult r[] = {run("train --data %s --load %s --log %s --steps 1", data, ck, ck),
                     run("train --data %s --load %s --log %s --steps 1", data, ck, hard),
                     run("eval --load %s --data %s --attention-stats %s", ck, data, hard),
                     run("lab attention --load %s --data %s --attention-stats %s", ck, data, ck),
                     run("train --data %s --steps 1 --save %s " TINY, data, data),
                     run("train --data %s --steps 1 --log %s " TINY, data, data)};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) CHECK_REFUSED(r[i], "is the same file as");
    RunResult same = run("train --data %s --steps 1 --save %s --log %s " TINY, data, test_path("x.st"), test_path("x.st"));
    CHECK_REFUSED(same, "are the same file");
    size_t n_after;
    unsigned char *after = fixture_read_file(ck, &n_after);
    CHECK(n_after == n_before && !memcmp(after, before, n_before));
    free(after);
}

TEST(hard_another_runs_checkpoint_is_replaced_only_with_force) {
    const char *data = text_file("d.txt", 6000), *ck = trained("theirs.st", data);
    RunResult r[] = {run("train --data %s --steps 1 --save %s " TINY, data, ck),
                     run("lab recall -n 100 --save %s", ck),
                     run("train --data %s --steps 1 --log %s " TINY, data, ck)};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) CHECK_REFUSED(r[i], "--force");
    CHECK_INT_EQ(file_step(ck), 3);
    RunResult f = run("train --data %s --steps 1 --save %s --force " TINY, data, ck);
    CHECK_MSG(f.status == 0, "%s", f.err);
    CHECK_INT_EQ(file_step(ck), 1);
    // resuming in place is the run's own file: no --force needed
    f = run("train --data %s --load %s --save %s --steps 1 --threads 1", data, ck, ck);
    CHECK_MSG(f.status == 0, "%s", f.err);
}

// ---------------------------------------------------------------------------------------------------------
// 5. One rule for a valid config: whatever validates, trains and saves loads again; at the edges.

TEST(hard_every_config_at_the_edges_that_validates_saves_and_loads_again) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    char err[512], path[600];
    snprintf(path, sizeof path, "%s/edge.safetensors", test_tmpdir());
    int valid = 0, refused = 0;
    const int mems[] = {0, 1, 2, 3, 4, 7}, cmems[] = {0, 1, 3}, rates[] = {1, 2, 3, 4, 5, 8, 64}, seqs[] = {1, 3, 4};
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 7; c++)
                for (int q = 0; q < 3; q++) {
                    Config cfg = fixture_small_config(corpus.vocab.size);
                    cfg.d_model = 4, cfg.n_heads = 1, cfg.d_ff = 4, cfg.n_layers = 1, cfg.batch_size = 1;
                    cfg.mem_len = mems[a], cfg.c_mem_len = cmems[b], cfg.compression_rate = rates[c];
                    cfg.seq_len = seqs[q];
                    if (config_validate(&cfg, err, sizeof err)) {
                        refused++;
                        continue;
                    }
                    valid++;
                    Model *m = model_new(&cfg, 1, err, sizeof err);
                    CHECK_MSG(m, "mem %d cmem %d c %d: %s", mems[a], cmems[b], rates[c], err);
                    Trainer t;
                    CHECK(!trainer_init(&t, m, &corpus, err, sizeof err));
                    float losses[2];
                    fixture_run_steps(&t, 2, losses);
                    CHECK_MSG(!checkpoint_save(path, m, &corpus.vocab, &t, err, sizeof err), "%s", err);
                    trainer_free(&t);
                    model_free(m);
                    Checkpoint ck;
                    CHECK_MSG(!checkpoint_open(&ck, path, err, sizeof err), "mem %d cmem %d c %d: %s", mems[a],
                              cmems[b], rates[c], err);
                    Model *m2 = fixture_resume(&ck, &ck.cfg, 7, &corpus, &t);
                    checkpoint_close(&ck);
                    trainer_free(&t);
                    model_free(m2);
                }
    CHECK(valid > 50 && refused > 20);
    corpus_free(&corpus);
    // the example of the issue: refused at start, or trained and loadable
    const char *data = text_file("d.txt", 6000), *ck = test_path("rate4.st");
    RunResult r = run("train --data %s --steps 1 --save %s " TINY " --set mem_len=3 --set c_mem_len=0 "
                      "--set compression_rate=4", data, ck);
    if (r.status == 0) {
        RunResult i = run("info %s", ck);
        CHECK_MSG(i.status == 0, "train saved what info refuses: %s", i.err);
    } else {
        CHECK_REFUSED(r, "compression_rate=4");
    }
}

// ---------------------------------------------------------------------------------------------------------
// 6. Compression parameter sets: created within a cap (count and memory), every one kept by save and load.

TEST(hard_compression_sets_are_capped_with_a_message) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    cfg.mem_len = 64;
    char err[512];
    Model *m = model_new(&cfg, 1, err, sizeof err);
    CHECK(m);
    int made = m->n_sets, refused_at = 0;
    for (int rate = 1; rate <= 64 && !refused_at; rate++) {
        if (model_compress_sets_allow(m, m->cfg.compress, rate, m->cfg.compress_loss, err, sizeof err)) {
            refused_at = rate;
            break;
        }
        CHECK_MSG(!model_set_rate(m, rate, err, sizeof err), "%s", err);
        made = m->n_sets;
    }
    CHECK_INT_EQ(made, COMPRESS_SETS_CAP);
    CHECK_MSG(refused_at && strstr(err, "the most it may") && strstr(err, "16 parameter sets"), "%s", err);
    CHECK(model_compress_sets_bytes(m) > 0);
    model_free(m);
    // memory: one new set that alone would pass the budget is refused without being allocated
    cfg = fixture_small_config(corpus.vocab.size);
    cfg.d_model = 256, cfg.n_heads = 4, cfg.d_ff = 8, cfg.n_layers = 16, cfg.mem_len = 64;
    m = model_new(&cfg, 1, err, sizeof err);
    CHECK(m);
    CHECK(model_compress_sets_allow(m, COMPRESS_CONV, 64, m->cfg.compress_loss, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "MB allowed"), "%s", err);
    CHECK(model_compress_sets_allow(m, COMPRESS_CONV, 3, m->cfg.compress_loss, err, sizeof err) == 0);
    model_free(m);
    corpus_free(&corpus);
}

TEST(hard_load_keeps_every_set_save_wrote) {
    Corpus corpus;
    fixture_word_corpus(&corpus);
    Config cfg = fixture_small_config(corpus.vocab.size);
    cfg.mem_len = 32, cfg.d_model = 4, cfg.n_heads = 1;
    char err[512], path[600];
    snprintf(path, sizeof path, "%s/sets.safetensors", test_tmpdir());
    Model *m = model_new(&cfg, 1, err, sizeof err);
    for (int rate = 1; rate <= 24; rate++) CHECK_MSG(!model_set_rate(m, rate, err, sizeof err), "%s", err);
    CHECK(!model_set_compression(m, COMPRESS_DILATED, m->cfg.compress_loss, err, sizeof err));
    int sets = m->n_sets; // 24 convs and a dilated set
    CHECK_INT_EQ(sets, 25);
    Trainer t;
    CHECK(!trainer_init(&t, m, &corpus, err, sizeof err));
    float losses[2];
    fixture_run_steps(&t, 2, losses);
    CHECK_MSG(!checkpoint_save(path, m, &corpus.vocab, &t, err, sizeof err), "%s", err);
    Checkpoint ck;
    CHECK_MSG(!checkpoint_open(&ck, path, err, sizeof err), "%s", err);
    Trainer t2;
    Model *m2 = fixture_resume(&ck, &ck.cfg, 3, &corpus, &t2);
    checkpoint_close(&ck);
    CHECK_INT_EQ(m2->n_sets, sets);
    for (int i = 0; i < sets; i++) { // each set's parameters and Adam state came back
        const CompressSet *a = &m->sets[i];
        const CompressSet *b = NULL;
        for (int k = 0; k < m2->n_sets; k++)
            if (m2->sets[k].fn == a->fn && m2->sets[k].rate == a->rate) b = &m2->sets[k];
        CHECK_MSG(b, "set %d (fn %d, rate %d) was dropped", i, a->fn, a->rate);
        CHECK_INT_EQ(b->block.layout.total, a->block.layout.total);
        CHECK(!memcmp(a->block.params, b->block.params, sizeof(float) * a->block.layout.total));
        CHECK(!memcmp(a->block.adam_v, b->block.adam_v, sizeof(float) * a->block.layout.total));
    }
    trainer_free(&t);
    trainer_free(&t2);
    model_free(m);
    model_free(m2);
    corpus_free(&corpus);
}

// ---------------------------------------------------------------------------------------------------------
// 7, 8. Standard output closed, full or a pipe closed early: the work is done (train saves), the failed
//       write is one line on stderr and status 1; a closed stdout never lends fd 1 to a --log.

TEST(hard_commands_report_a_stdout_they_could_not_write) {
    const char *data = text_file("d.txt", 6000), *ck = trained("a.st", data), *err = test_path("err");
    const char *cmds[] = {"eval --load %s --data %s", "eval --load %s --data %s --json", "info %s",
                          "sample --load %s --prompt ab -n 50", "lab recall -n 200", "train --help",
                          "lab attention --load %s --data %s"};
    const char *outs[] = {">/dev/full", ">&-"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        for (int o = 0; o < 2; o++) {
            char args[1500];
            snprintf(args, sizeof args, cmds[i], ck, data);
            int st = shell("%s %s %s 2>%s", binary(), args, outs[o], err);
            char msg[2048];
            read_into(err, msg, sizeof msg);
            CHECK_MSG(st == 1 && strstr(msg, "cannot write to standard output"), "'%s %s': status %d, stderr: %s",
                      args, outs[o], st, msg);
        }
}

TEST(hard_a_closed_pipe_never_costs_the_training) {
    const char *data = text_file("d.txt", 6000), *ck = test_path("p.st"), *err = test_path("err");
    // the first "valid at" line closes the pipe; training goes on, saves, and says what happened
    shell("%s train --data %s --save %s --valid-every 1 --minutes 0.05 " TINY " 2>%s | head -n 1 >/dev/null",
          binary(), data, ck, err);
    CHECK_MSG(file_step(ck) > 0, "no checkpoint after a closed stdout");
    char msg[4096];
    read_into(err, msg, sizeof msg);
    CHECK_MSG(strstr(msg, "cannot write to standard output (Broken pipe)"), "%s", msg);
    // a closed stdout does not hand fd 1 to the log
    const char *log = test_path("x.log");
    int st = shell("%s train --data %s --steps 20 --log %s " TINY " >&- 2>/dev/null", binary(), data, log);
    CHECK_INT_EQ(st, 1);
    char lines[1 << 14];
    read_into(log, lines, sizeof lines);
    CHECK_INT_EQ(count_lines(lines), 22); // the header, 20 steps, the final validation
    CHECK_MSG(!strstr(lines, "valid ce"), "stdout text in the log: %s", lines);
    // Ctrl-C with stderr a closed pipe: the "stopping" message cannot kill the run
    st = shell("(%s train --data %s --steps 100000000 --save %s --force " TINY " 2>&1 >/dev/null & pid=$!; "
               "sleep 1; kill -INT $pid; wait $pid; echo $? >%s/status) | true", binary(), data, ck, test_tmpdir());
    char status[32];
    read_into(test_path("status"), status, sizeof status);
    CHECK_MSG(atoi(status) == 0, "status after Ctrl-C with stderr a closed pipe: %s", status);
    CHECK(file_step(ck) > 0);
}

// ---------------------------------------------------------------------------------------------------------
// 10. Values that were silently changed or ignored get a definition or a refusal.

TEST(hard_silent_values_are_refused) {
    Config cfg;
    char err[512];
    const char *bad[] = {"seed= -1", "seed=-1", "seed=+1", "lr=1e-50", "clip=1e-40", "d_model= 8", "lr= 0.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        config_preset(&cfg, "default");
        CHECK_MSG(config_set(&cfg, bad[i], err, sizeof err) != 0, "'%s' was accepted", bad[i]);
    }
    config_preset(&cfg, "default");
    CHECK(!config_set(&cfg, "lr=0", err, sizeof err) && cfg.lr == 0);
    cfg.vocab_size = 10;
    cfg.warmup = 100;
    for (int steps = 1; steps <= 100; steps += 99) {
        cfg.lr_decay_steps = steps;
        CHECK(config_validate(&cfg, err, sizeof err) != 0 && strstr(err, "more than warmup"));
    }
    cfg.lr_decay_steps = 101;
    CHECK(config_validate(&cfg, err, sizeof err) == 0);
    const char *data = text_file("d.txt", 6000), *ck = trained("a.st", data);
    RunResult r[] = {run("train --data %s --load %s --preset labml --steps 1", data, ck),
                     run("train --data %s --steps 1 --save-every 2 " TINY, data),
                     run("train --data %s --steps 1 --on-save-error continue " TINY, data),
                     run("lab compare --steps 1 -n 1000 --threads 1 --set recall.min=200 --set recall.max=100"),
                     run("lab compare --steps 1 -n 1000 --threads 1 --set recall.near=300"),
                     run("train --data %s --steps 1 --set warmup=10 --set lr_decay_steps=10 " TINY, data)};
    const char *needles[] = {"--preset labml does nothing with --load", "--save-every does nothing without --save",
                             "--on-save-error does nothing without --save", "recall.min=200 is above recall.max=100",
                             "recall.near=300 is outside", "lr_decay_steps=10 must be more than warmup=10"};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) CHECK_REFUSED(r[i], needles[i]);
}

// 10, 11. Hand-edited checkpoints (the fuzz corpus holds them): a negative Adam second moment, and memory
// positions out of range, are refused at load, naming the tensor.

TEST(hard_hand_edited_checkpoints_are_range_checked) {
    const char *data = text_file("d.txt", 6000);
    const struct {
        const char *file, *needle;
    } cases[] = {
        {"tests/fuzz/corpus/broken_negative_adam_v.safetensors", "optim.v."},
        {"tests/fuzz/corpus/broken_memory_position_int64_max.safetensors", "'memory.mem_pos'[0]=9223372036854775807"},
        {"tests/fuzz/corpus/broken_memory_position_negative.safetensors", "'memory.mem_pos'"},
        {"tests/fuzz/corpus/broken_cmem_first_after_last.safetensors", "memory.cmem_first/last"},
        {"tests/fuzz/corpus/broken_meta_valid_index_huge.safetensors", "saved validation position"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        RunResult r = run("train --load %s --data %s --steps 1 --threads 1", cases[i].file, data);
        CHECK_REFUSED(r, cases[i].needle);
    }
}

// ---------------------------------------------------------------------------------------------------------
// 13. A name the temporary file cannot take fails before the work, not after it.

TEST(hard_a_save_name_too_long_for_its_temporary_file_fails_at_start) {
    const char *data = text_file("d.txt", 6000);
    char name[256];
    memset(name, 'x', 250);
    name[250] = 0;
    char path[1000];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    RunResult r = run("train --data %s --steps 1000000 --save %s " TINY, data, path);
    CHECK_REFUSED(r, "the name is too long");
    r = run("eval --load %s --data %s --attention-stats %s", trained("a.st", data), data, path);
    CHECK_REFUSED(r, "the name is too long");
    // the engine's check tries the real temporary name: a name that fits is accepted and leaves nothing behind
    char err[1400];
    snprintf(path, sizeof path, "%s/%.*s", test_tmpdir(), 200, name);
    CHECK_MSG(output_check(path, err, sizeof err) == 0, "%s", err);
    CHECK(access(path, F_OK) != 0);
}
