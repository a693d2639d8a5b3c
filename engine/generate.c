#include "generate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compression.h"
#include "forward.h"
#include "forward_half.h"

int generator_init(Generator *g, Model *model) {
    const Config *c = &model->cfg;
    memset(g, 0, sizeof *g);
    g->model = model;
    g->ws = workspace_new(model, 1);
    if (kvcache_init(&g->cache, model) ||
        memory_init(&g->mem, c->n_layers, 1, c->d_model, c->mem_len, c->c_mem_len, c->seq_len))
        return -1;
    workspace_use_cache(g->ws, &g->cache);
    kvcache_rebuild(&g->cache, model, &g->mem);
    return 0;
}

void generator_free(Generator *g) {
    half_weights_free(&g->hw);
    workspace_free(g->ws);
    memory_free(&g->mem);
    kvcache_free(&g->cache);
    memset(g, 0, sizeof *g);
}

// The fp16 copies follow the weights; when they no longer fit fp16 the generator falls back to fp32.
static void refresh_half(Generator *g) {
    char err[256];
    if (g->half && half_weights_update(&g->hw, g->model, err, sizeof err)) generator_set_half(g, 0, NULL, 0);
}

void generator_reset(Generator *g) {
    memory_reset(&g->mem);
    kvcache_rebuild(&g->cache, g->model, &g->mem);
    refresh_half(g);
    g->pos = 0;
}

void generator_set_memory(Generator *g, const Memory *src, int stream) {
    memory_copy_stream(&g->mem, src, stream);
    kvcache_rebuild(&g->cache, g->model, &g->mem);
    refresh_half(g);
    g->pos = 0;
}

int generator_set_half(Generator *g, int on, char *err, size_t errlen) {
    g->half = 0;
    if (!on) {
        half_weights_free(&g->hw);
        kvcache_set_half(&g->cache, 0);
        return 0;
    }
    if ((!g->hw.block && half_weights_init(&g->hw, g->model)) || kvcache_set_half(&g->cache, 1)) {
        if (err) snprintf(err, errlen, "out of memory for the fp16 weights");
        return generator_set_half(g, 0, NULL, 0), -1;
    }
    if (half_weights_update(&g->hw, g->model, err, errlen)) return generator_set_half(g, 0, NULL, 0), -1;
    g->half = 1;
    return 0;
}

const float *generator_feed(Generator *g, const int32_t *ids, long n) {
    int Q = g->model->cfg.seq_len, V = g->model->cfg.vocab_size;
    int T = 0;
    for (long start = 0; start < n; start += T) {
        T = n - start < Q ? (int)(n - start) : Q;
        if (g->half && T == 1 && g->ws->cache) // the opt-in fp16 path: one character, memory keys from the cache
            model_forward_half(g->model, g->ws, &g->hw, &g->cache, &g->mem, ids[start]);
        else
            model_forward(g->model, g->ws, &g->mem, ids + start, NULL, T);
        model_update_memory(g->model, g->ws, &g->mem, g->pos);
        kvcache_follow_update(&g->cache, g->model, g->ws, &g->mem);
        g->pos += T;
    }
    return workspace_logits(g->ws) + (long)(T - 1) * V;
}

int logits_argmax(const float *logits, int vocab) {
    int best = 0;
    for (int v = 1; v < vocab; v++)
        if (logits[v] > logits[best]) best = v;
    return best;
}

int sample_logits(const float *logits, int vocab, float temperature, int top_k, Rng *rng) {
    int best = logits_argmax(logits, vocab);
    if (temperature <= 0.0f) return best;
    // threshold = the top_k-th largest logit; ties at the threshold stay in.
    float threshold = -INFINITY;
    if (top_k > 0 && top_k < vocab) {
        float sorted[256];
        memcpy(sorted, logits, sizeof(float) * vocab);
        for (int i = 0; i < top_k; i++) // partial selection sort: top_k is small
            for (int j = i + 1; j < vocab; j++)
                if (sorted[j] > sorted[i]) {
                    float tmp = sorted[i];
                    sorted[i] = sorted[j];
                    sorted[j] = tmp;
                }
        threshold = sorted[top_k - 1];
    }
    double weights[256], sum = 0.0;
    for (int v = 0; v < vocab; v++) {
        weights[v] = logits[v] >= threshold ? exp((double)(logits[v] - logits[best]) / temperature) : 0.0;
        sum += weights[v];
    }
    double r = rng_uniform(rng) * sum;
    for (int v = 0; v < vocab; v++) {
        r -= weights[v];
        if (r < 0.0 && weights[v] > 0.0) return v;
    }
    return best;
}
