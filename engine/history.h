// The loss history of a run: (step, value) points of training CE and of validation CE, kept in a
// bounded series that checkpoints carry, so a resumed run shows its whole curve. When the series is
// full, neighbouring points merge pairwise (mean value, later step) and `stride` doubles; new values
// are then averaged `stride` at a time before they become a point.
#ifndef MEMSCOPE_HISTORY_H
#define MEMSCOPE_HISTORY_H

#include <stddef.h>

#define HISTORY_POINTS 1024

typedef struct {
    int count;             // stored points, oldest first
    int stride;            // raw values per stored point (1, 2, 4, ...); 0 reads as 1
    int pend_n;            // raw values waiting to form the next point
    long pend_step;        // step of the newest waiting value
    double pend_sum;
    long step[HISTORY_POINTS];
    float value[HISTORY_POINTS];
} History;

void history_reset(History *h);
void history_push(History *h, long step, float value); // non-finite values are ignored
// Stored points plus the partial point being averaged (so the newest value is always there).
int history_len(const History *h);
void history_at(const History *h, int i, long *step, float *value);

// Compact JSON: [[step,value],...] with values to 7 significant digits. Returns the bytes needed
// (excluding the NUL), like snprintf; out may be NULL when outlen is 0.
size_t history_to_json(const History *h, char *out, size_t outlen);
// Parses what history_to_json writes (any JSON whitespace allowed). Steps must be whole numbers >= 0
// in non-decreasing order, values finite. More than HISTORY_POINTS points are merged down as pushes
// would. Returns 0, or -1 with a message naming what is wrong.
int history_from_json(History *h, const char *json, char *err, size_t errlen);

#endif
