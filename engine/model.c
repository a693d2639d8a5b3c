// Parameter blocks: the named tensor layout of model.md, one allocation each for parameters,
// gradients and Adam moments, PyTorch's default initialisation, and the per-rate compression convs.
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress_ops.h"
#include "model.h"

static void layout_add(TensorLayout *lay, const char *name, int ndim, int64_t a, int64_t b, int64_t c) {
    TensorInfo *t = &lay->tensors[lay->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    int64_t shape[3] = {a, b, c};
    t->numel = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->numel *= shape[i];
    }
    t->offset = lay->total;
    lay->total += t->numel;
}

static void layout_add_layer(TensorLayout *lay, const Config *c, int l, int R) {
    int d = c->d_model, H = c->n_heads, dk = d / H;
    char n[96];
#define ADD(suffix, ...) (snprintf(n, sizeof n, "layers.%d.%s", l, suffix), layout_add(lay, n, __VA_ARGS__))
    ADD("attn_norm.weight", 1, d, 0, 0);
    ADD("attn_norm.bias", 1, d, 0, 0);
    ADD("attn.q.weight", 2, d, d, 0);
    ADD("attn.k.weight", 2, d, d, 0);
    ADD("attn.v.weight", 2, d, d, 0);
    ADD("attn.v.bias", 1, d, 0, 0);
    ADD("attn.o.weight", 2, d, d, 0);
    ADD("attn.o.bias", 1, d, 0, 0);
    ADD("attn.rel_key", 3, R, H, dk);
    ADD("attn.rel_bias", 2, R, H, 0);
    ADD("attn.content_bias", 2, H, dk, 0);
    ADD("ffn_norm.weight", 1, d, 0, 0);
    ADD("ffn_norm.bias", 1, d, 0, 0);
    ADD("ffn.up.weight", 2, c->d_ff, d, 0);
    ADD("ffn.up.bias", 1, c->d_ff, 0, 0);
    ADD("ffn.down.weight", 2, d, c->d_ff, 0);
    ADD("ffn.down.bias", 1, d, 0, 0);
#undef ADD
}

// Tensor-table slots of the main layout and of a compression set's (the tables build_*_layout allocate).
static size_t main_slots(const Config *c) { return 4 + 17 * (size_t)c->n_layers + 2; }
static size_t set_slots(int n_layers) { return 8 * (size_t)n_layers + 1; }

// Bytes of a block with room for `capacity` floats in each of its four arrays (block_alloc, grow_block) and
// a table of `slots` tensors.
static size_t block_bytes(long capacity, size_t slots) {
    return 4 * sizeof(float) * ((size_t)capacity + 1) + slots * sizeof(TensorInfo);
}

static void build_main_layout(TensorLayout *lay, const Config *c) {
    int R = config_rel_len(c);
    lay->tensors = calloc(main_slots(c), sizeof(TensorInfo));
    if (!lay->tensors) abort();
    layout_add(lay, "embed.weight", 2, c->vocab_size, c->d_model, 0);
    for (int l = 0; l < c->n_layers; l++) layout_add_layer(lay, c, l, R);
    layout_add(lay, "norm.weight", 1, c->d_model, 0, 0);
    layout_add(lay, "norm.bias", 1, c->d_model, 0, 0);
    layout_add(lay, "head.weight", 2, c->vocab_size, c->d_model, 0);
    layout_add(lay, "head.bias", 1, c->vocab_size, 0, 0);
}

static int block_alloc(ParamBlock *b) {
    size_t n = (size_t)b->layout.total + 1;
    b->params = calloc(n, sizeof(float));
    b->grads = calloc(n, sizeof(float));
    b->adam_m = calloc(n, sizeof(float));
    b->adam_v = calloc(n, sizeof(float));
    b->adam_t = 0;
    return b->params && b->grads && b->adam_m && b->adam_v ? 0 : -1;
}

static void block_free(ParamBlock *b) {
    free(b->layout.tensors);
    free(b->params);
    free(b->grads);
    free(b->adam_m);
    free(b->adam_v);
    memset(b, 0, sizeof *b);
}

