// Presets, key=value parsing and validation of the configuration.
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const config_keys[] = {"d_model", "n_heads", "n_layers", "d_ff", "seq_len", "mem_len",
                                   "c_mem_len", "compression_rate", "batch_size", "lr", "warmup",
                                   "lr_decay_steps", "clip", "seed", "compress", "compress_loss", NULL};
const char *const config_model_keys[] = {"d_model", "n_heads",   "n_layers",         "d_ff", "seq_len",
                                         "mem_len", "c_mem_len", "compression_rate", NULL};

static const char *const fn_names[COMPRESS_FN_COUNT + 1] = {"conv", "mean", "max", "dilated", "most-used", NULL};
static const char *const loss_names[COMPRESS_LOSS_COUNT + 1] = {"attention", "autoencode", "none", NULL};

static int name_index(const char *const *names, const char *name) {
    for (int i = 0; names[i]; i++)
        if (!strcmp(name, names[i])) return i;
    return -1;
}

const char *compress_fn_name(int fn) { return fn >= 0 && fn < COMPRESS_FN_COUNT ? fn_names[fn] : "?"; }
const char *compress_loss_name(int loss) { return loss >= 0 && loss < COMPRESS_LOSS_COUNT ? loss_names[loss] : "?"; }
int compress_loss_parse(const char *name) { return name_index(loss_names, name); }
int compress_fn_parse(const char *name) {
    return !strcmp(name, "most_used") ? COMPRESS_MOST_USED : name_index(fn_names, name);
}

// KEY_NAME: an int field holding an index into `names`, written and read as the name.
typedef enum { KEY_INT, KEY_FLOAT, KEY_U64, KEY_NAME } KeyType;

typedef struct {
    const char *name;
    KeyType type;
    size_t offset;
    double min, max; // allowed range, inclusive
    const char *const *names;
} KeySpec;

#define INT_KEY(field, lo, hi) {#field, KEY_INT, offsetof(Config, field), lo, hi, NULL}
static const KeySpec key_specs[] = {
    INT_KEY(d_model, 1, 8192),
    INT_KEY(n_heads, 1, 256),
    INT_KEY(n_layers, 1, 64),
    INT_KEY(d_ff, 1, 65536),
    INT_KEY(seq_len, 1, 4096),
    INT_KEY(mem_len, 0, 4096),
    INT_KEY(c_mem_len, 0, 4096),
    INT_KEY(compression_rate, 1, CONFIG_MAX_RATE),
    INT_KEY(batch_size, 1, 4096),
    {"lr", KEY_FLOAT, offsetof(Config, lr), 0.0, 10.0, NULL},
    INT_KEY(warmup, 0, 100000000),
    INT_KEY(lr_decay_steps, 0, 1000000000),
    {"clip", KEY_FLOAT, offsetof(Config, clip), 0.0, 1e9, NULL},
    {"seed", KEY_U64, offsetof(Config, seed), 0, 0, NULL},
    {"compress", KEY_NAME, offsetof(Config, compress), 0, COMPRESS_FN_COUNT - 1, fn_names},
    {"compress_loss", KEY_NAME, offsetof(Config, compress_loss), 0, COMPRESS_LOSS_COUNT - 1, loss_names},
};
#define N_KEYS ((int)(sizeof key_specs / sizeof key_specs[0]))

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
        // the speed issue's larger shape: big enough matmuls to measure the BLAS ceiling
        *cfg = (Config){.d_model = 512, .n_heads = 8, .n_layers = 8, .d_ff = 2048, .seq_len = 128,
                        .mem_len = 128, .c_mem_len = 128, .compression_rate = 4, .batch_size = 8,
                        .lr = 2.5e-4f, .warmup = 2000, .clip = 1.0f, .seed = 0};
        return 0;
    }
    return -1;
}

static const KeySpec *find_key(const char *name, size_t len) {
    for (int i = 0; i < N_KEYS; i++)
        if (strlen(key_specs[i].name) == len && !strncmp(key_specs[i].name, name, len)) return &key_specs[i];
    return NULL;
}

int config_is_model_key(const char *key) {
    for (int i = 0; config_model_keys[i]; i++)
        if (!strcmp(config_model_keys[i], key)) return 1;
    return 0;
}

