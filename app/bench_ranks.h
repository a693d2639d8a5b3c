// memscope bench --mpi (app/bench_ranks.c).
#ifndef MEMSCOPE_BENCH_RANKS_H
#define MEMSCOPE_BENCH_RANKS_H

int bench_ranks(int argc, char **argv);

#endif
