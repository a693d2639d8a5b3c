// memscope bench --mpi (app/bench_ranks.c).
#ifndef MEMSCOPE_BENCH_RANKS_H
#define MEMSCOPE_BENCH_RANKS_H

#include "engine/config.h"
#include "engine/data.h"

int bench_ranks(int argc, char **argv);
// A preset's config on corpus, from seed 0: what every figure of bench and bench --mpi is measured on.
void bench_config(Config *cfg, const char *preset, const Corpus *corpus);

#endif
