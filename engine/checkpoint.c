#include "checkpoint.h"

#include "version.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_TAG "memscope-1"
// Bounds on the counters of a saved position: far beyond any real run, small enough that the step
// and epoch arithmetic of a resumed run cannot overflow.
#define MAX_STEP 1000000000000000L
#define MAX_EPOCH 1000000000L

// ---------------------------------------------------------------- vocabulary as JSON

void vocab_to_json(const Vocab *v, char *out, size_t outlen) {
    size_t k = 0;
    if (outlen < 8) return;
    out[k++] = '"';
    for (int i = 0; i < v->size && k + 8 < outlen; i++) {
        unsigned char ch = v->chars[i];
        if (ch == '"' || ch == '\\') k += snprintf(out + k, outlen - k, "\\%c", ch);
        else if (ch == '\n') k += snprintf(out + k, outlen - k, "\\n");
        else if (ch >= 0x20 && ch < 0x7f) out[k++] = (char)ch;
        else k += snprintf(out + k, outlen - k, "\\u%04x", ch);
    }
    out[k++] = '"';
    out[k] = 0;
}

static int hex_value(const char *s, int digits) {
    int v = 0;
    for (int i = 0; i < digits; i++) {
        char c = s[i];
        int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (x < 0) return -1;
        v = v * 16 + x;
    }
    return v;
}

// Reads one character of a JSON string body; code points up to U+00FF are bytes (latin-1), as a
// byte vocabulary written by Python with ensure_ascii gives them.
static int next_vocab_char(const char **p) {
    const unsigned char *s = (const unsigned char *)*p;
    if (*s != '\\') {
        if (*s >= 0xc2 && *s <= 0xc3 && (s[1] & 0xc0) == 0x80) { // UTF-8 of U+0080..U+00FF
            *p += 2;
            return ((s[0] & 0x1f) << 6) | (s[1] & 0x3f);
        }
        if (*s >= 0x80) return -1;
        *p += 1;
        return *s;
    }
    *p += 2;
    switch (s[1]) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'u': {
        int v = hex_value((const char *)s + 2, 4);
        *p += 4;
        return v >= 0 && v <= 0xff ? v : -1;
    }
    default: return -1;
    }
}

int vocab_from_json(Vocab *v, const char *json) {
    memset(v, 0, sizeof *v);
    for (int i = 0; i < 256; i++) v->ids[i] = -1;
    const char *p = json;
    int quoted = *p == '"';
    if (quoted) p++;
    while (*p && !(quoted && *p == '"')) {
        int ch = next_vocab_char(&p);
        if (ch < 0 || v->ids[ch] >= 0 || (v->size && ch < v->chars[v->size - 1])) return -1;
        v->ids[ch] = (int16_t)v->size;
        v->chars[v->size++] = (unsigned char)ch;
    }
    if (quoted && (*p != '"' || p[1])) return -1;
    return v->size > 0 ? 0 : -1;
}

// ---------------------------------------------------------------- reading

static int meta_int(const Checkpoint *ck, const char *key, long *out, int required, char *err, size_t errlen) {
    const char *s = st_meta(&ck->file, key);
    if (!s) {
        if (required) snprintf(err, errlen, "%s: metadata '%s' is missing; not a memscope/model.md checkpoint", ck->path, key);
        return required ? -1 : 1;
    }
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end) {
        snprintf(err, errlen, "%s: metadata '%s'='%s' is not a whole number", ck->path, key, s);
        return -1;
    }
    *out = v;
    return 0;
}

// key=text through config_set, its message prefixed.
static int set_from_meta(Checkpoint *ck, const char *key, const char *text, const char *prefix, char *err,
                         size_t errlen) {
    char assign[128], sub[256];
    snprintf(assign, sizeof assign, "%s=%s", key, text);
    if (!config_set(&ck->cfg, assign, sub, sizeof sub)) return 0;
    snprintf(err, errlen, "%s: %s%s", ck->path, prefix, sub);
    return -1;
}