void model_point_params(ModelParams *p, float *base, const Config *c) {
    const int d = c->d_model, R = config_rel_len(c), ff = c->d_ff;
    float *x = base;
#define TAKE(ptr, count) (ptr = x, x += (count))
    TAKE(p->embed, (long)c->vocab_size * d);
    for (int l = 0; l < c->n_layers; l++) {
        LayerParams *lp = &p->layer[l];
        TAKE(lp->attn_norm_w, d);
        TAKE(lp->attn_norm_b, d);
        TAKE(lp->wq, (long)d * d);
        TAKE(lp->wk, (long)d * d);
        TAKE(lp->wv, (long)d * d);
        TAKE(lp->bv, d);
        TAKE(lp->wo, (long)d * d);
        TAKE(lp->bo, d);
        TAKE(lp->rel_key, (long)R * d);
        TAKE(lp->rel_bias, (long)R * c->n_heads);
        TAKE(lp->content_bias, d);
        TAKE(lp->ffn_norm_w, d);
        TAKE(lp->ffn_norm_b, d);
        TAKE(lp->w_up, (long)ff * d);
        TAKE(lp->b_up, ff);
        TAKE(lp->w_down, (long)d * ff);
        TAKE(lp->b_down, d);
    }
    TAKE(p->norm_w, d);
    TAKE(p->norm_b, d);
    TAKE(p->head_w, (long)c->vocab_size * d);
    TAKE(p->head_b, c->vocab_size);
#undef TAKE
}

// nn.Linear / nn.Conv1d default: weight and bias ~ U(−1/sqrt(fan_in), 1/sqrt(fan_in)).
static void init_uniform(Rng *r, float *x, long n, int fan_in) {
    float bound = 1.0f / sqrtf((float)fan_in);
    rng_fill_uniform(r, x, n, -bound, bound);
}

static void fill(float *x, long n, float value) {
    for (long i = 0; i < n; i++) x[i] = value;
}

static void init_main(Model *m, Rng *r) {
    const Config *c = &m->cfg;
    int d = c->d_model, ff = c->d_ff;
    ModelParams *p = &m->p;
    rng_fill_normal(r, p->embed, (long)c->vocab_size * d, 0.0f, 1.0f);
    for (int l = 0; l < c->n_layers; l++) {
        LayerParams *lp = &p->layer[l];
        fill(lp->attn_norm_w, d, 1.0f);
        fill(lp->ffn_norm_w, d, 1.0f);
        init_uniform(r, lp->wq, (long)d * d, d);
        init_uniform(r, lp->wk, (long)d * d, d);
        init_uniform(r, lp->wv, (long)d * d, d);
        init_uniform(r, lp->bv, d, d);
        init_uniform(r, lp->wo, (long)d * d, d);
        init_uniform(r, lp->bo, d, d);
        init_uniform(r, lp->w_up, (long)ff * d, d);
        init_uniform(r, lp->b_up, ff, d);
        init_uniform(r, lp->w_down, (long)d * ff, ff);
        init_uniform(r, lp->b_down, d, ff);
        // rel_key, rel_bias, content_bias and the LayerNorm biases stay zero.
    }
    fill(p->norm_w, d, 1.0f);
    init_uniform(r, p->head_w, (long)c->vocab_size * d, d);
    init_uniform(r, p->head_b, c->vocab_size, d);
}

float *conv_weight(const CompressSet *cs, int layer, int d) {
    return cs->block.params + (long)layer * ((long)d * d * cs->rate + d);
}
float *conv_bias(const CompressSet *cs, int layer, int d) { return conv_weight(cs, layer, d) + (long)d * d * cs->rate; }
float *conv_grad_weight(const CompressSet *cs, int layer, int d) {
    return cs->block.grads + (long)layer * ((long)d * d * cs->rate + d);
}
float *conv_grad_bias(const CompressSet *cs, int layer, int d) {
    return conv_grad_weight(cs, layer, d) + (long)d * d * cs->rate;
}

// ---------------------------------------------------------------------------------------------------------
// Compression parameter sets of the memory lab: one per (function, rate), each a ParamBlock laid out as the
// function's tensors layer after layer, then (with the autoencode loss) each layer's decoder.

int compress_fn_has_params(int fn) { return fn >= 0 && fn < COMPRESS_FN_COUNT && compress_fn_choices[fn].has_params; }

// Floats of one layer's function tensors (the conv layout of conv_weight for COMPRESS_CONV).
long set_layer_floats(int fn, int d, int c) {
    if (fn == COMPRESS_CONV) return (long)d * d * c + d;
    if (fn == COMPRESS_DILATED) return dilated_params_floats(d, c);
    return 0;
}

