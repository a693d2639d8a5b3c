// The benchmark's counts from the shapes: the bytes a generated character reads, hand-counted at labml.
#include <math.h>

#include "engine/flops.h"
#include "tests/harness.h"

static Config labml(void) {
    Config c;
    config_preset(&c, "labml");
    c.vocab_size = 65;
    return c;
}

TEST(generation_bytes_per_char_at_labml) {
    Config c = labml();
    // per layer: [W_q; W_k; W_v] 3·128², W_o 128², feed-forward 2·128·256; 137 slots of [k | v] and rel_key;
    // every 2nd character the conv (128, 128, 2) + bias in fp32 and the [k | v] projection (256, 128)
    double products = 3 * 16384 + 16384 + 65536, slots = 137 * 256 + 137 * 128;
    double fp32 = 6 * ((products + slots) * 4 + (2 * 16384 * 4 + (32768 + 128) * 4) / 2.0) + 65 * 128 * 4;
    double fp16 = 6 * ((products + slots) * 2 + (2 * 16384 * 2 + (32768 + 128) * 4) / 2.0) + 65 * 128 * 4;
    CHECK_MSG(fabs(generation_bytes_per_char(&c, 0) - fp32) < 0.5, "%.0f vs %.0f", generation_bytes_per_char(&c, 0), fp32);
    CHECK_MSG(fabs(generation_bytes_per_char(&c, 1) - fp16) < 0.5, "%.0f vs %.0f", generation_bytes_per_char(&c, 1), fp16);
}

TEST(generation_bytes_follow_the_compression_function) {
    Config c = labml();
    double conv = generation_bytes_per_char(&c, 0);
    c.compress = COMPRESS_MEAN; // no weights: only the new row's projection remains per compression
    CHECK(fabs(conv - generation_bytes_per_char(&c, 0) - 6 * (32768 + 128) * 4 / 2.0) < 0.5);
    c.compress = COMPRESS_CONV;
    c.c_mem_len = 0; // 128 fewer slots; the conv still runs (its rows are dropped), nothing is projected
    CHECK(fabs(conv - generation_bytes_per_char(&c, 0) - 6 * (128 * 384 * 4 + 2 * 16384 * 4 / 2.0)) < 0.5);
    c.mem_len = 0; // no memory at all: no compression either
    CHECK(fabs(generation_bytes_per_char(&c, 0) - (6 * (131072 + 384) * 4 + 65 * 128 * 4)) < 0.5);
}
