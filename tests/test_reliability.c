// Reliability at the engine level (issue 5): config keys named with their ranges, hostile checkpoint
// metadata refused before anything is allocated, non-finite values never reaching a checkpoint, and the
// saved file surviving failed writes and killed writers. The binary-level cases are in
// test_reliability_cli.c, the process-level faults in tests/faults.sh.
#include "tests/fixtures.h"
#include "tests/harness.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/checkpoint.h"
#include "engine/config.h"
#include "engine/safetensors.h"
#include "engine/trainer.h"

static int one_line(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20) return 0;
    return 1;
}

static int same_file_contents(const unsigned char *bytes, size_t n, const char *path) {
    size_t m;
    unsigned char *now = fixture_read_file(path, &m);
    int same = m == n && memcmp(now, bytes, n) == 0;
    free(now);
    return same;
}

// ---------------------------------------------------------------------------------------------------------
// Config: every key, both ends of its range, named in one line with the range

TEST(config_every_key_names_itself_and_its_range) {
    const struct {
        const char *assignment, *range;
    } cases[] = {
        {"d_model=0", "from 1 to 8192"},          {"d_model=8193", "from 1 to 8192"},
        {"n_heads=0", "from 1 to 256"},           {"n_heads=257", "from 1 to 256"},
        {"n_layers=0", "from 1 to 64"},           {"n_layers=65", "from 1 to 64"},
        {"d_ff=0", "from 1 to 65536"},            {"d_ff=65537", "from 1 to 65536"},
        {"seq_len=0", "from 1 to 4096"},          {"seq_len=4097", "from 1 to 4096"},
        {"mem_len=-1", "from 0 to 4096"},         {"mem_len=4097", "from 0 to 4096"},
        {"c_mem_len=-1", "from 0 to 4096"},       {"c_mem_len=4097", "from 0 to 4096"},
        {"compression_rate=0", "from 1 to 64"},   {"compression_rate=65", "from 1 to 64"},
        {"batch_size=0", "from 1 to 4096"},       {"batch_size=4097", "from 1 to 4096"},
        {"lr=-0.001", "from 0 to 10"},            {"lr=10.5", "from 0 to 10"},
        {"lr=nan", "from 0 to 10"},               {"lr=inf", "from 0 to 10"},
        {"warmup=-1", "from 0 to 100000000"},     {"warmup=100000001", "from 0 to 100000000"},
        {"clip=-1", "from 0 to 1e+09"},           {"clip=2e9", "from 0 to 1e+09"},
        {"seed=-1", ">= 0"},                      {"seed=18446744073709551616", ">= 0"},
        {"d_model=12abc", "from 1 to 8192"},      {"d_model=", "from 1 to 8192"},
        {"n_layers=1.5", "from 1 to 64"},         {"d_model=99999999999999999999", "from 1 to 8192"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Config cfg;
        config_preset(&cfg, "labml");
        char err[512] = "";
        CHECK_MSG(config_set(&cfg, cases[i].assignment, err, sizeof err) == -1, "accepted %s", cases[i].assignment);
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)strcspn(cases[i].assignment, "="), cases[i].assignment);
        CHECK_MSG(strstr(err, key) && strstr(err, cases[i].range) && one_line(err), "%s: '%s'", cases[i].assignment,
                  err);
    }
}

TEST(config_validate_names_the_key_and_range_of_a_struct_value) {
    // Values that reach config_validate without config_set (from a checkpoint or code) are named too.
    Config cfg;
    config_preset(&cfg, "labml");
    cfg.vocab_size = 10;
    char err[512];
    cfg.seq_len = 0;
    CHECK(config_validate(&cfg, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "seq_len=0") && strstr(err, "from 1 to 4096"), "%s", err);
    config_preset(&cfg, "labml");
    cfg.vocab_size = 10;
    cfg.lr = -1.0f;
    CHECK(config_validate(&cfg, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "lr=-1") && strstr(err, "from 0 to 10"), "%s", err);
    config_preset(&cfg, "labml");
    cfg.vocab_size = 10;
    cfg.n_heads = 3;
    CHECK(config_validate(&cfg, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "n_heads=3") && strstr(err, "d_model=128"), "%s", err);
    config_preset(&cfg, "labml");
    cfg.vocab_size = 10;
    cfg.mem_len = 1;
    CHECK(config_validate(&cfg, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "mem_len") && strstr(err, "compression_rate"), "%s", err);
}

