// Activations and gradient buffers of one forward/backward (internal to the engine).
#ifndef MEMSCOPE_WORKSPACE_H
#define MEMSCOPE_WORKSPACE_H

#include "model.h"

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

struct Workspace {
    int n_layers;
    int batch, T, K, M;
    int stream0;                // first memory stream this workspace covers (a shard of the batch)
    const struct KvCache *cache; // memory keys/values kept by a generator (inference only), or NULL         // sizes of the last forward
    int max_T, max_K, max_M;
    int absorbed;               // memory attention through absorbed_attention.h (chosen at creation by cost)
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
    float *ar_buf;              // AR scratch
    long ar_floats;
    int rows_max;
    size_t bytes;               // allocated by workspace_new (the AR scratch, made at the first compression, apart)
    int plan_only;              // a plan: the sizes are counted, nothing is allocated (workspace_bytes)
};

// The bytes workspace_new(m, batch) allocates for a model of config c: the same code counts them.
size_t workspace_bytes(const Config *c, int batch);

#endif
