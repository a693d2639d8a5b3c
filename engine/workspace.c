// The workspace: every buffer a forward, backward, memory update and compression loss use, allocated once.
#include "workspace.h"

#include <stdlib.h>

#include "absorbed_attention.h"
#include "compress_ops.h"
#include "model.h"

// Every buffer of a workspace comes from here: it counts the bytes into ws->bytes and, when the workspace is
// only a plan (workspace_bytes), allocates none of them, so the budget and the allocation are the same code.
static float *ws_floats(Workspace *ws, size_t n) {
    ws->bytes += (n + 1) * sizeof(float);
    if (ws->plan_only) return NULL;
    float *x = calloc(n + 1, sizeof(float));
    if (!x) abort();
    return x;
}

static void layer_acts_alloc(Workspace *ws, LayerActs *a, const Config *c, int B, int max_K, int max_M) {
    size_t d = c->d_model, Q = c->seq_len, BQ = (size_t)B * Q;
    a->x_in = ws_floats(ws, BQ * d);
    a->ln1 = ws_floats(ws, BQ * d);
    a->ln1_mean = ws_floats(ws, BQ);
    a->ln1_rstd = ws_floats(ws, BQ);
    a->qkv = ws_floats(ws, BQ * 3 * d);
    a->mem_xhat = ws_floats(ws, (size_t)B * max_M * d);
    a->mem_mean = ws_floats(ws, (size_t)B * max_M);
    a->mem_rstd = ws_floats(ws, (size_t)B * max_M);
    a->probs = ws_floats(ws, BQ * c->n_heads * max_K);
    a->ctx = ws_floats(ws, BQ * d);
    a->x_mid = ws_floats(ws, BQ * d);
    a->ln2 = ws_floats(ws, BQ * d);
    a->ln2_mean = ws_floats(ws, BQ);
    a->ln2_rstd = ws_floats(ws, BQ);
    a->ff_pre = ws_floats(ws, BQ * c->d_ff);
    a->ff_act = ws_floats(ws, BQ * c->d_ff);
}

static void layer_acts_free(LayerActs *a) {
    float *all[] = {a->x_in,  a->ln1,   a->ln1_mean, a->ln1_rstd, a->qkv,      a->mem_xhat,
                    a->mem_mean, a->mem_rstd, a->probs, a->ctx,      a->x_mid,
                    a->ln2,   a->ln2_mean, a->ln2_rstd, a->ff_pre, a->ff_act};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
}

// The buffers only one path of the memory attention needs: the absorbed path never projects memory keys, the
// projected path keeps no absorbed sums.
static void attention_path_alloc(Workspace *ws) {
    size_t before = ws->bytes;
    AttentionDims dm = ws->max_dims;
    size_t d = dm.d_model, BM = (size_t)ws->batch * ws->max_M;
    long scratch = attention_scratch_floats(dm);
    if (!ws->absorbed) {
        for (int l = 0; l < ws->n_layers; l++) ws->layer[l].kv_mem = ws_floats(ws, BM * 2 * d);
        ws->dkv_mem = ws_floats(ws, BM * 2 * d);
        ws->proj_scratch = ws_floats(ws, 3 * d * d + 3 * d);
    } else {
        for (int l = 0; l < ws->n_layers; l++) ws->layer[l].absorbed = ws_floats(ws, absorbed_attention_saved_floats(dm));
        long need = absorbed_attention_scratch_floats(dm);
        scratch = need > scratch ? need : scratch;
    }
    ws->scratch = ws_floats(ws, scratch);
    ws->path_bytes = ws->bytes - before;
}

static void attention_path_free(Workspace *ws) {
    for (int l = 0; l < ws->n_layers; l++) {
        free(ws->layer[l].kv_mem);
        free(ws->layer[l].absorbed);
        ws->layer[l].kv_mem = ws->layer[l].absorbed = NULL;
    }
    free(ws->dkv_mem);
    free(ws->proj_scratch);
    free(ws->scratch);
    ws->dkv_mem = ws->proj_scratch = ws->scratch = NULL;
}

