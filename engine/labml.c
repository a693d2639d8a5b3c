// labml state dicts: name mapping, the relative tables' row order, shapes to config, and the pickle refusal.
#include "labml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_names[][2] = {
    {"embed.weight", "src_embed.weight"},         {"norm.weight", "transformer.norm.weight"},
    {"norm.bias", "transformer.norm.bias"},       {"head.weight", "generator.weight"},
    {"head.bias", "generator.bias"},
};
static const char *const layer_names[][2] = {
    {"attn_norm.weight", "norm_self_attn.weight"},
    {"attn_norm.bias", "norm_self_attn.bias"},
    {"attn.q.weight", "self_attn.query.linear.weight"},
    {"attn.k.weight", "self_attn.key.linear.weight"},
    {"attn.v.weight", "self_attn.value.linear.weight"},
    {"attn.v.bias", "self_attn.value.linear.bias"},
    {"attn.o.weight", "self_attn.output.weight"},
    {"attn.o.bias", "self_attn.output.bias"},
    {"attn.rel_key", "self_attn.key_pos_embeddings"},
    {"attn.rel_bias", "self_attn.key_pos_bias"},
    {"attn.content_bias", "self_attn.query_pos_bias"},
    {"ffn_norm.weight", "norm_ff.weight"},
    {"ffn_norm.bias", "norm_ff.bias"},
    {"ffn.up.weight", "feed_forward.layer1.weight"},
    {"ffn.up.bias", "feed_forward.layer1.bias"},
    {"ffn.down.weight", "feed_forward.layer2.weight"},
    {"ffn.down.bias", "feed_forward.layer2.bias"},
    {"compress.weight", "compress.conv.weight"},
    {"compress.bias", "compress.conv.bias"},
};
#define N_TOP (int)(sizeof top_names / sizeof top_names[0])
#define N_LAYER (int)(sizeof layer_names / sizeof layer_names[0])

// Maps `name` from column `from` of the tables to column 1 − from; layer names carry "{prefix}{l}.".
static int map_name(const char *name, int from, char *out, size_t n) {
    static const char *const prefix[2] = {"layers.", "transformer.layers."};
    for (int i = 0; i < N_TOP; i++)
        if (!strcmp(name, top_names[i][from])) return snprintf(out, n, "%s", top_names[i][1 - from]), 0;
    size_t k = strlen(prefix[from]);
    if (strncmp(name, prefix[from], k)) return -1;
    char *end;
    long l = strtol(name + k, &end, 10);
    if (end == name + k || *end != '.' || l < 0 || l > 9999 || (name[k] == '0' && end != name + k + 1)) return -1;
    for (int i = 0; i < N_LAYER; i++)
        if (!strcmp(end + 1, layer_names[i][from]))
            return snprintf(out, n, "%s%ld.%s", prefix[1 - from], l, layer_names[i][1 - from]), 0;
    return -1;
}

int labml_name(const char *ours, char *out, size_t n) { return map_name(ours, 0, out, n); }
int labml_our_name(const char *labml, char *out, size_t n) { return map_name(labml, 1, out, n); }

static int ends_with(const char *s, const char *tail) {
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && !strcmp(s + a - b, tail);
}

int labml_refuse_pickle(const char *path, char *err, size_t errlen) {
    unsigned char magic[4] = {0};
    FILE *fp = fopen(path, "rb");
    size_t got = fp ? fread(magic, 1, sizeof magic, fp) : 0;
    if (fp) fclose(fp);
    int zip = got == 4 && !memcmp(magic, "PK\x03\x04", 4), pickle = got >= 2 && magic[0] == 0x80 && magic[1] >= 2 && magic[1] <= 5;
    if (!zip && !pickle && !ends_with(path, ".pt") && !ends_with(path, ".pth")) return 0;
    char out[1024];
    snprintf(out, sizeof out, "%s", path);
    char *dot = strrchr(out, '.'), *slash = strrchr(out, '/');
    if (dot && (!slash || dot > slash)) *dot = 0;
    snprintf(err, errlen, "%s is a PyTorch pickle, not safetensors; convert it with: python3 -c \"import torch; "
             "from safetensors.torch import save_file; save_file(torch.load('%s', map_location='cpu'), "
             "'%s.safetensors')\"", path, path, out);
    return -1;
}

static void shape_text(const StTensor *t, char *out, size_t n) {
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < t->ndim && k < n; i++) k += snprintf(out + k, n - k, "%s%lld", i ? "," : "", (long long)t->shape[i]);
}

