// memscope: a terminal laboratory for compressive-memory transformers.
#include <stdio.h>
#include <string.h>

#include "app/commands.h"

static const char *const usage =
    "usage: memscope [COMMAND] [OPTIONS]\n"
    "  (no command)  the TUI: train on the default corpus and watch the memory\n"
    "  train         headless training          memscope train --help\n"
    "  eval          evaluate a checkpoint on a file\n"
    "  sample        continue a prompt\n"
    "  info          describe a checkpoint\n"
    "  tui           the TUI with options       memscope tui --help\n"
    "  bench         measure speed\n"
    "  lab           the memory lab: recall task, model comparison, ablation   memscope lab --help\n";

int main(int argc, char **argv) {
    if (argc < 2) return cmd_tui(0, argv + 1);
    const char *cmd = argv[1];
    struct {
        const char *name;
        int (*fn)(int, char **);
    } table[] = {{"train", cmd_train}, {"eval", cmd_eval}, {"sample", cmd_sample},
                 {"info", cmd_info},   {"tui", cmd_tui},   {"bench", cmd_bench}, {"lab", cmd_lab}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(cmd, table[i].name)) return table[i].fn(argc - 2, argv + 2);
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) return fputs(usage, stdout), 0;
    if (cmd[0] == '-') return cmd_tui(argc - 1, argv + 1);
    fprintf(stderr, "memscope: unknown command '%s'; commands: train eval sample info tui bench lab (memscope --help)\n", cmd);
    return 2;
}
