// Output files, checked before the work and replaced atomically: the one place every writer of memscope
// (checkpoints, attention statistics, the recall corpus, the training log) decides what it may write over.
//
// Policy: the target must be absent or a regular file. A symlink is followed to its final target, and that
// file is replaced in its own directory (the link stays a link). Anything else (a directory, a FIFO, a
// device, a socket) is refused. Replacing writes "TARGET.tmp.<pid>" beside the target, syncs it, renames it
// over the target and syncs the directory; the target's permission bits are kept.
#ifndef MEMSCOPE_OUTPUT_FILE_H
#define MEMSCOPE_OUTPUT_FILE_H

#include <stdio.h>
#include <sys/types.h>

// Where writing `path` really lands: a symlink (chain) is followed; otherwise path itself. Fails (-1, one
// line in err naming path) for a dangling or looping link, or a name longer than out can hold.
int output_resolve(const char *path, char *out, size_t outlen, char *err, size_t errlen);

// Checks, before any work, that `path` can be written the way output_open writes it: the resolved target is
// absent or a regular file, its directory exists and is writable, and the real temporary name can be
// created there (it is created and removed at once, so a name too long for the filesystem fails now).
int output_check(const char *path, char *err, size_t errlen);

// 1 when both paths exist and are the same file (device and inode, whatever the names), else 0.
int output_same_file(const char *a, const char *b);

// 1 when path exists and starts like a safetensors file (an 8-byte header length, then '{').
int output_holds_checkpoint(const char *path);

typedef struct {
    char *target, *tmp; // resolved target, temporary beside it
    FILE *f;
    int error; // errno of a failed write, set by the caller; output_commit reports it
} OutputFile;

// Opens the temporary file of an atomic replacement of `path` (resolved as above, checked regular). The
// caller writes to o->f and then calls output_commit or output_abort.
int output_open(OutputFile *o, const char *path, char *err, size_t errlen);
// Flushes, syncs, closes and renames over the target, then syncs the directory. On failure the temporary file
// is removed, the target is untouched, and err names path and the reason.
int output_commit(OutputFile *o, const char *path, char *err, size_t errlen);
void output_abort(OutputFile *o);

// Opens path for a stream written as it goes (a log), truncating it: the same target rules (a symlink is
// followed, only a regular file or a new one). NULL with err set when it cannot be.
FILE *output_open_stream(const char *path, char *err, size_t errlen);

#endif
