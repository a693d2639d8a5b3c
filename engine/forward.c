// Forward and backward of the Compressive Transformer over one segment (model.md, Architecture).
#include "forward.h"

#include <string.h>

#include "absorbed_attention.h"
#include "kv_cache.h"
#include "ops.h"
#include "vecmath.h"

// Memory rows of every stream, [cmem; mem], normalised without the affine part (it is folded into the
// projection by memory_projection_forward).
static void normalize_memory(LayerActs *a, const Memory *mem, int l, int B, int stream0, int d) {
    int cm = mem->cm, m = mem->m, M = cm + m;
    for (int b = 0; b < B; b++) {
        int stream = stream0 + b;
        float *xhat = a->mem_xhat + (long)b * M * d;
        float *mean = a->mem_mean + (long)b * M, *rstd = a->mem_rstd + (long)b * M;
        normalize_rows(xhat, mean, rstd, cmemory_rows(mem, l, stream), cm, d);
        normalize_rows(xhat + (long)cm * d, mean + cm, rstd + cm, memory_rows(mem, l, stream), m, d);
    }
}

static AttentionDims attention_dims(const Model *m, const Workspace *ws) {
    return (AttentionDims){ws->batch, ws->T, ws->M, m->cfg.d_model, m->cfg.n_heads, m->rel_len};
}

// q, k, v as column slices of the fused projections: [q | k | v] rows of the segment, [k | v] rows of memory.
static AttentionRows attention_rows(float *qkv, float *kv_mem, int d) {
    return (AttentionRows){qkv, qkv + d, qkv + 2 * d, kv_mem, kv_mem ? kv_mem + d : NULL, 3 * d, 2 * d};
}

// [0 | 0 | b_v]: W_q and W_k have no bias; the three weights are adjacent, so [W_q; W_k; W_v] is one matrix.
static void fill_qkv_bias(float *bias3, const LayerParams *lp, int d) {
    memset(bias3, 0, sizeof(float) * 2 * d);
    memcpy(bias3 + 2 * d, lp->bv, sizeof(float) * d);
}

static AbsorbedSaved absorbed_saved(const LayerActs *a, AttentionDims dm) {
    long n = (long)dm.batch * dm.heads * dm.queries;
    return (AbsorbedSaved){a->absorbed, a->absorbed + n * dm.d_model, a->absorbed + 2 * n * dm.d_model};
}

static AbsorbedWeights absorbed_weights(const LayerParams *p) {
    return (AbsorbedWeights){p->attn_norm_w, p->attn_norm_b, p->wk, p->wv, p->bv, p->rel_key, p->rel_bias,
                             p->content_bias};
}

static AbsorbedGrads absorbed_grads(LayerParams *g) {
    return (AbsorbedGrads){g->attn_norm_w, g->attn_norm_b, g->wk, g->wv, g->bv, g->rel_key, g->rel_bias,
                           g->content_bias};
}

// ctx of the attention block from the segment's [q | k | v]: memory keys and values from the cache, or
// absorbed into the queries, or projected here.
static void attention_block_forward(const Model *m, Workspace *ws, const Memory *mem, int l) {
    const LayerParams *lp = &m->p.layer[l];
    LayerActs *a = &ws->layer[l];
    int BM = ws->batch * ws->M, d = m->cfg.d_model;
    AttentionDims dm = attention_dims(m, ws);
    ws->absorbed_last = BM && !ws->cache && ws->absorbed;
    float *kv_mem = NULL;
    if (BM && ws->cache) {
        kv_mem = (float *)kvcache_layer(ws->cache, l);
    } else if (BM) {
        normalize_memory(a, mem, l, ws->batch, ws->stream0, d);
        if (ws->absorbed_last) {
            absorbed_attention_forward(a->ctx, a->probs, absorbed_saved(a, dm), ws->scratch, a->qkv, a->mem_xhat,
                                       absorbed_weights(lp), dm);
            return;
        }
        memory_projection_forward(a->kv_mem, ws->proj_scratch, a->mem_xhat, lp->attn_norm_w, lp->attn_norm_b, lp->wk,
                                  ws->bias3 + d, BM, d, 2 * d);
        kv_mem = a->kv_mem;
    }
    attention_forward(a->ctx, a->probs, ws->scratch, attention_rows(a->qkv, kv_mem, d), lp->rel_key, lp->rel_bias,
                      lp->content_bias, dm);
}