TEST(config_accepts_both_ends_of_every_range) {
    const char *ok[] = {"d_model=1", "d_model=8192", "n_heads=1", "n_heads=256", "n_layers=1", "n_layers=64",
                        "d_ff=1", "d_ff=65536", "seq_len=1", "seq_len=4096", "mem_len=0", "mem_len=4096",
                        "c_mem_len=0", "c_mem_len=4096", "compression_rate=1", "compression_rate=64",
                        "batch_size=1", "batch_size=4096", "lr=0", "lr=10", "warmup=0", "warmup=100000000",
                        "clip=0", "clip=1e9", "seed=0", "seed=18446744073709551615"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        Config cfg;
        config_preset(&cfg, "default");
        char err[512] = "";
        CHECK_MSG(config_set(&cfg, ok[i], err, sizeof err) == 0, "%s refused: %s", ok[i], err);
    }
}

// ---------------------------------------------------------------------------------------------------------
// A small model and corpus

static void make_corpus(Corpus *c) {
    size_t n = 4000;
    unsigned char *text = malloc(n);
    for (size_t i = 0; i < n; i++) text[i] = (unsigned char)"ab cd,\nba dab "[(i * 7 + i / 11) % 14];
    char err[256];
    CHECK_MSG(!corpus_from_text(c, text, n, "test corpus", err, sizeof err), "%s", err);
}

static Config small_config(int vocab) {
    return (Config){.vocab_size = vocab, .d_model = 8, .n_heads = 2, .n_layers = 2, .d_ff = 16, .seq_len = 4,
                    .mem_len = 4, .c_mem_len = 4, .compression_rate = 2, .batch_size = 2, .lr = 1e-2f,
                    .warmup = 4, .clip = 1.0f, .seed = 5};
}

typedef struct {
    Corpus corpus;
    Model *m;
    Trainer t;
} Setup;

static void setup(Setup *s) {
    char err[512];
    make_corpus(&s->corpus);
    Config cfg = small_config(s->corpus.vocab.size);
    s->m = model_new(&cfg, cfg.seed, err, sizeof err);
    CHECK_MSG(s->m != NULL, "%s", err);
    CHECK_MSG(!trainer_init(&s->t, s->m, &s->corpus, err, sizeof err), "%s", err);
}

static void teardown(Setup *s) {
    trainer_free(&s->t);
    model_free(s->m);
    corpus_free(&s->corpus);
}

static const char *save_full(Setup *s, const char *name) {
    const char *path = test_path(name);
    char err[512];
    CHECK_MSG(!checkpoint_save(path, s->m, &s->corpus.vocab, &s->t, err, sizeof err), "%s", err);
    return path;
}

// ---------------------------------------------------------------------------------------------------------
// Non-finite values: the step is skipped, the model and memory untouched, nothing non-finite is saved

TEST(nan_step_is_skipped_and_changes_nothing) {
    Setup s;
    setup(&s);
    for (int i = 0; i < 5; i++) trainer_step(&s.t, NULL);
    long total = s.m->main.layout.total;
    float *before = malloc(sizeof(float) * total);
    memcpy(before, s.m->main.params, sizeof(float) * total);
    int m_rows = s.t.mem.m, cm_rows = s.t.mem.cm;
    long step = s.t.step, adam_t = s.m->main.adam_t;
    float saved = s.m->p.head_b[0];
    s.m->p.head_b[0] = NAN; // one poisoned parameter makes the loss NaN
    StepStats st;
    trainer_step(&s.t, &st);
    CHECK(st.skipped);
    CHECK(!isfinite(st.ce));
    CHECK_INT_EQ(st.step, step);
    CHECK_INT_EQ(s.t.step, step);
    CHECK_INT_EQ(s.m->main.adam_t, adam_t);
    CHECK_INT_EQ(s.t.mem.m, m_rows);
    CHECK_INT_EQ(s.t.mem.cm, cm_rows);
    s.m->p.head_b[0] = saved;
    CHECK(memcmp(before, s.m->main.params, sizeof(float) * total) == 0);
    // and training goes on normally once the values are finite again
    trainer_step(&s.t, &st);
    CHECK(!st.skipped && isfinite(st.ce));
    CHECK_INT_EQ(s.t.step, step + 1);
    free(before);
    teardown(&s);
}