static int absorbed_for(MemoryAttention how, AttentionDims dm) {
    if (dm.mem_keys == 0) return 0;
    if (how == MEMORY_ATTENTION_BY_COST) return absorbed_attention_pays(dm);
    return how == MEMORY_ATTENTION_ABSORBED;
}

void workspace_set_memory_attention(Workspace *ws, MemoryAttention how) {
    attention_path_free(ws);
    ws->bytes -= ws->path_bytes;
    ws->absorbed = absorbed_for(how, ws->max_dims);
    attention_path_alloc(ws);
}

// The compression loss's buffers in the order of CompressLossBuffers; returns how many.
static int loss_slots(CompressLossBuffers *a, float **slots[]) {
    float **all[] = {&a->hn, &a->h_mean, &a->h_rstd, &a->on,  &a->o_mean, &a->o_rstd, &a->cp,  &a->cn,
                     &a->c_mean, &a->c_rstd, &a->q,  &a->ko,  &a->vo,     &a->kc,     &a->vc,  &a->ao,
                     &a->ac, &a->po,  &a->pc,     &a->dac, &a->dkc,    &a->dvc,    &a->dcn, &a->dcp,
                     &a->scratch, &a->rec, &a->drec, &a->dcomp};
    int n = (int)(sizeof all / sizeof all[0]);
    for (int i = 0; i < n; i++) slots[i] = all[i];
    return n;
}

// Sized for the largest segment: B streams, Q ≤ max_T queries, S ≤ rows_max evicted rows per stream.
static void loss_buffers_alloc(Workspace *ws, CompressLossBuffers *a, int B, int Q, int S, int d, int H) {
    long BQd = (long)B * Q * d, BSd = (long)B * S * d, BQ = (long)B * Q, BS = (long)B * S;
    long sizes[] = {BQd, BQ,  BQ,  BSd, BS,  BS,  BSd, BSd, BS,  BS, BQd, BSd, BSd, BSd, BSd, BQd, BQd,
                    BQ * H * S, BQ * H * S, BQd, BSd, BSd, BSd, BSd, (long)Q * S, BSd, BSd, BSd};
    float **slots[32];
    int n = loss_slots(a, slots);
    for (int i = 0; i < n; i++) *slots[i] = ws_floats(ws, (size_t)sizes[i]);
}

static void loss_buffers_free(CompressLossBuffers *a) {
    float **slots[32];
    int n = loss_slots(a, slots);
    for (int i = 0; i < n; i++) free(*slots[i]);
}

// The compression function's and the decoder's scratch for up to `rows` evicted rows (any rate).
static long compress_scratch_for(long rows, int d) {
    long need[] = {compress_scratch_floats((int)rows, d, 1), dilated_scratch_floats((int)rows, d, 1),
                   deconv_scratch_floats((int)rows, d, 1)};
    long most = 0;
    for (int i = 0; i < 3; i++) most = need[i] > most ? need[i] : most;
    return most;
}

Workspace *workspace_new(const Model *m, int batch) { return workspace_new_shard(m, batch, 0); }

