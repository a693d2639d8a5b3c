// Replays files (or every file of directories) through the checkpoint fuzz target without libFuzzer:
// the fallback of tests/fuzz/run.sh on machines without clang, built with gcc and ASan+UBSan.
// Prints how far each input got and a closing count; exits non-zero only by crashing (the target aborts).
#include "tests/fuzz/checkpoint_target.h"

#include <cblas.h>
#include <dirent.h>
#include <sys/stat.h>

static const char *const outcome_names[] = {"rejected by the reader", "rejected as a checkpoint",
                                            "rejected by the model", "state rejected", "weights-only loaded",
                                            "full checkpoint loaded"};
static long counts[6], total;

static void replay_file(const char *path, const char *save_path, int verbose) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *bytes = malloc((size_t)n + 1);
    if (!bytes || fread(bytes, 1, (size_t)n, f) != (size_t)n) exit(2);
    fclose(f);
    FuzzOutcome o = fuzz_checkpoint_input(bytes, (size_t)n, save_path);
    free(bytes);
    counts[o]++;
    total++;
    if (verbose) printf("%-60s %s\n", path, outcome_names[o]);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void replay_path(const char *path, const char *save_path, int verbose) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: no such file %s\n", path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) return replay_file(path, save_path, verbose);
    DIR *d = opendir(path);
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n] = malloc(strlen(path) + strlen(e->d_name) + 2);
        sprintf(names[n++], "%s/%s", path, e->d_name);
    }
    if (d) closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        replay_path(names[i], save_path, verbose);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv) {
    setenv("MEMSCOPE_MEMORY_LIMIT_MB", "256", 1);
    openblas_set_num_threads(1);
    char save_path[256];
    snprintf(save_path, sizeof save_path, "/tmp/memscope-replay-%d.safetensors", (int)getpid());
    int verbose = argc > 1 && !strcmp(argv[1], "-v");
    for (int i = 1 + verbose; i < argc; i++) replay_path(argv[i], save_path, verbose);
    printf("replayed %ld inputs:", total);
    for (int i = 0; i < 6; i++) printf("%s %ld %s", i ? "," : "", counts[i], outcome_names[i]);
    printf("\n");
    return 0;
}
