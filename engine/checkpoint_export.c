// Shipping copies of checkpoints: the tensors and metadata of the file as they are, minus the resume state,
// optionally rounded to fp16 (st_open widens them back to fp32 when the file is read).
#include "checkpoint_export.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "half.h"

int checkpoint_is_state_key(const char *key) {
    static const char *const keys[] = {"epoch", "batch_index", "valid_index", "memory.m", "memory.cm", NULL};
    if (!strncmp(key, "optim.", 6)) return 1;
    for (int i = 0; keys[i]; i++)
        if (!strcmp(key, keys[i])) return 1;
    return 0;
}

static int is_state_tensor(const char *name) { return !strncmp(name, "optim.", 6) || !strncmp(name, "memory.", 7); }

// The fp16 copy of one F32 tensor into dst, or -1 with the tensor named when a value does not fit fp16.
static int to_half(const StTensor *t, uint16_t *dst, const char *path, char *err, size_t errlen) {
    long n = (long)(t->nbytes / sizeof(float));
    const float *src = t->data;
    for (long i = 0; i < n; i++)
        if (!(fabsf(src[i]) <= 65504.0f)) {
            snprintf(err, errlen, "%s: tensor '%s' element %ld is %g, beyond fp16's range (±65504); export without "
                     "--half", path, t->name, i, (double)src[i]);
            return -1;
        }
    half_from_floats(dst, src, n);
    return 0;
}

static int meta_overridden(const ExportOptions *o, const char *key) {
    size_t n = strlen(key);
    for (int i = 0; i < o->n_meta; i++)
        if (!strncmp(o->meta[i], key, n) && o->meta[i][n] == '=') return 1;
    return 0;
}

static void add_metadata(StWriter *w, const Checkpoint *ck, const ExportOptions *o, char **pairs) {
    for (int i = 0; i < ck->file.n_meta; i++) {
        const StMeta *m = &ck->file.meta[i];
        if ((o->weights_only && checkpoint_is_state_key(m->key)) || meta_overridden(o, m->key)) continue;
        st_writer_meta(w, m->key, m->value);
    }
    for (int i = 0; i < o->n_meta; i++) {
        pairs[i] = strdup(o->meta[i]);
        if (!pairs[i]) abort();
        char *eq = strchr(pairs[i], '=');
        *eq = 0;
        st_writer_meta(w, pairs[i], eq + 1);
    }
}

int checkpoint_export(const Checkpoint *ck, const char *path, const ExportOptions *o, char *err, size_t errlen) {
    for (int i = 0; i < o->n_meta; i++) {
        const char *eq = strchr(o->meta[i], '=');
        if (!eq || eq == o->meta[i]) {
            snprintf(err, errlen, "metadata '%s' is not KEY=VALUE", o->meta[i]);
            return -1;
        }
        for (int j = 0; j < i; j++)
            if (!strncmp(o->meta[j], o->meta[i], (size_t)(eq - o->meta[i]) + 1)) {
                snprintf(err, errlen, "metadata key '%.*s' is given twice", (int)(eq - o->meta[i]), o->meta[i]);
                return -1;
            }
    }
    const StFile *f = &ck->file;
    StWriter *w = st_writer_new();
    uint16_t **halves = calloc((size_t)f->n_tensors + 1, sizeof *halves);
    char **pairs = calloc((size_t)o->n_meta + 1, sizeof *pairs);
    if (!halves || !pairs) abort();
    int rc = 0;
    for (int i = 0; i < f->n_tensors && !rc; i++) {
        const StTensor *t = &f->tensors[i];
        if (o->weights_only && is_state_tensor(t->name)) continue;
        if (!o->half || t->dtype != ST_F32) {
            st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data);
            continue;
        }
        halves[i] = half_alloc((long)(t->nbytes / sizeof(float)) + 1);
        if (!halves[i]) abort();
        rc = to_half(t, halves[i], ck->path, err, errlen);
        if (!rc) st_writer_add(w, t->name, ST_F16, t->ndim, t->shape, halves[i]);
    }
    if (!rc) {
        add_metadata(w, ck, o, pairs);
        rc = st_writer_save(w, path, err, errlen);
    }
    st_writer_free(w);
    for (int i = 0; i < f->n_tensors; i++) free(halves[i]);
    for (int i = 0; i < o->n_meta; i++) free(pairs[i]);
    free(halves);
    free(pairs);
    return rc;
}
