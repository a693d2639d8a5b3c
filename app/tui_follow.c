// The ranks of `memscope-mpi tui` other than 0: no screen, the same training as rank 0's trainer thread.
#include "app/tui_follow.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "app/parallel.h"

int tui_follow(Run *r) {
    Model *m = r->model;
    // mpirun signals every rank; rank 0 decides (a save, then QUIT), the others must live to follow it
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    char err[1024];
    for (;;) {
        int a, b;
        switch (par_next_order(&a, &b)) {
        case PAR_STEP:
            run_step(r, NULL);
            par_check_params(m, run_steps(r), err, sizeof err); // rank 0 reports and stops
            break;
        case PAR_VALIDATE: run_validate(r, a, b, NULL, NULL); break; // rank 0's segments, in step
        case PAR_RATE: // rank 0 applied it already, so it cannot fail here but for memory
            if (model_set_rate(m, a, err, sizeof err)) return 1;
            break;
        case PAR_COMPRESSION:
            if (model_set_compression(m, a, b, err, sizeof err)) return 1;
            break;
        case PAR_SAVE: par_save("", r, err, sizeof err); break;
        case PAR_QUIT: return 0;
        }
    }
}

static pid_t terminal_owner;

static void give_terminal_back(void) { tcsetpgrp(0, terminal_owner); }

int tui_take_terminal(char *err, size_t errlen) {
    const char *tty = getenv("MEMSCOPE_TTY");
    if (!tty || !tty[0]) {
        snprintf(err, errlen, "under mpirun the TUI needs your terminal: run MEMSCOPE_TTY=$(tty) mpirun --stdin none "
                 "-x MEMSCOPE_TTY -np N memscope-mpi tui ...");
        return -1;
    }
    if (!freopen(tty, "r", stdin) || !freopen(tty, "w", stdout)) {
        snprintf(err, errlen, "cannot open the terminal MEMSCOPE_TTY=%s", tty);
        return -1;
    }
    // mpirun's process group has the terminal; reading it from ours would fail (EIO) until we take it
    signal(SIGTTOU, SIG_IGN);
    terminal_owner = tcgetpgrp(0);
    if (terminal_owner > 0 && terminal_owner != getpgrp() && !tcsetpgrp(0, getpgrp())) atexit(give_terminal_back);
    return 0;
}
