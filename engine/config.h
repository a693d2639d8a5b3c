// The model and training configuration: the keys of model.md, presets and validation.
#ifndef MEMSCOPE_CONFIG_H
#define MEMSCOPE_CONFIG_H

#include <stddef.h>

// The memory lab's choices (issue 6). The zero values are model.md's: conv compression, attention loss.
typedef enum {
    COMPRESS_CONV,      // Conv1d(d → d, kernel = stride = c) per layer (model.md)
    COMPRESS_MEAN,      // mean pooling, kernel = stride = c, no parameters
    COMPRESS_MAX,       // max pooling, kernel = stride = c, no parameters
    COMPRESS_DILATED,   // two residual dilated causal convs, then the stride-c conv (engine/compress_ops.h)
    COMPRESS_MOST_USED, // keeps the n most-attended of the n·c evicted rows, in time order; no parameters
    COMPRESS_FN_COUNT
} CompressFn;

typedef enum {
    COMPRESS_LOSS_ATTENTION,  // the attention-reconstruction loss of model.md
    COMPRESS_LOSS_AUTOENCODE, // MSE between the evicted rows and g(f_c(rows)), g a per-layer ConvTranspose1d
    COMPRESS_LOSS_NONE,       // nothing trains the compression
    COMPRESS_LOSS_COUNT
} CompressLoss;

typedef struct {
    // model keys (stored in checkpoint metadata)
    int vocab_size;       // V, from the corpus
    int d_model;          // d
    int n_heads;          // H
    int n_layers;         // L
    int d_ff;
    int seq_len;          // Q
    int mem_len;          // N_m
    int c_mem_len;        // N_cm
    int compression_rate; // c
    // training keys
    int batch_size;       // B
    float lr;
    int warmup;
    int lr_decay_steps; // 0: lr constant after warm-up (labml); else cosine down to lr/10 at this step, then flat
    float clip;
    unsigned long long seed;
    // memory-lab keys (stored in checkpoint metadata by name; changeable on --load and live)
    int compress;      // CompressFn
    int compress_loss; // CompressLoss
} Config;

// Fills cfg with a named preset ("labml" or "default"); returns 0, or -1 for an unknown name.
int config_preset(Config *cfg, const char *name);

// Applies "key=value"; on error writes one line into err and returns -1.
int config_set(Config *cfg, const char *assignment, char *err, size_t errlen);

// Checks every value and their relations (heads divide d_model, c >= 1, ...): the one rule of what a valid
// config is, used when a run starts, when a model is made, at every rate change and when a checkpoint opens.
int config_validate(const Config *cfg, char *err, size_t errlen);

#define CONFIG_MAX_RATE 64        // compression rates 1..64
#define CONFIG_MIN_NONZERO 1e-30  // smaller non-zero lr or clip values are refused (a float would make them 0)
// A compression rate the model can use with cfg's memory: 1..64 and, with a memory, at most mem_len (the
// convs read rate rows of it). The rule of config_validate for compression_rate, and of every rate change.
int config_rate_check(const Config *cfg, int rate, char *err, size_t errlen);

// R = N_cm + N_m + Q: rows of the relative tables.
int config_rel_len(const Config *cfg);

// True for keys that define the model's shape (taken from a checkpoint on --load).
int config_is_model_key(const char *key);

// Value of a key rendered as text (for metadata and `info`); returns -1 for an unknown key.
int config_get(const Config *cfg, const char *key, char *out, size_t outlen);

const char *compress_fn_name(int fn);      // "conv", "mean", "max", "dilated", "most-used"
int compress_fn_parse(const char *name);   // CompressFn, or -1
const char *compress_loss_name(int loss);  // "attention", "autoencode", "none"
int compress_loss_parse(const char *name); // CompressLoss, or -1

extern const char *const config_keys[];   // NULL-terminated, in documentation order
extern const char *const config_model_keys[]; // the model keys written to checkpoint metadata

#endif
