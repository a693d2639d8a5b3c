// The MPI side of app/parallel.h (memscope-mpi): data parallelism over MPI_COMM_WORLD. Only the thread that
// trains calls MPI (MPI_THREAD_SERIALIZED); sums are MPI_Allreduce (MPI_SUM) in place.
#ifndef MEMSCOPE_MPI
#error "app/mpi_parallel.c is built only into memscope-mpi (make mpi)"
#endif
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/cli.h"
#include "app/parallel.h"

#define MAX_PENDING 80 // a step's sums in flight: every layer's, the head's and the embedding's, the AR's

static struct {
    int rank, n_ranks;
    int overlap;              // start_sum is an MPI_Iallreduce (else it waits at once)
    int by_layer;             // and each layer's gradients start as the backward finishes them
    MPI_Request pending[MAX_PENDING];
    int n_pending;
    double seconds, bytes;    // spent waiting in sums, and summed
    long check_every;         // steps between parameter checksums
    Ranks ranks;
} world;

// A failed rank ends without MPI_Finalize, which would wait for ranks that may be stuck in a sum: mpirun
// then takes the whole job down.
static void end_mpi(int status, void *arg) {
    (void)arg;
    if (!status) MPI_Finalize();
}

// Before main, so that main stays the one of memscope; MPI_Finalize runs at exit, after every atexit handler
// registered later (the terminal's restore among them).
__attribute__((constructor)) static void start_mpi(void) {
    int provided;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
    on_exit(end_mpi, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &world.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world.n_ranks);
    const char *overlap = getenv("MEMSCOPE_MPI_OVERLAP");
    world.overlap = !overlap || strcmp(overlap, "0");
    // One sum of the whole block by default: the presets' gradients (4.5–141 MB) are one to a few of PyTorch
    // DDP's 25 MB buckets, and every extra collective costs 2·(N−1) latencies on a ring.
    world.by_layer = overlap && !strcmp(overlap, "layer");
    const char *every = getenv("MEMSCOPE_MPI_CHECK_EVERY");
    world.check_every = every && atol(every) > 0 ? atol(every) : 100;
    if (world.rank) { // rank 0 alone speaks; the others would repeat it N - 1 times
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) return;
    }
}

int par_rank(void) { return world.rank; }
int par_ranks(void) { return world.n_ranks; }

