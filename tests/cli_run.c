#include "tests/cli_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

const char *binary(void) {
    const char *b = getenv("MEMSCOPE_BIN");
    return b ? b : "build/memscope";
}

void read_into(const char *path, char *buf, size_t n) {
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    size_t k = fread(buf, 1, n - 1, f);
    buf[k] = 0;
    fclose(f);
}

RunResult run(const char *fmt, ...) {
    static char args[200000], cmd[202000];
    char out_path[600], err_path[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(out_path, sizeof out_path, "%s/stdout", test_tmpdir());
    snprintf(err_path, sizeof err_path, "%s/stderr", test_tmpdir());
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s </dev/null", binary(), args, out_path, err_path);
    int st = system(cmd);
    RunResult r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    read_into(out_path, r.out, sizeof r.out);
    read_into(err_path, r.err, sizeof r.err);
    return r;
}

int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}
