// Model FLOPs of a training step, counted from the shapes at steady state (memory and compressed
// memory full, compression on every step), memory keys and the attention-reconstruction loss included.
// A multiply-add counts as 2 FLOPs; element-wise work (LayerNorm, softmax, Adam) is not counted.
// Also the bytes one generated character reads and how fast one thread reads them: generation's ceiling is
// bandwidth, not FLOPs.
#include "flops.h"

#include <stdlib.h>
#include <time.h>

#include "absorbed_attention.h"
#include "model.h"
#include "vecmath.h"

static double matmul(double rows, double in, double out) { return 2.0 * rows * in * out; }

// forward + backward (input and weight gradients) of a linear layer
static double linear_fb(double rows, double in, double out) { return 3.0 * matmul(rows, in, out); }

// executed: the products the engine runs, which with absorbed memory attention (absorbed_attention.h)
// replace the memory rows' projections and content/value products by (Q·H, d) products.
static double attention_layer(const Config *c, double B, double Q, double M, int executed) {
    double d = c->d_model, K = M + Q, H = c->n_heads;
    double qkv = linear_fb(B * Q, d, 3 * d);
    double memory_kv = 2.0 * matmul(B * M, d, 2 * d); // forward and the weight-gradient product only
    double attention = 6.0 * B * Q * K * d + 12.0 * B * Q * K * d;
    double out = linear_fb(B * Q, d, d);
    AttentionDims dm = {(int)B, (int)Q, (int)M, c->d_model, c->n_heads, 0};
    if (executed && absorbed_attention_pays(dm)) // positions over all keys; content and values of the segment's
        return qkv + out + B * (6.0 * Q * K * d + 12.0 * Q * Q * d + 8.0 * Q * d * d + 8.0 * Q * H * M * d);
    return qkv + memory_kv + attention + out;
}

static double ar_layer(const Config *c, double B, double Q) {
    double d = c->d_model, rate = c->compression_rate, n = Q / rate, old = n * rate;
    double convs = 2.0 * matmul(B * n, d * rate, d) + matmul(B * n, d * rate, d); // update, AR, its weight grad
    double projections = matmul(B * Q, d, d) + matmul(B * old, d, 2 * d) + matmul(B * n, d, 2 * d);
    double attention = 4.0 * B * Q * (old + n) * d;
    double backward = 4.0 * B * Q * n * d + 2.0 * matmul(B * n, 2 * d, d);
    return convs + projections + attention + backward;
}

static double flops_per_token(const Config *c, int executed) {
    double B = c->batch_size, Q = c->seq_len, M = c->mem_len + c->c_mem_len, d = c->d_model;
    double per_layer = attention_layer(c, B, Q, M, executed) + linear_fb(B * Q, d, c->d_ff) + linear_fb(B * Q, c->d_ff, d);
    if (c->mem_len > 0 || c->c_mem_len > 0) per_layer += ar_layer(c, B, Q);
    double head = linear_fb(B * Q, d, c->vocab_size);
    return (per_layer * c->n_layers + head) / (B * Q);
}

double train_flops_per_token(const Config *c) { return flops_per_token(c, 0); }

double train_flops_executed_per_token(const Config *c) { return flops_per_token(c, 1); }

void largest_matmul(const Config *c, int threads_rows_split, long *rows, long *in, long *out) {
    long B = c->batch_size, Q = c->seq_len, M = c->mem_len + c->c_mem_len, d = c->d_model;
    long shapes[4][3] = {{B * M, d, 2 * d}, {B * Q, d, 3 * d}, {B * Q, d, c->d_ff}, {B * Q, c->d_ff, d}};
    int best = 0;
    for (int i = 1; i < 4; i++)
        if ((double)shapes[i][0] * shapes[i][1] * shapes[i][2] > (double)shapes[best][0] * shapes[best][1] * shapes[best][2])
            best = i;
    *rows = shapes[best][0] / (threads_rows_split > 0 ? threads_rows_split : 1);
    *in = shapes[best][1];
    *out = shapes[best][2];
}

double generation_bytes_per_char(const Config *c, int half) {
    double d = c->d_model, ff = c->d_ff, L = c->n_layers, V = c->vocab_size > 0 ? c->vocab_size : 256;
    double slots = (double)c->mem_len + c->c_mem_len + 1, elem = half ? 2.0 : 4.0;
    double products = 3 * d * d + d * d + 2 * d * ff;    // [W_q; W_k; W_v], W_o, the feed-forward pair
    double attention = slots * 2 * d + slots * d;          // cached [k | v] rows and rel_key rows
    // memory overflowing N_m is compressed even when N_cm = 0 drops the result at once (model.md's order);
    // only a kept row gets its [k | v] projected
    double fn_floats = (double)set_layer_floats(c->compress, c->d_model, c->compression_rate);
    double per_compression = fn_floats * 4.0 + (c->c_mem_len > 0 ? 2 * d * d * elem : 0.0);
    double compressions = c->mem_len + c->c_mem_len > 0 ? 1.0 / c->compression_rate : 0.0;
    return L * ((products + attention) * elem + compressions * per_compression) + V * d * 4.0;
}

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float sum_floats(const float *a, long n) { // eight independent sums keep the loads in flight
    v8f s0 = v8_splat(0.0f), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (long i = 0; i + 64 <= n; i += 64) {
        s0 += v8_load(a + i);
        s1 += v8_load(a + i + 8);
        s2 += v8_load(a + i + 16);
        s3 += v8_load(a + i + 24);
        s4 += v8_load(a + i + 32);
        s5 += v8_load(a + i + 40);
        s6 += v8_load(a + i + 48);
        s7 += v8_load(a + i + 56);
    }
    return v8_hsum(((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)));
}

// The best of 5 repetitions of ~0.1 s: the L3 is shared, and other cores' traffic only ever lowers it.
double read_gb_per_s(double bytes) {
    long n = ((long)(bytes / sizeof(float)) + 63) / 64 * 64;
    float *a = malloc(sizeof(float) * (size_t)n);
    if (!a) abort();
    for (long i = 0; i < n; i++) a[i] = (float)(i % 7);
    int passes = (int)(1e10 / bytes) + 1;
    double best = 0.0;
    volatile float sink = 0.0f;
    for (int r = 0; r < 5; r++) {
        double t0 = seconds_now();
        for (int i = 0; i < passes; i++) sink += sum_floats(a, n);
        double speed = passes * (double)n * sizeof(float) / (seconds_now() - t0) / 1e9;
        best = speed > best ? speed : best;
    }
    free(a);
    return best;
}
