// SHA-256 (FIPS 180-4) of a buffer, as 64 lowercase hex digits: the corpus fingerprint of a training log.
#ifndef MEMSCOPE_SHA256_H
#define MEMSCOPE_SHA256_H

#include <stddef.h>

void sha256_hex(const unsigned char *data, size_t n, char out[65]);

#endif
