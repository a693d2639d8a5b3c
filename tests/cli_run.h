// Running the memscope binary from a test: exit status, stdout and stderr of one command line.
#ifndef MEMSCOPE_CLI_RUN_H
#define MEMSCOPE_CLI_RUN_H

#include <string.h>

#include "tests/harness.h"

typedef struct {
    int status; // exit code, or 128 + signal
    char err[8192], out[8192];
} RunResult;

// The binary under test: $MEMSCOPE_BIN, default build/memscope.
const char *binary(void);
// Runs "$MEMSCOPE_BIN ARGS" (default build/memscope) with stdin from /dev/null.
RunResult run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int count_lines(const char *s);
// Reads up to n-1 bytes of a file into buf (empty when it cannot be read).
void read_into(const char *path, char *buf, size_t n);

// A clean refusal: non-zero exit below 128 (no signal, no sanitizer abort), exactly one stderr line
// containing `needle`.
#define CHECK_REFUSED(r, needle)                                                                          \
    do {                                                                                                  \
        CHECK_MSG((r).status != 0 && (r).status < 128, "exit status %d, stderr: %s", (r).status, (r).err);   \
        CHECK_MSG(count_lines((r).err) == 1, "expected one stderr line, got: %s", (r).err);              \
        CHECK_MSG(strstr((r).err, needle), "stderr lacks '%s': %s", needle, (r).err);                     \
    } while (0)

#endif
