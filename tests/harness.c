// Runner: forks one process per registered test, prints each failure and a closing summary line.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS 1024

typedef struct {
    const char *name;
    const char *file;
    test_fn fn;
} TestCase;

static TestCase tests[MAX_TESTS];
static int n_tests;
static char tmpdir[512];

void test_register(const char *name, const char *file, test_fn fn) {
    if (n_tests == MAX_TESTS) {
        fprintf(stderr, "harness: more than %d tests; raise MAX_TESTS\n", MAX_TESTS);
        exit(2);
    }
    tests[n_tests++] = (TestCase){name, file, fn};
}

void test_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "    %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
    _exit(1);
}

const char *test_tmpdir(void) {
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(tmpdir, sizeof tmpdir, "%s/memscope-test-XXXXXX", base);
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            _exit(1);
        }
    }
    return tmpdir;
}

const char *test_path(const char *name) {
    static char paths[16][1024];
    static int k;
    char *p = paths[k++ % 16];
    snprintf(p, sizeof paths[0], "%s/%s", test_tmpdir(), name);
    return p;
}

static void remove_tmpdir(void) {
    if (!tmpdir[0]) return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "harness: could not remove %s\n", tmpdir);
}

static int run_one(const TestCase *t, int fork_each) {
    if (!fork_each) {
        t->fn();
        return 1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 0;
    }
    if (pid == 0) {
        t->fn();
        remove_tmpdir();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) fprintf(stderr, "    killed by signal %d\n", WTERMSIG(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv) {
    const char *filter = NULL;
    int fork_each = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-fork")) fork_each = 0;
        else if (!strcmp(argv[i], "--list")) {
            for (int k = 0; k < n_tests; k++) printf("%s\n", tests[k].name);
            return 0;
        } else filter = argv[i];
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *suite = getenv("MEMSCOPE_SUITE") ? getenv("MEMSCOPE_SUITE") : "unit";
    int passed = 0, failed = 0;
    for (int k = 0; k < n_tests; k++) {
        if (filter && !strstr(tests[k].name, filter)) continue;
        int ok = run_one(&tests[k], fork_each);
        printf("%s %s (%s)\n", ok ? "PASS" : "FAIL", tests[k].name, tests[k].file);
        if (ok) passed++;
        else failed++;
    }
    printf("%s: %d passed, %d failed\n", suite, passed, failed);
    return failed ? 1 : 0;
}
