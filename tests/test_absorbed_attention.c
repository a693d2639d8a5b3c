// The absorbed memory attention (engine/absorbed_attention.h) against projecting every memory row: the
// same logits, loss and gradients over consecutive segments with memory and compression active. The
// projecting path is the one the golden and finite-difference tests pin to PyTorch.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/absorbed_attention.h"
#include "engine/compression.h"
#include "engine/forward.h"
#include "engine/model.h"
#include "engine/workspace.h"
#include "tests/gradcheck.h"
#include "tests/harness.h"

typedef struct {
    Model *m;
    Workspace *ws;
    Memory mem;
    float *logits, *grads;
    float ce;
} PathRun;

static Config small_config(void) {
    return (Config){.vocab_size = 11, .d_model = 16, .n_heads = 4, .n_layers = 2, .d_ff = 24, .seq_len = 4,
                    .mem_len = 6, .c_mem_len = 5, .compression_rate = 2, .batch_size = 3, .lr = 1e-3f,
                    .warmup = 0, .clip = 1.0f, .seed = 1};
}

static void randomise(Model *m) {
    GcRng r;
    gc_rng_init(&r, 17);
    gc_fill_normal(&r, m->main.params, m->main.layout.total, 0.3);
    for (int i = 0; i < m->main.layout.n; i++) {
        const TensorInfo *t = &m->main.layout.tensors[i];
        if (strstr(t->name, "norm.weight"))
            for (long k = 0; k < t->numel; k++) m->main.params[t->offset + k] += 1.0f;
    }
}

// Segments of T tokens with a memory update after each; the last one also runs the backward.
static void run_path(PathRun *p, MemoryAttention how, int T, int segments) {
    Config cfg = small_config();
    char err[256];
    p->m = model_new(&cfg, 3, err, sizeof err);
    CHECK_MSG(p->m, "%s", err);
    randomise(p->m);
    p->ws = workspace_new(p->m, cfg.batch_size);
    workspace_set_memory_attention(p->ws, how);
    CHECK(!memory_init(&p->mem, cfg.n_layers, cfg.batch_size, cfg.d_model, cfg.mem_len, cfg.c_mem_len, cfg.seq_len));
    GcRng r;
    gc_rng_init(&r, 5);
    int32_t in[12], tg[12];
    for (int s = 0; s < segments; s++) {
        for (int i = 0; i < cfg.batch_size * T; i++) in[i] = gc_rng_int(&r, 11), tg[i] = gc_rng_int(&r, 11);
        p->ce = model_forward(p->m, p->ws, &p->mem, in, tg, T);
        if (s + 1 == segments) break;
        model_update_memory(p->m, p->ws, &p->mem, (long)s * T);
    }
    model_zero_grad(p->m);
    model_backward(p->m, p->ws, &p->mem, in, tg);
    long nl = (long)cfg.batch_size * T * 11;
    p->logits = malloc(sizeof(float) * nl);
    memcpy(p->logits, workspace_logits(p->ws), sizeof(float) * nl);
    p->grads = p->m->main.grads;
}

static void free_run(PathRun *p) {
    free(p->logits);
    memory_free(&p->mem);
    workspace_free(p->ws);
    model_free(p->m);
}

static void compare_paths(int T, int segments) {
    PathRun a, p;
    run_path(&a, MEMORY_ATTENTION_ABSORBED, T, segments);
    run_path(&p, MEMORY_ATTENTION_PROJECTED, T, segments);
    CHECK(a.mem.m > 0 && a.mem.cm > 0);
    CHECK(a.ws->absorbed_last && !p.ws->absorbed_last);
    CHECK_NEAR(a.ce, p.ce, 1e-5);
    CHECK_MSG(tensor_rel_error(a.logits, p.logits, 3L * T * 11) < 1e-5, "logits differ");
    for (int i = 0; i < a.m->main.layout.n; i++) {
        const TensorInfo *t = &a.m->main.layout.tensors[i];
        double e = tensor_rel_error(a.grads + t->offset, p.grads + t->offset, t->numel);
        CHECK_MSG(e < 1e-4, "%s: relative error %.3g", t->name, e);
    }
    free_run(&a);
    free_run(&p);
}

TEST(absorbed_attention_matches_projected_memory) { compare_paths(4, 6); }

TEST(absorbed_attention_matches_projected_memory_short_segments) { compare_paths(3, 7); }

TEST(absorbed_attention_is_chosen_by_cost) {
    CHECK(absorbed_attention_pays((AttentionDims){32, 8, 136, 128, 4, 144}));  // labml
    CHECK(!absorbed_attention_pays((AttentionDims){8, 128, 256, 512, 8, 384})); // large
    CHECK(!absorbed_attention_pays((AttentionDims){32, 8, 0, 128, 4, 8}));     // no memory
}