TEST(save_refuses_non_finite_values_and_keeps_the_old_file) {
    Setup s;
    setup(&s);
    trainer_step(&s.t, NULL);
    const char *path = save_full(&s, "model.safetensors");
    size_t n;
    unsigned char *old = fixture_read_file(path, &n);
    char err[512] = "";
    float keep = s.m->p.layer[1].w_up[3];
    s.m->p.layer[1].w_up[3] = INFINITY;
    CHECK(checkpoint_save(path, s.m, &s.corpus.vocab, &s.t, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "layers.1.ffn.up.weight") && strstr(err, "NaN or Inf") && one_line(err), "%s", err);
    CHECK(checkpoint_save(path, s.m, &s.corpus.vocab, NULL, err, sizeof err) == -1); // weights-only too
    s.m->p.layer[1].w_up[3] = keep;
    s.m->main.adam_v[7] = NAN; // Adam moments count for a full checkpoint
    CHECK(checkpoint_save(path, s.m, &s.corpus.vocab, &s.t, err, sizeof err) == -1);
    CHECK(same_file_contents(old, n, path));
    free(old);
    teardown(&s);
}

// Writes a copy of a full checkpoint with one F32 tensor's first value replaced.
static const char *poisoned_copy(const char *src, const char *tensor, float value, const char *name) {
    StFile f;
    char err[512];
    CHECK_MSG(!st_open(&f, src, err, sizeof err), "%s", err);
    StWriter *w = st_writer_new();
    float *copies[1024];
    int n_copies = 0;
    for (int i = 0; i < f.n_tensors; i++) {
        const StTensor *t = &f.tensors[i];
        const void *data = t->data;
        if (!strcmp(t->name, tensor)) {
            float *c = malloc(t->nbytes);
            memcpy(c, t->data, t->nbytes);
            c[0] = value;
            copies[n_copies++] = c;
            data = c;
        }
        st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, data);
    }
    for (int i = 0; i < f.n_meta; i++) st_writer_meta(w, f.meta[i].key, f.meta[i].value);
    const char *path = test_path(name);
    CHECK_MSG(!st_writer_save(w, path, err, sizeof err), "%s", err);
    st_writer_free(w);
    for (int i = 0; i < n_copies; i++) free(copies[i]);
    st_close(&f);
    return path;
}

TEST(load_refuses_nan_in_weights_moments_and_memory) {
    Setup s;
    setup(&s);
    for (int i = 0; i < 6; i++) trainer_step(&s.t, NULL); // memory and compressed memory both hold rows
    CHECK(s.t.mem.m > 0 && s.t.mem.cm > 0);
    const char *good = save_full(&s, "good.safetensors");
    const char *tensors[] = {"embed.weight", "layers.1.attn.rel_key", "optim.m.head.bias", "optim.v.norm.weight",
                             "memory.mem.1", "memory.cmem.0", "layers.0.compress.bias"};
    for (size_t i = 0; i < sizeof tensors / sizeof tensors[0]; i++) {
        const char *bad = poisoned_copy(good, tensors[i], i % 2 ? INFINITY : NAN, "bad.safetensors");
        Checkpoint ck;
        char err[512] = "";
        CHECK_MSG(!checkpoint_open(&ck, bad, err, sizeof err), "%s", err);
        Model *m = model_new(&ck.cfg, 1, err, sizeof err);
        Trainer t;
        CHECK(!trainer_init(&t, m, &s.corpus, err, sizeof err));
        int rc = checkpoint_load_weights(&ck, m, err, sizeof err);
        if (rc == 0) rc = checkpoint_load_state(&ck, &t, err, sizeof err);
        CHECK_MSG(rc == -1, "%s with NaN/Inf was accepted", tensors[i]);
        CHECK_MSG(strstr(err, tensors[i]) && strstr(err, "NaN or Inf") && strstr(err, bad) && one_line(err), "%s",
                  err);
        trainer_free(&t);
        model_free(m);
        checkpoint_close(&ck);
    }
    teardown(&s);
}

// ---------------------------------------------------------------------------------------------------------
// Hostile metadata: refused by checkpoint_open, before any model is allocated

