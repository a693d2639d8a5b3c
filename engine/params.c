// Parameter blocks: the named tensor layout of model.md, one allocation each for parameters,
// gradients and Adam moments, PyTorch's default initialisation, and the per-rate compression convs.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void build_main_layout(TensorLayout *lay, const Config *c) {
    int R = config_rel_len(c);
    lay->tensors = calloc(4 + 17 * (size_t)c->n_layers + 2, sizeof(TensorInfo));
    if (!lay->tensors) abort();
    layout_add(lay, "embed.weight", 2, c->vocab_size, c->d_model, 0);
    for (int l = 0; l < c->n_layers; l++) layout_add_layer(lay, c, l, R);
    layout_add(lay, "norm.weight", 1, c->d_model, 0, 0);
    layout_add(lay, "norm.bias", 1, c->d_model, 0, 0);
    layout_add(lay, "head.weight", 2, c->vocab_size, c->d_model, 0);
    layout_add(lay, "head.bias", 1, c->vocab_size, 0, 0);
}

// Conv tensors are named for the checkpoint by the caller (compress vs compress_r{rate}).
static void build_conv_layout(TensorLayout *lay, int n_layers, int d, int rate) {
    lay->tensors = calloc(2 * (size_t)n_layers, sizeof(TensorInfo));
    if (!lay->tensors) abort();
    char n[96];
    for (int l = 0; l < n_layers; l++) {
        snprintf(n, sizeof n, "layers.%d.compress.weight", l);
        layout_add(lay, n, 3, d, d, rate);
        snprintf(n, sizeof n, "layers.%d.compress.bias", l);
        layout_add(lay, n, 1, d, 0, 0);
    }
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

float *conv_weight(const ConvSet *cs, int layer, int d) {
    return cs->block.params + (long)layer * ((long)d * d * cs->rate + d);
}
float *conv_bias(const ConvSet *cs, int layer, int d) { return conv_weight(cs, layer, d) + (long)d * d * cs->rate; }
float *conv_grad_weight(const ConvSet *cs, int layer, int d) {
    return cs->block.grads + (long)layer * ((long)d * d * cs->rate + d);
}
float *conv_grad_bias(const ConvSet *cs, int layer, int d) {
    return conv_grad_weight(cs, layer, d) + (long)d * d * cs->rate;
}

static ConvSet *add_conv_set(Model *m, int rate, char *err, size_t errlen) {
    if (m->n_convs == MAX_RATES) {
        snprintf(err, errlen, "compression: at most %d different rates per model", MAX_RATES);
        return NULL;
    }
    ConvSet *cs = &m->convs[m->n_convs];
    memset(cs, 0, sizeof *cs);
    cs->rate = rate;
    build_conv_layout(&cs->block.layout, m->cfg.n_layers, m->cfg.d_model, rate);
    if (block_alloc(&cs->block)) {
        block_free(&cs->block);
        snprintf(err, errlen, "compression: out of memory for the rate-%d convs", rate);
        return NULL;
    }
    m->n_convs++;
    return cs;
}

// A new rate starts as mean pooling so the memory it writes stays meaningful: W[o,i,k] = [o==i]/c.
static void init_mean_pooling(ConvSet *cs, int n_layers, int d) {
    for (int l = 0; l < n_layers; l++) {
        float *w = conv_weight(cs, l, d);
        for (int o = 0; o < d; o++)
            for (int k = 0; k < cs->rate; k++) w[((long)o * d + o) * cs->rate + k] = 1.0f / cs->rate;
    }
}

int model_set_rate(Model *m, int rate, char *err, size_t errlen) {
    if (rate < 1 || rate > 64 || (m->cfg.mem_len > 0 && rate > m->cfg.mem_len)) {
        snprintf(err, errlen, "compression rate %d is out of range; use 1 to %d (at most mem_len)", rate,
                 m->cfg.mem_len < 64 ? m->cfg.mem_len : 64);
        return -1;
    }
    for (int i = 0; i < m->n_convs; i++)
        if (m->convs[i].rate == rate) {
            m->active = i;
            m->cfg.compression_rate = rate;
            return 0;
        }
    ConvSet *cs = add_conv_set(m, rate, err, errlen);
    if (!cs) return -1;
    init_mean_pooling(cs, m->cfg.n_layers, m->cfg.d_model);
    m->active = m->n_convs - 1;
    m->cfg.compression_rate = rate;
    return 0;
}

ConvSet *model_conv(Model *m) { return &m->convs[m->active]; }

Model *model_new(const Config *cfg, uint64_t seed, char *err, size_t errlen) {
    if (config_validate(cfg, err, errlen)) return NULL;
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
    ConvSet *cs = add_conv_set(m, cfg->compression_rate, err, errlen);
    if (!cs) goto fail;
    int d = cfg->d_model;
    for (int l = 0; l < cfg->n_layers; l++) {
        init_uniform(&r, conv_weight(cs, l, d), (long)d * d * cs->rate, d * cs->rate);
        init_uniform(&r, conv_bias(cs, l, d), d, d * cs->rate);
    }
    return m;
oom:
    snprintf(err, errlen, "model: out of memory for %d layers of width %d", cfg->n_layers, cfg->d_model);
fail:
    model_free(m);
    return NULL;
}

void model_free(Model *m) {
    if (!m) return;
    block_free(&m->main);
    for (int i = 0; i < m->n_convs; i++) block_free(&m->convs[i].block);
    free(m);
}

long model_param_count(const Model *m) { return m->main.layout.total + m->convs[m->active].block.layout.total; }

void model_zero_grad(Model *m) {
    memset(m->main.grads, 0, sizeof(float) * m->main.layout.total);
    for (int i = 0; i < m->n_convs; i++) {
        memset(m->convs[i].block.grads, 0, sizeof(float) * m->convs[i].block.layout.total);
        m->convs[i].used = 0;
    }
}