static int count_of(long n) {
    if (n > 0x7fffffffL) {
        fprintf(stderr, "memscope-mpi: a sum of %ld floats is beyond MPI's int count\n", n);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return (int)n;
}

static void sum(void *ctx, float *data, long n) {
    (void)ctx;
    double t0 = MPI_Wtime();
    MPI_Allreduce(MPI_IN_PLACE, data, count_of(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    world.seconds += MPI_Wtime() - t0;
    world.bytes += 4.0 * n;
}

static void start_sum(void *ctx, float *data, long n) {
    if (!world.overlap || world.n_pending == MAX_PENDING) return sum(ctx, data, n);
    double t0 = MPI_Wtime();
    MPI_Iallreduce(MPI_IN_PLACE, data, count_of(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
                   &world.pending[world.n_pending++]);
    world.seconds += MPI_Wtime() - t0;
    world.bytes += 4.0 * n;
}

static void finish_sums(void *ctx) {
    (void)ctx;
    double t0 = MPI_Wtime();
    MPI_Waitall(world.n_pending, world.pending, MPI_STATUSES_IGNORE);
    world.n_pending = 0;
    world.seconds += MPI_Wtime() - t0;
}

static void gather(void *ctx, float *data, long n) {
    (void)ctx;
    if (world.rank == 0) MPI_Gather(MPI_IN_PLACE, count_of(n), MPI_FLOAT, data, count_of(n), MPI_FLOAT, 0, MPI_COMM_WORLD);
    else MPI_Gather(data + world.rank * n, count_of(n), MPI_FLOAT, NULL, 0, MPI_FLOAT, 0, MPI_COMM_WORLD);
}

static void broadcast_block(ParamBlock *b) {
    int n = count_of(b->layout.total);
    MPI_Bcast(b->params, n, MPI_FLOAT, 0, MPI_COMM_WORLD);
    MPI_Bcast(b->adam_m, n, MPI_FLOAT, 0, MPI_COMM_WORLD);
    MPI_Bcast(b->adam_v, n, MPI_FLOAT, 0, MPI_COMM_WORLD);
    MPI_Bcast(&b->adam_t, 1, MPI_LONG, 0, MPI_COMM_WORLD);
}

int par_attach(Run *r, char *err, size_t errlen) {
    world.ranks = (Ranks){world.rank, world.n_ranks, NULL, sum, start_sum, finish_sums, gather, world.by_layer};
    if (run_set_ranks(r, &world.ranks, err, errlen)) return -1;
    Model *m = r->model;
    int n_sets = par_root_decides(m->n_sets);
    if (n_sets != m->n_sets) {
        snprintf(err, errlen, "rank %d holds %d compression parameter sets, rank 0 %d: give every rank the same "
                 "checkpoint", world.rank, m->n_sets, n_sets);
        return -1;
    }
    broadcast_block(&m->main);
    for (int i = 0; i < m->n_sets; i++) broadcast_block(&m->sets[i].block);
    // tests/mpi.sh: one rank's parameters nudged, as a bit flip or a rank-dependent reduction would
    const char *nudge = getenv("MEMSCOPE_MPI_TEST_NUDGE_RANK");
    if (nudge && atoi(nudge) == world.rank && m->main.layout.total) m->main.params[0] += 1e-3f;
    return 0;
}

int par_root_decides(int value) {
    MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return value;
}

// A few thousand strided parameters and the step count: enough to see ranks drift apart, cheap every step.
static double params_checksum(const Model *m) {
    const ParamBlock *b = &m->main;
    long stride = b->layout.total / 4096 + 1;
    double s = (double)b->adam_t;
    for (long i = 0; i < b->layout.total; i += stride) s += b->params[i] * (double)(1 + i % 7);
    return s;
}

int par_check_params(const Model *m, long step, char *err, size_t errlen) {
    if (world.n_ranks < 2 || step % world.check_every) return 0;
    double c = params_checksum(m), range[2] = {c, -c};
    MPI_Allreduce(MPI_IN_PLACE, range, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (range[0] == -range[1]) return 0;
    snprintf(err, errlen, "the ranks' parameters have drifted apart (checksums from %.17g to %.17g); stopping: "
             "resume from the last checkpoint", -range[1], range[0]);
    return -1;
}

int par_save(const char *path, Run *r, char *err, size_t errlen) {
    int rc = run_save(r, path, err, errlen); // every rank gathers, rank 0 writes
    rc = par_root_decides(rc);
    if (rc && world.rank) snprintf(err, errlen, "rank 0 could not save %s", path);
    return rc;
}

double par_time_sum(long n) {
    if (world.n_ranks < 2) return 0.0;
    float *data = calloc((size_t)n + 1, sizeof(float));
    if (!data) return 0.0;
    double best = 1e30;
    for (int rep = 0; rep < 7; rep++) { // the best of 7: other processes on the cores only add time
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, data, count_of(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        double t = MPI_Wtime() - t0;
        MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (t < best) best = t;
    }
    free(data);
    return best;
}

void par_reduce_totals(double *seconds, double *bytes) {
    *seconds = world.seconds;
    *bytes = world.bytes;
}

// Nonblocking on both sides (a blocking MPI_Bcast cannot match an MPI_Ibcast).
static void broadcast_order(int order[3], int wait_sleeping) {
    MPI_Request req;
    MPI_Ibcast(order, 3, MPI_INT, 0, MPI_COMM_WORLD, &req);
    int done = 0;
    while (wait_sleeping && !done) {
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (!done) nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
    if (!done) MPI_Wait(&req, MPI_STATUS_IGNORE);
}

void par_announce(ParOrder order, int a, int b) {
    if (world.n_ranks < 2) return;
    int o[3] = {(int)order, a, b};
    broadcast_order(o, 0);
}

ParOrder par_next_order(int *a, int *b) {
    int o[3] = {0, 0, 0};
    broadcast_order(o, 1);
    *a = o[1];
    *b = o[2];
    return (ParOrder)o[0];
}

int par_built_with_mpi(void) { return 1; }
