// Attention-reconstruction loss (model.md): for each layer, how differently the layer's attention reads
// the rows just evicted from memory and their compressed version. Its gradient reaches only the convs:
// LayerNorm and the q/k/v projections are used as constants.
// To compare compression functions on one measure it runs through whichever function is active (its gradient
// reaches the function's parameters, when it has any); the autoencode loss and none are the alternatives.
#include "ar_loss.h"

#include <string.h>

#include "compress_ops.h"
#include "compression.h"
#include "ops.h"

// attn(h, rows) with the layer's detached LayerNorm and projections; returns normalised rows in rn.
static void project_rows(float *kout, float *vout, float *rn, float *mean, float *rstd, const float *rows,
                         const LayerParams *lp, int n, int d) {
    layernorm_forward(rn, mean, rstd, rows, lp->attn_norm_w, lp->attn_norm_b, n, d);
    linear_forward(kout, rn, lp->wk, NULL, n, d, d);
    linear_forward(vout, rn, lp->wv, lp->bv, n, d, d);
}

// conv_grads: where the gradient goes, laid out like the active CompressSet's block (weight then bias per layer);
// NULL, or a function without parameters, computes the loss only.
static float layer_ar(Model *m, Workspace *ws, CompressLossBuffers *a, int l, float *conv_grads, float weight) {
    const LayerParams *lp = &m->p.layer[l];
    CompressSet *cs = &m->sets[m->active];
    int B = ws->batch, T = ws->T, d = m->cfg.d_model, H = m->cfg.n_heads, S = ws->n_old, n = ws->n_comp;
    const float *old = ws->to_compress + (long)l * B * S * d;
    if (!compress_fn_has_params(cs->fn)) conv_grads = NULL;
    compress_fn_forward(m, cs, ws, l, a->cp, old, n, S);
    layernorm_forward(a->hn, a->h_mean, a->h_rstd, ws->layer[l].x_in, lp->attn_norm_w, lp->attn_norm_b, B * T, d);
    linear_forward(a->q, a->hn, lp->wq, NULL, B * T, d, d);
    project_rows(a->ko, a->vo, a->on, a->o_mean, a->o_rstd, old, lp, B * S, d);
    project_rows(a->kc, a->vc, a->cn, a->c_mean, a->c_rstd, a->cp, lp, B * n, d);
    plain_attention_forward(a->ao, a->po, a->q, a->ko, a->vo, B, T, S, d, H);
    plain_attention_forward(a->ac, a->pc, a->q, a->kc, a->vc, B, T, n, d, H);
    long count = (long)B * T * d;
    double sum = 0.0;
    for (long i = 0; i < count; i++) {
        float diff = a->ac[i] - a->ao[i];
        sum += (double)diff * diff;
        a->dac[i] = 2.0f * weight * diff / (float)count;
    }
    if (conv_grads) {
        memset(a->dkc, 0, sizeof(float) * B * n * d);
        memset(a->dvc, 0, sizeof(float) * B * n * d);
        plain_attention_backward(NULL, a->dkc, a->dvc, a->scratch, a->dac, a->pc, a->q, a->kc, a->vc, B, T, n, d, H);
        memset(a->dcn, 0, sizeof(float) * B * n * d);
        linear_backward(a->dcn, NULL, NULL, a->dkc, a->cn, lp->wk, B * n, d, d);
        linear_backward(a->dcn, NULL, NULL, a->dvc, a->cn, lp->wv, B * n, d, d);
        memset(a->dcp, 0, sizeof(float) * B * n * d);
        layernorm_backward(a->dcp, NULL, NULL, a->dcn, a->cp, a->c_mean, a->c_rstd, lp->attn_norm_w, B * n, d);
        compress_fn_backward(m, cs, ws, l, NULL, conv_grads + set_fn_offset(cs, l, d), a->dcp, old, n, S);
    }
    return (float)(sum / count);
}

// The autoencode loss of one layer: mean over the B·S·d elements of (g(f(old)) − old)², g the set's decoder of
// this layer; its gradient reaches g and, when f has parameters, f.
static float layer_autoencode(Model *m, Workspace *ws, CompressLossBuffers *a, int l, float *grads, float weight) {
    CompressSet *cs = &m->sets[m->active];
    int B = ws->batch, d = m->cfg.d_model, S = ws->n_old, n = ws->n_comp, c = cs->rate;
    const float *old = ws->to_compress + (long)l * B * S * d;
    const float *dec = cs->block.params + set_decoder_offset(cs, l, d);
    long count = (long)B * S * d;
    compress_fn_forward(m, cs, ws, l, a->cp, old, n, S);
    deconv_forward(a->rec, ws->compress_scratch, a->cp, dec, dec + (long)d * d * c, B * n, d, c);
    if (!grads) return mse_forward_backward(NULL, a->rec, old, count, 0.0f);
    memset(a->drec, 0, sizeof(float) * count);
    float loss = mse_forward_backward(a->drec, a->rec, old, count, weight);
    float *gdec = grads + set_decoder_offset(cs, l, d);
    int through_f = compress_fn_has_params(cs->fn);
    if (through_f) memset(a->dcomp, 0, sizeof(float) * B * n * d);
    deconv_backward(through_f ? a->dcomp : NULL, gdec, gdec + (long)d * d * c, ws->compress_scratch, a->drec, a->cp,
                    dec, B * n, d, c);
    if (through_f) compress_fn_backward(m, cs, ws, l, NULL, grads + set_fn_offset(cs, l, d), a->dcomp, old, n, S);
    return loss;
}

float model_ar_loss_into(Model *m, Workspace *ws, float *ar, float *conv_grads, float weight) {
    int L = m->cfg.n_layers;
    if (ws->n_old == 0 || m->cfg.compress_loss == COMPRESS_LOSS_NONE) return 0.0f;
    float total = 0.0f;
    for (int l = 0; l < L; l++) {
        float loss = weight * (m->cfg.compress_loss == COMPRESS_LOSS_AUTOENCODE
                                   ? layer_autoencode(m, ws, &ws->loss, l, conv_grads, weight)
                                   : layer_ar(m, ws, &ws->loss, l, conv_grads, weight));
        if (ar) ar[l] += loss;
        total += loss;
    }
    return total;
}

float model_ar_loss(Model *m, Workspace *ws, float *ar, int backward) {
    if (ar) memset(ar, 0, sizeof(float) * m->cfg.n_layers);
    CompressSet *cs = model_active_set(m);
    if (backward && ws->n_old && m->cfg.compress_loss != COMPRESS_LOSS_NONE) cs->used = 1;
    return model_ar_loss_into(m, ws, ar, backward ? cs->block.grads : NULL, 1.0f);
}

float model_attention_reconstruction(Model *m, Workspace *ws, float *ar) {
    int L = m->cfg.n_layers;
    if (ar) memset(ar, 0, sizeof(float) * L);
    if (ws->n_old == 0) return 0.0f;
    float total = 0.0f;
    for (int l = 0; l < L; l++) {
        float loss = layer_ar(m, ws, &ws->loss, l, NULL, 1.0f);
        if (ar) ar[l] = loss;
        total += loss;
    }
    return total;
}
