#include "app/version.h"

#include "app/parallel.h"

#include <cblas.h>

#include "build/version.h"
#include "engine/version.h"

static const char *yes_no(int on) { return on ? "yes" : "no"; }

int print_version(FILE *out) {
#if defined(__F16C__) || defined(__AVX512F__)
    const int fp16 = 1;
#else
    const int fp16 = 0;
#endif
#ifdef __AVX512F__
    const int avx512 = 1;
#else
    const int avx512 = 0;
#endif
    const int mpi = par_built_with_mpi();
    fprintf(out, "memscope %s\n", memscope_version());
    fprintf(out, "build     %s, gcc %d.%d\n", MEMSCOPE_ARCH, __GNUC__, __GNUC_MINOR__);
    fprintf(out, "fp16 kernels (F16C)         %s\n", yes_no(fp16));
    fprintf(out, "AVX-512 row products        %s\n", yes_no(avx512));
    fprintf(out, "MPI (multi-process)         %s\n", yes_no(mpi));
    fprintf(out, "OpenBLAS  %s\n", openblas_get_config());
    return fflush(out) || ferror(out) ? 1 : 0;
}
