// The checkpoint fuzz corpus replayed through the fuzz target in every suite (also under ASan+UBSan):
// real checkpoints written by memscope must load, be stepped, saved and reloaded; every hand-broken one
// and every input that once crashed the fuzzer must be refused with one line (or, for the few defects
// that are harmless, used safely). See tests/fuzz/.
#include "tests/fixtures.h"
#include "tests/harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/checkpoint_target.h"

#define CORPUS "tests/fuzz/corpus"

// Broken files memscope may still use: each defect is one it tolerates on purpose.
static const char *const tolerated[] = {
    "broken_rate_name_overflows",    // an unknown tensor name is ignored
    "broken_huge_finite_weights",    // finite weights load; training then skips the non-finite steps
};

static int is_tolerated(const char *name) {
    for (size_t i = 0; i < sizeof tolerated / sizeof tolerated[0]; i++)
        if (!strncmp(name, tolerated[i], strlen(tolerated[i]))) return 1;
    return 0;
}

TEST(fuzz_corpus_replays_with_the_expected_outcome) {
    setenv("MEMSCOPE_MEMORY_LIMIT_MB", "256", 1);
    DIR *d = opendir(CORPUS);
    CHECK_MSG(d != NULL, "cannot open %s (run the tests from the repository root)", CORPUS);
    char save_path[1024];
    snprintf(save_path, sizeof save_path, "%s/resaved.safetensors", test_tmpdir());
    int n = 0, real = 0, broken = 0, crashes = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", CORPUS, e->d_name);
        size_t size;
        unsigned char *bytes = fixture_read_file(path, &size);
        // a refusal may still print on stderr somewhere below; keep it out of the test output
        fflush(stderr);
        int saved_stderr = dup(2), devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        FuzzOutcome o = fuzz_checkpoint_input(bytes, size, save_path);
        fflush(stderr);
        dup2(saved_stderr, 2);
        close(saved_stderr);
        close(devnull);
        free(bytes);
        n++;
        int loaded = o == FUZZ_LOADED_WEIGHTS || o == FUZZ_LOADED_FULL;
        if (!strncmp(e->d_name, "real_full", 9)) {
            CHECK_MSG(o == FUZZ_LOADED_FULL, "%s: outcome %d, expected a full load", e->d_name, (int)o);
            real++;
        } else if (!strncmp(e->d_name, "real_", 5)) {
            CHECK_MSG(o == FUZZ_LOADED_WEIGHTS, "%s: outcome %d, expected a weights-only load", e->d_name, (int)o);
            real++;
        } else if (!strncmp(e->d_name, "broken_", 7)) {
            CHECK_MSG(!loaded || is_tolerated(e->d_name), "%s was accepted (outcome %d)", e->d_name, (int)o);
            broken++;
        } else {
            crashes++; // crash-*: inputs that crashed the fuzzer once; any outcome but a crash will do
        }
    }
    closedir(d);
    CHECK_MSG(real >= 6 && broken >= 50, "corpus too small: %d real, %d broken", real, broken);
    printf("    %d inputs: %d real checkpoints loaded, %d broken ones refused or used safely, %d former crashes\n", n,
           real, broken, crashes);
}
