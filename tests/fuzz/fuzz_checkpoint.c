// libFuzzer harness for the checkpoint loader (see checkpoint_target.h). Built by `make fuzz` with
// clang -fsanitize=fuzzer,address,undefined; tests/fuzz/run.sh runs it over tests/fuzz/corpus.
#include "tests/fuzz/checkpoint_target.h"

#include <cblas.h>

static char save_path[256];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    // The budget check in build_model refuses what would not fit in 256 MB, so any single allocation
    // above -malloc_limit_mb is one that escaped it: a finding.
    setenv("MEMSCOPE_MEMORY_LIMIT_MB", "256", 1);
    openblas_set_num_threads(1);
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(save_path, sizeof save_path, "%s/memscope-fuzz-%d.safetensors", dir, (int)getpid());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_checkpoint_input(data, size, save_path);
    return 0;
}