// The config keys of the metadata, by the kind config_key_table gives each: the model keys must be there;
// a key with an `absent` meaning (model.md files carry no compression choice nor an lr decay) takes it;
// the other training keys may all be missing (a file written elsewhere).
static int read_config(Checkpoint *ck, char *err, size_t errlen) {
    for (int i = 0; i < config_key_count; i++) {
        const ConfigKey *k = &config_key_table[i];
        if (k->kind != CONFIG_MODEL_KEY) continue;
        long v;
        if (meta_int(ck, k->name, &v, 1, err, errlen)) return -1;
        if (v < -1000000 || v > 1000000) v = -1; // let validation name it
        *(int *)((char *)&ck->cfg + k->offset) = (int)v;
    }
    // Missing training keys start as the default preset's (build_config replaces them with the chosen
    // preset's), so ck->cfg always validates.
    Config defaults;
    config_preset(&defaults, "default");
    for (int i = 0; i < config_key_count; i++) {
        const ConfigKey *k = &config_key_table[i];
        const char *s = st_meta(&ck->file, k->name);
        if (k->kind != CONFIG_MODEL_KEY && k->absent && set_from_meta(ck, k->name, s ? s : k->absent, "metadata: ",
                                                                       err, errlen))
            return -1;
    }
    ck->has_training_keys = 1;
    for (int i = 0; i < config_key_count; i++) {
        const ConfigKey *k = &config_key_table[i];
        if (k->kind == CONFIG_MODEL_KEY || k->absent) continue;
        const char *s = st_meta(&ck->file, k->name);
        char preset_value[64];
        if (!s) {
            ck->has_training_keys = 0;
            config_get(&defaults, k->name, preset_value, sizeof preset_value);
            s = preset_value;
        }
        if (set_from_meta(ck, k->name, s, "", err, errlen)) return -1;
    }
    return 0;
}

// Parameters of the model the metadata describes (main tensors + the active rate's convs), as in
// model.c; every factor is range-checked by config_validate, so the product fits easily in 64 bits.
static uint64_t expected_params(const Config *c) {
    uint64_t d = (uint64_t)c->d_model, V = (uint64_t)c->vocab_size, ff = (uint64_t)c->d_ff, L = (uint64_t)c->n_layers;
    uint64_t R = (uint64_t)config_rel_len(c), H = (uint64_t)c->n_heads, rate = (uint64_t)c->compression_rate;
    uint64_t layer = 4 * d * d + 8 * d + R * d + R * H + 2 * ff * d + ff;
    return 2 * V * d + V + 2 * d + L * layer + L * (d * d * rate + d);
}

// Before anything is allocated for it, the model the metadata describes must be one the file can
// hold: metadata claiming d_model=8192 and 64 layers over a few kilobytes of tensors is refused here
// rather than after gigabytes have been set aside for parameters, gradients and Adam moments.
static int check_tensor_bytes(const Checkpoint *ck, char *err, size_t errlen) {
    uint64_t have = 0;
    for (int i = 0; i < ck->file.n_tensors; i++)
        if (ck->file.tensors[i].dtype == ST_F32) have += ck->file.tensors[i].nbytes; // no overlaps: <= file size
    uint64_t need = expected_params(&ck->cfg) * sizeof(float);
    if (need <= have) return 0;
    snprintf(err, errlen, "%s: metadata describes a model of %" PRIu64 " parameters (%" PRIu64 " bytes of F32 "
             "tensors) but the file holds %" PRIu64 " bytes of them; the metadata and the tensors disagree", ck->path,
             expected_params(&ck->cfg), need, have);
    return -1;
}

