// memscope: a terminal laboratory for compressive-memory transformers.
#include <stdio.h>
#include <string.h>

#include "app/commands.h"
#include "app/version.h"

static const char *const usage =
    "usage: memscope [COMMAND] [OPTIONS]\n"
    "  (no command)  the TUI: train on the default corpus and watch the memory\n"
    "  train         headless training          memscope train --help\n"
    "  eval          evaluate a checkpoint on a file\n"
    "  sample        continue a prompt\n"
    "  info          describe a checkpoint\n"
    "  tui           the TUI with options       memscope tui --help\n"
    "  bench         measure speed\n"
    "  lab           the memory lab: recall task, model comparison, ablation   memscope lab --help\n"
    "  version       the version and build (also --version)\n"
    "  help [CMD]    this text, or CMD's help\n"
    "exit status: 0 success, 1 a runtime failure (file, data, checkpoint, disk), 2 a usage error\n"
    "environment: NO_COLOR, MEMSCOPE_MEMORY_LIMIT_MB, XDG_STATE_HOME (see man memscope)\n";

typedef struct {
    const char *name;
    int (*fn)(int, char **);
} Command;

static const Command commands[] = {{"train", cmd_train}, {"eval", cmd_eval}, {"sample", cmd_sample},
                                   {"info", cmd_info},   {"tui", cmd_tui},   {"bench", cmd_bench},
                                   {"lab", cmd_lab}};

static const Command *find_command(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(name, commands[i].name)) return &commands[i];
    return NULL;
}

static int print_usage(void) {
    fputs(usage, stdout);
    return fflush(stdout) || ferror(stdout) ? 1 : 0;
}

// `memscope help CMD` is `memscope CMD --help`.
static int help(int argc, char **argv) {
    if (argc == 0) return print_usage();
    const Command *c = find_command(argv[0]);
    if (!c) {
        fprintf(stderr, "memscope help: unknown command '%s'; commands: train eval sample info tui bench lab\n", argv[0]);
        return 2;
    }
    char *args[] = {"--help", NULL};
    return c->fn(1, args);
}

int main(int argc, char **argv) {
    if (argc < 2) return cmd_tui(0, argv + 1);
    const char *cmd = argv[1];
    const Command *c = find_command(cmd);
    if (c) return c->fn(argc - 2, argv + 2);
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) return print_version(stdout);
    if (!strcmp(cmd, "help")) return help(argc - 2, argv + 2);
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) return print_usage();
    if (cmd[0] == '-') return cmd_tui(argc - 1, argv + 1);
    fprintf(stderr, "memscope: unknown command '%s'; commands: train eval sample info tui bench lab version help "
                    "(memscope --help)\n", cmd);
    return 2;
}
