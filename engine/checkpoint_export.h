// A copy of a checkpoint for shipping: weights only (no optimizer moments, training memory or data position),
// optionally in fp16, with every other metadata key (config, vocab, compression, loss history) kept.
#ifndef MEMSCOPE_CHECKPOINT_EXPORT_H
#define MEMSCOPE_CHECKPOINT_EXPORT_H

#include <stddef.h>

#include "checkpoint.h"

typedef struct {
    int half;                 // model tensors as F16 (refused when a value is beyond fp16's range)
    int weights_only;         // drop optim.*, memory.* tensors and the keys that only a resume needs
    const char *const *meta;  // extra "key=value" metadata to add or replace (n_meta of them)
    int n_meta;
} ExportOptions;

// Writes ck's tensors and metadata to path (atomically) as the options say; one line in err on failure.
int checkpoint_export(const Checkpoint *ck, const char *path, const ExportOptions *o, char *err, size_t errlen);

// Whether a metadata key only matters to an exact resume (optimizer steps, data position, memory lengths).
int checkpoint_is_state_key(const char *key);

#endif
