// Checkpoints: safetensors with the tensor names and metadata of model.md. A full checkpoint also
// holds the optimizer state ("optim."), the training memory ("memory.") and the data position, so
// training resumes exactly; a weights-only file starts a fresh optimizer.
#ifndef MEMSCOPE_CHECKPOINT_H
#define MEMSCOPE_CHECKPOINT_H

#include "data.h"
#include "model.h"
#include "safetensors.h"
#include "trainer.h"

typedef struct {
    StFile file;
    char path[1024];
    Config cfg;      // model keys from metadata; training keys where present, else zero
    int has_training_keys;
    Vocab vocab;
    int has_state;   // optimizer state and training position present
    long step;
    const char *writer_version; // metadata "memscope_version": the memscope that wrote it, or NULL
} Checkpoint;

// Opens and checks a checkpoint's metadata; one-line error naming the file on failure.
int checkpoint_open(Checkpoint *ck, const char *path, char *err, size_t errlen);
void checkpoint_close(Checkpoint *ck);
// Copies every model tensor, checking names and shapes against the model's config.
int checkpoint_load_weights(const Checkpoint *ck, Model *m, char *err, size_t errlen);
// Restores optimizer moments and steps, the training memory and the data position.
int checkpoint_load_state(const Checkpoint *ck, Trainer *t, char *err, size_t errlen);

// Restores the loss history ("history.train", "history.valid": JSON arrays of [step, value] pairs) of
// a full or weights-only checkpoint into t; absent keys leave it empty.
int checkpoint_load_history(const Checkpoint *ck, Trainer *t, char *err, size_t errlen);

// Writes the model (and, with t, the training state and the loss history) atomically to path.
int checkpoint_save(const char *path, const Model *m, const Vocab *vocab, const Trainer *t, char *err,
                    size_t errlen);

// vocab as a JSON string literal (bytes outside printable ASCII as \u00XX) and back.
void vocab_to_json(const Vocab *v, char *out, size_t outlen);
int vocab_from_json(Vocab *v, const char *json);

#endif
