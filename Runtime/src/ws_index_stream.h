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

#include "ws_runtime.h"

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

/*
 * Canonical Huffman codes (WS_FEATURE_HUFFMAN). The file stores only the code length of each codebook entry; the
 * decode table below is derived from them (ws_huffman_build), once per ws_invoke and once at load, on the stack:
 * no heap, nothing per tensor. Codes are read from the same LSB-first bit stream with the same accumulator as
 * fixed-width indices; a code's first (most significant) bit is the lowest stream bit, so the next L stream bits,
 * taken as an integer, hold a code of length <= L bit-reversed in their low bits.
 *
 * Decoding: one lookup of the next WS_HUFFMAN_LUT_BITS bits gives symbol and length for every code that short
 * (all of them for the small, skewed codebooks of weight sharing); a longer code takes the out-of-line canonical
 * walk (zlib's puff.c: one bit at a time through the per-length counts), at most WS_HUFFMAN_MAX_LENGTH steps.
 */
#define WS_HUFFMAN_LUT_BITS 8u

typedef struct {
    /* Next WS_HUFFMAN_LUT_BITS stream bits -> symbol << 6 | length (the symbol times 4 from bit 4: a codebook
     * entry's byte offset, one shift away); 0 where the code is longer (or unused). */
    uint16_t lut[1u << WS_HUFFMAN_LUT_BITS];
    uint16_t count[WS_HUFFMAN_MAX_LENGTH + 1u]; /* codes of each length (count[0] unused) */
    uint8_t sorted[WS_HUFFMAN_MAX_SYMBOLS];     /* symbols by (length, symbol): canonical order */
} ws_huffman;

/* Builds `h` from `n` code lengths (n <= WS_HUFFMAN_MAX_SYMBOLS, each <= WS_HUFFMAN_MAX_LENGTH; any lengths are
 * safe, the verifier checks that they form a code). */
void ws_huffman_build(ws_huffman *h, const uint8_t *lengths, uint32_t n);

/* A code longer than WS_HUFFMAN_LUT_BITS (or none: returns WS_HUFFMAN_INVALID and consumes nothing). `r->bits`
 * is at least WS_HUFFMAN_MAX_LENGTH. */
#define WS_HUFFMAN_INVALID 0xFFFFu
uint32_t ws_huffman_slow(ws_index_reader *r, const ws_huffman *h);

/* The next symbol of a Huffman-coded run (r initialised with ws_index_reader_init at the run's first bit, width
 * ignored). Refills to at least WS_HUFFMAN_MAX_LENGTH bits: reads at most 3 bytes past the end of the last code. */
static inline uint32_t ws_huffman_next(ws_index_reader *r, const ws_huffman *h) {
    uint32_t e;
    while (r->bits < WS_HUFFMAN_MAX_LENGTH) {
        r->acc |= (uint32_t)(*r->next++) << r->bits;
        r->bits += 8u;
    }
    e = h->lut[r->acc & ((1u << WS_HUFFMAN_LUT_BITS) - 1u)];
    if ((e & 15u) == 0) return ws_huffman_slow(r, h);
    r->acc >>= e & 15u;
    r->bits -= e & 15u;
    return e >> 6;
}

#endif /* WS_INDEX_STREAM_H */