// One tensor the config fixes the shape of: present, F32 and of that shape, or a message naming it.
static int check_shape(const Checkpoint *ck, const char *name, int ndim, const int64_t *shape, char *err,
                       size_t errlen) {
    const StTensor *t = st_find(&ck->file, name);
    if (!t) {
        snprintf(err, errlen, "%s: tensor '%s' is missing", ck->path, name);
        return -1;
    }
    int same = t->dtype == ST_F32 && t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (same) return 0;
    char want[96] = "";
    for (int i = 0; i < ndim; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", i ? "," : "", (long long)shape[i]);
    snprintf(err, errlen, "%s: tensor '%s' does not match the config: expected F32 [%s]", ck->path, name, want);
    return -1;
}

// Tensors whose shapes together involve every model key, checked against the metadata before anything
// is allocated, so that metadata disagreeing with the tensors is named precisely (and cheaply).
static int check_key_tensors(const Checkpoint *ck, char *err, size_t errlen) {
    const Config *c = &ck->cfg;
    int64_t d = c->d_model, V = c->vocab_size, H = c->n_heads, R = config_rel_len(c);
    char name[96];
    int64_t embed[2] = {V, d}, rel[3] = {R, H, d / H}, up[2] = {c->d_ff, d}, conv[3] = {d, d, c->compression_rate};
    if (check_shape(ck, "embed.weight", 2, embed, err, errlen)) return -1;
    snprintf(name, sizeof name, "layers.%d.attn.rel_key", c->n_layers - 1);
    if (check_shape(ck, name, 3, rel, err, errlen)) return -1;
    snprintf(name, sizeof name, "layers.%d.ffn.up.weight", c->n_layers - 1);
    if (check_shape(ck, name, 2, up, err, errlen)) return -1;
    snprintf(name, sizeof name, "layers.%d.compress.weight", c->n_layers - 1);
    return check_shape(ck, name, 3, conv, err, errlen);
}

int checkpoint_open(Checkpoint *ck, const char *path, char *err, size_t errlen) {
    memset(ck, 0, sizeof *ck);
    snprintf(ck->path, sizeof ck->path, "%s", path);
    if (st_open(&ck->file, path, err, errlen)) return -1;
    const char *vocab = st_meta(&ck->file, "vocab");
    if (!vocab) {
        snprintf(err, errlen, "%s: metadata 'vocab' is missing; the checkpoint cannot map characters", path);
        goto fail;
    }
    if (vocab_from_json(&ck->vocab, vocab)) {
        snprintf(err, errlen, "%s: metadata 'vocab' is not a JSON string of distinct characters in byte order", path);
        goto fail;
    }
    if (read_config(ck, err, errlen)) goto fail;
    ck->cfg.vocab_size = ck->vocab.size;
    char sub[400];
    if (config_validate(&ck->cfg, sub, sizeof sub)) {
        snprintf(err, errlen, "%s: %s", path, sub);
        goto fail;
    }
    if (check_key_tensors(ck, err, errlen) || check_tensor_bytes(ck, err, errlen)) goto fail;
    ck->has_state = st_meta(&ck->file, "optim.t") != NULL;
    long step = 0;
    if (meta_int(ck, "step", &step, 0, err, errlen) < 0) goto fail;
    if (step < 0 || step > MAX_STEP) {
        snprintf(err, errlen, "%s: metadata 'step'=%ld is out of range; allowed 0 to %ld", path, step, MAX_STEP);
        goto fail;
    }
    ck->step = step;
    ck->writer_version = st_meta(&ck->file, "memscope_version");
    return 0;
fail:
    st_close(&ck->file);
    return -1;
}

void checkpoint_close(Checkpoint *ck) { st_close(&ck->file); }

// Index of the first NaN or Inf among x[0..n), or -1.
static long first_non_finite_at(const float *x, long n) {
    for (long i = 0; i < n; i++)
        if (!isfinite(x[i])) return i;
    return -1;
}

static int copy_tensor(const Checkpoint *ck, const char *name, const TensorInfo *want, float *dst, int required,
                       char *err, size_t errlen) {
    const StTensor *t = st_find(&ck->file, name);
    if (!t) {
        if (required) snprintf(err, errlen, "%s: tensor '%s' is missing", ck->path, name);
        return required ? -1 : 1;
    }
    int same = t->dtype == ST_F32 && t->ndim == want->ndim;
    for (int i = 0; same && i < want->ndim; i++) same = t->shape[i] == want->shape[i];
    if (!same) {
        char shape[96] = "";
        for (int i = 0; i < want->ndim; i++)
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%lld", i ? "," : "", (long long)want->shape[i]);
        snprintf(err, errlen, "%s: tensor '%s' does not match the config: expected F32 [%s]", ck->path, name, shape);
        return -1;
    }
    memcpy(dst, t->data, sizeof(float) * want->numel);
    long bad = first_non_finite_at(dst, want->numel);
    if (bad >= 0) {
        snprintf(err, errlen, "%s: tensor '%s' holds NaN or Inf (element %ld); the checkpoint is damaged", ck->path,
                 name, bad);
        return -1;
    }
    return 0;
}

// A decoder is optional when the file was not trained with the autoencode loss: choosing that loss on --load
// starts fresh decoders.
static int tensor_required(const Checkpoint *ck, const char *name) {
    return ck->cfg.compress_loss == COMPRESS_LOSS_AUTOENCODE || !strstr(name, ".decoder.");
}

// The tensors of block b (of compression set cs, or the main block when NULL) under `prefix` into dst.
static int load_block(const Checkpoint *ck, const Model *m, ParamBlock *b, const CompressSet *cs, const char *prefix,
                      float *dst, char *err, size_t errlen) {
    for (int i = 0; i < b->layout.n; i++) {
        char name[160], full[200];
        if (cs) compress_set_tensor_name(m, cs, i, name, sizeof name);
        else snprintf(name, sizeof name, "%s", b->layout.tensors[i].name);
        snprintf(full, sizeof full, "%s%s", prefix, name);
        if (copy_tensor(ck, full, &b->layout.tensors[i], dst + b->layout.tensors[i].offset, tensor_required(ck, name),
                        err, errlen) < 0)
            return -1;
    }
    return 0;
}

// The rate r of a tensor named "layers.0.compress_r{r}.weight" (digits only, no sign or leading
// zero), or 0 for any other name.
static int conv_rate_of(const char *name) {
    const char *prefix = "layers.0.compress_r";
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n)) return 0;
    const char *p = name + n;
    long rate = 0;
    if (*p < '1' || *p > '9') return 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        rate = rate * 10 + (*p - '0');
        if (rate > 1000) return 0;
    }
    return strcmp(p, ".weight") ? 0 : (int)rate;
}

