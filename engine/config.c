// Presets, key=value parsing and validation of the configuration.
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const ConfigChoice compress_fn_choices[COMPRESS_FN_COUNT + 1] = {
    [COMPRESS_CONV] = {"conv", 1, "", "Conv1d(d -> d, kernel = stride = c) per layer, the paper's"},
    [COMPRESS_MEAN] = {"mean", 0, "mean", "mean of each c rows; no parameters"},
    [COMPRESS_MAX] = {"max", 0, "max", "maximum of each c rows; no parameters"},
    [COMPRESS_DILATED] = {"dilated", 1, "dilated", "two residual dilated causal convs, then the stride-c conv"},
    [COMPRESS_MOST_USED] = {"most-used", 0, "most_used", "keeps the rows attention used most, in time order; no "
                                                         "parameters"},
    [COMPRESS_FN_COUNT] = {NULL, 0, NULL, NULL},
};
const ConfigChoice compress_loss_choices[COMPRESS_LOSS_COUNT + 1] = {
    [COMPRESS_LOSS_ATTENTION] = {"attention", 0, NULL, "the attention-reconstruction loss, the paper's"},
    [COMPRESS_LOSS_AUTOENCODE] = {"autoencode", 0, NULL, "reconstructs the evicted rows through a decoder per layer"},
    [COMPRESS_LOSS_NONE] = {"none", 0, NULL, "nothing trains the compression"},
    [COMPRESS_LOSS_COUNT] = {NULL, 0, NULL, NULL},
};

static int choice_index(const ConfigChoice *choices, const char *name) {
    for (int i = 0; choices[i].name; i++)
        if (!strcmp(name, choices[i].name)) return i;
    for (int i = 0; choices[i].name; i++) // a tensor stem is an alias ("most_used")
        if (choices[i].tensor_stem && choices[i].tensor_stem[0] && !strcmp(name, choices[i].tensor_stem)) return i;
    return -1;
}

const char *compress_fn_name(int fn) { return fn >= 0 && fn < COMPRESS_FN_COUNT ? compress_fn_choices[fn].name : "?"; }
const char *compress_loss_name(int loss) {
    return loss >= 0 && loss < COMPRESS_LOSS_COUNT ? compress_loss_choices[loss].name : "?";
}
int compress_fn_parse(const char *name) { return choice_index(compress_fn_choices, name); }
int compress_loss_parse(const char *name) { return choice_index(compress_loss_choices, name); }

void config_choice_list(const ConfigChoice *choices, const char *sep, const char *last, char *out, size_t n) {
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; choices[i].name && used < n; i++) {
        const char *before = i == 0 ? "" : choices[i + 1].name ? sep : last;
        int k = snprintf(out + used, n - used, "%s%s", before, choices[i].name);
        if (k < 0) break;
        used += (size_t)k;
    }
}

