/* The fixed-width index decoder (src/ws_index_stream.h) against a bit-by-bit reference packer. */
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "ws_index_stream.h"
#include "ws_test.h"

static const uint32_t lengths[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 33, 64, 100, 1001, 4099};

/* Decodes n indices packed at `width` bits and compares every decoding path with `expected`. */
static void check_stream(const uint32_t *expected, uint32_t n, uint32_t width) {
    size_t padded = ref_packed_bytes(n, width, 4), exact = ref_packed_bytes(n, width, 0);
    uint8_t *buf = (uint8_t *)malloc(padded);
    uint8_t *tight = (uint8_t *)malloc(exact);
    const uint32_t starts[] = {0, 1, 3, 7, n / 2, n - 1};
    int seq_ok = 1, tight_ok = 1, random_ok = 1, starts_ok = 1;
    ws_index_reader r;
    uint32_t i, s;

    ref_pack(expected, n, width, 4, buf);
    /* The sequential decoder needs no padding: an exact-size heap block lets ASan catch any over-read. */
    memcpy(tight, buf, exact);

    ws_index_reader_init(&r, buf, width, 0);
    for (i = 0; i < n; i++)
        if (ws_index_next(&r) != expected[i]) seq_ok = 0;
    ws_index_reader_init(&r, tight, width, 0);
    for (i = 0; i < n; i++)
        if (ws_index_next(&r) != expected[i]) tight_ok = 0;
    for (i = 0; i < n; i++)
        if (ws_index_at(buf, width, i) != expected[i]) random_ok = 0;
    for (s = 0; s < sizeof starts / sizeof starts[0]; s++) {
        if (starts[s] >= n) continue;
        ws_index_reader_init(&r, tight, width, starts[s]);
        for (i = starts[s]; i < n; i++)
            if (ws_index_next(&r) != expected[i]) starts_ok = 0;
    }
    if (!(seq_ok && tight_ok && random_ok && starts_ok))
        fprintf(stderr, "  width %u, length %u: sequential %d, unpadded %d, random %d, offsets %d\n", width, n,
                seq_ok, tight_ok, random_ok, starts_ok);
    CHECK(seq_ok && tight_ok);
    CHECK(random_ok);
    CHECK(starts_ok);
    free(buf);
    free(tight);
}

static void test_random_indices(void) {
    lcg g = {2024};
    uint32_t width, l, i;
    uint32_t *values = (uint32_t *)malloc(4099 * sizeof(uint32_t));
    for (width = 1; width <= 16; width++) {
        for (l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
            for (i = 0; i < lengths[l]; i++) values[i] = lcg_next(&g) & ((1u << width) - 1u);
            check_stream(values, lengths[l], width);
        }
    }
    free(values);
}

/* All-ones and all-zeros streams (every bit of every index set / clear), and alternating extremes. */
static void test_extreme_indices(void) {
    uint32_t values[257], width, i;
    for (width = 1; width <= 16; width++) {
        for (i = 0; i < 257; i++) values[i] = (1u << width) - 1u;
        check_stream(values, 257, width);
        for (i = 0; i < 257; i++) values[i] = 0;
        check_stream(values, 257, width);
        for (i = 0; i < 257; i++) values[i] = (i & 1u) ? (1u << width) - 1u : 0u;
        check_stream(values, 257, width);
    }
}

/* A hand-packed stream: widths 3 and 5 written out bit by bit in a comment, independent of ref_pack(). */
static void test_known_bytes(void) {
    /* width 3, indices 5, 3, 7, 0, 1: bits (LSB first) 101 110 111 000 100 -> stream bits
     * 1,0,1,1,1,0,1,1 | 1,0,0,0,1,0,0... -> byte0 = 0b11011101 = 0xDD, byte1 = 0b00010001 = 0x11 */
    static const uint8_t packed3[] = {0xDD, 0x11, 0, 0, 0, 0};
    /* width 5, indices 31, 0, 17: bits 11111 00000 10001 -> byte0 = 0b00011111 = 0x1F, byte1 = 0b01000100 = 0x44 */
    static const uint8_t packed5[] = {0x1F, 0x44, 0, 0, 0, 0};
    CHECK_EQ(ws_index_at(packed3, 3, 0), 5);
    CHECK_EQ(ws_index_at(packed3, 3, 1), 3);
    CHECK_EQ(ws_index_at(packed3, 3, 2), 7);
    CHECK_EQ(ws_index_at(packed3, 3, 3), 0);
    CHECK_EQ(ws_index_at(packed3, 3, 4), 1);
    CHECK_EQ(ws_index_at(packed5, 5, 0), 31);
    CHECK_EQ(ws_index_at(packed5, 5, 1), 0);
    CHECK_EQ(ws_index_at(packed5, 5, 2), 17);
}

int main(void) {
    test_known_bytes();
    test_random_indices();
    test_extreme_indices();
    return ws_test_finish();
}