// Rates other than the active one appear as layers.0.compress_r{c}.weight.
static int other_rates(const Checkpoint *ck, int *rates, int max) {
    int n = 0;
    for (int i = 0; i < ck->file.n_tensors && n < max; i++) {
        int r = conv_rate_of(ck->file.tensors[i].name);
        if (r) rates[n++] = r;
    }
    return n;
}

// Each layer's convs of rate r must be in the file, F32 and of the right shapes, before the model sets
// memory aside for them (a name alone must not cost d·d·r floats per layer four times over).
static int check_rate_tensors(const Checkpoint *ck, const Model *m, int rate, char *err, size_t errlen) {
    int64_t d = m->cfg.d_model;
    for (int l = 0; l < m->cfg.n_layers; l++) {
        char w[96], b[96];
        snprintf(w, sizeof w, "layers.%d.compress_r%d.weight", l, rate);
        snprintf(b, sizeof b, "layers.%d.compress_r%d.bias", l, rate);
        const StTensor *tw = st_find(&ck->file, w), *tb = st_find(&ck->file, b);
        if (!tw || tw->dtype != ST_F32 || tw->ndim != 3 || tw->shape[0] != d || tw->shape[1] != d ||
            tw->shape[2] != rate || !tb || tb->dtype != ST_F32 || tb->ndim != 1 || tb->shape[0] != d) {
            snprintf(err, errlen, "%s: the convs of compression rate %d are missing or misshapen: expected F32 '%s' "
                     "[%lld,%lld,%d] and '%s' [%lld]", ck->path, rate, w, (long long)d, (long long)d, rate, b,
                     (long long)d);
            return -1;
        }
    }
    return 0;
}

// Creates the sets of the other functions the file holds tensors for (layers.0.compress_{fn}_r{c}.*).
static int add_lab_sets(const Checkpoint *ck, Model *m, char *err, size_t errlen) {
    for (int i = 0; i < ck->file.n_tensors; i++) {
        int fn, rate;
        if (!compress_set_parse(ck->file.tensors[i].name, &fn, &rate)) continue;
        char sub[256];
        if (!model_compress_set(m, fn, rate, sub, sizeof sub)) {
            snprintf(err, errlen, "%s: %s", ck->path, sub);
            return -1;
        }
    }
    return 0;
}

// The conv of the active rate is always in the file (model.md's `compress`); other sets when their first
// tensor is.
static int in_file(const Checkpoint *ck, const Model *m, const CompressSet *cs) {
    if (cs->block.layout.n == 0) return 0;
    if (cs->fn == COMPRESS_CONV && cs->rate == m->cfg.compression_rate) return 1;
    char name[160];
    compress_set_tensor_name(m, cs, 0, name, sizeof name);
    return st_find(&ck->file, name) != NULL;
}

