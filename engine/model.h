// The Compressive Transformer's parameters (model.md): the Model, its main block and its compression sets.
// The forward and backward are in forward.h, their buffers in workspace.h, the memory step in compression.h.
#ifndef MEMSCOPE_MODEL_H
#define MEMSCOPE_MODEL_H

#include <stdint.h>

#include "config.h"
#include "memory.h"
#include "rng.h"

#define MAX_COMPRESS_SETS 64 // parameter sets of every (compression function, rate) pair a model holds (a checkpoint's all load)
// Policy for sets made while training (the TUI's + and f): at most this many, taking at most this many bytes
// together (parameters, gradients, Adam m and v); a checkpoint holds at most what training could make.
#define COMPRESS_SETS_CAP 16
#define COMPRESS_SETS_MAX_BYTES (1024.0 * 1048576.0)


typedef struct {
    float *attn_norm_w, *attn_norm_b; // (d), (d)
    float *wq, *wk;                   // (d, d), (d, d)
    float *wv, *bv;                   // (d, d), (d)
    float *wo, *bo;                   // (d, d), (d)
    float *rel_key;                   // (R, H, d_k)
    float *rel_bias;                  // (R, H)
    float *content_bias;              // (H, d_k)
    float *ffn_norm_w, *ffn_norm_b;   // (d), (d)
    float *w_up, *b_up;               // (d_ff, d), (d_ff)
    float *w_down, *b_down;           // (d, d_ff), (d)
} LayerParams;

typedef struct {
    float *embed;            // (V, d)
    LayerParams layer[CONFIG_MAX_LAYERS]; // n_layers used
    float *norm_w, *norm_b;  // (d), (d)
    float *head_w, *head_b;  // (V, d), (V)
} ModelParams;

// One named tensor of a parameter block, in checkpoint order.
typedef struct {
    char name[96];
    int ndim;
    int64_t shape[3];
    long offset; // floats from the block's start
    long numel;
} TensorInfo;

typedef struct {
    TensorInfo *tensors;
    int n;
    long total; // floats
} TensorLayout;

// Parameters, gradients and Adam moments of one block: four allocations of `total` floats, laid out
// tensor by tensor in the same order, so the optimizer is one flat loop.
typedef struct {
    TensorLayout layout;
    float *params, *grads, *adam_m, *adam_v;
    long adam_t; // Adam steps taken by this block
} ParamBlock;

// One compression set: the parameters of one (compression function, rate), layer after layer (for conv,
// model.md's per-layer weight (d, d, c) then bias (d); none for mean, max and most-used pooling), then, with
// the autoencode loss, each layer's decoder weight (d, d, c) and bias (d).
typedef struct {
    int rate;
    ParamBlock block;
    int used; // took part in this step's loss (so it gets an optimizer update)
    int fn;            // CompressFn (COMPRESS_CONV for model.md's convs)
    int has_decoder;   // the layout ends with the autoencode loss's decoders
    long fn_floats;    // floats of the function's own tensors (every layer); the decoders follow
    long capacity;     // floats allocated per array (the decoders' room outlives a change of loss)
    int decoder_ready; // the decoders have been initialised
} CompressSet;

typedef struct Model {
    Config cfg;
    int d_k, rel_len;
    ParamBlock main; // every tensor but the compression sets
    ModelParams p, g; // pointers into main.params / main.grads
    CompressSet sets[MAX_COMPRESS_SETS];
    int n_sets;
    int active; // index into sets of the set in use: cfg.compress at cfg.compression_rate (loss: cfg.compress_loss)
} Model;

