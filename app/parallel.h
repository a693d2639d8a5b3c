// One of several processes training one model (memscope-mpi under mpirun), or the only one (memscope).
// The commands call these; app/parallel_single.c or app/mpi_parallel.c implements them, chosen at link
// time, so the ordinary build never sees MPI.
#ifndef MEMSCOPE_PARALLEL_H
#define MEMSCOPE_PARALLEL_H

#include <stddef.h>

#include "engine/run.h"

// memscope-mpi starts MPI before main (ranks other than 0 then write nothing to stdout or stderr) and ends it
// at exit.
int par_rank(void);
int par_ranks(void);
// 1 in memscope-mpi (built with Open MPI), 0 in memscope: what --version reports.
int par_built_with_mpi(void);
// Splits the run's batch over the ranks (one line naming B and N in err when it does not split) and
// gives every rank rank 0's parameters and optimizer state.
int par_attach(Run *r, char *err, size_t errlen);
// Rank 0's value, on every rank: decisions made from a clock or a signal must be the same everywhere.
int par_root_decides(int value);
// Every 100th step (MEMSCOPE_MPI_CHECK_EVERY steps), on every rank after the same step: compares a checksum
// of the parameters across ranks; -1 and a line in err when they have drifted apart.
int par_check_params(const Model *m, long step, char *err, size_t errlen);
// The TUI under mpirun: rank 0's trainer thread announces every action that involves all ranks (or
// changes what they compute) just before it, and the other ranks, in tui_follow, wait for the next order
// (sleeping, not spinning: a paused TUI leaves the cores idle) and do the same.
typedef enum { PAR_STEP = 1, PAR_VALIDATE, PAR_RATE, PAR_COMPRESSION, PAR_SAVE, PAR_QUIT } ParOrder;
void par_announce(ParOrder order, int a, int b); // rank 0; nothing with one rank
ParOrder par_next_order(int *a, int *b);         // the other ranks
// Gathers every rank's streams of the training memory and saves on rank 0; every rank gets its result.
int par_save(const char *path, Run *r, char *err, size_t errlen);
// Seconds one sum of n floats takes across the ranks when they all arrive at once (after a barrier): the
// transfer alone, without the wait for a slower rank that a training step adds. 0 with one rank.
double par_time_sum(long n);
// Seconds this rank waited in the ranks' sums (allreduce) since the start, and the bytes it summed.
void par_reduce_totals(double *seconds, double *bytes);

#endif