// Every parameter set the file holds is created with the file's loss (so its decoders load), filled, and
// then the model's own choice of function and loss (the file's, or --set's) is selected.
int checkpoint_load_weights(const Checkpoint *ck, Model *m, char *err, size_t errlen) {
    if (load_block(ck, m, &m->main, NULL, "", m->main.params, err, errlen)) return -1;
    int want_fn = m->cfg.compress, want_loss = m->cfg.compress_loss, active_rate = m->cfg.compression_rate;
    // every set the file holds is kept (the training that wrote it made at most COMPRESS_SETS_CAP of them)
    int rates[MAX_COMPRESS_SETS + 1], n = other_rates(ck, rates, MAX_COMPRESS_SETS + 1);
    char sub[256];
    if (n >= MAX_COMPRESS_SETS) {
        snprintf(err, errlen, "%s: holds convs of %d or more compression rates; a model keeps at most %d parameter "
                 "sets", ck->path, n, MAX_COMPRESS_SETS);
        return -1;
    }
    if (model_set_compression(m, COMPRESS_CONV, ck->cfg.compress_loss, sub, sizeof sub)) goto fail;
    for (int i = 0; i < n; i++) {
        if (check_rate_tensors(ck, m, rates[i], err, errlen)) return -1;
        if (model_set_rate(m, rates[i], sub, sizeof sub)) goto fail;
    }
    if (model_set_rate(m, active_rate, sub, sizeof sub)) goto fail;
    if (add_lab_sets(ck, m, err, errlen)) return -1;
    for (int i = 0; i < m->n_sets; i++) {
        CompressSet *cs = &m->sets[i];
        if (!in_file(ck, m, cs)) continue; // a function first chosen on --load keeps its fresh start
        if (load_block(ck, m, &cs->block, cs, "", cs->block.params, err, errlen)) return -1;
    }
    if (model_set_compression(m, want_fn, want_loss, sub, sizeof sub)) goto fail;
    return 0;
fail:
    snprintf(err, errlen, "%s: %s", ck->path, sub);
    return -1;
}

static int load_block_state(const Checkpoint *ck, const Model *m, ParamBlock *b, const CompressSet *cs,
                            const char *t_key, char *err, size_t errlen) {
    long t = 0;
    if (meta_int(ck, t_key, &t, 1, err, errlen)) return -1;
    if (t < 0 || t > MAX_STEP) {
        snprintf(err, errlen, "%s: metadata '%s'=%ld is out of range; allowed 0 to %ld", ck->path, t_key, t, MAX_STEP);
        return -1;
    }
    b->adam_t = t;
    if (load_block(ck, m, b, cs, "optim.m.", b->adam_m, err, errlen)) return -1;
    if (load_block(ck, m, b, cs, "optim.v.", b->adam_v, err, errlen)) return -1;
    // v is a mean of squares: a negative one would make Adam divide by the root of a negative number
    for (int i = 0; i < b->layout.n; i++) {
        const TensorInfo *ti = &b->layout.tensors[i];
        for (long k = 0; k < ti->numel; k++)
            if (b->adam_v[ti->offset + k] < 0) {
                char name[160];
                if (cs) compress_set_tensor_name(m, cs, i, name, sizeof name);
                else snprintf(name, sizeof name, "%s", ti->name);
                snprintf(err, errlen, "%s: tensor 'optim.v.%s' holds a negative value (element %ld); a second moment "
                         "is never negative: the checkpoint is damaged", ck->path, name, k);
                return -1;
            }
    }
    return 0;
}

// Rows of layer l saved packed as (B, rows, d); in memory each stream has room for cap rows.
static int restore_rows(const Checkpoint *ck, const char *prefix, int l, const Memory *mem, long rows, int cap,
                        float *base, char *err, size_t errlen) {
    if (!rows) return 0;
    char name[64];
    snprintf(name, sizeof name, "%s.%d", prefix, l);
    const StTensor *t = st_find(&ck->file, name);
    if (!t || t->dtype != ST_F32 || t->ndim != 3 || t->shape[0] != mem->batch || t->shape[1] != rows ||
        t->shape[2] != mem->d) {
        snprintf(err, errlen, "%s: tensor '%s' is missing or not F32 [%d,%ld,%d]", ck->path, name, mem->batch, rows,
                 mem->d);
        return -1;
    }
    const unsigned char *src = t->data; // may sit at any offset: bytes, not floats, until copied
    for (int b = 0; b < mem->batch; b++) {
        float *dst = base + ((size_t)l * mem->batch + b) * cap * mem->d;
        memcpy(dst, src + sizeof(float) * (size_t)b * rows * mem->d, sizeof(float) * rows * mem->d);
        if (first_non_finite_at(dst, rows * mem->d) >= 0) {
            snprintf(err, errlen, "%s: tensor '%s' holds NaN or Inf; the checkpoint is damaged", ck->path, name);
            return -1;
        }
    }
    return 0;
}