float *set_fn_params(const CompressSet *cs, int layer, int d) {
    return cs->block.params + layer * set_layer_floats(cs->fn, d, cs->rate);
}
long set_fn_offset(const CompressSet *cs, int layer, int d) { return layer * set_layer_floats(cs->fn, d, cs->rate); }
long set_decoder_offset(const CompressSet *cs, int layer, int d) {
    return cs->fn_floats + (long)layer * ((long)d * d * cs->rate + d);
}

void compress_set_stem(int fn, int rate, int layer, char *out, size_t n) {
    if (fn == COMPRESS_CONV) snprintf(out, n, "layers.%d.compress.", layer);
    else snprintf(out, n, "layers.%d.compress_%s_r%d.", layer, compress_fn_choices[fn].tensor_stem, rate);
}

int compress_set_parse(const char *name, int *fn, int *rate) {
    const char *prefix = "layers.0.compress_";
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n)) return 0;
    for (int f = COMPRESS_MEAN; f < COMPRESS_FN_COUNT; f++) {
        size_t k = strlen(compress_fn_choices[f].tensor_stem);
        const char *p = name + n;
        if (strncmp(p, compress_fn_choices[f].tensor_stem, k) || p[k] != '_' || p[k + 1] != 'r') continue;
        p += k + 2;
        long r = 0;
        if (*p < '1' || *p > '9') return 0;
        for (; *p >= '0' && *p <= '9'; p++)
            if ((r = r * 10 + (*p - '0')) > CONFIG_MAX_RATE) return 0;
        if (*p != '.') return 0;
        *fn = f;
        *rate = (int)r;
        return 1;
    }
    return 0;
}

static void build_set_layout(TensorLayout *lay, int fn, int n_layers, int d, int rate, int with_decoder) {
    free(lay->tensors);
    memset(lay, 0, sizeof *lay);
    lay->tensors = calloc(set_slots(n_layers), sizeof(TensorInfo));
    if (!lay->tensors) abort();
    char stem[48], n[96];
    for (int l = 0; l < n_layers; l++) {
        compress_set_stem(fn, rate, l, stem, sizeof stem);
#define ADD(suffix, ...) (snprintf(n, sizeof n, "%s%s", stem, suffix), layout_add(lay, n, __VA_ARGS__))
        if (fn == COMPRESS_CONV) {
            ADD("weight", 3, d, d, rate);
            ADD("bias", 1, d, 0, 0);
        } else if (fn == COMPRESS_DILATED) {
            ADD("conv1.weight", 3, d, d, 2);
            ADD("conv1.bias", 1, d, 0, 0);
            ADD("conv2.weight", 3, d, d, 2);
            ADD("conv2.bias", 1, d, 0, 0);
            ADD("reduce.weight", 3, d, d, rate);
            ADD("reduce.bias", 1, d, 0, 0);
        }
    }
    for (int l = 0; with_decoder && l < n_layers; l++) {
        compress_set_stem(fn, rate, l, stem, sizeof stem);
        ADD("decoder.weight", 3, d, d, rate);
        ADD("decoder.bias", 1, d, 0, 0);
#undef ADD
    }
}

static int grow_block(ParamBlock *b, long old_cap, long cap) {
    float **arrays[] = {&b->params, &b->grads, &b->adam_m, &b->adam_v};
    for (int i = 0; i < 4; i++) {
        float *x = realloc(*arrays[i], sizeof(float) * ((size_t)cap + 1));
        if (!x) return -1;
        memset(x + old_cap, 0, sizeof(float) * (size_t)(cap + 1 - old_cap));
        *arrays[i] = x;
    }
    return 0;
}

// g(x) = each row repeated c times: W[i, o, k] = [i == o], bias 0 (the transpose of mean pooling, up to c).
static void init_decoders(CompressSet *cs, int n_layers, int d) {
    for (int l = 0; l < n_layers; l++) {
        float *w = cs->block.params + set_decoder_offset(cs, l, d);
        memset(w, 0, sizeof(float) * ((size_t)d * d * cs->rate + d));
        for (int i = 0; i < d; i++)
            for (int k = 0; k < cs->rate; k++) w[((long)i * d + i) * cs->rate + k] = 1.0f;
    }
    cs->decoder_ready = 1;
}

