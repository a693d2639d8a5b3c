// model_forward of one token through the fp16 copies (half.h): forward.c's layer order, with the row products
// and the memory attention reading fp16, and the LayerNorms, residuals, biases and the head in fp32.
#include "forward_half.h"
#include "ops.h"
#include "vecmath.h"
#include "workspace.h"

static void layer_forward_half(const Model *m, Workspace *ws, const HalfLayer *h, const uint16_t *kv_mem, int l,
                               float *x_out) {
    const LayerParams *lp = &m->p.layer[l];
    LayerActs *a = &ws->layer[l];
    int d = m->cfg.d_model, ff = m->cfg.d_ff;
    layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, a->x_in, lp->attn_norm_w, lp->attn_norm_b, 1, d);
    vec_gemv_half(a->qkv, h->qkv, a->ln1, NULL, 3 * d, d); // (3d) [q | k | v]; only v has a bias
    vec_add_inplace(a->qkv + 2 * d, lp->bv, d);
    QueryRows rows = {a->qkv, a->qkv + d, a->qkv + 2 * d, kv_mem, kv_mem ? kv_mem + d : NULL, 2L * d, 1};
    query_attention_forward(a->ctx, a->probs, rows, h->rel_key, lp->rel_bias, lp->content_bias, ws->M, d,
                            m->cfg.n_heads);
    vec_gemv_half(a->x_mid, h->wo, a->ctx, lp->bo, d, d);
    vec_add_inplace(a->x_mid, a->x_in, d);
    layernorm_forward(a->ln2, a->ln2_mean, a->ln2_rstd, a->x_mid, lp->ffn_norm_w, lp->ffn_norm_b, 1, d);
    vec_gemv_half(a->ff_pre, h->w_up, a->ln2, lp->b_up, ff, d);
    relu_forward(a->ff_act, a->ff_pre, ff);
    vec_gemv_half(x_out, h->w_down, a->ff_act, lp->b_down, d, ff);
    vec_add_inplace(x_out, a->x_mid, d);
}

void model_forward_half(const Model *m, Workspace *ws, const HalfWeights *hw, const KvCache *cache,
                        const Memory *mem, int32_t token) {
    const Config *c = &m->cfg;
    int L = c->n_layers, d = c->d_model;
    ws->T = 1;
    ws->M = mem->m + mem->cm;
    ws->K = ws->M + 1;
    ws->absorbed_last = 0;
    embedding_forward(ws->layer[0].x_in, &token, m->p.embed, 1, d);
    for (int l = 0; l < L; l++)
        layer_forward_half(m, ws, &hw->layer[l], ws->M ? kvcache_layer_half(cache, l) : NULL, l,
                           l + 1 < L ? ws->layer[l + 1].x_in : ws->x_out);
    layernorm_forward(ws->lnf, ws->lnf_mean, ws->lnf_rstd, ws->x_out, m->p.norm_w, m->p.norm_b, 1, d);
    linear_forward(ws->logits, ws->lnf, m->p.head_w, m->p.head_b, 1, d, c->vocab_size);
}
