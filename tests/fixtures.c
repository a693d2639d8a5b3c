#include "tests/fixtures.h"

#include <stdlib.h>

#include "engine/rng.h"
#include "tests/harness.h"

void fixture_word_corpus(Corpus *c) {
    size_t n = 3000;
    unsigned char *text = malloc(n);
    Rng r;
    rng_seed(&r, 99);
    const char *words[] = {"the ", "memory ", "of ", "a ", "king ", "is ", "long\n", "short, "};
    size_t k = 0;
    while (k < n) {
        const char *w = words[rng_next(&r) % 8];
        for (size_t i = 0; w[i] && k < n; i++) text[k++] = (unsigned char)w[i];
    }
    char err[256];
    CHECK_MSG(!corpus_from_text(c, text, n, "test corpus", err, sizeof err), "%s", err);
}
