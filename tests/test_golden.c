// Agreement with the PyTorch port (tests/reference): logits, CE, AR, every parameter gradient over
// consecutive segments with memory and compression active, and the parameters after Adam steps.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ar_loss.h"
#include "engine/checkpoint.h"
#include "engine/compression.h"
#include "engine/forward.h"
#include "engine/trainer.h"
#include "tests/gradcheck.h"
#include "tests/harness.h"

#define GOLDEN "tests/golden/tiny.safetensors"

typedef struct {
    Checkpoint ck;
    Model *m;
    Workspace *ws;
    Memory mem;
    int B, Q, S, V;
    int grad_segments; // segments whose gradients the file holds (the first ones)
    int32_t *inputs, *targets;
} Golden;

static const StTensor *need(const Golden *g, const char *name) {
    const StTensor *t = st_find(&g->ck.file, name);
    CHECK_MSG(t, "golden file lacks tensor %s", name);
    return t;
}

static double compare(const Golden *g, const char *name, const float *ours, long n, double tol) {
    const StTensor *t = need(g, name);
    CHECK_MSG((long)(t->nbytes / 4) == n, "%s: %zu floats in the golden file, %ld here", name, t->nbytes / 4, n);
    double e = tensor_rel_error(ours, t->data, n);
    CHECK_MSG(e <= tol, "%s: relative error %.3g over %.0e", name, e, tol);
    return e;
}

static void open_golden(Golden *g) {
    char err[512];
    memset(g, 0, sizeof *g);
    CHECK_MSG(!checkpoint_open(&g->ck, GOLDEN, err, sizeof err), "%s", err);
    g->m = model_new(&g->ck.cfg, 0, err, sizeof err);
    CHECK_MSG(g->m, "%s", err);
    CHECK_MSG(!checkpoint_load_weights(&g->ck, g->m, err, sizeof err), "%s", err);
    const Config *c = &g->m->cfg;
    g->B = c->batch_size;
    g->Q = c->seq_len;
    g->V = c->vocab_size;
    g->S = atoi(st_meta(&g->ck.file, "n_segments"));
    const char *gs = st_meta(&g->ck.file, "n_grad_segments");
    g->grad_segments = gs ? atoi(gs) : g->S;
    g->ws = workspace_new(g->m, g->B);
    CHECK(!memory_init(&g->mem, c->n_layers, g->B, c->d_model, c->mem_len, c->c_mem_len, c->seq_len));
    g->inputs = malloc(sizeof(int32_t) * g->B * g->Q);
    g->targets = malloc(sizeof(int32_t) * g->B * g->Q);
}

static void close_golden(Golden *g) {
    free(g->inputs);
    free(g->targets);
    memory_free(&g->mem);
    workspace_free(g->ws);
    model_free(g->m);
    checkpoint_close(&g->ck);
}

static void segment_tokens(Golden *g, int k) {
    const StTensor *t = need(g, "tokens");
    CHECK(t->dtype == ST_I32 && t->shape[0] == g->B && t->shape[1] == (int64_t)g->S * g->Q + 1);
    const int32_t *tok = t->data;
    long row = t->shape[1];
    for (int b = 0; b < g->B; b++)
        for (int i = 0; i < g->Q; i++) {
            g->inputs[b * g->Q + i] = tok[b * row + (long)k * g->Q + i];
            g->targets[b * g->Q + i] = tok[b * row + (long)k * g->Q + i + 1];
        }
}

// Gradients of every main tensor and of the active convs against seg{k}.grad.<name>.
static double compare_grads(Golden *g, int k, const char **worst_name) {
    double worst = 0;
    char name[256];
    const ParamBlock *blocks[] = {&g->m->main, &model_active_set(g->m)->block};
    for (int bi = 0; bi < 2; bi++)
        for (int i = 0; i < blocks[bi]->layout.n; i++) {
            const TensorInfo *t = &blocks[bi]->layout.tensors[i];
            snprintf(name, sizeof name, "seg%d.grad.%s", k, t->name);
            double e = compare(g, name, blocks[bi]->grads + t->offset, t->numel, 1e-3);
            if (e > worst) {
                worst = e;
                static char keep[256];
                snprintf(keep, sizeof keep, "%s", name);
                *worst_name = keep;
            }
        }
    return worst;
}