// The tensor `name` of f, F32 with ndim dimensions; NULL with a message naming it otherwise.
static const StTensor *need(const StFile *f, const char *path, const char *name, int ndim, char *err, size_t errlen) {
    const StTensor *t = st_find(f, name);
    if (!t) {
        snprintf(err, errlen, "%s: tensor '%s' is missing; not a labml CompressiveTransformer state dict of this "
                 "shape", path, name);
        return NULL;
    }
    if (t->dtype != ST_F32 || t->ndim != ndim) {
        char s[96];
        shape_text(t, s, sizeof s);
        snprintf(err, errlen, "%s: tensor '%s' is [%s] of another dtype or rank; expected float with %d dimensions",
                 path, name, s, ndim);
        return NULL;
    }
    return t;
}

int labml_read_shapes(const StFile *f, const char *path, Config *cfg, char *err, size_t errlen) {
    const StTensor *embed = need(f, path, "src_embed.weight", 2, err, errlen);
    if (!embed) return -1;
    int L = 0;
    char name[128];
    for (;; L++) {
        snprintf(name, sizeof name, "transformer.layers.%d.norm_self_attn.weight", L);
        if (!st_find(f, name)) break;
    }
    if (L == 0) {
        need(f, path, "transformer.layers.0.norm_self_attn.weight", 1, err, errlen);
        return -1;
    }
    const StTensor *qb = need(f, path, "transformer.layers.0.self_attn.query_pos_bias", 2, err, errlen);
    if (!qb) return -1;
    const StTensor *up = need(f, path, "transformer.layers.0.feed_forward.layer1.weight", 2, err, errlen);
    if (!up) return -1;
    const StTensor *conv = need(f, path, "transformer.layers.0.compress.conv.weight", 3, err, errlen);
    if (!conv) return -1;
    if (embed->shape[0] < 1 || embed->shape[0] > VOCAB_MAX || embed->shape[1] < 1 || embed->shape[1] > 65536 ||
        qb->shape[0] < 1 || qb->shape[0] * qb->shape[1] != embed->shape[1] || up->shape[0] < 1 ||
        up->shape[0] > 1 << 20 || conv->shape[2] < 1 || conv->shape[2] > CONFIG_MAX_RATE || L > CONFIG_MAX_LAYERS) {
        snprintf(err, errlen, "%s: src_embed.weight [%lld,%lld], query_pos_bias [%lld,%lld], layer1 [%lld,...], "
                 "conv kernel %lld and %d layers do not describe a model memscope can hold", path,
                 (long long)embed->shape[0], (long long)embed->shape[1], (long long)qb->shape[0],
                 (long long)qb->shape[1], (long long)up->shape[0], (long long)conv->shape[2], L);
        return -1;
    }
    cfg->vocab_size = (int)embed->shape[0];
    cfg->d_model = (int)embed->shape[1];
    cfg->n_heads = (int)qb->shape[0];
    cfg->n_layers = L;
    cfg->d_ff = (int)up->shape[0];
    cfg->compression_rate = (int)conv->shape[2];
    return 0;
}

// Copies one tensor (rows of a relative table from labml's row P − δ) after checking its shape.
static int load_tensor(const StFile *f, const char *path, const char *ours, const TensorInfo *want, float *dst,
                       char *err, size_t errlen) {
    char name[160];
    if (labml_name(ours, name, sizeof name)) {
        snprintf(err, errlen, "%s: memscope tensor '%s' has no labml counterpart", path, ours);
        return -1;
    }
    const StTensor *t = need(f, path, name, want->ndim, err, errlen);
    if (!t) return -1;
    int relative = strstr(ours, ".rel_") != NULL, same = 1;
    int64_t rows = t->shape[0];
    for (int i = relative; i < want->ndim; i++) same &= t->shape[i] == want->shape[i];
    if (relative) same &= rows % 2 == 0 && rows / 2 >= want->shape[0] - 1;
    if (!same) {
        char s[96], w[96] = "";
        shape_text(t, s, sizeof s);
        for (int i = 0; i < want->ndim; i++)
            snprintf(w + strlen(w), sizeof w - strlen(w), "%s%s%lld", i ? "," : "", i == 0 && relative ? "2P>=" : "",
                     (long long)want->shape[i] - (i == 0 && relative ? 1 : 0));
        snprintf(err, errlen, "%s: tensor '%s' is [%s]; this model needs [%s]", path, name, s, w);
        return -1;
    }
    const float *src = t->data;
    long row = want->numel / want->shape[0];
    if (!relative) memcpy(dst, src, sizeof(float) * want->numel);
    for (long delta = 0; relative && delta < want->shape[0]; delta++)
        memcpy(dst + delta * row, src + (rows / 2 - delta) * row, sizeof(float) * row);
    for (long i = 0; i < want->numel; i++)
        if (!isfinite(dst[i])) {
            snprintf(err, errlen, "%s: tensor '%s' holds NaN or Inf", path, name);
            return -1;
        }
    return 0;
}

