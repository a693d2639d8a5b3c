// Each folder's files form layers: a module (x.c with its x.h) may include another module of its folder only
// when that one, through its own includes, never comes back. A loop means two concepts that cannot be read,
// tested or replaced one without the other.
#include "tests/harness.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#define MAX_MODULES 128

typedef struct {
    char name[MAX_MODULES][64];
    unsigned char edge[MAX_MODULES][MAX_MODULES]; // edge[a][b]: a's .c or .h includes b's header
    int n;
} Graph;

static int module_index(Graph *g, const char *file) {
    char stem[64];
    snprintf(stem, sizeof stem, "%s", file);
    char *dot = strrchr(stem, '.');
    if (dot) *dot = 0;
    for (int i = 0; i < g->n; i++)
        if (!strcmp(g->name[i], stem)) return i;
    CHECK(g->n < MAX_MODULES);
    snprintf(g->name[g->n], sizeof g->name[0], "%s", stem);
    return g->n++;
}

static int is_source(const char *name) {
    size_t n = strlen(name);
    return n > 2 && name[n - 2] == '.' && (name[n - 1] == 'c' || name[n - 1] == 'h');
}

// The folder's modules and their includes of each other ("x.h" or "folder/x.h" of a file that exists).
static void read_folder(Graph *g, const char *folder) {
    memset(g, 0, sizeof *g);
    DIR *d = opendir(folder);
    CHECK_MSG(d, "cannot open %s/ (run the tests from the repository's root)", folder);
    struct dirent *e;
    while ((e = readdir(d)))
        if (is_source(e->d_name)) module_index(g, e->d_name);
    rewinddir(d);
    while ((e = readdir(d))) {
        if (!is_source(e->d_name)) continue;
        char path[512], line[512];
        snprintf(path, sizeof path, "%s/%s", folder, e->d_name);
        FILE *f = fopen(path, "r");
        CHECK_MSG(f, "cannot read %s", path);
        int from = module_index(g, e->d_name);
        while (fgets(line, sizeof line, f)) {
            char inc[256];
            if (sscanf(line, " #include \"%255[^\"]\"", inc) != 1) continue;
            const char *base = strrchr(inc, '/') ? strrchr(inc, '/') + 1 : inc;
            size_t flen = strlen(folder);
            if (strchr(inc, '/') && (strncmp(inc, folder, flen) || inc[flen] != '/')) continue; // another folder
            char target[512];
            snprintf(target, sizeof target, "%s/%s", folder, base);
            FILE *t = fopen(target, "r");
            if (!t) continue; // a generated or system header
            fclose(t);
            int to = module_index(g, base);
            if (to != from) g->edge[from][to] = 1;
        }
        fclose(f);
    }
    closedir(d);
}

// Depth-first search; on a loop, its modules into path ("a -> b -> a") and 1.
static int find_loop(const Graph *g, int v, int *state, int *stack, int depth, char *path, size_t n) {
    state[v] = 1;
    stack[depth] = v;
    for (int w = 0; w < g->n; w++) {
        if (!g->edge[v][w]) continue;
        if (state[w] == 1) {
            int at = depth;
            while (stack[at] != w) at--;
            path[0] = 0;
            for (int i = at; i <= depth; i++)
                snprintf(path + strlen(path), n - strlen(path), "%s -> ", g->name[stack[i]]);
            snprintf(path + strlen(path), n - strlen(path), "%s", g->name[w]);
            return 1;
        }
        if (!state[w] && find_loop(g, w, state, stack, depth + 1, path, n)) return 1;
    }
    state[v] = 2;
    return 0;
}

static void check_no_loop(const char *folder) {
    static Graph g;
    read_folder(&g, folder);
    CHECK_MSG(g.n > 3, "%s/ holds only %d modules", folder, g.n);
    int state[MAX_MODULES] = {0}, stack[MAX_MODULES];
    char path[2048];
    for (int v = 0; v < g.n; v++)
        if (!state[v] && find_loop(&g, v, state, stack, 0, path, sizeof path))
            CHECK_MSG(0, "%s/: the modules include each other in a loop: %s", folder, path);
}

