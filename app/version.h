// memscope --version: the version, the build choices that change speed or features, and OpenBLAS's own
// description of itself.
#ifndef MEMSCOPE_APP_VERSION_H
#define MEMSCOPE_APP_VERSION_H

#include <stdio.h>

// Writes the version report; returns 0, or 1 when the stream could not be written.
int print_version(FILE *out);

#endif
