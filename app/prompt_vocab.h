// A prompt must be made of the model's characters: `sample` and the TUI refuse one that is not, with
// the same message naming the first character outside the vocabulary.
#ifndef MEMSCOPE_APP_PROMPT_VOCAB_H
#define MEMSCOPE_APP_PROMPT_VOCAB_H

#include <stddef.h>

#include "engine/data.h"

// -1 when every byte of prompt is in v; else the offset of the first character that is not, with msg
// "prompt character 'é' (0xc3 0xa9) at offset 3 is not in the model's vocabulary; ...".
long prompt_vocab_check(const Vocab *v, const char *prompt, char *msg, size_t n);

#endif
