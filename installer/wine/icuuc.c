/* icuuc.dll for a Wine prefix, so that Qt's core library loads there (installer/build_windows_wine.sh).

Qt 6's Qt6Core.dll links Windows' own ICU (icuuc.dll in System32 since Windows 10 1703), which Wine does
not provide, and only for its character converters (QStringConverter's encodings other than UTF and
Latin-1). This library exports those 20 functions and has no converter: ucnv_open reports every encoding
missing, as ICU does for one it lacks, and Qt goes on without it. It goes into the Wine prefix's
system32, never into the bundle (PyInstaller leaves the Windows folder's DLLs out, as on Windows, where
the real icuuc.dll is there). Built with: x86_64-w64-mingw32-gcc -shared -O2 -s -o icuuc.dll wine_icuuc.c
*/
#include <stddef.h>
#include <stdint.h>

#define EXPORT __declspec(dllexport)
#define U_FILE_ACCESS_ERROR 4
#define U_UNSUPPORTED_ERROR 16

typedef int UErrorCode;

static void fail(UErrorCode *err, UErrorCode code) {
    if (err != NULL && *err <= 0) *err = code;
}

EXPORT void *ucnv_open(const char *name, UErrorCode *err) { (void)name; fail(err, U_FILE_ACCESS_ERROR); return NULL; }
EXPORT void ucnv_close(void *converter) { (void)converter; }
EXPORT int32_t ucnv_countAvailable(void) { return 0; }
EXPORT const char *ucnv_getAvailableName(int32_t n) { (void)n; return NULL; }
EXPORT const char *ucnv_getStandardName(const char *name, const char *standard, UErrorCode *err) {
    (void)name; (void)standard; (void)err; return NULL;
}
EXPORT const char *ucnv_getName(const void *converter, UErrorCode *err) {
    (void)converter; fail(err, U_UNSUPPORTED_ERROR); return NULL;
}
EXPORT int8_t ucnv_getMaxCharSize(const void *converter) { (void)converter; return 0; }
EXPORT void ucnv_reset(void *converter) { (void)converter; }
EXPORT int32_t ucnv_fromUCountPending(const void *converter, UErrorCode *err) {
    (void)converter; fail(err, U_UNSUPPORTED_ERROR); return 0;
}
EXPORT int32_t ucnv_toUCountPending(const void *converter, UErrorCode *err) {
    (void)converter; fail(err, U_UNSUPPORTED_ERROR); return 0;
}
EXPORT void ucnv_fromUnicode(void *converter, char **target, const char *targetLimit, const uint16_t **source,
                             const uint16_t *sourceLimit, int32_t *offsets, int8_t flush, UErrorCode *err) {
    (void)converter; (void)target; (void)targetLimit; (void)source; (void)sourceLimit; (void)offsets; (void)flush;
    fail(err, U_UNSUPPORTED_ERROR);
}
EXPORT void ucnv_toUnicode(void *converter, uint16_t **target, const uint16_t *targetLimit, const char **source,
                           const char *sourceLimit, int32_t *offsets, int8_t flush, UErrorCode *err) {
    (void)converter; (void)target; (void)targetLimit; (void)source; (void)sourceLimit; (void)offsets; (void)flush;
    fail(err, U_UNSUPPORTED_ERROR);
}
EXPORT void ucnv_getFromUCallBack(const void *converter, void **action, const void **context) {
    (void)converter; if (action) *action = NULL; if (context) *context = NULL;
}
EXPORT void ucnv_getToUCallBack(const void *converter, void **action, const void **context) {
    (void)converter; if (action) *action = NULL; if (context) *context = NULL;
}
EXPORT void ucnv_setFromUCallBack(void *converter, void *action, const void *context, void **oldAction,
                                  const void **oldContext, UErrorCode *err) {
    (void)converter; (void)action; (void)context; (void)oldAction; (void)oldContext; fail(err, U_UNSUPPORTED_ERROR);
}
EXPORT void ucnv_setToUCallBack(void *converter, void *action, const void *context, void **oldAction,
                                const void **oldContext, UErrorCode *err) {
    (void)converter; (void)action; (void)context; (void)oldAction; (void)oldContext; fail(err, U_UNSUPPORTED_ERROR);
}
EXPORT void ucnv_cbFromUWriteUChars(void *args, const uint16_t **source, const uint16_t *sourceLimit,
                                    int32_t offsetIndex, UErrorCode *err) {
    (void)args; (void)source; (void)sourceLimit; (void)offsetIndex; fail(err, U_UNSUPPORTED_ERROR);
}
EXPORT void ucnv_cbToUWriteUChars(void *args, const uint16_t *source, int32_t length, int32_t offsetIndex,
                                  UErrorCode *err) {
    (void)args; (void)source; (void)length; (void)offsetIndex; fail(err, U_UNSUPPORTED_ERROR);
}
EXPORT void UCNV_FROM_U_CALLBACK_SUBSTITUTE(const void *context, void *args, const uint16_t *codeUnits,
                                            int32_t length, int32_t codePoint, int reason, UErrorCode *err) {
    (void)context; (void)args; (void)codeUnits; (void)length; (void)codePoint; (void)reason;
    fail(err, U_UNSUPPORTED_ERROR);
}
EXPORT void UCNV_TO_U_CALLBACK_SUBSTITUTE(const void *context, void *args, const char *codeUnits, int32_t length,
                                          int reason, UErrorCode *err) {
    (void)context; (void)args; (void)codeUnits; (void)length; (void)reason; fail(err, U_UNSUPPORTED_ERROR);
}