static void layer_forward(const Model *m, Workspace *ws, const Memory *mem, int l, float *x_out) {
    const LayerParams *lp = &m->p.layer[l];
    LayerActs *a = &ws->layer[l];
    int BT = ws->batch * ws->T, d = m->cfg.d_model, ff = m->cfg.d_ff;
    layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, a->x_in, lp->attn_norm_w, lp->attn_norm_b, BT, d);
    fill_qkv_bias(ws->bias3, lp, d);
    linear_forward(a->qkv, a->ln1, lp->wq, ws->bias3, BT, d, 3 * d);
    attention_block_forward(m, ws, mem, l);
    linear_forward(a->x_mid, a->ctx, lp->wo, lp->bo, BT, d, d);
    vec_add_inplace(a->x_mid, a->x_in, (long)BT * d);
    layernorm_forward(a->ln2, a->ln2_mean, a->ln2_rstd, a->x_mid, lp->ffn_norm_w, lp->ffn_norm_b, BT, d);
    linear_forward(a->ff_pre, a->ln2, lp->w_up, lp->b_up, BT, d, ff);
    relu_forward(a->ff_act, a->ff_pre, BT * ff);
    linear_forward(x_out, a->ff_act, lp->w_down, lp->b_down, BT, ff, d);
    vec_add_inplace(x_out, a->x_mid, (long)BT * d);
}

float model_forward(const Model *m, Workspace *ws, const Memory *mem, const int32_t *inputs,
                    const int32_t *targets, int T) {
    const Config *c = &m->cfg;
    int L = c->n_layers, d = c->d_model, V = c->vocab_size;
    ws->T = T;
    ws->M = mem->m + mem->cm;
    ws->K = ws->M + T;
    int BT = ws->batch * T;
    embedding_forward(ws->layer[0].x_in, inputs, m->p.embed, BT, d);
    for (int l = 0; l < L; l++) layer_forward(m, ws, mem, l, l + 1 < L ? ws->layer[l + 1].x_in : ws->x_out);
    layernorm_forward(ws->lnf, ws->lnf_mean, ws->lnf_rstd, ws->x_out, m->p.norm_w, m->p.norm_b, BT, d);
    linear_forward(ws->logits, ws->lnf, m->p.head_w, m->p.head_b, BT, d, V);
    if (!targets) return 0.0f;
    return crossentropy_forward(ws->probs, ws->losses, ws->logits, targets, BT, V);
}

static void zero(float *x, long n) { memset(x, 0, sizeof(float) * n); }

// Gradient of the attention block from dctx: the segment rows' into dqkv, memory rows' straight into the
// weights (memory itself is detached); the memory rows' b_v gradient lands in dbias3[2d, 3d).
static void attention_block_backward(const Model *m, Workspace *ws, LayerParams *g, int l) {
    const LayerParams *lp = &m->p.layer[l];
    LayerActs *a = &ws->layer[l];
    int BM = ws->batch * ws->M, d = m->cfg.d_model;
    AttentionDims dm = attention_dims(m, ws);
    if (ws->absorbed_last) {
        absorbed_attention_backward(ws->dqkv, absorbed_grads(g), ws->scratch, ws->dctx, a->probs, absorbed_saved(a, dm),
                                    a->qkv, a->mem_xhat, absorbed_weights(lp), dm);
        return;
    }
    if (BM) zero(ws->dkv_mem, (long)BM * 2 * d);
    attention_backward(attention_rows(ws->dqkv, BM ? ws->dkv_mem : NULL, d), g->rel_key, g->rel_bias, g->content_bias,
                       ws->scratch, ws->dctx, a->probs, attention_rows(a->qkv, BM ? a->kv_mem : NULL, d), lp->rel_key,
                       lp->content_bias, dm);
    if (BM) // the bias gradient of [k | v] lands in dbias3[d, 3d), next to the segment rows' one
        memory_projection_backward(g->wk, ws->dbias3 + d, g->attn_norm_w, g->attn_norm_b, ws->proj_scratch,
                                   ws->dkv_mem, a->mem_xhat, lp->attn_norm_w, lp->attn_norm_b, lp->wk, BM, d, 2 * d);
}

