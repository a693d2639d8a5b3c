// The one-process side of app/parallel.h: memscope itself, with no MPI.
#include "app/parallel.h"

int par_rank(void) { return 0; }
int par_ranks(void) { return 1; }

int par_attach(Run *r, char *err, size_t errlen) {
    (void)r;
    (void)err;
    (void)errlen;
    return 0;
}

int par_root_decides(int value) { return value; }

int par_check_params(const Model *m, long step, char *err, size_t errlen) {
    (void)m;
    (void)step;
    (void)err;
    (void)errlen;
    return 0;
}

int par_save(const char *path, Run *r, char *err, size_t errlen) { return run_save(r, path, err, errlen); }

double par_time_sum(long n) {
    (void)n;
    return 0.0;
}

void par_reduce_totals(double *seconds, double *bytes) {
    *seconds = 0.0;
    *bytes = 0.0;
}

void par_announce(ParOrder order, int a, int b) {
    (void)order;
    (void)a;
    (void)b;
}

ParOrder par_next_order(int *a, int *b) {
    *a = *b = 0;
    return PAR_QUIT;
}

int par_built_with_mpi(void) { return 0; }
