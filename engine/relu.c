// ReLU of the feed-forward block.
#include "ops.h"

void relu_forward(float *out, const float *in, int n) {
    for (int i = 0; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

void relu_backward(float *din, const float *dout, const float *in, int n) {
    for (int i = 0; i < n; i++)
        if (in[i] > 0.0f) din[i] += dout[i];
}