static int parse_value(const KeySpec *k, const char *text, Config *cfg, char *err, size_t errlen) {
    char *end = NULL;
    errno = 0;
    void *field = (char *)cfg + k->offset;
    // A number starts with a digit (or '.'): strtoull would read " -1" as 2^64-1, strtol would skip spaces.
    if (k->type != KEY_NAME && !((text[0] >= '0' && text[0] <= '9') || text[0] == '.')) goto bad;
    if (k->type == KEY_NAME) {
        int v = k->names == fn_names ? compress_fn_parse(text) : name_index(k->names, text);
        if (v < 0) goto bad;
        *(int *)field = v;
        return 0;
    }
    if (k->type == KEY_U64) {
        unsigned long long v = strtoull(text, &end, 10);
        if (errno || end == text || *end) goto bad;
        *(unsigned long long *)field = v;
        return 0;
    }
    if (k->type == KEY_INT) {
        long v = strtol(text, &end, 10);
        if (errno || end == text || *end || v < k->min || v > k->max) goto bad;
        *(int *)field = (int)v;
        return 0;
    }
    double v = strtod(text, &end);
    if ((errno && errno != ERANGE) || end == text || *end || !isfinite(v) || v < k->min || v > k->max) goto bad;
    if (v != 0 && fabs(v) < CONFIG_MIN_NONZERO) { // a float would round it to 0 (or a denormal): say so
        snprintf(err, errlen, "config: %s='%s' is too small to mean anything but 0; use 0 or a number from %g to %g",
                 k->name, text, CONFIG_MIN_NONZERO, k->max);
        return -1;
    }
    *(float *)field = (float)v;
    return 0;
bad:
    if (k->type == KEY_NAME) {
        int n = snprintf(err, errlen, "config: %s='%s' is not valid; use one of", k->name, text);
        for (int i = 0; k->names[i] && n > 0 && (size_t)n < errlen; i++)
            n += snprintf(err + n, errlen - (size_t)n, " %s", k->names[i]);
    } else if (k->type == KEY_U64)
        snprintf(err, errlen, "config: %s='%s' is not valid; use a whole number >= 0", k->name, text);
    else if (k->type == KEY_INT)
        snprintf(err, errlen, "config: %s='%s' is not valid; use a whole number from %.0f to %.0f", k->name,
                 text, k->min, k->max);
    else
        snprintf(err, errlen, "config: %s='%s' is not valid; use a number from %g to %g", k->name, text, k->min,
                 k->max);
    return -1;
}

int config_set(Config *cfg, const char *assignment, char *err, size_t errlen) {
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) {
        snprintf(err, errlen, "config: '%s' is not key=value; keys: d_model n_heads n_layers d_ff seq_len "
                 "mem_len c_mem_len compression_rate batch_size lr warmup lr_decay_steps clip seed compress compress_loss", assignment);
        return -1;
    }
    const KeySpec *k = find_key(assignment, (size_t)(eq - assignment));
    if (!k) {
        snprintf(err, errlen, "config: unknown key '%.*s'; keys: d_model n_heads n_layers d_ff seq_len "
                 "mem_len c_mem_len compression_rate batch_size lr warmup lr_decay_steps clip seed compress compress_loss",
                 (int)(eq - assignment), assignment);
        return -1;
    }
    return parse_value(k, eq + 1, cfg, err, errlen);
}

static int check_range(const Config *cfg, char *err, size_t errlen) {
    for (int i = 0; i < N_KEYS; i++) {
        const KeySpec *k = &key_specs[i];
        const void *field = (const char *)cfg + k->offset;
        double v = k->type == KEY_INT || k->type == KEY_NAME ? *(const int *)field : k->type == KEY_FLOAT ? *(const float *)field : 0;
        if (k->type != KEY_U64 && (!(v >= k->min) || v > k->max)) {
            if (k->type == KEY_NAME)
                snprintf(err, errlen, "config: %s=%.0f is not a known choice", k->name, v);
            else if (k->type == KEY_INT)
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
    const KeySpec *k = find_key(key, strlen(key));
    if (!k) return -1;
    const void *field = (const char *)cfg + k->offset;
    if (k->type == KEY_NAME) snprintf(out, outlen, "%s", k->names[*(const int *)field]);
    else if (k->type == KEY_INT) snprintf(out, outlen, "%d", *(const int *)field);
    else if (k->type == KEY_FLOAT) {
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