// A copy of a checkpoint with metadata key set to value (NULL: removed).
static const char *with_meta(const char *src, const char *key, const char *value, const char *name) {
    StFile f;
    char err[512];
    CHECK_MSG(!st_open(&f, src, err, sizeof err), "%s", err);
    StWriter *w = st_writer_new();
    for (int i = 0; i < f.n_tensors; i++)
        st_writer_add(w, f.tensors[i].name, f.tensors[i].dtype, f.tensors[i].ndim, f.tensors[i].shape,
                      f.tensors[i].data);
    int found = 0;
    for (int i = 0; i < f.n_meta; i++) {
        if (!strcmp(f.meta[i].key, key)) {
            found = 1;
            if (value) st_writer_meta(w, key, value);
        } else {
            st_writer_meta(w, f.meta[i].key, f.meta[i].value);
        }
    }
    if (!found && value) st_writer_meta(w, key, value);
    const char *path = test_path(name);
    CHECK_MSG(!st_writer_save(w, path, err, sizeof err), "%s", err);
    st_writer_free(w);
    st_close(&f);
    return path;
}

static void expect_open_refused(const char *path, const char *fragment) {
    Checkpoint ck;
    char err[512] = "";
    CHECK_MSG(checkpoint_open(&ck, path, err, sizeof err) == -1, "accepted (expected '%s')", fragment);
    CHECK_MSG(strstr(err, fragment) && strncmp(err, path, strlen(path)) == 0 && one_line(err), "'%s' lacks '%s'", err,
              fragment);
}

TEST(metadata_claiming_a_huge_model_is_refused_before_allocation) {
    Setup s;
    setup(&s);
    char good[1024];
    snprintf(good, sizeof good, "%s", save_full(&s, "good.safetensors"));
    // Each claim would need gigabytes; the file holds a few kilobytes. With the address space capped at
    // 256 MB above what the process holds now, an attempt to allocate for it would fail loudly instead
    // of passing quietly on a big machine. (ASan reserves terabytes of address space: no cap there.)
#ifndef __SANITIZE_ADDRESS__
    long vm_kb = 0;
    char line[256];
    FILE *st = fopen("/proc/self/status", "r");
    while (st && fgets(line, sizeof line, st))
        if (sscanf(line, "VmSize: %ld kB", &vm_kb) == 1) break;
    if (st) fclose(st);
    if (vm_kb > 0) {
        struct rlimit lim = {((rlim_t)vm_kb << 10) + (256u << 20), ((rlim_t)vm_kb << 10) + (256u << 20)};
        CHECK(setrlimit(RLIMIT_AS, &lim) == 0);
    }
#endif
    const char *p = with_meta(good, "d_model", "8192", "a.safetensors");
    p = with_meta(p, "n_heads", "64", "b.safetensors");
    p = with_meta(p, "n_layers", "64", "c.safetensors");
    expect_open_refused(p, "does not match the config");
    p = with_meta(good, "d_ff", "65536", "d.safetensors");
    expect_open_refused(p, "layers.1.ffn.up.weight");
    p = with_meta(good, "c_mem_len", "4096", "e.safetensors");
    expect_open_refused(p, "layers.1.attn.rel_key");
    p = with_meta(good, "compression_rate", "3", "f.safetensors");
    expect_open_refused(p, "layers.1.compress.weight");
    teardown(&s);
}

