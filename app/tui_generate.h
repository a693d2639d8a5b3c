// The TUI trainer's prompts: how a typed prompt becomes ids (the generation itself: tui_trainer_priv.h).
#ifndef MEMSCOPE_APP_TUI_GENERATE_H
#define MEMSCOPE_APP_TUI_GENERATE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/data.h"

// Encodes a prompt with vocab, character by character (a UTF-8 sequence is kept only when every byte
// of it is in the vocabulary). ids and fed (the bytes kept) need strlen(text) room. Returns the ids
// written; *skipped counts the characters left out and skipped_text lists the distinct ones.
long tui_encode_prompt(const Vocab *vocab, const char *text, int32_t *ids, unsigned char *fed, int *skipped,
                       char *skipped_text, size_t skipped_len);

#endif