// Lays a set out with or without its decoders, growing its arrays when they first need the room; out of
// memory, the set keeps its old layout (never one larger than its arrays).
static int set_relayout(CompressSet *cs, int n_layers, int d, int with_decoder) {
    TensorLayout lay = {0};
    build_set_layout(&lay, cs->fn, n_layers, d, cs->rate, with_decoder);
    if (!cs->block.params || lay.total > cs->capacity) { // arrays exist even for 0 tensors
        if (grow_block(&cs->block, cs->capacity, lay.total)) {
            free(lay.tensors);
            return -1;
        }
        cs->capacity = lay.total;
    }
    free(cs->block.layout.tensors);
    cs->block.layout = lay;
    cs->has_decoder = with_decoder;
    if (with_decoder && !cs->decoder_ready) init_decoders(cs, n_layers, d);
    return 0;
}

static CompressSet *add_set(Model *m, int fn, int rate, char *err, size_t errlen) {
    if (m->n_sets == MAX_COMPRESS_SETS) {
        snprintf(err, errlen, "compression: at most %d (function, rate) parameter sets per model", MAX_COMPRESS_SETS);
        return NULL;
    }
    CompressSet *cs = &m->sets[m->n_sets];
    memset(cs, 0, sizeof *cs);
    cs->rate = rate;
    cs->fn = fn;
    int L = m->cfg.n_layers, d = m->cfg.d_model;
    cs->fn_floats = L * set_layer_floats(fn, d, rate);
    if (set_relayout(cs, L, d, m->cfg.compress_loss == COMPRESS_LOSS_AUTOENCODE)) {
        block_free(&cs->block);
        snprintf(err, errlen, "compression: out of memory for the %s parameters of rate %d", compress_fn_name(fn), rate);
        return NULL;
    }
    m->n_sets++;
    return cs;
}

static int find_set(const Model *m, int fn, int rate);

// Floats of one (fn, rate) set with or without decoders, as build_set_layout lays it out.
static double set_floats(const Model *m, int fn, int rate, int with_decoder) {
    double L = m->cfg.n_layers, d = m->cfg.d_model;
    return L * (double)set_layer_floats(fn, (int)d, rate) + (with_decoder ? L * (d * d * rate + d) : 0);
}

double model_compress_sets_bytes(const Model *m) {
    double floats = 0;
    for (int i = 0; i < m->n_sets; i++) floats += (double)m->sets[i].capacity;
    return 4.0 * sizeof(float) * floats;
}

int model_compress_sets_allow(const Model *m, int fn, int rate, int loss, char *err, size_t errlen) {
    int dec = loss == COMPRESS_LOSS_AUTOENCODE, new_sets = 0;
    double added = 0; // floats
    for (int i = 0; i < m->n_sets; i++) // a change of loss lays every set out again (decoders)
        added += fmax(0.0, set_floats(m, m->sets[i].fn, m->sets[i].rate, dec) - (double)m->sets[i].capacity);
    int fns[2] = {COMPRESS_CONV, fn};
    for (int k = 0; k < (fn == COMPRESS_CONV ? 1 : 2); k++)
        if (find_set(m, fns[k], rate) < 0) {
            new_sets++;
            added += set_floats(m, fns[k], rate, dec);
        }
    double have = model_compress_sets_bytes(m), more = 4.0 * sizeof(float) * added;
    if (new_sets && m->n_sets + new_sets > COMPRESS_SETS_CAP) {
        snprintf(err, errlen, "compression: the model already keeps %d parameter sets (function x rate, %.0f MB "
                 "with their optimizer state), the most it may; choose a function and rate it has used", m->n_sets,
                 have / 1048576.0);
        return -1;
    }
    if (more > 0 && have + more > COMPRESS_SETS_MAX_BYTES) {
        snprintf(err, errlen, "compression: %s at rate %d would add %.0f MB to the %.0f MB the compression parameter "
                 "sets take, more than the %.0f MB allowed; choose a lower rate or one already used",
                 compress_fn_name(fn), rate, more / 1048576.0, have / 1048576.0, COMPRESS_SETS_MAX_BYTES / 1048576.0);
        return -1;
    }
    return 0;
}

static CompressSet *add_conv_set(Model *m, int rate, char *err, size_t errlen) {
    return add_set(m, COMPRESS_CONV, rate, err, errlen);
}

