// memscope with no command: the TUI. Until the terminal UI lands it trains headless and says so.
#include <stdio.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/commands.h"

int cmd_tui(int argc, char **argv) {
    if (!isatty(1)) {
        fputs("memscope: stdout is not a terminal, so there is no TUI to show. Headless commands:\n"
              "  memscope train --help | eval --help | sample --help | info CKPT | bench\n", stderr);
        return 2;
    }
    fputs("memscope: the terminal UI is not built yet; training headless with the default preset instead\n", stderr);
    return cmd_train(argc, argv);
}
