/* A stand-in for numpy's OpenBLAS (numpy.libs/libscipy_openblas64_*.so: 24 MB, and 3 MB of the Fortran
 * runtime only it needs). It exports every BLAS/LAPACK routine numpy's extension modules link to, so numpy
 * loads. SchoolQ calls none of them: app/ computes its figures with numpy's counting, sorting and
 * element-wise functions, never dot, matmul or numpy.linalg (tests/core/test_bundle_cuts.py guards it).
 * Only the two real dot products are computed, plainly: numpy checks one when it is imported
 * (float32 [1, 1]·[1, 1] must be 2). Every other routine names itself and stops the program rather than
 * return a wrong figure. installer/schoolq.spec writes blas_symbols.h (one STUB(name) per other routine)
 * and builds this with
 *   cc -shared -fPIC -O2 -s -I<folder of blas_symbols.h> -Wl,-soname,<OpenBLAS's soname> blas_stub.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef int64_t blas_int;  /* scipy_openblas64_: the 64-bit integer interface */

#define EXPORTED __attribute__((visibility("default")))

/* x·y over n elements, x and y read every incx / incy elements (backwards from the end when negative). */
#define DOT(name, type)                                                                                  \
    EXPORTED type name(blas_int n, const type *x, blas_int incx, const type *y, blas_int incy) {         \
        double sum = 0.0;                                                                                \
        if (n <= 0) return 0;                                                                            \
        if (incx < 0) x += (1 - n) * incx;                                                               \
        if (incy < 0) y += (1 - n) * incy;                                                               \
        for (blas_int i = 0; i < n; i++) sum += (double)x[i * incx] * (double)y[i * incy];               \
        return (type)sum;                                                                                \
    }

DOT(scipy_cblas_sdot64_, float)
DOT(scipy_cblas_ddot64_, double)

static void no_blas(const char *routine) {
    fprintf(stderr, "SchoolQ: numpy called %s, a BLAS/LAPACK routine this bundle does not carry "
                    "(installer/blas_stub.c)\n", routine);
    abort();
}

#define STUB(name) EXPORTED void name(void) { no_blas(#name); }
#include "blas_symbols.h"