// A new rate starts as mean pooling so the memory it writes stays meaningful: W[o,i,k] = [o==i]/c.
static void mean_pooling_weight(float *w, int d, int rate) {
    for (int o = 0; o < d; o++)
        for (int k = 0; k < rate; k++) w[((long)o * d + o) * rate + k] = 1.0f / rate;
}

static void init_mean_pooling(CompressSet *cs, int n_layers, int d) {
    for (int l = 0; l < n_layers; l++) mean_pooling_weight(conv_weight(cs, l, d), d, cs->rate);
}

// A new dilated set: both residual blocks zero (the identity), the reduction mean pooling.
static void init_dilated(CompressSet *cs, int n_layers, int d) {
    for (int l = 0; l < n_layers; l++)
        mean_pooling_weight(set_fn_params(cs, l, d) + 2 * (2L * d * d + d), d, cs->rate);
}

static int find_set(const Model *m, int fn, int rate) {
    for (int i = 0; i < m->n_sets; i++)
        if (m->sets[i].fn == fn && m->sets[i].rate == rate) return i;
    return -1;
}

CompressSet *model_compress_set(Model *m, int fn, int rate, char *err, size_t errlen) {
    int i = find_set(m, fn, rate);
    if (i >= 0) return &m->sets[i];
    CompressSet *cs = add_set(m, fn, rate, err, errlen);
    if (!cs) return NULL;
    if (fn == COMPRESS_CONV) init_mean_pooling(cs, m->cfg.n_layers, m->cfg.d_model);
    if (fn == COMPRESS_DILATED) init_dilated(cs, m->cfg.n_layers, m->cfg.d_model);
    return cs;
}

// Makes (fn, rate) active, creating its set and the rate's conv when new.
static int select_set(Model *m, int fn, int rate, char *err, size_t errlen) {
    if (!model_compress_set(m, COMPRESS_CONV, rate, err, errlen)) return -1;
    if (!model_compress_set(m, fn, rate, err, errlen)) return -1;
    m->active = find_set(m, fn, rate);
    m->cfg.compress = fn;
    m->cfg.compression_rate = rate;
    return 0;
}

int model_set_rate(Model *m, int rate, char *err, size_t errlen) {
    if (config_rate_check(&m->cfg, rate, err, errlen)) return -1;
    return select_set(m, m->cfg.compress, rate, err, errlen);
}

int model_set_compression(Model *m, int fn, int loss, char *err, size_t errlen) {
    char names[128];
    if (fn < 0 || fn >= COMPRESS_FN_COUNT) {
        config_choice_list(compress_fn_choices, ", ", " or ", names, sizeof names);
        snprintf(err, errlen, "compression function %d is unknown; use %s", fn, names);
        return -1;
    }
    if (loss < 0 || loss >= COMPRESS_LOSS_COUNT) {
        config_choice_list(compress_loss_choices, ", ", " or ", names, sizeof names);
        snprintf(err, errlen, "compression loss %d is unknown; use %s", loss, names);
        return -1;
    }
    if (loss != m->cfg.compress_loss) {
        for (int i = 0; i < m->n_sets; i++)
            if (set_relayout(&m->sets[i], m->cfg.n_layers, m->cfg.d_model, loss == COMPRESS_LOSS_AUTOENCODE)) {
                snprintf(err, errlen, "compression: out of memory for the autoencoder's decoders");
                return -1;
            }
        m->cfg.compress_loss = loss;
    }
    return select_set(m, fn, m->cfg.compression_rate, err, errlen);
}

void compress_set_tensor_name(const Model *m, const CompressSet *cs, int i, char *out, size_t n) {
    const char *base = cs->block.layout.tensors[i].name;
    const char *dot = strstr(base, ".compress.");
    if (cs->fn != COMPRESS_CONV || cs->rate == m->cfg.compression_rate || !dot) {
        snprintf(out, n, "%s", base);
        return;
    }
    snprintf(out, n, "%.*s.compress_r%d.%s", (int)(dot - base), base, cs->rate, dot + 10);
}

void compress_set_state_key(const CompressSet *cs, char *out, size_t n) {
    if (cs->fn == COMPRESS_CONV) snprintf(out, n, "optim.t.r%d", cs->rate);
    else snprintf(out, n, "optim.t.%s_r%d", compress_fn_choices[cs->fn].tensor_stem, cs->rate);
}

CompressSet *model_active_set(Model *m) { return &m->sets[m->active]; }

