// The version of memscope that built this engine: recorded in every checkpoint it writes.
#ifndef MEMSCOPE_VERSION_H
#define MEMSCOPE_VERSION_H

// "0.6.0" or, built from a git tree, "0.6.0 (git v0.6.0-3-gabc1234)".
const char *memscope_version(void);

#endif
