// Character-level data: vocabulary, the 90/10 split and stream batching of model.md.
#ifndef MEMSCOPE_DATA_H
#define MEMSCOPE_DATA_H

#include <stddef.h>
#include <stdint.h>

#define VOCAB_MAX 256

typedef struct {
    int size;                  // V
    unsigned char chars[VOCAB_MAX]; // id -> byte, ascending byte order
    int16_t ids[256];          // byte -> id, -1 when not in the vocabulary
} Vocab;

// The sorted set of distinct bytes of text.
void vocab_build(Vocab *v, const unsigned char *text, size_t n);
// Encodes n bytes into ids; returns the index of the first byte outside the vocabulary, or -1.
long vocab_encode(const Vocab *v, const unsigned char *text, size_t n, int32_t *ids);

// A stream-batched token sequence: ids reshaped to [B, N/B] (stream b is one contiguous slice).
typedef struct {
    const int32_t *ids;  // (n) not owned
    size_t n;            // tokens in the split
    int batch;           // B
    size_t stream_len;   // floor(n / B)
    int seq_len;         // Q
    long n_steps;        // segments per epoch: floor((stream_len - 1) / Q)
} Batcher;

void batcher_init(Batcher *bt, const int32_t *ids, size_t n, int batch, int seq_len);
// Segment k of the epoch: inputs and targets (B, Q), row b = stream b, positions [kQ, kQ+Q).
void batcher_get(const Batcher *bt, long k, int32_t *inputs, int32_t *targets);

// A whole corpus: bytes, vocabulary, ids and the split point.
typedef struct {
    unsigned char *text;
    size_t n;
    int32_t *ids;        // (n)
    size_t n_train;      // floor(0.9 n)
    Vocab vocab;
    char source[512];    // a description for the user ("data/tinyshakespeare.txt", "built-in corpus")
} Corpus;

// Loads a file; on error writes one line naming the file and the problem and returns -1.
int corpus_load(Corpus *c, const char *path, char *err, size_t errlen);
// Wraps text generated in memory (takes ownership of text, allocated with malloc).
int corpus_from_text(Corpus *c, unsigned char *text, size_t n, const char *source, char *err, size_t errlen);
void corpus_free(Corpus *c);

#endif
