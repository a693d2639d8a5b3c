// Token embedding: a table lookup, no scaling, no positions.
#include <string.h>

#include "ops.h"

void embedding_forward(float *out, const int32_t *tokens, const float *table, int n, int d) {
    for (int i = 0; i < n; i++) memcpy(out + (long)i * d, table + (long)tokens[i] * d, sizeof(float) * d);
}

void embedding_backward(float *dtable, const float *dout, const int32_t *tokens, int n, int d) {
    for (int i = 0; i < n; i++) {
        float *row = dtable + (long)tokens[i] * d;
        const float *g = dout + (long)i * d;
        for (int j = 0; j < d; j++) row[j] += g[j];
    }
}