Model *model_new(const Config *cfg, uint64_t seed, char *err, size_t errlen) {
    // validated where it entered; the shape the arrays and the head split below rest on, checked cheaply
    assert(cfg->n_layers >= 1 && cfg->n_layers <= CONFIG_MAX_LAYERS && cfg->n_heads >= 1 &&
           cfg->d_model % cfg->n_heads == 0 && cfg->compression_rate >= 1 && cfg->compression_rate <= CONFIG_MAX_RATE);
    Model *m = calloc(1, sizeof *m);
    if (!m) goto oom;
    m->cfg = *cfg;
    m->d_k = cfg->d_model / cfg->n_heads;
    m->rel_len = config_rel_len(cfg);
    build_main_layout(&m->main.layout, cfg);
    if (block_alloc(&m->main)) goto oom;
    model_point_params(&m->p, m->main.params, cfg);
    model_point_params(&m->g, m->main.grads, cfg);
    Rng r;
    rng_seed(&r, seed);
    init_main(m, &r);
    m->cfg.compress = COMPRESS_CONV; // what the model has so far; model_set_compression below sets both
    m->cfg.compress_loss = COMPRESS_LOSS_ATTENTION;
    CompressSet *cs = add_conv_set(m, cfg->compression_rate, err, errlen);
    if (!cs) goto fail;
    int d = cfg->d_model;
    for (int l = 0; l < cfg->n_layers; l++) {
        init_uniform(&r, conv_weight(cs, l, d), (long)d * d * cs->rate, d * cs->rate);
        init_uniform(&r, conv_bias(cs, l, d), d, d * cs->rate);
    }
    if (model_set_compression(m, cfg->compress, cfg->compress_loss, err, errlen)) goto fail;
    return m;
oom:
    snprintf(err, errlen, "model: out of memory for %d layers of width %d", cfg->n_layers, cfg->d_model);
fail:
    model_free(m);
    return NULL;
}

long model_main_floats(const Config *cfg) {
    TensorLayout lay = {0};
    build_main_layout(&lay, cfg);
    free(lay.tensors);
    return lay.total;
}

long model_active_set_floats(const Config *cfg) {
    TensorLayout lay = {0};
    build_set_layout(&lay, cfg->compress, cfg->n_layers, cfg->d_model, cfg->compression_rate,
                     cfg->compress_loss == COMPRESS_LOSS_AUTOENCODE);
    free(lay.tensors);
    return lay.total;
}

static size_t set_plan_bytes(int fn, const Config *c, int with_decoder) {
    TensorLayout lay = {0};
    build_set_layout(&lay, fn, c->n_layers, c->d_model, c->compression_rate, with_decoder);
    free(lay.tensors);
    return block_bytes(lay.total, set_slots(c->n_layers));
}

// model_new's blocks: the main one, the rate's conv and, for another function, its set (with decoders
// under the autoencode loss).
size_t model_new_bytes(const Config *cfg) {
    size_t bytes = sizeof(Model) + block_bytes(model_main_floats(cfg), main_slots(cfg));
    int decoders = cfg->compress_loss == COMPRESS_LOSS_AUTOENCODE;
    bytes += set_plan_bytes(COMPRESS_CONV, cfg, decoders);
    if (cfg->compress != COMPRESS_CONV) bytes += set_plan_bytes(cfg->compress, cfg, decoders);
    return bytes;
}

size_t model_bytes(const Model *m) {
    size_t bytes = sizeof *m + block_bytes(m->main.layout.total, main_slots(&m->cfg));
    for (int i = 0; i < m->n_sets; i++) bytes += block_bytes(m->sets[i].capacity, set_slots(m->cfg.n_layers));
    return bytes;
}

void model_free(Model *m) {
    if (!m) return;
    block_free(&m->main);
    for (int i = 0; i < m->n_sets; i++) block_free(&m->sets[i].block);
    free(m);
}

long model_param_count(const Model *m) { return m->main.layout.total + m->sets[m->active].block.layout.total; }

void model_zero_grad(Model *m) {
    memset(m->main.grads, 0, sizeof(float) * m->main.layout.total);
    for (int i = 0; i < m->n_sets; i++) {
        memset(m->sets[i].block.grads, 0, sizeof(float) * m->sets[i].block.layout.total);
        m->sets[i].used = 0;
    }
}
