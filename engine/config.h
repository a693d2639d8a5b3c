// The model and training configuration: the keys of model.md, presets and validation.
#ifndef MEMSCOPE_CONFIG_H
#define MEMSCOPE_CONFIG_H

#include <stddef.h>

// The memory lab's choices: how evicted memory is compressed and what trains the compression. The zero
// values are model.md's: conv compression, attention loss.
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

#define CONFIG_MAX_LAYERS 64      // n_layers 1..64: the per-layer arrays of Model, Trainer and HalfModel hold this many
#define CONFIG_MAX_RATE 64        // compression rates 1..64
#define CONFIG_MIN_NONZERO 1e-30  // smaller non-zero lr or clip values are refused (a float would make them 0)

// One compression function or loss: its name (in --set, metadata, the TUI), whether it has parameters of
// its own to train (functions), the stem of its tensor names (functions) and a line of help. The arrays
// below are indexed by CompressFn and CompressLoss and end with a NULL name.
typedef struct {
    const char *name;
    int has_params;
    const char *tensor_stem; // layers.L.compress_STEM_rN. ("" for conv: layers.L.compress.); also a name alias
    const char *help;
} ConfigChoice;
extern const ConfigChoice compress_fn_choices[COMPRESS_FN_COUNT + 1];
extern const ConfigChoice compress_loss_choices[COMPRESS_LOSS_COUNT + 1];

// The config keys: the one table --set, config_validate, checkpoint metadata, `info`, the train log,
// --help and `memscope help keys` read (the man page and the bash completion are tested against it).
typedef enum { CONFIG_INT, CONFIG_FLOAT, CONFIG_U64, CONFIG_CHOICE } ConfigType;
typedef enum {
    CONFIG_MODEL_KEY,    // the model's shape: stored in checkpoints, taken from one on --load
    CONFIG_TRAINING_KEY, // the optimizer and the batch: stored, changeable on --load
    CONFIG_LAB_KEY,      // the memory lab's compression choice: stored by name, changeable on --load and live
} ConfigKind;
typedef struct {
    const char *name;
    ConfigType type;
    ConfigKind kind;
    size_t offset;               // of the field in Config (int, float or unsigned long long)
    double min, max;             // inclusive range of CONFIG_INT and CONFIG_FLOAT (CONFIG_CHOICE: the indices)
    const ConfigChoice *choices; // CONFIG_CHOICE: the names, index = the field's value
    const char *absent;          // what a checkpoint without the key means (model.md files), or NULL
    const char *help;
} ConfigKey;
extern const ConfigKey config_key_table[]; // in documentation order
extern const int config_key_count;
const ConfigKey *config_key_find(const char *name); // NULL for an unknown key

// Fills cfg with a named preset ("labml" or "default"); returns 0, or -1 for an unknown name.
int config_preset(Config *cfg, const char *name);

// Applies "key=value"; on error writes one line into err and returns -1.
int config_set(Config *cfg, const char *assignment, char *err, size_t errlen);

// Checks every value against the table and the relations between keys (heads divide d_model, mem_len >=
// compression_rate with a compressed memory, ...): the one rule of what a valid config is. Checked where a
// config enters: the app once its --set and corpus are known, checkpoint_open, every rate change;
// model_new trusts it.
int config_validate(const Config *cfg, char *err, size_t errlen);
// A compression rate the model can use with cfg's memory: 1..64 and, with a memory, at most mem_len (the
// convs read rate rows of it). The rule of config_validate for compression_rate, and of every rate change.
int config_rate_check(const Config *cfg, int rate, char *err, size_t errlen);

// R = N_cm + N_m + Q: rows of the relative tables.
int config_rel_len(const Config *cfg);

// True for keys that define the model's shape (taken from a checkpoint on --load): CONFIG_MODEL_KEY.
int config_is_model_key(const char *key);

// Value of a key rendered as text (for metadata and `info`); returns -1 for an unknown key.
int config_get(const Config *cfg, const char *key, char *out, size_t outlen);

const char *compress_fn_name(int fn);      // compress_fn_choices[fn].name, or "?"
int compress_fn_parse(const char *name);   // CompressFn (by name or tensor stem), or -1
const char *compress_loss_name(int loss);  // compress_loss_choices[loss].name, or "?"
int compress_loss_parse(const char *name); // CompressLoss, or -1
// "conv, mean, max, dilated or most-used": the choices as a sentence (sep between names, last before the last).
void config_choice_list(const ConfigChoice *choices, const char *sep, const char *last, char *out, size_t n);

#endif
