// labml's Adam with warm-up (model.md, Training) and global gradient-norm clipping.
#ifndef MEMSCOPE_ADAM_H
#define MEMSCOPE_ADAM_H

#include "config.h"

// The betas are Python floats (doubles) in labml/PyTorch: 1 − β and the bias corrections 1 − β^t are taken
// in double and rounded to float once (1 − 0.999 → 0.001f, where 1.0f − 0.999f would give 0.00099998713).
#define ADAM_BETA1_D 0.9
#define ADAM_BETA2_D 0.999
#define ADAM_BETA1 ((float)ADAM_BETA1_D)
#define ADAM_BETA2 ((float)ADAM_BETA2_D)
#define ADAM_ONE_MINUS_BETA1 ((float)(1.0 - ADAM_BETA1_D))
#define ADAM_ONE_MINUS_BETA2 ((float)(1.0 - ADAM_BETA2_D))
#define ADAM_EPS 1e-8f

// lr_t = 1e-8 + t·lr/warmup while t < warmup (t counts from 1), then lr (labml); with lr_decay_steps a cosine
// from lr down to lr/10 at step lr_decay_steps, lr/10 after it.
float adam_lr(const Config *c, long t);
// One update of n parameters at Adam step t (already incremented), with the gradients multiplied by
// grad_scale when it is below 1 (the clip coefficient, applied as torch's in-place scaling would).
void adam_update(float *params, const float *grads, float *m, float *v, long n, float lr_t, long t, float grad_scale);
// Σ g² of n gradients, in double.
double sum_of_squares(const float *g, long n);

#endif