// Slot positions are stream positions of the training text: 0 <= position < stream_len, a compressed slot's
// first no later than its last. Anything else (INT64_MAX from a hand-edited file) would overflow the
// arithmetic of whoever reads them.
static int check_positions(const Checkpoint *ck, const Memory *mem, long stream_len, char *err, size_t errlen) {
    for (int k = 0; k < mem->m; k++)
        if (mem->mem_pos[k] < 0 || mem->mem_pos[k] >= stream_len) {
            snprintf(err, errlen, "%s: 'memory.mem_pos'[%d]=%ld is out of range; allowed 0 to %ld for this corpus",
                     ck->path, k, mem->mem_pos[k], stream_len - 1);
            return -1;
        }
    for (int k = 0; k < mem->cm; k++)
        if (mem->cmem_first[k] < 0 || mem->cmem_last[k] >= stream_len || mem->cmem_first[k] > mem->cmem_last[k]) {
            snprintf(err, errlen, "%s: 'memory.cmem_first/last'[%d]=%ld..%ld is out of range; allowed 0 to %ld for "
                     "this corpus, first <= last", ck->path, k, mem->cmem_first[k], mem->cmem_last[k], stream_len - 1);
            return -1;
        }
    return 0;
}

static int load_memory(const Checkpoint *ck, Memory *mem, long stream_len, char *err, size_t errlen) {
    long m = 0, cm = 0;
    if (meta_int(ck, "memory.m", &m, 1, err, errlen) || meta_int(ck, "memory.cm", &cm, 1, err, errlen)) return -1;
    if (m < 0 || m > mem->mem_len || cm < 0 || cm > mem->c_mem_len) {
        snprintf(err, errlen, "%s: memory lengths m=%ld cm=%ld exceed mem_len/c_mem_len", ck->path, m, cm);
        return -1;
    }
    mem->cstart = 0; // restore_rows fills each room from its front
    for (int l = 0; l < mem->n_layers; l++) {
        if (restore_rows(ck, "memory.mem", l, mem, m, mem->mem_cap, mem->mem, err, errlen) ||
            restore_rows(ck, "memory.cmem", l, mem, cm, mem->cmem_room, mem->cmem, err, errlen))
            return -1;
    }
    mem->m = (int)m;
    mem->cm = (int)cm;
    const char *pos_names[] = {"memory.mem_pos", "memory.cmem_first", "memory.cmem_last"};
    long *pos[] = {mem->mem_pos, mem->cmem_first, mem->cmem_last};
    long lens[] = {m, cm, cm};
    for (int i = 0; i < 3; i++) {
        const StTensor *t = st_find(&ck->file, pos_names[i]);
        if (lens[i] && (!t || t->dtype != ST_I64 || t->ndim != 1 || t->shape[0] != lens[i])) {
            snprintf(err, errlen, "%s: tensor '%s' is missing or not I64 [%ld]", ck->path, pos_names[i], lens[i]);
            return -1;
        }
        for (long k = 0; k < lens[i]; k++) { // the data may sit at any 4-byte offset: copy, don't cast
            int64_t value;
            memcpy(&value, (const char *)t->data + 8 * k, sizeof value);
            pos[i][k] = (long)value;
        }
    }
    return check_positions(ck, mem, stream_len, err, errlen);
}

int checkpoint_load_state(const Checkpoint *ck, Trainer *t, char *err, size_t errlen) {
    Model *m = t->model;
    long batch = 0, seq = 0;
    if (meta_int(ck, "batch_size", &batch, 1, err, errlen)) return -1;
    seq = ck->cfg.seq_len;
    if (batch != m->cfg.batch_size || seq != m->cfg.seq_len) {
        snprintf(err, errlen, "%s: saved with batch_size=%ld; resume with the same batch_size (or load a weights-only copy)",
                 ck->path, batch);
        return -1;
    }
    if (load_block_state(ck, m, &m->main, NULL, "optim.t", err, errlen)) return -1;
    for (int i = 0; i < m->n_sets; i++) {
        CompressSet *cs = &m->sets[i];
        char key[48];
        compress_set_state_key(cs, key, sizeof key);
        if ((cs->fn == COMPRESS_CONV || st_meta(&ck->file, key)) &&
            load_block_state(ck, m, &cs->block, cs, key, err, errlen))
            return -1;
    }
    long v[4];
    const char *keys[] = {"step", "epoch", "batch_index", "valid_index"};
    for (int i = 0; i < 4; i++)
        if (meta_int(ck, keys[i], &v[i], 1, err, errlen)) return -1;
    if (v[2] < 0 || v[2] > t->train.n_steps || v[0] < 0 || v[0] > MAX_STEP || v[1] < 0 || v[1] > MAX_EPOCH) {
        snprintf(err, errlen, "%s: saved data position (epoch %ld, batch %ld) does not fit this corpus", ck->path, v[1], v[2]);
        return -1;
    }
    t->step = v[0];
    t->epoch = v[1];
    t->batch_index = v[2];
    if (v[3] < 0 || v[3] > t->valid.n_steps) {
        snprintf(err, errlen, "%s: saved validation position %ld does not fit this corpus (0 to %ld)", ck->path, v[3],
                 t->valid.n_steps);
        return -1;
    }
    t->valid_index = v[3];
    return load_memory(ck, &t->mem, t->train.n_steps * (long)m->cfg.seq_len, err, errlen);
}