TEST(metadata_counters_are_range_checked) {
    Setup s;
    setup(&s);
    for (int i = 0; i < 3; i++) trainer_step(&s.t, NULL);
    char good[1024];
    snprintf(good, sizeof good, "%s", save_full(&s, "good.safetensors"));
    const struct {
        const char *key, *value, *fragment;
        int at_open;
    } cases[] = {
        {"step", "-1", "'step'=-1 is out of range", 1},
        {"step", "99999999999999999999", "not a whole number", 1},
        {"optim.t", "-5", "'optim.t'=-5 is out of range", 0},
        {"optim.t.r2", NULL, "'optim.t.r2' is missing", 0},
        {"epoch", "9223372036854775807", "does not fit this corpus", 0},
        {"batch_index", "100000000", "does not fit this corpus", 0},
        {"memory.m", "5", "exceed mem_len", 0},
        {"memory.cm", "-1", "exceed mem_len", 0},
        {"batch_size", "3", "'memory.mem.0' is missing or not F32 [3,", 0},
        {"vocab", "\"ab\"", "does not match the config", 1},
        {"vocab", "\"ba\"", "vocab", 1},
        {"d_model", "abc", "'d_model'='abc' is not a whole number", 1},
        {"lr", "1e999", "lr", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = with_meta(good, cases[i].key, cases[i].value, "case.safetensors");
        if (cases[i].at_open) {
            expect_open_refused(p, cases[i].fragment);
            continue;
        }
        Checkpoint ck;
        char err[512] = "";
        CHECK_MSG(!checkpoint_open(&ck, p, err, sizeof err), "%s: %s", cases[i].key, err);
        Model *m = model_new(&ck.cfg, 1, err, sizeof err);
        CHECK(!checkpoint_load_weights(&ck, m, err, sizeof err));
        Trainer t;
        CHECK(!trainer_init(&t, m, &s.corpus, err, sizeof err));
        CHECK_MSG(checkpoint_load_state(&ck, &t, err, sizeof err) == -1, "%s=%s accepted", cases[i].key,
                  cases[i].value ? cases[i].value : "(removed)");
        CHECK_MSG(strstr(err, cases[i].fragment) && one_line(err), "%s: '%s' lacks '%s'", cases[i].key, err,
                  cases[i].fragment);
        trainer_free(&t);
        model_free(m);
        checkpoint_close(&ck);
    }
    teardown(&s);
}

TEST(weights_only_file_with_model_keys_only_loads) {
    // As a PyTorch export writes it: no training keys at all. The training keys come from the preset.
    Setup s;
    setup(&s);
    const char *path = test_path("w.safetensors");
    char err[512];
    CHECK(!checkpoint_save(path, s.m, &s.corpus.vocab, NULL, err, sizeof err));
    const char *p = path;
    const char *training[] = {"batch_size", "lr", "warmup", "clip", "seed"};
    for (int i = 0; i < 5; i++) p = with_meta(p, training[i], NULL, i % 2 ? "x.safetensors" : "y.safetensors");
    Checkpoint ck;
    CHECK_MSG(!checkpoint_open(&ck, p, err, sizeof err), "%s", err);
    CHECK(!ck.has_training_keys && !ck.has_state);
    CHECK(!config_validate(&ck.cfg, err, sizeof err));
    Model *m = model_new(&ck.cfg, 9, err, sizeof err);
    CHECK_MSG(m && !checkpoint_load_weights(&ck, m, err, sizeof err), "%s", err);
    CHECK(!memcmp(m->main.params, s.m->main.params, sizeof(float) * s.m->main.layout.total));
    model_free(m);
    checkpoint_close(&ck);
    teardown(&s);
}

TEST(conv_tensors_of_other_rates_are_checked_before_allocation) {
    Setup s;
    setup(&s);
    const char *path = test_path("r.safetensors");
    char err[512];
    CHECK(!checkpoint_save(path, s.m, &s.corpus.vocab, NULL, err, sizeof err));
    // add a lone, tiny "layers.0.compress_r4.weight": its name alone must not make the model allocate
    StFile f;
    CHECK(!st_open(&f, path, err, sizeof err));
    StWriter *w = st_writer_new();
    for (int i = 0; i < f.n_tensors; i++)
        st_writer_add(w, f.tensors[i].name, f.tensors[i].dtype, f.tensors[i].ndim, f.tensors[i].shape,
                      f.tensors[i].data);
    for (int i = 0; i < f.n_meta; i++) st_writer_meta(w, f.meta[i].key, f.meta[i].value);
    float one = 1.0f;
    int64_t shape[1] = {1};
    st_writer_add(w, "layers.0.compress_r4.weight", ST_F32, 1, shape, &one);
    st_writer_add(w, "layers.0.compress_r99999999999999999999.weight", ST_F32, 1, shape, &one);
    const char *bad = test_path("r2.safetensors");
    CHECK(!st_writer_save(w, bad, err, sizeof err));
    st_writer_free(w);
    st_close(&f);
    Checkpoint ck;
    CHECK_MSG(!checkpoint_open(&ck, bad, err, sizeof err), "%s", err);
    Model *m = model_new(&ck.cfg, 1, err, sizeof err);
    CHECK(checkpoint_load_weights(&ck, m, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "compression rate 4") && strstr(err, "layers.0.compress_r4.weight") && one_line(err), "%s",
              err);
    CHECK_INT_EQ(m->n_sets, 1);
    model_free(m);
    checkpoint_close(&ck);
    teardown(&s);
}

// ---------------------------------------------------------------------------------------------------------
// Saving: a failed write keeps the old file; temp files of killed writers are cleaned up

TEST(full_disk_during_checkpoint_save_keeps_the_old_checkpoint) {
    Setup s;
    setup(&s);
    trainer_step(&s.t, NULL);
    const char *path = save_full(&s, "model.safetensors");
    size_t n;
    unsigned char *old = fixture_read_file(path, &n);
    trainer_step(&s.t, NULL);
    struct rlimit saved, small;
    CHECK(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    small = saved;
    small.rlim_cur = (rlim_t)(n / 2); // the new file cannot be written whole: EFBIG part way, as ENOSPC would be
    signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    char err[512] = "";
    int rc = checkpoint_save(path, s.m, &s.corpus.vocab, &s.t, err, sizeof err);
    CHECK(setrlimit(RLIMIT_FSIZE, &saved) == 0);
    CHECK_INT_EQ(rc, -1);
    CHECK_MSG(strstr(err, path) && strstr(err, strerror(EFBIG)) && one_line(err), "%s", err);
    CHECK(same_file_contents(old, n, path));
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    CHECK_MSG(access(tmp, F_OK) != 0, "temporary file %s left behind", tmp);
    // and once there is room again the same state saves and loads
    CHECK_MSG(!checkpoint_save(path, s.m, &s.corpus.vocab, &s.t, err, sizeof err), "%s", err);
    Checkpoint ck;
    CHECK_MSG(!checkpoint_open(&ck, path, err, sizeof err), "%s", err);
    CHECK_INT_EQ(ck.step, 2);
    checkpoint_close(&ck);
    free(old);
    teardown(&s);
}

TEST(temp_files_of_killed_writers_are_removed_by_the_next_save) {
    Setup s;
    setup(&s);
    const char *path = save_full(&s, "model.safetensors");
    // a pid that certainly has no process: a child that has been reaped
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0);
    char stale[1100], live[1100], other[1100];
    snprintf(stale, sizeof stale, "%s.tmp.%d", path, (int)dead);
    snprintf(live, sizeof live, "%s.tmp.%d", path, (int)getppid()); // the test runner is alive
    snprintf(other, sizeof other, "%s.tmp.%dx", path, (int)dead);   // not a temp name of ours
    const char *files[] = {stale, live, other};
    for (int i = 0; i < 3; i++) {
        FILE *f = fopen(files[i], "wb");
        CHECK(f && fputs("partial", f) >= 0 && fclose(f) == 0);
    }
    save_full(&s, "model.safetensors");
    CHECK_MSG(access(stale, F_OK) != 0, "stale %s kept", stale);
    CHECK_MSG(access(live, F_OK) == 0, "%s of a live process removed", live);
    CHECK(access(other, F_OK) == 0);
    teardown(&s);
}

// kill -9 at random moments while a child saves over and over: the file always opens and loads.
TEST(killed_while_saving_the_checkpoint_always_loads) {
    Setup s;
    setup(&s);
    const char *path = save_full(&s, "model.safetensors");
    unsigned seed = 12345;
    int trials = 40, hit_a_save = 0;
    for (int trial = 0; trial < trials; trial++) {
        pid_t child = fork();
        if (child == 0) {
            char err[512];
            for (;;) {
                trainer_step(&s.t, NULL);
                if (checkpoint_save(path, s.m, &s.corpus.vocab, &s.t, err, sizeof err)) _exit(3);
            }
        }
        seed = seed * 1103515245u + 12345u;
        usleep(2000 + (seed >> 8) % 20000);
        kill(child, SIGKILL);
        int status;
        waitpid(child, &status, 0);
        CHECK(WIFSIGNALED(status));
        char tmp[1100];
        snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)child);
        hit_a_save += access(tmp, F_OK) == 0;
        Checkpoint ck;
        char err[512] = "";
        CHECK_MSG(!checkpoint_open(&ck, path, err, sizeof err), "trial %d: %s", trial, err);
        Model *m = model_new(&ck.cfg, 1, err, sizeof err);
        Trainer t;
        CHECK(!trainer_init(&t, m, &s.corpus, err, sizeof err));
        CHECK_MSG(!checkpoint_load_weights(&ck, m, err, sizeof err) && !checkpoint_load_state(&ck, &t, err, sizeof err),
                  "trial %d: %s", trial, err);
        trainer_free(&t);
        model_free(m);
        checkpoint_close(&ck);
    }
    printf("    %d kills, %d of them in the middle of writing a temp file; every checkpoint loaded\n", trials,
           hit_a_save);
    teardown(&s);
}
