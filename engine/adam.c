#include "adam.h"

#include <math.h>

float adam_lr(const Config *c, long t) {
    float lr = c->lr;
    if (t < c->warmup) return 1e-8f + (float)t * lr / (float)c->warmup;
    if (c->lr_decay_steps <= c->warmup) return lr;
    if (t >= c->lr_decay_steps) return 0.1f * lr;
    double progress = (double)(t - c->warmup) / (c->lr_decay_steps - c->warmup);
    return (float)(lr * (0.1 + 0.45 * (1.0 + cos(M_PI * progress))));
}

void adam_update(float *params, const float *grads, float *m, float *v, long n, float lr_t, long t, float grad_scale) {
    double correction1 = 1.0 - pow(ADAM_BETA1_D, (double)t);
    double correction2 = 1.0 - pow(ADAM_BETA2_D, (double)t);
    // ε sits inside the division before the bias correction, as labml's optimised update does.
    float step_size = (float)(lr_t * sqrt(correction2) / correction1);
    for (long i = 0; i < n; i++) {
        float g = grad_scale < 1.0f ? grads[i] * grad_scale : grads[i];
        m[i] = ADAM_BETA1 * m[i] + ADAM_ONE_MINUS_BETA1 * g;
        v[i] = ADAM_BETA2 * v[i] + ADAM_ONE_MINUS_BETA2 * g * g;
        params[i] -= step_size * m[i] / (sqrtf(v[i]) + ADAM_EPS);
    }
}

double sum_of_squares(const float *g, long n) {
    double s = 0.0;
    for (long i = 0; i < n; i++) s += (double)g[i] * g[i];
    return s;
}