// Lays out (plan_only: counts) every buffer of a workspace of `batch` streams into ws.
static void workspace_build(Workspace *ws, const Config *c, int batch, int stream0) {
    ws->bytes += sizeof *ws + (size_t)c->n_layers * sizeof(LayerActs);
    ws->n_layers = c->n_layers;
    ws->batch = batch;
    ws->stream0 = stream0;
    ws->max_T = c->seq_len;
    ws->max_M = c->mem_len + c->c_mem_len;
    ws->max_K = ws->max_M + c->seq_len;
    ws->max_dims = (AttentionDims){batch, ws->max_T, ws->max_M, c->d_model, c->n_heads, config_rel_len(c)};
    ws->layer = calloc(c->n_layers, sizeof(LayerActs));
    if (!ws->layer) abort();
    for (int l = 0; l < c->n_layers; l++) layer_acts_alloc(ws, &ws->layer[l], c, batch, ws->max_K, ws->max_M);
    size_t d = c->d_model, BQ = (size_t)batch * c->seq_len, V = c->vocab_size;
    size_t wide = BQ * (d > (size_t)c->d_ff ? d : (size_t)c->d_ff);
    ws->x_out = ws_floats(ws, BQ * d);
    ws->lnf = ws_floats(ws, BQ * d);
    ws->lnf_mean = ws_floats(ws, BQ);
    ws->lnf_rstd = ws_floats(ws, BQ);
    ws->logits = ws_floats(ws, BQ * V);
    ws->probs = ws_floats(ws, BQ * V);
    ws->losses = ws_floats(ws, BQ);
    float **bufs[] = {&ws->dx, &ws->dmid, &ws->dln, &ws->dff_act, &ws->dff_pre, &ws->dctx, &ws->dz};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) *bufs[i] = ws_floats(ws, wide + BQ * V);
    ws->dqkv = ws_floats(ws, BQ * 3 * d);
    ws->absorbed = absorbed_for(MEMORY_ATTENTION_BY_COST, ws->max_dims);
    attention_path_alloc(ws);
    ws->bias3 = ws_floats(ws, 3 * d);
    ws->dbias3 = ws_floats(ws, 3 * d);
    ws->rows_max = c->mem_len + c->seq_len;
    ws->to_compress = ws_floats(ws, (size_t)c->n_layers * batch * ws->rows_max * d);
    ws->comp = ws_floats(ws, (size_t)batch * ws->rows_max * d);
    ws->compress_scratch = ws_floats(ws, compress_scratch_for((long)batch * ws->rows_max, c->d_model));
    loss_buffers_alloc(ws, &ws->loss, batch, ws->max_T, ws->rows_max, c->d_model, c->n_heads);
    size_t selection = (size_t)c->n_layers * batch * ws->rows_max + 1;
    ws->bytes += selection * sizeof(int32_t);
    if (ws->plan_only) return;
    ws->selection = calloc(selection, sizeof(int32_t));
    if (!ws->selection) abort();
}

Workspace *workspace_new_shard(const Model *m, int batch, int stream0) {
    Workspace *ws = calloc(1, sizeof *ws);
    if (!ws) abort();
    workspace_build(ws, &m->cfg, batch, stream0);
    return ws;
}

size_t workspace_bytes(const Config *c, int batch) {
    Workspace plan = {.plan_only = 1};
    workspace_build(&plan, c, batch, 0);
    free(plan.layer);
    return plan.bytes;
}


void workspace_free(Workspace *ws) {
    if (!ws) return;
    attention_path_free(ws);
    loss_buffers_free(&ws->loss);
    for (int l = 0; l < ws->n_layers; l++) layer_acts_free(&ws->layer[l]);
    float *bufs[] = {ws->x_out, ws->lnf,     ws->lnf_mean, ws->lnf_rstd, ws->logits,      ws->probs,
                     ws->losses, ws->dx,     ws->dmid,     ws->dln,      ws->dff_act,     ws->dff_pre,
                     ws->dctx,  ws->dz,      ws->dqkv,     ws->bias3,    ws->dbias3,      ws->to_compress,
                     ws->comp,  ws->compress_scratch};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(ws->selection);
    free(ws->layer);
    free(ws);
}

const float *workspace_logits(const Workspace *ws) { return ws->logits; }
const float *workspace_losses(const Workspace *ws) { return ws->losses; }
const float *workspace_layer_inputs(const Workspace *ws, int layer) { return ws->layer[layer].x_in; }
const float *workspace_attention(const Workspace *ws, int layer) { return ws->layer[layer].probs; }
int workspace_keys(const Workspace *ws) { return ws->K; }
int workspace_batch(const Workspace *ws) { return ws->batch; }
int workspace_stream0(const Workspace *ws) { return ws->stream0; }
void workspace_use_cache(Workspace *ws, const struct KvCache *cache) { ws->cache = cache; }