// ---------------------------------------------------------------- writing

typedef struct {
    StWriter *w;
    char **names;  // every name handed to the writer, freed after the save
    int n_names, cap_names;
    float *packed; // memory rows packed as (B, rows, d)
} SaveCtx;

static const char *keep_name(SaveCtx *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *keep_name(SaveCtx *s, const char *fmt, ...) {
    if (s->n_names == s->cap_names) {
        s->cap_names = s->cap_names ? 2 * s->cap_names : 256;
        s->names = realloc(s->names, sizeof(char *) * s->cap_names);
        if (!s->names) abort();
    }
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    s->names[s->n_names] = strdup(buf);
    if (!s->names[s->n_names]) abort();
    return s->names[s->n_names++];
}

static void add_f32(SaveCtx *s, const char *name, const TensorInfo *t, const float *data) {
    st_writer_add(s->w, name, ST_F32, t->ndim, t->shape, data);
}

static void save_block(SaveCtx *s, const Model *m, const ParamBlock *b, const CompressSet *cs, int with_state) {
    for (int i = 0; i < b->layout.n; i++) {
        const TensorInfo *t = &b->layout.tensors[i];
        char name[160];
        if (cs) compress_set_tensor_name(m, cs, i, name, sizeof name);
        else snprintf(name, sizeof name, "%s", t->name);
        add_f32(s, keep_name(s, "%s", name), t, b->params + t->offset);
        if (!with_state) continue;
        add_f32(s, keep_name(s, "optim.m.%s", name), t, b->adam_m + t->offset);
        add_f32(s, keep_name(s, "optim.v.%s", name), t, b->adam_v + t->offset);
    }
}

static void meta_long(SaveCtx *s, const char *key, long v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", v);
    st_writer_meta(s->w, key, buf);
}

static void save_config(SaveCtx *s, const Model *m, const Vocab *vocab) {
    char value[64], json[256 * 6 + 8];
    for (int i = 0; i < config_key_count; i++) {
        config_get(&m->cfg, config_key_table[i].name, value, sizeof value);
        st_writer_meta(s->w, config_key_table[i].name, value);
    }
    vocab_to_json(vocab, json, sizeof json);
    st_writer_meta(s->w, "vocab", json);
    st_writer_meta(s->w, "format", FORMAT_TAG);
    st_writer_meta(s->w, "memscope_version", memscope_version());
}

static void save_memory(SaveCtx *s, const Memory *mem) {
    size_t d = mem->d, B = mem->batch, per_layer = B * (mem->m + mem->cm) * d;
    s->packed = malloc(sizeof(float) * (per_layer * mem->n_layers + 1));
    if (!s->packed) abort();
    float *x = s->packed;
    for (int l = 0; l < mem->n_layers; l++) {
        const char *kinds[] = {"memory.mem", "memory.cmem"};
        int rows[] = {mem->m, mem->cm};
        for (int k = 0; k < 2; k++) {
            if (!rows[k]) continue;
            int64_t shape[3] = {(int64_t)B, rows[k], (int64_t)d};
            for (size_t b = 0; b < B; b++)
                memcpy(x + b * rows[k] * d, k ? cmemory_rows(mem, l, (int)b) : memory_rows(mem, l, (int)b),
                       sizeof(float) * rows[k] * d);
            st_writer_add(s->w, keep_name(s, "%s.%d", kinds[k], l), ST_F32, 3, shape, x);
            x += B * rows[k] * d;
        }
    }
    int64_t m_shape[1] = {mem->m}, cm_shape[1] = {mem->cm};
    if (mem->m) st_writer_add(s->w, "memory.mem_pos", ST_I64, 1, m_shape, mem->mem_pos);
    if (mem->cm) {
        st_writer_add(s->w, "memory.cmem_first", ST_I64, 1, cm_shape, mem->cmem_first);
        st_writer_add(s->w, "memory.cmem_last", ST_I64, 1, cm_shape, mem->cmem_last);
    }
    meta_long(s, "memory.m", mem->m);
    meta_long(s, "memory.cm", mem->cm);
}

static void save_history(SaveCtx *s, const char *key, const History *h) {
    size_t n = history_to_json(h, NULL, 0);
    char *json = malloc(n + 1);
    if (!json) abort();
    history_to_json(h, json, n + 1);
    st_writer_meta(s->w, key, json);
    free(json);
}

static void save_state(SaveCtx *s, const Trainer *t) {
    const Model *m = t->model;
    meta_long(s, "step", t->step);
    meta_long(s, "epoch", t->epoch);
    meta_long(s, "batch_index", t->batch_index);
    meta_long(s, "valid_index", t->valid_index);
    meta_long(s, "optim.t", m->main.adam_t);
    for (int i = 0; i < m->n_sets; i++) {
        char key[48];
        compress_set_state_key(&m->sets[i], key, sizeof key);
        meta_long(s, key, m->sets[i].block.adam_t);
    }
    save_memory(s, &t->mem);
    save_history(s, "history.train", &t->train_history);
    save_history(s, "history.valid", &t->valid_history);
}

// The first non-finite value of a block's parameters (or, with state, its Adam moments): its tensor's
// name, or NULL when all are finite.
static const char *first_non_finite(const ParamBlock *b, int with_state) {
    const float *arrays[3] = {b->params, b->adam_m, b->adam_v};
    for (int a = 0; a < (with_state ? 3 : 1); a++)
        for (int i = 0; i < b->layout.n; i++) {
            const TensorInfo *ti = &b->layout.tensors[i];
            const float *x = arrays[a] + ti->offset;
            for (long k = 0; k < ti->numel; k++)
                if (!isfinite(x[k])) return ti->name;
        }
    return NULL;
}

int checkpoint_load_history(const Checkpoint *ck, Trainer *t, char *err, size_t errlen) {
    static const char *const keys[2] = {"history.train", "history.valid"};
    History *into[2] = {&t->train_history, &t->valid_history};
    for (int i = 0; i < 2; i++) {
        const char *json = st_meta(&ck->file, keys[i]);
        char why[160];
        history_reset(into[i]);
        if (json && history_from_json(into[i], json, why, sizeof why)) {
            snprintf(err, errlen, "%s: metadata '%s': %s", ck->path, keys[i], why);
            return -1;
        }
    }
    // A weights-only file that carries its run's history (an export of a trained model) continues that run's
    // step count, so new points extend the curves instead of being drawn over their start; the optimizer
    // (and with it the warm-up) starts afresh all the same.
    if (!ck->has_state && history_len(&t->train_history) > 0 && t->step < ck->step) t->step = ck->step;
    return 0;
}

int checkpoint_save(const char *path, const Model *m, const Vocab *vocab, const Trainer *t, char *err,
                    size_t errlen) {
    // A checkpoint on disk is only ever replaced by a usable one: garbage is refused, not written.
    const char *bad = first_non_finite(&m->main, t != NULL);
    int rate = 0;
    for (int i = 0; !bad && i < m->n_sets; i++)
        if ((bad = first_non_finite(&m->sets[i].block, t != NULL))) rate = m->sets[i].rate;
    if (bad) {
        char which[48] = "";
        if (rate) snprintf(which, sizeof which, " (compression rate %d)", rate);
        snprintf(err, errlen, "%s: not saved: tensor '%s'%s holds NaN or Inf (the file on disk is unchanged)", path,
                 bad, which);
        return -1;
    }
    SaveCtx s = {.w = st_writer_new()};
    save_config(&s, m, vocab);
    save_block(&s, m, &m->main, NULL, t != NULL);
    for (int i = 0; i < m->n_sets; i++) save_block(&s, m, &m->sets[i].block, &m->sets[i], t != NULL);
    if (t) save_state(&s, t);
    int rc = st_writer_save(s.w, path, err, errlen);
    st_writer_free(s.w);
    for (int i = 0; i < s.n_names; i++) free(s.names[i]);
    free(s.names);
    free(s.packed);
    return rc;
}
