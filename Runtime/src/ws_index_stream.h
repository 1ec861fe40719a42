/*
 * Decoder for the fixed-width index stream (internal, header-only so kernels inline it).
 *
 * Layout: unsigned `width`-bit indices (1..16) packed LSB-first; element i occupies stream bits
 * [i*width, (i+1)*width) and stream bit j is bit (j mod 8) of byte j/8. The verifier guarantees at least 4
 * bytes of padding after the packed bits, so the random-access decoder may load 3 bytes past any index start.
 */
#ifndef WS_INDEX_STREAM_H
#define WS_INDEX_STREAM_H

#include <stdint.h>

/* Byte holding the first bit of element `i`, and that bit's position in it. Split so that i * width,
 * which can exceed 32 bits, is never formed: i * width = 8 * (i / 8) * width + (i % 8) * width. */
static inline uint32_t ws_index_byte(uint32_t i, uint32_t width, uint32_t *shift) {
    uint32_t bits = (i & 7u) * width;
    *shift = bits & 7u;
    return (i >> 3) * width + (bits >> 3);
}

/* Random access: element `i`. Reads 3 bytes (a 16-bit index plus up to 7 bits of offset needs 23 bits). */
static inline uint32_t ws_index_at(const uint8_t *data, uint32_t width, uint32_t i) {
    uint32_t shift;
    const uint8_t *p = data + ws_index_byte(i, width, &shift);
    uint32_t word = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16);
    return (word >> shift) & ((1u << width) - 1u);
}

/* Sequential decoder: a bit accumulator refilled one byte at a time, reading each stream byte once. */
typedef struct {
    const uint8_t *next; /* next byte to load */
    uint32_t acc;        /* undecoded bits, LSB first */
    uint32_t bits;       /* number of valid bits in acc (< width + 8 <= 24) */
    uint32_t width;
    uint32_t mask;
} ws_index_reader;

static inline void ws_index_reader_init(ws_index_reader *r, const uint8_t *data, uint32_t width, uint32_t first) {
    uint32_t shift;
    r->next = data + ws_index_byte(first, width, &shift);
    r->acc = 0;
    r->bits = 0;
    r->width = width;
    r->mask = (1u << width) - 1u;
    if (shift != 0) {
        r->acc = (uint32_t)(*r->next++) >> shift;
        r->bits = 8u - shift;
    }
}

static inline uint32_t ws_index_next(ws_index_reader *r) {
    uint32_t v;
    while (r->bits < r->width) {
        r->acc |= (uint32_t)(*r->next++) << r->bits;
        r->bits += 8u;
    }
    v = r->acc & r->mask;
    r->acc >>= r->width;
    r->bits -= r->width;
    return v;
}

#endif /* WS_INDEX_STREAM_H */
