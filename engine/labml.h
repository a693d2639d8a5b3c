// labml.ai's Compressive Transformer state dict (labml_nn/transformers/compressive, saved with
// safetensors.torch.save_file) to and from memscope's model. The functions are the same (model.md follows
// labml's code); the names differ, and labml's relative tables keep 2P rows (P = 4096) indexed by P − δ where
// memscope keeps R = N_cm + N_m + Q rows indexed by δ.
#ifndef MEMSCOPE_LABML_H
#define MEMSCOPE_LABML_H

#include <stddef.h>

#include "config.h"
#include "data.h"
#include "model.h"
#include "safetensors.h"

#define LABML_P 4096 // labml's RelativeMultiHeadAttention.P: its tables have 2P rows

// labml's name of a memscope model tensor ("layers.3.attn.q.weight" → "transformer.layers.3.self_attn.query.
// linear.weight"), 0; -1 when the name has no labml counterpart.
int labml_name(const char *ours, char *out, size_t n);
// The reverse; -1 when the name is not one of labml's model tensors.
int labml_our_name(const char *labml, char *out, size_t n);

// A PyTorch pickle (zip archive or pickle protocol 2+ magic, or a .pt/.pth name) is refused with the one line of
// Python that converts it; 0 when path looks like anything else.
int labml_refuse_pickle(const char *path, char *err, size_t errlen);

// The model keys that labml's shapes fix (d_model, n_heads, n_layers, d_ff, compression_rate, vocab_size) into
// cfg; seq_len, mem_len and c_mem_len are not in a state dict and stay as cfg has them. Names the first tensor
// that is missing or does not fit.
int labml_read_shapes(const StFile *f, const char *path, Config *cfg, char *err, size_t errlen);
// Copies every tensor of f into m (whose config came from labml_read_shapes plus the three lengths): relative
// rows δ < R from labml's row P − δ. Names any missing tensor, wrong shape or tensor that is not labml's.
int labml_load(const StFile *f, const char *path, Model *m, char *err, size_t errlen);
// Writes m (its active compression, which must be the conv) under labml's names and shapes; rows of the
// relative tables that memscope never reads are zero.
int labml_save(const Model *m, const char *path, char *err, size_t errlen);

#endif
