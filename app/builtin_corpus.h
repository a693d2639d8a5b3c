// The built-in corpus: about 1 MB of generated play-like English, so memscope can train without a download.
#ifndef MEMSCOPE_BUILTIN_CORPUS_H
#define MEMSCOPE_BUILTIN_CORPUS_H

#include <stddef.h>

// Returns malloc'd text (printable ASCII and '\n'), identical on every call and every machine, and sets *n
// to its length; the caller frees it. Returns NULL (and *n = 0) when out of memory.
unsigned char *builtin_corpus_generate(size_t *n);

#endif
