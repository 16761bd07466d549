/* The C99 complex functions of Windows' C runtime (ucrtbase.dll), for a Wine prefix whose ucrtbase lacks them
(installer/build_windows_wine.sh).

Wine 8.0's ucrtbase.dll declares ccos, cexp, crealf, cabs … but leaves them unimplemented, and a call stops
the process; numpy 2's Windows build calls crealf while it is imported. build_windows_wine.sh links this file
into a ucrtbase.dll for the prefix's system32 that exports these functions and forwards every other export
to Wine's own ucrtbase (copied beside it as wineucrt.dll). Never part of the bundle: the Windows folder's DLLs
are not collected, and on Windows the system's ucrtbase.dll has them all.

The types follow Microsoft's <complex.h>: _Dcomplex and _Fcomplex are structures (so passed and returned as
structures under the Windows x64 convention), and long double is double, so _Lcomplex is laid out as
_Dcomplex and the "l" functions compute in double. Each function is defined as ucrt_NAME and exported as
NAME by the generated .def file (the plain names are mingw-w64's own complex functions, called here).
*/
#include <complex.h>
#include <math.h>

typedef struct { double v[2]; } Dcomplex;
typedef struct { float v[2]; } Fcomplex;

static double complex from_d(Dcomplex z) { return __builtin_complex(z.v[0], z.v[1]); }
static float complex from_f(Fcomplex z) { return __builtin_complex(z.v[0], z.v[1]); }
static Dcomplex to_d(double complex z) { Dcomplex r = {{creal(z), cimag(z)}}; return r; }
static Fcomplex to_f(float complex z) { Fcomplex r = {{crealf(z), cimagf(z)}}; return r; }

static double complex clog10_d(double complex z) { return clog(z) / log(10.0); }
static float complex clog10_f(float complex z) { return clogf(z) / logf(10.0f); }

/* complex -> complex, in the double, float and long double (= double) forms. */
#define UNARY(name, dfun, ffun) \
    Dcomplex ucrt_##name(Dcomplex z) { return to_d(dfun(from_d(z))); } \
    Fcomplex ucrt_##name##f(Fcomplex z) { return to_f(ffun(from_f(z))); } \
    Dcomplex ucrt_##name##l(Dcomplex z) { return to_d(dfun(from_d(z))); }
UNARY(cacos, cacos, cacosf)
UNARY(cacosh, cacosh, cacoshf)
UNARY(casin, casin, casinf)
UNARY(casinh, casinh, casinhf)
UNARY(catan, catan, catanf)
UNARY(catanh, catanh, catanhf)
UNARY(ccos, ccos, ccosf)
UNARY(ccosh, ccosh, ccoshf)
UNARY(cexp, cexp, cexpf)
UNARY(clog, clog, clogf)
UNARY(clog10, clog10_d, clog10_f)
UNARY(conj, conj, conjf)
UNARY(cproj, cproj, cprojf)
UNARY(csin, csin, csinf)
UNARY(csinh, csinh, csinhf)
UNARY(csqrt, csqrt, csqrtf)
UNARY(ctan, ctan, ctanf)
UNARY(ctanh, ctanh, ctanhf)

/* complex -> real. norm is the squared magnitude, as in Microsoft's <complex.h>. */
static double norm_d(double complex z) { return creal(z) * creal(z) + cimag(z) * cimag(z); }
static float norm_f(float complex z) { return crealf(z) * crealf(z) + cimagf(z) * cimagf(z); }
#define TO_REAL(name, dfun, ffun) \
    double ucrt_##name(Dcomplex z) { return dfun(from_d(z)); } \
    float ucrt_##name##f(Fcomplex z) { return ffun(from_f(z)); } \
    double ucrt_##name##l(Dcomplex z) { return dfun(from_d(z)); }
TO_REAL(cabs, cabs, cabsf)
TO_REAL(carg, carg, cargf)
TO_REAL(cimag, cimag, cimagf)
TO_REAL(creal, creal, crealf)
TO_REAL(norm, norm_d, norm_f)

Dcomplex ucrt_cpow(Dcomplex x, Dcomplex y) { return to_d(cpow(from_d(x), from_d(y))); }
Fcomplex ucrt_cpowf(Fcomplex x, Fcomplex y) { return to_f(cpowf(from_f(x), from_f(y))); }
Dcomplex ucrt_cpowl(Dcomplex x, Dcomplex y) { return to_d(cpow(from_d(x), from_d(y))); }

/* Microsoft's constructors and products (no complex arithmetic in its C compiler). */
Dcomplex ucrt__Cbuild(double re, double im) { Dcomplex r = {{re, im}}; return r; }
Fcomplex ucrt__FCbuild(float re, float im) { Fcomplex r = {{re, im}}; return r; }
Dcomplex ucrt__LCbuild(double re, double im) { Dcomplex r = {{re, im}}; return r; }
Dcomplex ucrt__Cmulcc(Dcomplex x, Dcomplex y) { return to_d(from_d(x) * from_d(y)); }
Fcomplex ucrt__FCmulcc(Fcomplex x, Fcomplex y) { return to_f(from_f(x) * from_f(y)); }
Dcomplex ucrt__LCmulcc(Dcomplex x, Dcomplex y) { return to_d(from_d(x) * from_d(y)); }
Dcomplex ucrt__Cmulcr(Dcomplex x, double y) { Dcomplex r = {{x.v[0] * y, x.v[1] * y}}; return r; }
Fcomplex ucrt__FCmulcr(Fcomplex x, float y) { Fcomplex r = {{x.v[0] * y, x.v[1] * y}}; return r; }
Dcomplex ucrt__LCmulcr(Dcomplex x, double y) { Dcomplex r = {{x.v[0] * y, x.v[1] * y}}; return r; }
