// Loss history: a downsampling series and its JSON form for checkpoint metadata.
#include "history.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void history_reset(History *h) {
    memset(h, 0, sizeof *h);
    h->stride = 1;
}

static void merge_pairs(History *h) {
    int n = 0;
    for (int i = 0; i + 1 < h->count; i += 2, n++) {
        h->step[n] = h->step[i + 1];
        h->value[n] = (h->value[i] + h->value[i + 1]) / 2;
    }
    if (h->count % 2) { // an odd last point stays as it is
        h->step[n] = h->step[h->count - 1];
        h->value[n] = h->value[h->count - 1];
        n++;
    }
    h->count = n;
    h->stride = (h->stride > 0 ? h->stride : 1) * 2;
}

static void store(History *h, long step, float value) {
    if (h->count == HISTORY_POINTS) merge_pairs(h);
    h->step[h->count] = step;
    h->value[h->count] = value;
    h->count++;
}

void history_push(History *h, long step, float value) {
    if (!isfinite(value)) return;
    h->pend_sum += value;
    h->pend_step = step;
    if (++h->pend_n < (h->stride > 0 ? h->stride : 1)) return;
    store(h, step, (float)(h->pend_sum / h->pend_n));
    h->pend_n = 0;
    h->pend_sum = 0;
}

int history_len(const History *h) { return h->count + (h->pend_n > 0); }

void history_at(const History *h, int i, long *step, float *value) {
    if (i < h->count) {
        *step = h->step[i];
        *value = h->value[i];
    } else {
        *step = h->pend_step;
        *value = (float)(h->pend_sum / h->pend_n);
    }
}

size_t history_to_json(const History *h, char *out, size_t outlen) {
    size_t used = 0;
    char one[64];
    for (int i = -1; i <= history_len(h); i++) {
        int n;
        if (i < 0) n = snprintf(one, sizeof one, "[");
        else if (i == history_len(h)) n = snprintf(one, sizeof one, "]");
        else {
            long step;
            float v;
            history_at(h, i, &step, &v);
            n = snprintf(one, sizeof one, "%s[%ld,%.7g]", i ? "," : "", step, v);
        }
        if (used + (size_t)n < outlen) memcpy(out + used, one, (size_t)n + 1);
        used += (size_t)n;
    }
    if (outlen && used >= outlen) out[outlen - 1] = 0;
    return used;
}

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

static int bad(char *err, size_t errlen, const char *what, int point) {
    if (point >= 0) snprintf(err, errlen, "point %d: %s", point, what);
    else snprintf(err, errlen, "%s", what);
    return -1;
}

int history_from_json(History *h, const char *json, char *err, size_t errlen) {
    history_reset(h);
    const char *p = skip_ws(json);
    if (*p++ != '[') return bad(err, errlen, "not a JSON array of [step, value] pairs", -1);
    p = skip_ws(p);
    long last = 0;
    for (int i = 0; *p != ']'; i++) {
        if (i > 0 && *p++ != ',') return bad(err, errlen, "expected ',' or ']' between points", i);
        p = skip_ws(p);
        if (*p++ != '[') return bad(err, errlen, "expected a [step, value] pair", i);
        char *end;
        errno = 0;
        long long step = strtoll(skip_ws(p), &end, 10);
        if (end == skip_ws(p) || errno || step < 0 || step < last)
            return bad(err, errlen, "the step is not a whole number >= 0 at or after the previous one", i);
        p = skip_ws(end);
        if (*p++ != ',') return bad(err, errlen, "expected ',' between step and value", i);
        p = skip_ws(p);
        if (!*p || isspace((unsigned char)*p)) return bad(err, errlen, "the value is missing", i);
        double v = strtod(p, &end);
        if (end == p || !isfinite(v)) return bad(err, errlen, "the value is not a finite number", i);
        p = skip_ws(end);
        if (*p++ != ']') return bad(err, errlen, "expected ']' after the value", i);
        p = skip_ws(p);
        store(h, (long)step, (float)v);
        last = (long)step;
        if (!*p) return bad(err, errlen, "the array is not closed", -1);
    }
    if (*skip_ws(p + 1)) return bad(err, errlen, "text after the array", -1);
    return 0;
}