// Creates a model with PyTorch's default initialisation from seed. Returns NULL (with err) when memory runs
// out. cfg must have passed config_validate (where it entered: the command's start or checkpoint_open).
Model *model_new(const Config *cfg, uint64_t seed, char *err, size_t errlen);
void model_free(Model *m);
long model_param_count(const Model *m); // main + the active compression set
long model_main_floats(const Config *cfg); // floats of the main block's layout (every tensor but the sets)
long model_active_set_floats(const Config *cfg); // floats of the set model_new makes active (cfg->compress)
// Bytes model_new(cfg) allocates (parameters, gradients, Adam m and v, tensor tables), from the layout code
// that allocates them; model_bytes: those a model holds now (it grows with every compression set made).
size_t model_new_bytes(const Config *cfg);
size_t model_bytes(const Model *m);

// Selects compression rate c, creating its convs as mean pooling when the rate is new.
int model_set_rate(Model *m, int rate, char *err, size_t errlen);
CompressSet *model_active_set(Model *m); // the set in use (cfg.compress at cfg.compression_rate)
float *conv_weight(const CompressSet *cs, int layer, int d);  // (d, d, c)
float *conv_bias(const CompressSet *cs, int layer, int d);    // (d)
float *conv_grad_weight(const CompressSet *cs, int layer, int d);
float *conv_grad_bias(const CompressSet *cs, int layer, int d);

void model_zero_grad(Model *m);
// Points g at a block laid out like the model's main parameters.
void model_point_params(ModelParams *g, float *base, const Config *cfg);

// ---- the compression functions' parameter sets and the compression losses
int compress_fn_has_params(int fn);
// Selects the compression function and loss from the next compression on (compressed slots already made stay).
// Each (function, rate) keeps its own parameters; a new conv or dilated set starts as mean pooling, a new
// decoder as the transpose of mean pooling (each compressed row repeated c times). Changing the loss adds or
// drops the decoders of every set (their values are kept for a switch back). The conv of the current rate
// always exists (model.md's checkpoint names it `compress`).
int model_set_compression(Model *m, int fn, int loss, char *err, size_t errlen);
// Bytes all parameter sets take (parameters, gradients, Adam m and v).
double model_compress_sets_bytes(const Model *m);
// 0 when selecting (fn, rate, loss) stays within COMPRESS_SETS_CAP sets and COMPRESS_SETS_MAX_BYTES (it may
// create the rate's conv, the function's set and decoders); else -1 with one line in err saying which limit.
int model_compress_sets_allow(const Model *m, int fn, int rate, int loss, char *err, size_t errlen);
// The set of (fn, rate), created as above when new, without selecting it (checkpoint loading); NULL + err.
CompressSet *model_compress_set(Model *m, int fn, int rate, char *err, size_t errlen);
// Checkpoint names: conv sets as model.md (`layers.{l}.compress.*` for the current rate, `compress_r{c}.*`
// for others, decoders as `.decoder.weight/.bias` beneath them); other sets `layers.{l}.compress_{fn}_r{c}.*`
// (fn mean, max, dilated, most_used). The Adam step key is `optim.t.r{c}` for convs, `optim.t.{fn}_r{c}` else.
void compress_set_tensor_name(const Model *m, const CompressSet *cs, int i, char *out, size_t n);
void compress_set_state_key(const CompressSet *cs, char *out, size_t n);
// The name stem of a set's tensors ("layers.0.compress_dilated_r4."; "layers.0.compress." for convs).
void compress_set_stem(int fn, int rate, int layer, char *out, size_t n);
// For a tensor of layer 0 of a non-conv set ("layers.0.compress_dilated_r4.conv1.weight"): its function and
// rate, returning 1; 0 for any other name.
int compress_set_parse(const char *name, int *fn, int *rate);

// Where a set's tensors sit (in its params, or in any buffer laid out like its block)
long set_layer_floats(int fn, int d, int c);          // one layer's function tensors
float *set_fn_params(const CompressSet *cs, int layer, int d);
long set_fn_offset(const CompressSet *cs, int layer, int d);
long set_decoder_offset(const CompressSet *cs, int layer, int d); // weight (d, d, c) then bias (d)

#endif