// dx holds the gradient of the layer output on entry and of the layer input on return.
static void layer_backward(const Model *m, Workspace *ws, ModelParams *grads, int l) {
    const LayerParams *lp = &m->p.layer[l];
    LayerParams *g = &grads->layer[l];
    LayerActs *a = &ws->layer[l];
    int BT = ws->batch * ws->T, d = m->cfg.d_model, ff = m->cfg.d_ff;
    // feed-forward block: x_out = x_mid + down(relu(up(LN_ff(x_mid))))
    memcpy(ws->dmid, ws->dx, sizeof(float) * BT * d);
    zero(ws->dff_act, (long)BT * ff);
    linear_backward(ws->dff_act, g->w_down, g->b_down, ws->dx, a->ff_act, lp->w_down, BT, ff, d);
    zero(ws->dff_pre, (long)BT * ff);
    relu_backward(ws->dff_pre, ws->dff_act, a->ff_pre, BT * ff);
    zero(ws->dln, (long)BT * d);
    linear_backward(ws->dln, g->w_up, g->b_up, ws->dff_pre, a->ln2, lp->w_up, BT, d, ff);
    layernorm_backward(ws->dmid, g->ffn_norm_w, g->ffn_norm_b, ws->dln, a->x_mid, a->ln2_mean, a->ln2_rstd,
                       lp->ffn_norm_w, BT, d);
    // attention block: x_mid = x_in + o(attention(LN_att(x_in), memories))
    memcpy(ws->dx, ws->dmid, sizeof(float) * BT * d);
    zero(ws->dctx, (long)BT * d);
    linear_backward(ws->dctx, g->wo, g->bo, ws->dmid, a->ctx, lp->wo, BT, d, d);
    zero(ws->dqkv, (long)BT * 3 * d);
    zero(ws->dbias3, 3L * d);
    attention_block_backward(m, ws, g, l);
    zero(ws->dz, (long)BT * d);
    linear_backward(ws->dz, g->wq, ws->dbias3, ws->dqkv, a->ln1, lp->wq, BT, d, 3 * d);
    vec_add_inplace(g->bv, ws->dbias3 + 2 * d, d);
    layernorm_backward(ws->dx, g->attn_norm_w, g->attn_norm_b, ws->dz, a->x_in, a->ln1_mean, a->ln1_rstd,
                       lp->attn_norm_w, BT, d);
}

void model_backward_parts(const Model *m, Workspace *ws, const int32_t *inputs, const int32_t *targets, float dloss,
                          ModelParams *g, void (*done)(void *ctx, int part), void *ctx) {
    const Config *c = &m->cfg;
    int BT = ws->batch * ws->T, d = c->d_model, V = c->vocab_size;
    float *dlogits = ws->dff_pre; // (B, T, V): free until the last layer's backward starts
    zero(dlogits, (long)BT * V);
    crossentropy_backward(dlogits, ws->probs, targets, dloss, BT, V);
    zero(ws->dln, (long)BT * d);
    linear_backward(ws->dln, g->head_w, g->head_b, dlogits, ws->lnf, m->p.head_w, BT, d, V);
    zero(ws->dx, (long)BT * d);
    layernorm_backward(ws->dx, g->norm_w, g->norm_b, ws->dln, ws->x_out, ws->lnf_mean, ws->lnf_rstd, m->p.norm_w, BT, d);
    if (done) done(ctx, c->n_layers);
    for (int l = c->n_layers - 1; l >= 0; l--) {
        layer_backward(m, ws, g, l);
        if (done) done(ctx, l);
    }
    embedding_backward(g->embed, ws->dx, inputs, BT, d);
    if (done) done(ctx, -1);
}

void model_backward_into(const Model *m, Workspace *ws, const int32_t *inputs, const int32_t *targets, float dloss,
                         ModelParams *g) {
    model_backward_parts(m, ws, inputs, targets, dloss, g, NULL, NULL);
}

void model_backward(Model *m, Workspace *ws, const Memory *mem, const int32_t *inputs, const int32_t *targets) {
    (void)mem; // the normalised memory rows the backward needs are kept in the workspace
    model_backward_into(m, ws, inputs, targets, 1.0f, &m->g);
}
