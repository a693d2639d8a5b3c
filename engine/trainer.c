#include "trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "adam.h"

int trainer_init(Trainer *t, Model *model, const Corpus *corpus, char *err, size_t errlen) {
    const Config *c = &model->cfg;
    *t = (Trainer){0};
    t->model = model;
    batcher_init(&t->train, corpus->ids, corpus->n_train, c->batch_size, c->seq_len);
    batcher_init(&t->valid, corpus->ids + corpus->n_train, corpus->n - corpus->n_train, c->batch_size, c->seq_len);
    if (t->train.n_steps < 1) {
        snprintf(err, errlen, "data: %s has %zu training characters, too few for one batch of %d streams × %d+1; "
                 "use a longer file or smaller batch_size/seq_len", corpus->source, corpus->n_train, c->batch_size,
                 c->seq_len);
        return -1;
    }
    t->ws = workspace_new(model, c->batch_size);
    if (memory_init(&t->mem, c->n_layers, c->batch_size, c->d_model, c->mem_len, c->c_mem_len, c->seq_len) ||
        memory_init(&t->valid_mem, c->n_layers, c->batch_size, c->d_model, c->mem_len, c->c_mem_len, c->seq_len)) {
        snprintf(err, errlen, "memory: out of memory");
        trainer_free(t);
        return -1;
    }
    t->inputs = malloc(sizeof(int32_t) * c->batch_size * c->seq_len);
    t->targets = malloc(sizeof(int32_t) * c->batch_size * c->seq_len);
    if (!t->inputs || !t->targets) abort();
    return 0;
}

void trainer_free(Trainer *t) {
    workspace_free(t->ws);
    memory_free(&t->mem);
    memory_free(&t->valid_mem);
    free(t->inputs);
    free(t->targets);
    *t = (Trainer){0};
}

static double global_grad_sq(const Model *m) {
    double s = sum_of_squares(m->main.grads, m->main.layout.total);
    for (int i = 0; i < m->n_convs; i++)
        if (m->convs[i].used) s += sum_of_squares(m->convs[i].block.grads, m->convs[i].block.layout.total);
    return s;
}

static void apply_update(Model *m, float clip_coef) {
    const Config *c = &m->cfg;
    ParamBlock *blocks[MAX_RATES + 1];
    int n = 0;
    blocks[n++] = &m->main;
    for (int i = 0; i < m->n_convs; i++)
        if (m->convs[i].used) blocks[n++] = &m->convs[i].block;
    for (int i = 0; i < n; i++) {
        ParamBlock *b = blocks[i];
        if (clip_coef < 1.0f) scale_inplace(b->grads, b->layout.total, clip_coef);
        b->adam_t++;
        adam_update(b->params, b->grads, b->adam_m, b->adam_v, b->layout.total, adam_lr(c->lr, c->warmup, b->adam_t),
                    b->adam_t);
    }
}

void train_on_segment(Model *m, Workspace *ws, Memory *mem, const int32_t *inputs, const int32_t *targets,
                      long segment_pos, StepStats *out) {
    const Config *c = &m->cfg;
    StepStats s = {0};
    model_zero_grad(m);
    s.ce = model_forward(m, ws, mem, inputs, targets, c->seq_len);
    if (!isfinite(s.ce)) { // a non-finite forward must not reach the memory either
        s.skipped = 1;
        s.bpc = s.lr = s.grad_norm = s.ce;
        *out = s;
        return;
    }
    model_backward(m, ws, mem, inputs, targets);
    s.compressed = model_update_memory(m, ws, mem, segment_pos);
    s.ar_total = model_ar_loss(m, ws, s.ar, 1);
    double norm = sqrt(global_grad_sq(m));
    s.grad_norm = (float)norm;
    s.skipped = !isfinite(s.ce) || !isfinite(s.ar_total) || !isfinite(norm);
    if (!s.skipped) {
        // as torch.nn.utils.clip_grad_norm_
        float coef = c->clip > 0.0f ? (float)(c->clip / (norm + 1e-6)) : 1.0f;
        apply_update(m, coef);
    }
    s.bpc = s.ce / (float)M_LN2;
    s.lr = adam_lr(c->lr, c->warmup, m->main.adam_t);
    *out = s;
}

void trainer_step(Trainer *t, StepStats *out) {
    const Config *c = &t->model->cfg;
    if (t->batch_index >= t->train.n_steps) {
        t->epoch++;
        t->batch_index = 0;
        memory_reset(&t->mem);
    }
    batcher_get(&t->train, t->batch_index, t->inputs, t->targets);
    StepStats s;
    train_on_segment(t->model, t->ws, &t->mem, t->inputs, t->targets, t->batch_index * c->seq_len, &s);
    if (!s.skipped) t->step++;
    t->batch_index++;
    s.step = t->step;
    if (out) *out = s;
}

static float validate_segment(Trainer *t, long k) {
    const Config *c = &t->model->cfg;
    batcher_get(&t->valid, k, t->inputs, t->targets);
    float ce = model_forward(t->model, t->ws, &t->valid_mem, t->inputs, t->targets, c->seq_len);
    model_update_memory(t->model, t->ws, &t->valid_mem, k * c->seq_len);
    return ce;
}

float trainer_validate_full(Trainer *t) {
    if (t->valid.n_steps < 1) return NAN;
    memory_reset(&t->valid_mem);
    double sum = 0.0;
    for (long k = 0; k < t->valid.n_steps; k++) sum += validate_segment(t, k);
    memory_reset(&t->valid_mem);
    t->valid_index = 0;
    return (float)(sum / t->valid.n_steps);
}

float trainer_validate_some(Trainer *t, int n) {
    if (t->valid.n_steps < 1 || n < 1) return NAN;
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        if (t->valid_index >= t->valid.n_steps) {
            t->valid_index = 0;
            memory_reset(&t->valid_mem);
        }
        sum += validate_segment(t, t->valid_index++);
    }
    return (float)(sum / n);
}
