// memscope: a terminal laboratory for compressive-memory transformers.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/commands.h"
#include "app/config_help.h"
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
    "  watch         read a text with a trained model, step by step (read-only TUI)\n"
    "  demo          watch the shipped model read Shakespeare, with a guided tour\n"
    "  export        copy a checkpoint: weights only, fp16, or labml's names\n"
    "  import        convert a labml.ai state dict into a checkpoint\n"
    "  version       the version and build (also --version)\n"
    "  help [CMD]    this text, or CMD's help; help keys: every config key with its range and help\n"
    EXIT_STATUS_HELP
    "environment: NO_COLOR, MEMSCOPE_MEMORY_LIMIT_MB, XDG_STATE_HOME (see man memscope)\n";

typedef struct {
    const char *name;
    int (*fn)(int, char **);
} Command;

static const Command commands[] = {{"train", cmd_train},   {"eval", cmd_eval},     {"sample", cmd_sample},
                                   {"info", cmd_info},     {"tui", cmd_tui},       {"bench", cmd_bench},
                                   {"lab", cmd_lab},       {"watch", cmd_watch},   {"demo", cmd_demo},
                                   {"export", cmd_export}, {"import", cmd_import}};

static const Command *find_command(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(name, commands[i].name)) return &commands[i];
    return NULL;
}

static int print_usage(void) {
    fputs(usage, stdout);
    return fflush(stdout) || ferror(stdout) ? 1 : 0;
}

static const char *const version_help =
    "usage: memscope version   (or memscope --version)\n"
    "Prints the version, the build choices that matter (fp16 kernels, AVX-512 row products, MPI) and OpenBLAS's\n"
    "configuration string.\n" EXIT_STATUS_HELP;

// version takes no options but --help.
static int version(int argc, char **argv) {
    if (argc == 0) return print_version(stdout);
    if (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) return fputs(version_help, stdout), 0;
    fprintf(stderr, "memscope version: unexpected argument '%s'; memscope version takes none\n", argv[0]);
    return 2;
}

// `memscope help CMD` is `memscope CMD --help`.
static int help(int argc, char **argv) {
    if (argc == 0) return print_usage();
    if (!strcmp(argv[0], "help")) return print_usage();
    if (!strcmp(argv[0], "version")) return fputs(version_help, stdout), 0;
    if (!strcmp(argv[0], "keys")) return print_config_keys(stdout);
    const Command *c = find_command(argv[0]);
    if (!c) {
        fprintf(stderr, "memscope help: unknown command '%s'; commands: train eval sample info tui bench lab watch demo "
                        "export import version help, or keys\n", argv[0]);
        return 2;
    }
    char *args[] = {"--help", NULL};
    return c->fn(1, args);
}

// A closed standard descriptor must stay taken: otherwise the next file opened (a --log) becomes fd 1 and
// printf writes into it. /dev/null opened read-only holds the place and makes every write to it fail, so a
// closed stdout shows up as the write error it is.
static void hold_standard_fds(void) {
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            int held = open("/dev/null", O_RDONLY);
            if (held >= 0 && held != fd) {
                dup2(held, fd);
                close(held);
            }
        }
}

// Output a command printed but could not deliver (stdout closed, full, a pipe closed early) is a failure: one
// line on stderr and status 1, after the command has finished its work (train has saved).
static int finish_stdout(const char *cmd, int rc) {
    errno = 0;
    int flushed = fflush(stdout) == 0;
    int e = errno;
    if (flushed && !ferror(stdout)) return rc;
    fprintf(stderr, "memscope %s: cannot write to standard output (%s)\n", cmd, e ? strerror(e) : "write error");
    return rc ? rc : 1;
}

static int run_command(int argc, char **argv) {
    if (argc < 2) return cmd_tui(0, argv + 1);
    const char *cmd = argv[1];
    const Command *c = find_command(cmd);
    if (c) return c->fn(argc - 2, argv + 2);
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) return version(argc - 2, argv + 2);
    if (!strcmp(cmd, "help")) return help(argc - 2, argv + 2);
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) return print_usage();
    if (cmd[0] == '-') return cmd_tui(argc - 1, argv + 1);
    fprintf(stderr, "memscope: unknown command '%s'; commands: train eval sample info tui bench lab watch demo "
                    "export import version help (memscope --help)\n", cmd);
    return 2;
}

int main(int argc, char **argv) {
    hold_standard_fds();
    // Writing to a closed pipe returns EPIPE instead of killing the process: a training is never lost to a
    // `| head`, and every command reports the failed write (finish_stdout) instead of dying silently.
    signal(SIGPIPE, SIG_IGN);
    int rc = run_command(argc, argv);
    char name[64] = "tui";
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--version")))
        snprintf(name, sizeof name, "%s", argv[1] + (argv[1][1] == '-' ? 2 : 1));
    else if (argc >= 2 && argv[1][0] != '-')
        snprintf(name, sizeof name, "%s%s%.40s", argv[1], !strcmp(argv[1], "lab") && argc >= 3 ? " " : "",
                 !strcmp(argv[1], "lab") && argc >= 3 ? argv[2] : "");
    return finish_stdout(name, rc);
}