#define KEY(field, type, kind, lo, hi, absent, help) {#field, type, kind, offsetof(Config, field), lo, hi, NULL, absent, help}
#define MODEL_KEY(field, lo, hi, help) KEY(field, CONFIG_INT, CONFIG_MODEL_KEY, lo, hi, NULL, help)
#define CHOICE_KEY(field, choices, count, absent, help)                                                             \
    {#field, CONFIG_CHOICE, CONFIG_LAB_KEY, offsetof(Config, field), 0, (count) - 1, choices, absent, help}
const ConfigKey config_key_table[] = {
    MODEL_KEY(d_model, 1, 8192, "Model width d; must be a multiple of n_heads."),
    MODEL_KEY(n_heads, 1, 256, "Attention heads."),
    MODEL_KEY(n_layers, 1, CONFIG_MAX_LAYERS, "Layers."),
    MODEL_KEY(d_ff, 1, 65536, "Feed-forward width."),
    MODEL_KEY(seq_len, 1, 4096, "Segment length Q."),
    MODEL_KEY(mem_len, 0, 4096, "Memory rows N_m per layer."),
    MODEL_KEY(c_mem_len, 0, 4096, "Compressed-memory rows N_cm per layer."),
    MODEL_KEY(compression_rate, 1, CONFIG_MAX_RATE,
              "Memory rows per compressed slot c; with compressed memory, mem_len must be at least c."),
    KEY(batch_size, CONFIG_INT, CONFIG_TRAINING_KEY, 1, 4096, NULL, "Streams B."),
    KEY(lr, CONFIG_FLOAT, CONFIG_TRAINING_KEY, 0.0, 10.0, NULL, "Peak learning rate."),
    KEY(warmup, CONFIG_INT, CONFIG_TRAINING_KEY, 0, 100000000, NULL, "Linear warm-up steps."),
    KEY(lr_decay_steps, CONFIG_INT, CONFIG_TRAINING_KEY, 0, 1000000000, "0",
        "0: the learning rate stays constant after warm-up; N: a cosine down to lr/10 at step N."),
    KEY(clip, CONFIG_FLOAT, CONFIG_TRAINING_KEY, 0.0, 1e9, NULL, "Global gradient-norm clip."),
    KEY(seed, CONFIG_U64, CONFIG_TRAINING_KEY, 0, 0, NULL, "Seed of the initial weights."),
    CHOICE_KEY(compress, compress_fn_choices, COMPRESS_FN_COUNT, "conv", "Compression function."),
    CHOICE_KEY(compress_loss, compress_loss_choices, COMPRESS_LOSS_COUNT, "attention", "Compression loss."),
};
const int config_key_count = (int)(sizeof config_key_table / sizeof config_key_table[0]);

int config_preset(Config *cfg, const char *name) {
    memset(cfg, 0, sizeof *cfg);
    if (!strcmp(name, "labml")) {
        *cfg = (Config){.d_model = 128, .n_heads = 4, .n_layers = 6, .d_ff = 256, .seq_len = 8,
                        .mem_len = 8, .c_mem_len = 128, .compression_rate = 2, .batch_size = 32,
                        .lr = 2.5e-4f, .warmup = 2000, .clip = 1.0f, .seed = 0};
        return 0;
    }
    if (!strcmp(name, "default")) {
        // Wider and with longer segments than labml: larger matmuls keep BLAS busy on 2 cores and
        // the loss falls visibly within a minute, while a step still takes well under a frame budget.
        *cfg = (Config){.d_model = 256, .n_heads = 4, .n_layers = 4, .d_ff = 1024, .seq_len = 32,
                        .mem_len = 32, .c_mem_len = 64, .compression_rate = 4, .batch_size = 16,
                        .lr = 1e-3f, .warmup = 400, .lr_decay_steps = 8000, .clip = 1.0f, .seed = 0};
        return 0;
    }
    if (!strcmp(name, "large")) {
        // big enough matmuls to measure the BLAS ceiling
        *cfg = (Config){.d_model = 512, .n_heads = 8, .n_layers = 8, .d_ff = 2048, .seq_len = 128,
                        .mem_len = 128, .c_mem_len = 128, .compression_rate = 4, .batch_size = 8,
                        .lr = 2.5e-4f, .warmup = 2000, .clip = 1.0f, .seed = 0};
        return 0;
    }
    return -1;
}

static const ConfigKey *find_key(const char *name, size_t len) {
    for (int i = 0; i < config_key_count; i++)
        if (strlen(config_key_table[i].name) == len && !strncmp(config_key_table[i].name, name, len))
            return &config_key_table[i];
    return NULL;
}

const ConfigKey *config_key_find(const char *name) { return find_key(name, strlen(name)); }

int config_is_model_key(const char *key) {
    const ConfigKey *k = config_key_find(key);
    return k && k->kind == CONFIG_MODEL_KEY;
}

// "d_model n_heads ... compress_loss": every key, for the messages that list them.
static void key_names(char *out, size_t n) {
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < config_key_count && used < n; i++) {
        int k = snprintf(out + used, n - used, "%s%s", i ? " " : "", config_key_table[i].name);
        if (k < 0) break;
        used += (size_t)k;
    }
}

// The message for a value of k that does not parse or is out of range; returns -1.
static int invalid_value(const ConfigKey *k, const char *text, char *err, size_t errlen) {
    if (k->type == CONFIG_CHOICE) {
        char names[200];
        config_choice_list(k->choices, " ", " ", names, sizeof names);
        snprintf(err, errlen, "config: %s='%s' is not valid; use one of %s", k->name, text, names);
    } else if (k->type == CONFIG_U64)
        snprintf(err, errlen, "config: %s='%s' is not valid; use a whole number >= 0", k->name, text);
    else if (k->type == CONFIG_INT)
        snprintf(err, errlen, "config: %s='%s' is not valid; use a whole number from %.0f to %.0f", k->name,
                 text, k->min, k->max);
    else
        snprintf(err, errlen, "config: %s='%s' is not valid; use a number from %g to %g", k->name, text, k->min,
                 k->max);
    return -1;
}

static int parse_value(const ConfigKey *k, const char *text, Config *cfg, char *err, size_t errlen) {
    char *end = NULL;
    errno = 0;
    void *field = (char *)cfg + k->offset;
    // A number starts with a digit (or '.'): strtoull would read " -1" as 2^64-1, strtol would skip spaces.
    if (k->type != CONFIG_CHOICE && !((text[0] >= '0' && text[0] <= '9') || text[0] == '.'))
        return invalid_value(k, text, err, errlen);
    if (k->type == CONFIG_CHOICE) {
        int v = choice_index(k->choices, text);
        if (v < 0) return invalid_value(k, text, err, errlen);
        *(int *)field = v;
        return 0;
    }
    if (k->type == CONFIG_U64) {
        unsigned long long v = strtoull(text, &end, 10);
        if (errno || end == text || *end) return invalid_value(k, text, err, errlen);
        *(unsigned long long *)field = v;
        return 0;
    }
    if (k->type == CONFIG_INT) {
        long v = strtol(text, &end, 10);
        if (errno || end == text || *end || v < k->min || v > k->max) return invalid_value(k, text, err, errlen);
        *(int *)field = (int)v;
        return 0;
    }
    double v = strtod(text, &end);
    if ((errno && errno != ERANGE) || end == text || *end || !isfinite(v) || v < k->min || v > k->max)
        return invalid_value(k, text, err, errlen);
    if (v != 0 && fabs(v) < CONFIG_MIN_NONZERO) { // a float would round it to 0 (or a denormal): say so
        snprintf(err, errlen, "config: %s='%s' is too small to mean anything but 0; use 0 or a number from %g to %g",
                 k->name, text, CONFIG_MIN_NONZERO, k->max);
        return -1;
    }
    *(float *)field = (float)v;
    return 0;
}

