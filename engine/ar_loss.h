// The compression losses of the rows the last memory update removed: model.md's attention-reconstruction
// loss, the autoencode loss, or none (cfg.compress_loss).
#ifndef MEMSCOPE_AR_LOSS_H
#define MEMSCOPE_AR_LOSS_H

#include "model.h"
#include "workspace.h"

// The loss of the rows removed by the last model_update_memory; per-layer values into ar (L).
// With backward != 0, adds its gradient into the active set's gradients.
float model_ar_loss(Model *m, Workspace *ws, float *ar, int backward);
// For one shard: the loss scaled by weight (its share of the batch), added into ar; with conv_grads (laid
// out like the active CompressSet's block) its gradient is added there. Safe to run shards in parallel.
float model_ar_loss_into(Model *m, Workspace *ws, float *ar, float *conv_grads, float weight);
// The loss above follows m->cfg.compress_loss (0 for none; the autoencode MSE per layer for autoencode). This is
// model.md's attention-reconstruction loss of the same rows whatever the training loss, per layer into ar
// (L), without gradient: the "reconstruction error" that compares compression functions.
float model_attention_reconstruction(Model *m, Workspace *ws, float *ar);

#endif
