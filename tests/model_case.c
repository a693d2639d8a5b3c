#include "tests/model_case.h"

#include <math.h>
#include <string.h>

#include "engine/compression.h"
#include "engine/forward.h"
#include "tests/harness.h"

Config model_case_config(int rate) {
    return (Config){.vocab_size = 7, .d_model = 8, .n_heads = 2, .n_layers = 2, .d_ff = 12, .seq_len = 3,
                    .mem_len = 4, .c_mem_len = 3, .compression_rate = rate, .batch_size = 2, .lr = 1e-3f,
                    .warmup = 0, .clip = 1.0f, .seed = 1};
}

void model_case_randomise_main(Model *m, GcRng *r) {
    gc_fill_normal(r, m->main.params, m->main.layout.total, 0.3);
    for (int i = 0; i < m->main.layout.n; i++) {
        const TensorInfo *t = &m->main.layout.tensors[i];
        if (strstr(t->name, "norm.weight"))
            for (long k = 0; k < t->numel; k++) m->main.params[t->offset + k] += 1.0f;
    }
}

void model_case_fill_tokens(GcRng *r, int32_t *x, int n, int vocab) {
    for (int i = 0; i < n; i++) x[i] = gc_rng_int(r, vocab);
}

void model_case_prime(ModelCase *c, GcRng *r) {
    c->ws = workspace_new(c->m, 2);
    CHECK(!memory_init(&c->start, 2, 2, 8, 4, 3, 3) && !memory_init(&c->scratch, 2, 2, 8, 4, 3, 3));
    for (int seg = 0; seg < 4; seg++) {
        model_case_fill_tokens(r, c->inputs, 6, 7);
        model_forward(c->m, c->ws, &c->start, c->inputs, NULL, 3);
        model_update_memory(c->m, c->ws, &c->start, seg * 3);
    }
    CHECK(c->start.m > 0 && c->start.cm > 0);
    model_case_fill_tokens(r, c->inputs, 6, 7);
    model_case_fill_tokens(r, c->targets, 6, 7);
}

void model_case_free(ModelCase *c) {
    memory_free(&c->start);
    memory_free(&c->scratch);
    workspace_free(c->ws);
    model_free(c->m);
}

double model_case_cached_vs_fresh(Model *m, Generator *g, Workspace *plain, Memory *mem, GcRng *r) {
    int lengths[] = {3, 1, 1, 2, 1, 3, 1, 1, 1, 1, 2, 1, 1, 1, 3, 1, 1, 1, 1, 1};
    int32_t ids[3];
    int V = m->cfg.vocab_size;
    long pos = 0;
    double worst = 0;
    for (int s = 0; s < 20; s++) {
        int T = lengths[s];
        for (int t = 0; t < T; t++) ids[t] = gc_rng_int(r, V);
        const float *cached = generator_feed(g, ids, T);
        model_forward(m, plain, mem, ids, NULL, T);
        const float *fresh = workspace_logits(plain) + (long)(T - 1) * V;
        for (int v = 0; v < V; v++) worst = fmax(worst, fabs(cached[v] - fresh[v]));
        model_update_memory(m, plain, mem, pos);
        pos += T;
        CHECK_INT_EQ(g->mem.m, mem->m);
        CHECK_INT_EQ(g->mem.cm, mem->cm);
    }
    return worst;
}

Model *model_case_labml(GcRng *r) {
    Config cfg;
    config_preset(&cfg, "labml");
    cfg.vocab_size = 65;
    char err[256];
    Model *m = model_new(&cfg, 2, err, sizeof err);
    if (!m) return NULL;
    for (int l = 0; l < cfg.n_layers; l++) {
        gc_fill_normal(r, m->p.layer[l].rel_key, m->rel_len * cfg.d_model, 0.3);
        gc_fill_normal(r, m->p.layer[l].rel_bias, m->rel_len * cfg.n_heads, 0.3);
        gc_fill_normal(r, m->p.layer[l].content_bias, cfg.d_model, 0.3);
    }
    return m;
}
