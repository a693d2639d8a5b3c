// Activations, gradients and scratch of one forward/backward for `batch` streams and segments of up to
// seq_len tokens, sized once at creation so that no step allocates. The layout below is internal to the
// engine; app/ uses the functions only.
#ifndef MEMSCOPE_WORKSPACE_H
#define MEMSCOPE_WORKSPACE_H

#include <stdint.h>

#include "config.h"
#include "ops.h"

struct Model;
struct KvCache;
typedef struct Workspace Workspace;

// How the memory attention reads the memory rows: absorbed into the queries (absorbed_attention.h), or by
// projecting every memory row to keys and values; by default whichever does clearly fewer multiply-adds.
typedef enum { MEMORY_ATTENTION_BY_COST, MEMORY_ATTENTION_ABSORBED, MEMORY_ATTENTION_PROJECTED } MemoryAttention;

Workspace *workspace_new(const struct Model *m, int batch);
// A workspace for `batch` streams of a larger memory, starting at memory stream stream0 (a shard).
Workspace *workspace_new_shard(const struct Model *m, int batch, int stream0);
void workspace_free(Workspace *ws);
// Chooses the memory attention's path from the next forward on (re-sizing its buffers: not inside a step).
// Both paths give the same values up to round-off; benchmarks and tests compare them.
void workspace_set_memory_attention(Workspace *ws, MemoryAttention how);

const float *workspace_logits(const Workspace *ws);      // (B, T, V)
const float *workspace_losses(const Workspace *ws);      // (B, T) CE of each position (a forward with targets)
const float *workspace_layer_inputs(const Workspace *ws, int layer); // (B, T, d): new memory of layer
const float *workspace_attention(const Workspace *ws, int layer);    // (B, H, T, K) of the last forward
int workspace_keys(const Workspace *ws);                  // K of the last forward
int workspace_batch(const Workspace *ws);
int workspace_stream0(const Workspace *ws);            // first memory stream it covers
// Forward passes read memory keys/values from cache instead of projecting memory rows (no backward).
void workspace_use_cache(Workspace *ws, const struct KvCache *cache);

typedef struct {
    float *x_in;                // (B, Q, d) layer input = this layer's new memory
    float *ln1, *ln1_mean, *ln1_rstd; // (B, Q, d), (B, Q), (B, Q)
    float *qkv;                 // (B, Q, 3d) [q | k | v] of the segment's rows
    float *mem_xhat;            // (B, M_max, d) memory rows [cmem; mem] per stream, normalised (no affine)
    float *mem_mean, *mem_rstd; // (B, M_max)
    float *kv_mem;              // (B, M_max, 2d) [k | v] of the memory rows
    float *probs;               // (B, H, Q, K_max) packed as (B, H, T, K) for the current K
    float *ctx;                 // (B, Q, d)
    float *x_mid;               // (B, Q, d) after the attention residual
    float *ln2, *ln2_mean, *ln2_rstd;
    float *ff_pre, *ff_act;     // (B, Q, d_ff)
    float *absorbed;            // AbsorbedSaved of the absorbed memory attention (NULL when not used)
} LayerActs;

// The compression loss's buffers (ar_loss.c) for B streams, Q ≤ max_T queries and S ≤ B·rows_max evicted rows.
typedef struct {
    float *hn, *h_mean, *h_rstd;       // (B, Q, d), (B, Q), (B, Q) the segment's rows normalised
    float *on, *o_mean, *o_rstd;       // (B, S, d), (B, S), (B, S) the evicted rows normalised
    float *cp, *cn, *c_mean, *c_rstd;  // (B, n, d) compressed rows raw and normalised
    float *q, *ko, *vo, *kc, *vc;      // projections: (B, Q, d), then (B, S, d) each
    float *ao, *ac, *po, *pc;          // attention outputs (B, Q, d) and probabilities (B, H, Q, S)
    float *dac, *dkc, *dvc, *dcn, *dcp, *scratch; // their gradients, and plain attention's scratch (Q, S)
    float *rec, *drec, *dcomp;         // autoencode: g(f(old)) (B, S, d), its gradient, f's output gradient
} CompressLossBuffers;

struct Workspace {
    int n_layers;
    int batch, T, K, M;         // sizes of the last forward (T, K, M)
    int stream0;                // first memory stream this workspace covers (a shard of the batch)
    const struct KvCache *cache; // memory keys/values kept by a generator (inference only), or NULL
    int max_T, max_K, max_M;
    AttentionDims max_dims;     // the largest segment's attention shapes (buffers are sized for them)
    int absorbed;               // memory attention through absorbed_attention.h (workspace_set_memory_attention)
    int absorbed_last;          // the last forward took that path (memory present, no cache)
    LayerActs *layer;           // (L)
    float *x_out;               // (B, Q, d) output of the last layer
    float *lnf, *lnf_mean, *lnf_rstd;
    float *logits, *probs, *losses; // (B, Q, V), (B, Q, V), (B, Q)
    // backward scratch, one layer at a time
    float *dx, *dmid, *dln, *dff_act, *dff_pre, *dctx, *dz; // (B, Q, max(d, d_ff))
    float *dqkv;                // (B, Q, 3d)
    float *dkv_mem;             // (B, M_max, 2d)
    float *scratch;             // attention scratch
    float *proj_scratch;        // (3d·d + 3d) folded weights / weight-gradient products
    float *bias3, *dbias3;      // (3d) [0 | 0 | b_v] and its gradient
    // memory update / AR loss
    int n_old;                  // rows removed by the last memory update (per stream)
    int n_comp;                 // compressed rows made from them
    int rate;                   // rate used
    float *to_compress;         // (L, B, rows_max, d)
    float *comp;                // (B, rows_max, d)
    int32_t *selection;         // (L, B, rows_max): the rows most-used kept at the last update
    float *compress_scratch;    // the compression function's and the decoder's scratch (compress_ops.h)
    CompressLossBuffers loss;
    int rows_max;               // rows one stream can evict at once (mem_len + seq_len)
    size_t bytes;               // allocated by workspace_new (workspace_bytes counts the same)
    size_t path_bytes;          // of those, the memory attention path's (replaced by workspace_set_memory_attention)
    int plan_only;              // a plan: the sizes are counted, nothing is allocated (workspace_bytes)
};

// The bytes workspace_new(m, batch) allocates for a model of config c: the same code counts them.
size_t workspace_bytes(const Config *c, int batch);

#endif
