// Reading and writing safetensors files (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length, a JSON header, then the raw tensor bytes.
#ifndef MEMSCOPE_SAFETENSORS_H
#define MEMSCOPE_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

// F16 is written as is (st_writer_add) but read as F32: st_open widens every F16 tensor into an F32 copy, so
// readers (checkpoints, labml files) see F32 only.
typedef enum { ST_F32, ST_F64, ST_I32, ST_I64, ST_U8, ST_U64, ST_F16 } StDtype;

#define ST_MAX_DIMS 8
#define ST_MAX_NAME 256

typedef struct {
    char name[ST_MAX_NAME];
    StDtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t nbytes;       // == product(shape) * dtype size (checked on open)
    const void *data;    // points into StFile.buffer
} StTensor;

typedef struct {
    char *key;
    char *value;
} StMeta;

typedef struct {
    StTensor *tensors;
    int n_tensors;
    StMeta *meta;        // the "__metadata__" object (string values only)
    int n_meta;
    void *buffer;        // whole file contents; tensors point into it
    size_t buffer_len;
    float *widened;      // the F32 copies of the tensors stored as F16 (they point here instead)
    int n_widened;       // how many tensors were stored as F16
} StFile;

// Reads and validates a file. On error returns -1 and writes one line (naming the file and the
// problem) into err; f is then empty and needs no st_close.
int st_open(StFile *f, const char *path, char *err, size_t errlen);
void st_close(StFile *f);

const StTensor *st_find(const StFile *f, const char *name);
const char *st_meta(const StFile *f, const char *key); // NULL when absent

size_t st_dtype_size(StDtype t);

// Writer: collects tensors (data is copied only on write, so the pointers must stay valid until
// st_writer_save) and metadata, then writes PATH.tmp.<pid>, fsyncs it, renames it over PATH and
// fsyncs the directory, so PATH is always either the old or the new complete file.
typedef struct StWriter StWriter;
StWriter *st_writer_new(void);
void st_writer_free(StWriter *w);
void st_writer_add(StWriter *w, const char *name, StDtype dtype, int ndim, const int64_t *shape, const void *data);
void st_writer_meta(StWriter *w, const char *key, const char *value);
int st_writer_save(StWriter *w, const char *path, char *err, size_t errlen);

#endif
