/* ICU's "stub data": a common data package with no entries, in place of libicudata's ~30 MB of locale
 * data (see installer/schoolq.spec). ICU then reports every data item as missing and Qt falls back to
 * its own tables. ICU_MAJOR (e.g. 73) names the entry point ICU looks for: icudt73_dat.
 * Built by the spec:  cc -shared -fPIC -O2 -s -DICU_MAJOR=73 -o libicudata.so.73 icudata_stub.c */
#include <stdint.h>

#define ENTRY_NAME(major) icudt##major##_dat
#define ENTRY(major) ENTRY_NAME(major)

struct common_data_header {
    uint16_t header_size;  /* 32: this header up to `count` */
    uint8_t magic1, magic2;  /* 0xda 0x27 */
    struct {
        uint16_t size, reserved_word;
        uint8_t is_big_endian, charset_family, sizeof_uchar, reserved_byte;
        uint8_t data_format[4], format_version[4], data_version[4];
    } info;
    char padding[8];
    uint32_t count, reserved;  /* no entries in the table of contents */
    const void *toc[2];
};

__attribute__((visibility("default"))) const struct common_data_header ENTRY(ICU_MAJOR) = {
    32, 0xda, 0x27,
    {20, 0, __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__, 0, 2, 0, {'T', 'o', 'C', 'P'}, {1, 0, 0, 0}, {0, 0, 0, 0}},
    {0}, 0, 0, {0, 0}
};