int config_set(Config *cfg, const char *assignment, char *err, size_t errlen) {
    const char *eq = strchr(assignment, '=');
    char keys[400];
    key_names(keys, sizeof keys);
    if (!eq || eq == assignment) {
        snprintf(err, errlen, "config: '%s' is not key=value; keys: %s", assignment, keys);
        return -1;
    }
    const ConfigKey *k = find_key(assignment, (size_t)(eq - assignment));
    if (!k) {
        snprintf(err, errlen, "config: unknown key '%.*s'; keys: %s", (int)(eq - assignment), assignment, keys);
        return -1;
    }
    return parse_value(k, eq + 1, cfg, err, errlen);
}

static int check_range(const Config *cfg, char *err, size_t errlen) {
    for (int i = 0; i < config_key_count; i++) {
        const ConfigKey *k = &config_key_table[i];
        const void *field = (const char *)cfg + k->offset;
        double v = k->type == CONFIG_INT || k->type == CONFIG_CHOICE ? *(const int *)field : k->type == CONFIG_FLOAT ? *(const float *)field : 0;
        if (k->type != CONFIG_U64 && (!(v >= k->min) || v > k->max)) {
            if (k->type == CONFIG_CHOICE)
                snprintf(err, errlen, "config: %s=%.0f is not a known choice", k->name, v);
            else if (k->type == CONFIG_INT)
                snprintf(err, errlen, "config: %s=%.0f is out of range; use a whole number from %.0f to %.0f", k->name,
                         v, k->min, k->max);
            else
                snprintf(err, errlen, "config: %s=%g is out of range; use a number from %g to %g", k->name, v, k->min,
                         k->max);
            return -1;
        }
    }
    return 0;
}

int config_rate_check(const Config *cfg, int rate, char *err, size_t errlen) {
    int hi = cfg->mem_len > 0 && cfg->mem_len < CONFIG_MAX_RATE ? cfg->mem_len : CONFIG_MAX_RATE;
    if (rate >= 1 && rate <= hi) return 0;
    snprintf(err, errlen, "config: compression_rate=%d is out of range; use 1 to %d (at most %d, and at most mem_len=%d)",
             rate, hi, CONFIG_MAX_RATE, cfg->mem_len);
    return -1;
}

int config_validate(const Config *cfg, char *err, size_t errlen) {
    if (check_range(cfg, err, errlen)) return -1;
    if (cfg->d_model % cfg->n_heads) {
        snprintf(err, errlen, "config: n_heads=%d does not divide d_model=%d; choose n_heads among its divisors",
                 cfg->n_heads, cfg->d_model);
        return -1;
    }
    if (cfg->c_mem_len > 0 && cfg->mem_len < cfg->compression_rate) {
        snprintf(err, errlen, "config: c_mem_len=%d needs mem_len >= compression_rate (mem_len=%d, "
                 "compression_rate=%d); raise mem_len or set c_mem_len=0", cfg->c_mem_len, cfg->mem_len,
                 cfg->compression_rate);
        return -1;
    }
    if (cfg->lr_decay_steps > 0 && cfg->lr_decay_steps <= cfg->warmup) {
        snprintf(err, errlen, "config: lr_decay_steps=%d must be more than warmup=%d (the decay starts after the "
                 "warm-up), or 0 for a constant learning rate", cfg->lr_decay_steps, cfg->warmup);
        return -1;
    }
    if (config_rate_check(cfg, cfg->compression_rate, err, errlen)) return -1;
    if (cfg->vocab_size < 0 || cfg->vocab_size > 256) {
        snprintf(err, errlen, "config: vocabulary of %d characters; a byte vocabulary holds 1 to 256",
                 cfg->vocab_size);
        return -1;
    }
    return 0;
}

int config_rel_len(const Config *cfg) { return cfg->c_mem_len + cfg->mem_len + cfg->seq_len; }

int config_get(const Config *cfg, const char *key, char *out, size_t outlen) {
    const ConfigKey *k = find_key(key, strlen(key));
    if (!k) return -1;
    const void *field = (const char *)cfg + k->offset;
    if (k->type == CONFIG_CHOICE) snprintf(out, outlen, "%s", k->choices[*(const int *)field].name);
    else if (k->type == CONFIG_INT) snprintf(out, outlen, "%d", *(const int *)field);
    else if (k->type == CONFIG_FLOAT) {
        // the shortest text that reads back as the same float
        float v = *(const float *)field;
        for (int digits = 6; digits <= 9; digits++) {
            snprintf(out, outlen, "%.*g", digits, v);
            if (strtof(out, NULL) == v) break;
        }
    }
    else snprintf(out, outlen, "%llu", *(const unsigned long long *)field);
    return 0;
}
