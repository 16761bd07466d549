/* bcryptprimitives.dll for a Wine prefix (installer/build_windows_wine.sh): ProcessPrng, which Rust's standard
library calls for random bytes on Windows 10 and later, so cryptography's and pyrage's extensions load under
Wine 8.0, which has no bcryptprimitives.dll. The bytes come from Wine's BCryptGenRandom (the system's
generator). Goes into the prefix's system32 only, never into the bundle: on Windows the system has it.
*/
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
    while (size > 0) {
        ULONG chunk = size > 0x40000000 ? 0x40000000 : (ULONG)size;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
        data += chunk;
        size -= chunk;
    }
    return TRUE;
}