TEST(engine_modules_include_each_other_in_no_loop) { check_no_loop("engine"); }
TEST(ui_modules_include_each_other_in_no_loop) { check_no_loop("ui"); }
TEST(app_modules_include_each_other_in_no_loop) { check_no_loop("app"); }

// The folders' direction: ui/ draws snapshots and never sees the engine; the engine knows nothing of the
// program around it; app/ uses the engine through its public face only. The public face: a training run (its
// trainer stays inside: app/ steps, validates and reads it through run.h), its config, corpus, model, memory
// and checkpoints, the safetensors files that import reads, generation and evaluation, the memory lab's
// statistics and the reconstruction error, a forward's activations (what the TUI draws), safe output files,
// the cost model, the version and the seeded RNG. Everything else in engine/ (the trainer, the ops, the
// forward and backward, memory updates, compression, caches, fp16, JSON) is internal.
static const char *const engine_public[] = {
    "run.h",        "config.h",      "data.h",         "model.h",       "memory.h",
    "checkpoint.h", "safetensors.h", "checkpoint_export.h", "labml.h",  "generate.h",        "eval_stream.h",
    "attention_stats.h", "ar_loss.h", "workspace.h",   "output_file.h", "flops.h",           "version.h",
    "rng.h",
};

static int is_public(const char *header) {
    for (size_t i = 0; i < sizeof engine_public / sizeof engine_public[0]; i++)
        if (!strcmp(header, engine_public[i])) return 1;
    return 0;
}

// The first #include "prefix..." in folder's sources that `allowed` refuses (NULL refuses every one), as
// "path includes header" in what; empty when none.
static void find_includes(const char *folder, const char *prefix, int (*allowed)(const char *), char *what,
                          size_t n) {
    what[0] = 0;
    DIR *d = opendir(folder);
    CHECK_MSG(d, "cannot open %s/ (run the tests from the repository's root)", folder);
    struct dirent *e;
    while (!what[0] && (e = readdir(d))) {
        if (!is_source(e->d_name)) continue;
        char path[512], line[512];
        snprintf(path, sizeof path, "%s/%s", folder, e->d_name);
        FILE *f = fopen(path, "r");
        CHECK_MSG(f, "cannot read %s", path);
        while (!what[0] && fgets(line, sizeof line, f)) {
            char inc[256];
            if (sscanf(line, " #include \"%255[^\"]\"", inc) != 1 || strncmp(inc, prefix, strlen(prefix))) continue;
            if (!allowed || !allowed(inc + strlen(prefix))) snprintf(what, n, "%s includes %s", path, inc);
        }
        fclose(f);
    }
    closedir(d);
}

TEST(app_includes_only_the_engines_public_headers) {
    char what[1024];
    find_includes("app", "engine/", is_public, what, sizeof what);
    CHECK_MSG(!what[0], "%s, an engine internal: reach it through a public header (tests/test_module_cycles.c)", what);
    CHECK(is_public("run.h") && !is_public("vecmath.h")); // the check can fail
}

TEST(ui_includes_nothing_of_the_engine_or_app) {
    char what[1024];
    const char *prefixes[] = {"engine/", "app/"};
    for (int i = 0; i < 2; i++) {
        find_includes("ui", prefixes[i], NULL, what, sizeof what);
        CHECK_MSG(!what[0], "%s: ui/ draws snapshots only", what);
    }
}

TEST(engine_includes_nothing_of_app_or_ui) {
    char what[1024];
    const char *prefixes[] = {"app/", "ui/"};
    for (int i = 0; i < 2; i++) {
        find_includes("engine", prefixes[i], NULL, what, sizeof what);
        CHECK_MSG(!what[0], "%s: the engine needs only libc, libm and OpenBLAS", what);
    }
}