TEST(golden_segments_match_pytorch) {
    Golden g;
    open_golden(&g);
    Model *m = g.m;
    int L = m->cfg.n_layers;
    double worst_grad = 0, worst_logit = 0, worst_ce = 0;
    const char *worst_name = "";
    char name[64];
    int compressed_segments = 0;
    for (int k = 0; k < g.S; k++) {
        segment_tokens(&g, k);
        model_zero_grad(m);
        float ce = model_forward(m, g.ws, &g.mem, g.inputs, g.targets, g.Q);
        model_backward(m, g.ws, &g.mem, g.inputs, g.targets);
        int removed = model_update_memory(m, g.ws, &g.mem, (long)k * g.Q);
        compressed_segments += removed > 0;
        float ar[64];
        model_ar_loss(m, g.ws, ar, 1);
        snprintf(name, sizeof name, "seg%d.logits", k);
        worst_logit = fmax(worst_logit, compare(&g, name, workspace_logits(g.ws), (long)g.B * g.Q * g.V, 1e-5));
        snprintf(name, sizeof name, "seg%d.ce", k);
        worst_ce = fmax(worst_ce, compare(&g, name, &ce, 1, 1e-5));
        snprintf(name, sizeof name, "seg%d.ar", k);
        compare(&g, name, ar, L, 1e-4);
        snprintf(name, sizeof name, "seg%d.mem_len", k);
        CHECK_INT_EQ(g.mem.m, *(const int32_t *)need(&g, name)->data);
        snprintf(name, sizeof name, "seg%d.c_mem_len", k);
        CHECK_INT_EQ(g.mem.cm, *(const int32_t *)need(&g, name)->data);
        if (k < g.grad_segments) worst_grad = fmax(worst_grad, compare_grads(&g, k, &worst_name));
    }
    CHECK(compressed_segments >= 3);
    CHECK(g.mem.cm == g.mem.c_mem_len); // the compressed memory filled up and was trimmed
    for (int l = 0; l < L; l++) {
        float *packed = malloc(sizeof(float) * g.B * (g.mem.m + g.mem.cm) * g.mem.d + 1);
        for (int kind = 0; kind < 2; kind++) {
            int rows = kind ? g.mem.cm : g.mem.m;
            for (int b = 0; b < g.B; b++)
                memcpy(packed + (long)b * rows * g.mem.d, kind ? cmemory_rows(&g.mem, l, b) : memory_rows(&g.mem, l, b),
                       sizeof(float) * rows * g.mem.d);
            snprintf(name, sizeof name, kind ? "final.c_memory.%d" : "final.memory.%d", l);
            compare(&g, name, packed, (long)g.B * rows * g.mem.d, 1e-5);
        }
        free(packed);
    }
    printf("    golden: worst logits %.2e, CE %.2e, gradient %.2e (%s)\n", worst_logit, worst_ce, worst_grad, worst_name);
    close_golden(&g);
}

TEST(golden_adam_steps_match_pytorch) {
    Golden g;
    open_golden(&g);
    Model *m = g.m;
    float loss[64], ce[64], norm[64];
    int clipped = 0, unclipped = 0;
    for (int k = 0; k < g.S; k++) {
        segment_tokens(&g, k);
        StepStats s;
        train_on_segment(m, g.ws, &g.mem, g.inputs, g.targets, (long)k * g.Q, &s);
        loss[k] = s.ce + s.ar_total;
        ce[k] = s.ce;
        norm[k] = s.grad_norm;
        clipped += s.grad_norm > m->cfg.clip;
        unclipped += s.grad_norm <= m->cfg.clip;
    }
    CHECK(clipped > 0 && unclipped > 0);
    compare(&g, "train.ce", ce, g.S, 1e-5);
    compare(&g, "train.loss", loss, g.S, 1e-5);
    compare(&g, "train.grad_norm", norm, g.S, 1e-4);
    double worst = 0;
    char name[256];
    const ParamBlock *blocks[] = {&m->main, &model_active_set(m)->block};
    for (int bi = 0; bi < 2; bi++)
        for (int i = 0; i < blocks[bi]->layout.n; i++) {
            const TensorInfo *t = &blocks[bi]->layout.tensors[i];
            snprintf(name, sizeof name, "train.final.%s", t->name);
            worst = fmax(worst, compare(&g, name, blocks[bi]->params + t->offset, t->numel, 1e-4));
        }
    printf("    golden: parameters after %d Adam steps within %.2e\n", g.S, worst);
    close_golden(&g);
}
