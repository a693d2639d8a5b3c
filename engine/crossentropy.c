// Softmax cross-entropy over the vocabulary, natural log, mean over rows.
#include <math.h>

#include "ops.h"

float crossentropy_forward(float *probs, float *losses, const float *logits, const int32_t *targets, int n,
                           int vocab) {
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (long)i * vocab;
        float *p = probs + (long)i * vocab;
        float zmax = z[0];
        for (int v = 1; v < vocab; v++) zmax = z[v] > zmax ? z[v] : zmax;
        double sum = 0.0;
        for (int v = 0; v < vocab; v++) {
            p[v] = expf(z[v] - zmax);
            sum += p[v];
        }
        float inv = (float)(1.0 / sum);
        for (int v = 0; v < vocab; v++) p[v] *= inv;
        losses[i] = (float)(log(sum) - (z[targets[i]] - zmax));
        total += losses[i];
    }
    return (float)(total / n);
}

void crossentropy_backward(float *dlogits, const float *probs, const int32_t *targets, float dloss, int n,
                           int vocab) {
    float scale = dloss / n;
    for (int i = 0; i < n; i++) {
        const float *p = probs + (long)i * vocab;
        float *g = dlogits + (long)i * vocab;
        for (int v = 0; v < vocab; v++) g[v] += scale * p[v];
        g[targets[i]] -= scale;
    }
}
