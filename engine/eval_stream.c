// evaluate_stream's loop with argmax correctness per position and hooks for the memory lab.
#include "eval_stream.h"

#include <math.h>
#include <string.h>

#include "generate.h"
#include "ar_loss.h"
#include "compression.h"
#include "forward.h"

int eval_stream_segment(Generator *g, const int32_t *ids, long n, long start, uint8_t *correct,
                        const EvalHooks *hooks, EvalSums *sums) {
    Model *model = g->model;
    int Q = model->cfg.seq_len, V = model->cfg.vocab_size;
    int T = n - 1 - start < Q ? (int)(n - 1 - start) : Q;
    float ce = model_forward(model, g->ws, &g->mem, ids + start, ids + start + 1, T);
    sums->ce_sum += (double)ce * T;
    if (correct) {
        const float *logits = workspace_logits(g->ws);
        for (int t = 0; t < T; t++)
            correct[start + t + 1] = logits_argmax(logits + (long)t * V, V) == ids[start + t + 1];
    }
    if (hooks && hooks->segment) hooks->segment(hooks->ctx, model, g->ws, &g->mem, start, T);
    if (model_update_memory(model, g->ws, &g->mem, start)) {
        if (hooks && hooks->compressed) hooks->compressed(hooks->ctx, model, g->ws, start);
        sums->ar_sum += model_ar_loss(model, g->ws, NULL, 0);
        sums->ar_segments++;
    }
    kvcache_follow_update(&g->cache, model, g->ws, &g->mem);
    sums->segments++;
    return T;
}

void evaluate_stream_ex(Model *model, const int32_t *ids, long n, uint8_t *correct, const EvalHooks *hooks,
                        EvalResult *out) {
    Generator g;
    memset(out, 0, sizeof *out);
    if (correct && n > 0) memset(correct, 0, (size_t)n);
    if (n < 2 || generator_init(&g, model)) return;
    EvalSums sums = {0};
    for (long start = 0; start < n - 1;) start += eval_stream_segment(&g, ids, n, start, correct, hooks, &sums);
    out->segments = sums.segments;
    out->predictions = n - 1;
    out->ce = sums.ce_sum / (n - 1);
    out->bpc = out->ce / M_LN2;
    out->ar = sums.ar_segments ? sums.ar_sum / sums.ar_segments : 0.0;
    generator_free(&g);
}

void evaluate_stream(Model *model, const int32_t *ids, long n, EvalResult *out) {
    evaluate_stream_ex(model, ids, n, NULL, NULL, out);
}
