// Prompt characters against the vocabulary (see prompt_vocab.h).
#include "app/prompt_vocab.h"

#include <stdio.h>
#include <string.h>

// Bytes of the UTF-8 character starting at p (1 for a byte that starts none).
static size_t char_len(const unsigned char *p, size_t left) {
    size_t w = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 1;
    if (w > left) return 1;
    for (size_t j = 1; j < w; j++)
        if ((p[j] & 0xC0) != 0x80) return 1;
    return w;
}

long prompt_vocab_check(const Vocab *v, const char *prompt, char *msg, size_t n) {
    const unsigned char *p = (const unsigned char *)prompt;
    size_t len = strlen(prompt);
    for (size_t i = 0; i < len;) {
        size_t w = char_len(p + i, len - i);
        int ok = 1;
        for (size_t j = 0; j < w; j++) ok &= v->ids[p[i + j]] >= 0;
        if (ok) {
            i += w;
            continue;
        }
        char shown[16], bytes[24];
        int printable = w > 1 || (p[i] >= 0x20 && p[i] < 0x7f);
        if (printable) snprintf(shown, sizeof shown, "'%.*s'", (int)w, prompt + i);
        else snprintf(shown, sizeof shown, "%s", p[i] == '\n' ? "newline" : p[i] == '\t' ? "tab" : "a control byte");
        size_t used = 0;
        for (size_t j = 0; j < w; j++) used += (size_t)snprintf(bytes + used, sizeof bytes - used, "%s0x%02x", j ? " " : "", p[i + j]);
        snprintf(msg, n, "prompt character %s (%s) at offset %zu is not in the model's vocabulary; use characters the "
                 "model was trained on", shown, bytes, i);
        return (long)i;
    }
    return -1;
}