int labml_load(const StFile *f, const char *path, Model *m, char *err, size_t errlen) {
    CompressSet *cs = model_active_set(m);
    int used = 0;
    for (int i = 0; i < m->main.layout.n; i++, used++) {
        const TensorInfo *t = &m->main.layout.tensors[i];
        if (load_tensor(f, path, t->name, t, m->main.params + t->offset, err, errlen)) return -1;
    }
    for (int i = 0; i < cs->block.layout.n; i++, used++) {
        char ours[160];
        compress_set_tensor_name(m, cs, i, ours, sizeof ours);
        const TensorInfo *t = &cs->block.layout.tensors[i];
        if (load_tensor(f, path, ours, t, cs->block.params + t->offset, err, errlen)) return -1;
    }
    if (used == f->n_tensors) return 0;
    for (int i = 0; i < f->n_tensors; i++) { // a tensor the model did not read: name it
        const char *name = f->tensors[i].name;
        char ours[160];
        int l = -1;
        if (labml_our_name(name, ours, sizeof ours)) {
            snprintf(err, errlen, "%s: tensor '%s' is not one of labml's CompressiveTransformer tensors", path, name);
            return -1;
        }
        if (sscanf(ours, "layers.%d.", &l) == 1 && l >= m->cfg.n_layers) {
            snprintf(err, errlen, "%s: tensor '%s' belongs to layer %d, but layer %d has no norm_self_attn.weight",
                     path, name, l, m->cfg.n_layers);
            return -1;
        }
    }
    snprintf(err, errlen, "%s: holds %d tensors where the model has %d", path, f->n_tensors, used);
    return -1;
}

int labml_save(const Model *m, const char *path, char *err, size_t errlen) {
    if (m->cfg.compress != COMPRESS_CONV) {
        snprintf(err, errlen, "labml's model compresses with a Conv1d; this checkpoint compresses with '%s' "
                 "(train or load it with --set compress=conv)", compress_fn_name(m->cfg.compress));
        return -1;
    }
    const CompressSet *cs = &m->sets[m->active];
    StWriter *w = st_writer_new();
    const TensorLayout *lay = &m->main.layout;
    float **tables = calloc((size_t)lay->n, sizeof *tables);
    char (*names)[160] = calloc((size_t)(lay->n + cs->block.layout.n), sizeof *names);
    if (!tables || !names) abort();
    for (int i = 0; i < lay->n; i++) {
        const TensorInfo *t = &lay->tensors[i];
        const float *src = m->main.params + t->offset;
        if (labml_name(t->name, names[i], sizeof names[i])) abort(); // every model tensor has a labml name
        if (!strstr(t->name, ".rel_")) {
            st_writer_add(w, names[i], ST_F32, t->ndim, t->shape, src);
            continue;
        }
        long row = t->numel / t->shape[0];
        int64_t shape[3] = {2 * LABML_P, t->shape[1], t->ndim == 3 ? t->shape[2] : 0};
        tables[i] = calloc((size_t)(2 * LABML_P * row), sizeof(float));
        if (!tables[i]) abort();
        for (long delta = 0; delta < t->shape[0]; delta++)
            memcpy(tables[i] + (LABML_P - delta) * row, src + delta * row, sizeof(float) * row);
        st_writer_add(w, names[i], ST_F32, t->ndim, shape, tables[i]);
    }
    for (int i = 0; i < cs->block.layout.n; i++) {
        char ours[160], *name = names[lay->n + i];
        compress_set_tensor_name(m, cs, i, ours, sizeof ours);
        if (labml_name(ours, name, 160)) abort();
        const TensorInfo *t = &cs->block.layout.tensors[i];
        st_writer_add(w, name, ST_F32, t->ndim, t->shape, cs->block.params + t->offset);
    }
    st_writer_meta(w, "format", "pt");
    int rc = st_writer_save(w, path, err, errlen);
    st_writer_free(w);
    for (int i = 0; i < lay->n; i++) free(tables[i]);
    free(tables);
    free(names);
    return rc;
}
