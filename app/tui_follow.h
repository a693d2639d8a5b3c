// memscope-mpi tui: the ranks other than 0 train in lock-step with rank 0's TUI.
#ifndef MEMSCOPE_APP_TUI_FOLLOW_H
#define MEMSCOPE_APP_TUI_FOLLOW_H

#include <stddef.h>

#include "engine/run.h"

// Does what rank 0's trainer thread announces (app/parallel.h) until it quits; returns the exit status.
int tui_follow(Run *r);
// Rank 0 of several: mpirun's stdin is a pipe and its stdout not the user's terminal, so the TUI reads
// and draws on the terminal named by MEMSCOPE_TTY. -1 and a line in err without it.
int tui_take_terminal(char *err, size_t errlen);

#endif
