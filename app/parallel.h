// One of several processes training one model (memscope-mpi under mpirun), or the only one (memscope).
// The commands call these; app/parallel_single.c or app/mpi_parallel.c implements them, chosen at link
// time, so the ordinary build never sees MPI.
#ifndef MEMSCOPE_PARALLEL_H
#define MEMSCOPE_PARALLEL_H

#include <stddef.h>

#include "engine/checkpoint.h"
#include "engine/trainer.h"

// Starts MPI (memscope-mpi); ranks other than 0 then write nothing to stdout or stderr.
void par_init(int *argc, char ***argv);
// Ends MPI; returns status.
int par_finish(int status);
int par_rank(void);
int par_ranks(void);
// Splits the trainer's batch over the ranks (one line naming B and N in err when it does not split) and
// gives every rank rank 0's parameters and optimizer state.
int par_attach(Trainer *t, char *err, size_t errlen);
// Rank 0's value, on every rank: decisions made from a clock or a signal must be the same everywhere.
int par_root_decides(int value);
// Compares a checksum of the parameters across ranks: -1 and a line in err when they have drifted apart.
int par_check_params(const Model *m, char *err, size_t errlen);
// Gathers every rank's streams of the training memory and saves on rank 0; every rank gets its result.
int par_save(const char *path, const Model *m, const Vocab *vocab, Trainer *t, char *err, size_t errlen);
// Seconds this rank waited in the ranks' sums (allreduce) since the start, and the bytes it summed.
void par_reduce_totals(double *seconds, double *bytes);

#endif
