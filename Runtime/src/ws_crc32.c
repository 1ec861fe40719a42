/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), zlib-compatible chaining. */
#include "ws_runtime.h"

#ifdef WS_CRC32_ZLIB
/* Host builds (the compiler's search writes and verifies a container per candidate): zlib's table-driven CRC,
 * several times faster than the nibble loop below, same polynomial and chaining. */
#include <zlib.h>

uint32_t ws_crc32(uint32_t crc, const void *data, size_t len) {
    const Bytef *p = (const Bytef *)data;
    while (len > 0) {                             /* zlib takes uInt lengths */
        uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;
        crc = (uint32_t)crc32((uLong)crc, p, n);
        p += n;
        len -= n;
    }
    return crc;
}
#else
/* One 16-entry table (64 bytes of flash): two lookups per byte, 16x smaller than the usual 256-entry table. */
static const uint32_t ws_crc32_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu, 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t ws_crc32(uint32_t crc, const void *data, size_t len) {
    const uint8_t *p = (const uint8_t *)data;
    uint32_t c = crc ^ 0xFFFFFFFFu; /* pre/post inversion makes ws_crc32(ws_crc32(0, a), b) == crc of a||b */
    size_t i;
    for (i = 0; i < len; i++) {
        c ^= p[i];
        c = (c >> 4) ^ ws_crc32_nibble[c & 0x0Fu];
        c = (c >> 4) ^ ws_crc32_nibble[c & 0x0Fu];
    }
    return c ^ 0xFFFFFFFFu;
}
#endif
