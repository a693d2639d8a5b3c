#include "version.h"

// build/version.h is written by the Makefile (VERSION, git describe); it changes only when they do, so
// a new commit rebuilds this file alone.
#include "build/version.h"

const char *memscope_version(void) {
    return MEMSCOPE_GIT[0] ? MEMSCOPE_VERSION " (git " MEMSCOPE_GIT ")" : MEMSCOPE_VERSION;
}
