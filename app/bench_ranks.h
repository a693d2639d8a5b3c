// memscope bench --mpi (app/bench_ranks.c).
#ifndef MEMSCOPE_BENCH_RANKS_H
#define MEMSCOPE_BENCH_RANKS_H

#include "engine/config.h"

int bench_ranks(int argc, char **argv);
// Steps until memory and compressed memory are full, so timed steps are steady-state ones (both benches).
int bench_warmup_steps(const Config *c);

#endif
