/*
 * Gemm and MatMul. B (usually the shared weight matrix) is read exactly once per call, in storage order, so
 * each weight index is decoded once and no tensor is ever expanded: Y is the only accumulator. A batched MatMul
 * is one such call per batch slice, the operands offset to the slice (a B slice is read once per output batch).
 */
#include <string.h>

#include "ws_flatbuf.h" /* ws_ld_u32 */
#include "ws_kernels.h"

/* A hot loop in its own function: its registers are its own (inlined into a bigger function GCC spills its sums at
 * -Os), and where it lands no longer moves with the code around it (on x86-64 the same 2-bit row loop ran 1.25x
 * slower after an unrelated change to this file moved it across a 32-byte boundary). */
#if defined(__GNUC__)
#define WS_DENSE_LOOP __attribute__((noinline))
#else
#define WS_DENSE_LOOP
#endif

/* y[m * ldy] += op(A)[m, k] * w for every row m; op(A)[m, k] is stored at m * a_sm + k * a_sk. */
static void add_scaled_column(const ws_operand *a, uint32_t a_sm, uint32_t a_k, float w, float *y, uint32_t ldy,
                              uint32_t rows) {
    uint32_t m;
    if (a->values) {
        const float *x = a->values + a_k;
        for (m = 0; m < rows; m++) y[m * ldy] += x[m * a_sm] * w;
    } else {
        /* Shared A is rare (a constant left operand): random access is good enough there. */
        for (m = 0; m < rows; m++) y[m * ldy] += ws_operand_at(a, m * a_sm + a_k) * w;
    }
}

/* ---- batch-1 products: y[j] += x · W[j, :] for W stored [rows, depth] (dense layers, recurrent gates) --------- */

/* Raw weights: four partial sums (independent chains for pipelined adds; the summation order is part of the
 * result: host and firmware share it). */
static float dot_values(const float *x, const float *w, uint32_t n) {
    const float *end = x + (n & ~3u);
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (; x != end; x += 4, w += 4) {
        s0 += x[0] * w[0];
        s1 += x[1] * w[1];
        s2 += x[2] * w[2];
        s3 += x[3] * w[3];
    }
    for (n &= 3u; n > 0; n--) s0 += *x++ * *w++;
    return (s0 + s1) + (s2 + s3);
}

/*
 * Nibble tables, for 2-bit indices (and 4-bit ones on hosts: WS_DENSE_NIBBLES4). Every 4 stream bits of a row are one
 * group of g = 4 / width consecutive weights, so the group's share of the dot product takes one of 16 values: the
 * table holds them, x · codebook[indices] for each nibble value, built once for all rows. A row then costs one
 * lookup and one add per nibble (two weights at 2 bits) instead of a decode, a codebook load, an input load and a
 * multiply-add per weight: the digits MLP at 2 bits runs in 0.91x the Cortex-M4 instructions of its raw float
 * weights (bench/dense_decode.json). The table covers WS_DENSE_BYTES bytes of every row at a time (1 KB of stack).
 */
#define WS_DENSE_BYTES 8u

/* 4-bit rows through nibble tables on hosts, where they beat the windows below (1.08-1.16x the raw weights' time vs
 * 1.4x on x86-64); WS_SMALL builds take the windows (1.14x the raw weights' Cortex-M4 instructions against 1.78x
 * with the tables; bench/dense_decode.json). */
#ifdef WS_SMALL
#define WS_DENSE_NIBBLES4 0
#else
#define WS_DENSE_NIBBLES4 1
#endif

/* t[16 i + v] for i < groups: at 2 bits x[2i] cb[v & 3] + x[2i + 1] cb[v >> 2], at 4 bits x[i] cb[v]. */
static void nibble_table(float *t, const float *x, uint32_t groups, uint32_t width, const float *cb) {
    uint32_t i, h;
    for (i = 0; i < groups; i++, t += 16) {
        if (WS_WIDTH_BUILT(4) && WS_DENSE_NIBBLES4 && width == 4u) {
            for (h = 0; h < 16u; h++) t[h] = x[i] * cb[h];
            continue;
        }
        for (h = 0; h < 4u; h++) {
            const float b = x[2u * i + 1u] * cb[h];
            t[4u * h] = x[2u * i] * cb[0] + b;
            t[4u * h + 1u] = x[2u * i] * cb[1] + b;
            t[4u * h + 2u] = x[2u * i] * cb[2] + b;
            t[4u * h + 3u] = x[2u * i] * cb[3] + b;
        }
    }
}

/* y[j] += sum of t[16 i + nibble i] over the 2 * bytes nibbles of row j (bytes even), rows `stride` bytes apart
 * from p (nibbles LSB first): two bytes a step. One function for the whole chunk, so that its loop keeps
 * everything in registers. */
static WS_DENSE_LOOP void nibble_rows(const uint8_t *p, uint32_t stride, uint32_t bytes, uint32_t rows,
                                      const float *table, float *y) {
    const uint8_t *end;
    const float *t;
    for (; rows > 0; rows--, p += stride - bytes, y++) {
        float s0 = 0.0f, s1 = 0.0f;
        for (t = table, end = p + bytes; p != end; p += 2, t += 64) {
            const uint32_t b0 = p[0], b1 = p[1];
            s0 += t[b0 & 15u];
            s1 += t[16u + (b0 >> 4)];
            s0 += t[32u + (b1 & 15u)];
            s1 += t[48u + (b1 >> 4)];
        }
        *y += s0 + s1;
    }
}

/* The exact outliers among rows [0, rows) of a fixed-width W starting at element w_off, added to y after the rows
 * were summed with codebook values: y[row] += x · (exact value - codebook value at its index). */
static void add_outliers(const float *x, const ws_operand *w, uint32_t w_off, uint32_t depth, uint32_t rows,
                         float *y) {
    uint32_t o;
    for (o = 0; o < w->num_outliers; o++) {
        const uint32_t e = w->outlier_positions[o] - w_off;
        if (w->outlier_positions[o] < w_off || e >= rows * depth) continue;
        y[e / depth] += x[e % depth] * (w->outlier_values[o] -
                                        w->codebook[ws_index_at(w->stream, w->bit_width, w->first + w_off + e)]);
    }
}

/* Fixed-width shared rows through nibble tables; returns 0 (nothing written) when they do not apply: another
 * width, rows that do not start on a byte or are an odd number of bytes, or too few rows to repay the table.
 * Outliers are added afterwards (add_outliers). */
static int dense_rows_nibbles(const float *x, const ws_operand *w, uint32_t w_off, uint32_t depth, uint32_t rows,
                              float *y) {
    const uint32_t width = w->bit_width, per_byte = width == 2u ? 4u : 2u; /* indices per byte, when it applies */
    float table[16u * 2u * WS_DENSE_BYTES], cb[16];
    uint32_t k0, j, n, shift;
    if (w->code || !((WS_WIDTH_BUILT(2) && width == 2u) || (WS_WIDTH_BUILT(4) && WS_DENSE_NIBBLES4 && width == 4u)) ||
        depth % (2u * per_byte) != 0 || (w->first + w_off) % per_byte != 0 || rows < 8u)
        return 0;
    for (j = 0; j < (1u << width); j++) cb[j] = j < w->codebook_size ? w->codebook[j] : 0.0f;
    for (k0 = 0; k0 < depth; k0 += n * per_byte) {
        const uint8_t *p = w->stream + ws_index_byte(w->first + w_off + k0, width, &shift);
        n = (depth - k0) / per_byte < WS_DENSE_BYTES ? (depth - k0) / per_byte : WS_DENSE_BYTES;
        nibble_table(table, x + k0, 2u * n, width, cb);
        nibble_rows(p, depth / per_byte, n, rows, table, y);
    }
    add_outliers(x, w, w_off, depth, rows, y);
    return 1;
}

#ifndef WS_SMALL
/*
 * 3-bit rows on hosts: pair tables. Two consecutive 3-bit indices are one 6-bit value, so a pair of inputs' share
 * of the dot product takes one of 64 values, t[64 i + v] = x[2i] cb[v & 7] + x[2i + 1] cb[v >> 3], built once for
 * all rows: one lookup and one add per two weights, four a 3-byte window. WS_PAIR_INPUTS inputs a table (2 KiB of
 * stack); rows of a multiple of 8 indices (all from the same bit of a byte), at least 8 of them.
 */
#define WS_PAIR_INPUTS 16u

static void pair_table(float *t, const float *x, uint32_t pairs, const float *cb) {
    uint32_t i, h, l;
    for (i = 0; i < pairs; i++, t += 64, x += 2)
        for (h = 0; h < 8u; h++) {
            const float b = x[1] * cb[h];
            for (l = 0; l < 8u; l++) t[8u * h + l] = x[0] * cb[l] + b;
        }
}

/* y[j] += the row's share of the chunk: `windows` 3-byte windows from bit `shift` of p, rows `stride` bytes apart. */
static WS_DENSE_LOOP void pair_rows(const uint8_t *p, uint32_t shift, uint32_t stride, uint32_t windows,
                                    uint32_t rows, const float *table, float *y) {
    uint32_t g;
    for (; rows > 0; rows--, p += stride, y++) {
        const uint8_t *q = p;
        const float *t = table;
        float s0 = 0.0f, s1 = 0.0f;
        for (g = 0; g < windows; g++, q += 3, t += 256) {
            const uint32_t v = ws_ld_u32(q) >> shift;
            s0 += t[v & 63u];
            s1 += t[64u + ((v >> 6) & 63u)];
            s0 += t[128u + ((v >> 12) & 63u)];
            s1 += t[192u + ((v >> 18) & 63u)];
        }
        *y += s0 + s1;
    }
}

static int dense_rows_pairs(const float *x, const ws_operand *w, uint32_t w_off, uint32_t depth, uint32_t rows,
                            float *y) {
    float table[64u * WS_PAIR_INPUTS / 2u], cb[8];
    uint32_t k0, n, j, shift;
    if (!WS_WIDTH_BUILT(3) || w->code || w->bit_width != 3u || depth % 8u != 0u || rows < 8u) return 0;
    for (j = 0; j < 8u; j++) cb[j] = j < w->codebook_size ? w->codebook[j] : 0.0f;
    for (k0 = 0; k0 < depth; k0 += n) {
        const uint8_t *p = w->stream + ws_index_byte(w->first + w_off + k0, 3u, &shift);
        n = depth - k0 < WS_PAIR_INPUTS ? depth - k0 : WS_PAIR_INPUTS;
        pair_table(table, x + k0, n / 2u, cb);
        pair_rows(p, shift, depth * 3u / 8u, n / 8u, rows, table, y);
    }
    add_outliers(x, w, w_off, depth, rows, y);
    return 1;
}
#endif /* WS_SMALL */

/*
 * Fixed-width rows of up to 6 bits that the nibble (and on hosts the pair) tables leave: each index looked up in the
 * codebook and multiplied with its input. Up to 4 bits, eight indices are one 32-bit window of the stream, W bytes,
 * so a row's bit offset stays put from window to window (8 W + shift <= 31 bits up to 3 bits; a 4-bit row is brought
 * to a byte first); 5 and 6 bits take four a window. 3- and 4-bit rows go four at a time where their offsets agree
 * (then two, then one): each input is loaded once for four rows and the width is a constant, so that an index is one
 * bit-field extract (~4.6 Cortex-M4 instructions a weight, 4.25 on raw weights; two rows at a time took 5). A window
 * reads at most 3 bytes past a row's last index (within the stream's padding). Each loop is its own function so that
 * its sums stay in registers.
 */
#define WS_WINDOW_TERM(acc, xv, v, i, W, M) acc += (xv) * cb[((v) >> (i) * (W)) & (M)]

/* TERM for each of a window's eight inputs. */
#define WS_WINDOW_EIGHT(TERM, W, M)                                                                                \
    TERM(0u, W, M);                                                                                                \
    TERM(1u, W, M);                                                                                                \
    TERM(2u, W, M);                                                                                                \
    TERM(3u, W, M);                                                                                                \
    TERM(4u, W, M);                                                                                                \
    TERM(5u, W, M);                                                                                                \
    TERM(6u, W, M);                                                                                                \
    TERM(7u, W, M)

/* `quads` groups of four rows `rb` bytes apart from p (all from bit `shift`) into y[4q .. 4q + 3], one call for all
 * of them: each row's sum in two partial sums (even and odd inputs), as window_spans sums a row. */
#define WS_WINDOW_TERM4(i, W, M)                                                                                   \
    do {                                                                                                           \
        const float xi = xk[i];                                                                                    \
        WS_WINDOW_TERM(a[(i) & 1u], xi, u0, i, W, M);                                                              \
        WS_WINDOW_TERM(b[(i) & 1u], xi, u1, i, W, M);                                                              \
        WS_WINDOW_TERM(c[(i) & 1u], xi, u2, i, W, M);                                                              \
        WS_WINDOW_TERM(d[(i) & 1u], xi, u3, i, W, M);                                                              \
    } while (0)

#define WS_WINDOW_ROWS4(W, M, SHIFT)                                                                               \
    for (; quads > 0u; quads--, p += 4u * rb, y += 4) {                                                            \
        const float *xk = x;                                                                                       \
        const uint8_t *r = p, *s = p + 2u * rb; /* rows 0-1 at r, r + rb; rows 2-3 at s, s + rb */                 \
        float a[2] = {0.0f, 0.0f}, b[2] = {0.0f, 0.0f}, c[2] = {0.0f, 0.0f}, d[2] = {0.0f, 0.0f};                  \
        do {                                                                                                       \
            const uint32_t u0 = ws_ld_u32(r) >> (SHIFT), u1 = ws_ld_u32(r + rb) >> (SHIFT);                        \
            const uint32_t u2 = ws_ld_u32(s) >> (SHIFT), u3 = ws_ld_u32(s + rb) >> (SHIFT);                        \
            WS_WINDOW_EIGHT(WS_WINDOW_TERM4, W, M);                                                                \
            xk += 8;                                                                                               \
            r += (W);                                                                                              \
            s += (W);                                                                                              \
        } while (xk != end);                                                                                       \
        y[0] += a[0] + a[1];                                                                                       \
        y[1] += b[0] + b[1];                                                                                       \
        y[2] += c[0] + c[1];                                                                                       \
        y[3] += d[0] + d[1];                                                                                       \
    }

static WS_DENSE_LOOP void window_quads3(const float *x, const float *end, const uint8_t *p, uint32_t rb,
                                        uint32_t shift, const float *cb, float *y, uint32_t quads) {
    WS_WINDOW_ROWS4(3u, 7u, shift)
}

/* Rows from bit 0 of their first byte (the tensor starts on a byte): no shift, 4 instructions fewer per 32 weights
 * (2,100 of the 3-bit digits MLP's). A firmware for a model whose tensors all start on a byte builds only this one
 * (WS_MID_BYTE_BUILT). */
static WS_DENSE_LOOP void window_quads3_aligned(const float *x, const float *end, const uint8_t *p, uint32_t rb,
                                                const float *cb, float *y, uint32_t quads) {
    WS_WINDOW_ROWS4(3u, 7u, 0u)
}

/* 4-bit rows start on a byte (dense_rows_windows): no shift. */
static WS_DENSE_LOOP void window_quads4(const float *x, const float *end, const uint8_t *p, uint32_t rb,
                                        const float *cb, float *y, uint32_t quads) {
    WS_WINDOW_ROWS4(4u, 15u, 0u)
}

/* y[j] += the products of x .. end (a multiple of 8 inputs up to 4 bits, of 4 at 5 and 6 bits) with the codebook
 * values of row j's indices, in two partial sums, for `rows` rows `stride` bytes apart, each from bit `shift` of
 * its first byte (p for the first). */
static WS_DENSE_LOOP void window_spans(const float *x, const float *end, const uint8_t *p, uint32_t stride,
                                       uint32_t rows, uint32_t shift, uint32_t width, const float *cb, float *y) {
    const uint32_t mask = (1u << width) - 1u;
    for (; rows > 0u; rows--, p += stride, y++) {
        const float *xk = x;
        const uint8_t *q = p;
        uint32_t at = shift;
        float a0 = 0.0f, a1 = 0.0f;
        if (width <= 4u)
            for (; xk != end; xk += 8, q += width) {
                const uint32_t v = ws_ld_u32(q) >> at;
                WS_WINDOW_TERM(a0, xk[0], v, 0u, width, mask);
                WS_WINDOW_TERM(a1, xk[1], v, 1u, width, mask);
                WS_WINDOW_TERM(a0, xk[2], v, 2u, width, mask);
                WS_WINDOW_TERM(a1, xk[3], v, 3u, width, mask);
                WS_WINDOW_TERM(a0, xk[4], v, 4u, width, mask);
                WS_WINDOW_TERM(a1, xk[5], v, 5u, width, mask);
                WS_WINDOW_TERM(a0, xk[6], v, 6u, width, mask);
                WS_WINDOW_TERM(a1, xk[7], v, 7u, width, mask);
            }
        else
            for (; xk != end; xk += 4) {
                const uint32_t v = ws_ld_u32(q) >> at;
                WS_WINDOW_TERM(a0, xk[0], v, 0u, width, mask);
                WS_WINDOW_TERM(a1, xk[1], v, 1u, width, mask);
                WS_WINDOW_TERM(a0, xk[2], v, 2u, width, mask);
                WS_WINDOW_TERM(a1, xk[3], v, 3u, width, mask);
                at += 4u * width;
                q += at >> 3;
                at &= 7u;
            }
        *y += a0 + a1;
    }
}

/* y[j] += the sum of row j, for `rows` rows of `depth` indices back to back in the stream, the first from bit
 * `shift` of p. Rows of whole bytes with nothing outside their windows: one window_spans call for all. Others (a
 * 4-bit row that starts mid-byte, a depth that is no multiple of a window, rows that are not whole bytes): a window
 * at a time (eight indices up to 4 bits, four at 5 and 6; 8 W + 7 <= 31 bits), its indices one by one into one
 * sum. A GRU's 10-input gates ran 25 instructions a weight with a call and a random-access tail per row. */
static WS_DENSE_LOOP void window_rows(const float *x, uint32_t depth, const uint8_t *p, uint32_t shift,
                                      uint32_t rows, uint32_t width, const float *cb, float *y) {
    const uint32_t mask = (1u << width) - 1u, group = width <= 4u ? 8u : 4u;
    const uint32_t row_bytes = (depth >> 3) * width + (((depth & 7u) * width) >> 3);
    const uint32_t row_bits = ((depth & 7u) * width) & 7u;
    const float *x_end = x + depth;
    if (row_bits == 0u && depth % group == 0u && !(width == 4u && shift != 0u)) {
        window_spans(x, x_end, p, row_bytes, rows, shift, width, cb, y);
        return;
    }
    for (; rows > 0u; rows--, y++, p += row_bytes + ((shift + row_bits) >> 3), shift = (shift + row_bits) & 7u) {
        const float *xk = x;
        const uint8_t *q = p;
        uint32_t at = shift, v, i;
        float sum = 0.0f;
        if (width == 4u && at != 0u && xk != x_end) { /* a 4-bit row that starts mid-byte: to the next byte */
            sum = *xk++ * cb[*q++ >> 4];
            at = 0;
        }
        while (xk != x_end) {
            v = ws_ld_u32(q) >> at;
            i = (uint32_t)(x_end - xk) < group ? (uint32_t)(x_end - xk) : group;
            at += i * width;
            q += at >> 3;
            at &= 7u;
            for (; i > 0u; i--, xk++, v >>= width) sum += *xk * cb[v & mask];
        }
        *y += sum;
    }
}

/* Two rows `rb` bytes apart from bit 0 of p into y[0], y[1] (the rows % 4 that the four-row loops leave, two of
 * them; the digits MLP's 10-row last layer: ~350 instructions fewer than through window_spans). */
#define WS_WINDOW_TERM2(i, W, M)                                                                                   \
    do {                                                                                                           \
        const float xi = xk[i];                                                                                    \
        WS_WINDOW_TERM(a[(i) & 1u], xi, u0, i, W, M);                                                              \
        WS_WINDOW_TERM(b[(i) & 1u], xi, u1, i, W, M);                                                              \
    } while (0)

#define WS_WINDOW_PAIR(W, M)                                                                                       \
    const float *xk = x;                                                                                           \
    float a[2] = {0.0f, 0.0f}, b[2] = {0.0f, 0.0f};                                                                \
    do {                                                                                                           \
        const uint32_t u0 = ws_ld_u32(p), u1 = ws_ld_u32(p + rb);                                                  \
        WS_WINDOW_EIGHT(WS_WINDOW_TERM2, W, M);                                                                    \
        xk += 8;                                                                                                   \
        p += (W);                                                                                                  \
    } while (xk != end);                                                                                           \
    y[0] += a[0] + a[1];                                                                                           \
    y[1] += b[0] + b[1]

static WS_DENSE_LOOP void window_pair3_aligned(const float *x, const float *end, const uint8_t *p, uint32_t rb,
                                               const float *cb, float *y) {
    WS_WINDOW_PAIR(3u, 7u);
}

static WS_DENSE_LOOP void window_pair4(const float *x, const float *end, const uint8_t *p, uint32_t rb,
                                       const float *cb, float *y) {
    WS_WINDOW_PAIR(4u, 15u);
}
#undef WS_WINDOW_PAIR
#undef WS_WINDOW_TERM2
#undef WS_WINDOW_ROWS4
#undef WS_WINDOW_TERM4
#undef WS_WINDOW_EIGHT
#undef WS_WINDOW_TERM

/* Returns 0 where the windows do not apply (Huffman-coded, wider indices); outliers added afterwards. 3- and 4-bit
 * rows of a multiple of 8 indices that start on a byte boundary or within one (every such row then starts at the
 * same bit) go four at a time; every other row through one call of window_rows. */
static int dense_rows_windows(const float *x, const ws_operand *w, uint32_t w_off, uint32_t depth, uint32_t rows,
                              float *y) {
    const uint32_t width = w->bit_width, row_bytes = depth * width / 8u;
    const float *cb = w->codebook;
    uint32_t j = 0, shift;
    const uint8_t *p;
    if (w->code || width > 6u) return 0;
    p = w->stream + ws_index_byte(w->first + w_off, width, &shift);
    if (depth > 0u && depth % 8u == 0u && !(width == 4u && shift != 0u)) {
        /* 4-bit rows start on a byte here; 3-bit ones may not (their shifted loop only where built) */
        const int four = WS_WIDTH_BUILT(4) && width == 4u;
        const int three_aligned = WS_WIDTH_BUILT(3) && width == 3u && shift == 0u;
        const int three_shifted = WS_WIDTH_BUILT(3) && width == 3u && shift != 0u && WS_MID_BYTE_BUILT;
        if (four || three_aligned || three_shifted) {
            const uint32_t quads = rows / 4u;
            if (quads > 0u && four) window_quads4(x, x + depth, p, row_bytes, cb, y, quads);
            if (quads > 0u && three_aligned) window_quads3_aligned(x, x + depth, p, row_bytes, cb, y, quads);
            if (quads > 0u && three_shifted) window_quads3(x, x + depth, p, row_bytes, shift, cb, y, quads);
            j = 4u * quads;
            p += j * row_bytes;
        }
        /* Two of the rows % 4 left, when on a byte; a last one through window_rows (window_spans: the same sums) */
        if (rows - j >= 2u && (four || three_aligned)) {
            if (four) window_pair4(x, x + depth, p, row_bytes, cb, y + j);
            else window_pair3_aligned(x, x + depth, p, row_bytes, cb, y + j);
            j += 2u;
            p += 2u * row_bytes;
        }
    }
    if (j < rows) window_rows(x, depth, p, shift, rows - j, width, cb, y + j);
    add_outliers(x, w, w_off, depth, rows, y);
    return 1;
}

/* s0 plus the products of xk[0 .. stop - xk) with the codebook values of the next Huffman codes of `in`, in order.
 * Its own function so that the decoder's state (next, acc, bits), the codebook and the lookup table stay in
 * registers (inlined into ws_dense_rows they were spilled); in WS_SMALL builds two codes per refill, since 24 bits
 * held cover two codes of up to 12 (the refill then reads at most 4 bytes past the last code: within the stream's
 * padding); the table's entries give a codebook value's byte offset with one shift (folded into the address); the
 * pair loop is tested at the bottom. 2-bit coded digits MLP on mps2-an386: 341,480 instructions per inference with
 * the decode inline in ws_dense_rows, one code a refill; 283,440 so. Only a long code's canonical walk
 * (ws_huffman_slow, which never refills) sees the state in memory. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static float coded_span(const float *xk, const float *stop, const float *cb, const ws_huffman *code,
                        ws_index_reader *in, float s0) {
    const uint16_t *lut = code->lut;
    const uint8_t *next = in->next;
    const char *values = (const char *)cb;
    uint32_t acc = in->acc, held = in->bits, e, a, b, pairs = (uint32_t)(stop - xk) / 2u;
/* The next code's table entry into `off` (its codebook value at byte offset off >> 4), at least
 * WS_HUFFMAN_MAX_LENGTH bits held. */
#define WS_DENSE_DECODE(off)                                                                                       \
    do {                                                                                                           \
        e = lut[acc & ((1u << WS_HUFFMAN_LUT_BITS) - 1u)];                                                         \
        if (e & 15u) {                                                                                             \
            acc >>= e & 15u;                                                                                       \
            held -= e & 15u;                                                                                       \
            off = e;                                                                                               \
        } else {                                                                                                   \
            in->acc = acc;                                                                                         \
            in->bits = held;                                                                                       \
            off = ws_huffman_slow(in, code) << 6;                                                                  \
            acc = in->acc;                                                                                         \
            held = in->bits;                                                                                       \
        }                                                                                                          \
    } while (0)
    if (pairs > 0u) do { /* tested at the bottom: one branch a pair */
#ifdef WS_SMALL
        /* One refill a pair: fewer instructions on a Cortex-M, where branches are not predicted; a host's
         * predictor misses on its 1-3 iterations (the 2-bit coded MLP at 1.6x the time on x86-64). */
        for (; held < 2u * WS_HUFFMAN_MAX_LENGTH; held += 8u) acc |= (uint32_t)*next++ << held;
        WS_DENSE_DECODE(a);
#else
        for (; held < WS_HUFFMAN_MAX_LENGTH; held += 8u) acc |= (uint32_t)*next++ << held;
        WS_DENSE_DECODE(a);
        for (; held < WS_HUFFMAN_MAX_LENGTH; held += 8u) acc |= (uint32_t)*next++ << held;
#endif
        WS_DENSE_DECODE(b);
        s0 += xk[0] * *(const float *)(values + (a >> 4));
        s0 += xk[1] * *(const float *)(values + (b >> 4));
        xk += 2;
    } while (--pairs > 0u);
    if (xk != stop) {
        for (; held < WS_HUFFMAN_MAX_LENGTH; held += 8u) acc |= (uint32_t)*next++ << held;
        WS_DENSE_DECODE(a);
        s0 += *xk * *(const float *)(values + (a >> 4));
    }
#undef WS_DENSE_DECODE
    in->next = next;
    in->acc = acc;
    in->bits = held;
    return s0;
}

void ws_dense_rows(const float *x, const ws_operand *w, uint32_t w_off, uint32_t depth, uint32_t rows, float *y) {
    ws_operand_reader r;
    uint32_t j, k;
    if (w->values) {
        for (j = 0; j < rows; j++) y[j] += dot_values(x, w->values + w_off + j * depth, depth);
        return;
    }
    if (dense_rows_nibbles(x, w, w_off, depth, rows, y)) return;
#ifndef WS_SMALL
    if (dense_rows_pairs(x, w, w_off, depth, rows, y)) return;
#endif
    if (dense_rows_windows(x, w, w_off, depth, rows, y)) return;
    ws_operand_reader_start(&r, w, w_off); /* other widths, coded streams: one pass in storage order */
    /* Huffman-coded: rows split at their outliers, the spans between them decoded by coded_span */
    if (WS_HUFFMAN_BUILT && w->code) {
        const float *xk, *stop, *x_end = x + depth;
        uint32_t row_start = w_off;
        for (j = 0; j < rows; j++, row_start += depth) {
            float s0 = 0.0f;
            for (xk = x; xk != x_end;) {
                stop = r.next_outlier - row_start < depth ? x + (r.next_outlier - row_start) : x_end;
                s0 = coded_span(xk, stop, w->codebook, w->code, &r.indices, s0);
                xk = stop;
                if (xk != x_end) { /* an outlier: its code is read and its exact value taken */
                    (void)ws_huffman_next(&r.indices, w->code);
                    s0 += *xk++ * ws_operand_take_outlier(&r);
                }
            }
            y[j] += s0;
        }
        return;
    }
    for (j = 0; j < rows; j++) { /* 7- and 8-bit indices: rare, so the smallest loop */
        float s0 = 0.0f;
        for (k = 0; k < depth; k++) s0 += x[k] * ws_operand_next(&r);
        y[j] += s0;
    }
}

/* y[j] = k * v[first + j * step] for j < n: the float32 / binary16 choice made once, not per element. */
static void scaled_values(float *y, uint32_t n, float k, const ws_values *v, uint32_t first, uint32_t step) {
    uint32_t j;
    if (v->f32)
        for (j = 0; j < n; j++) y[j] = k * v->f32[first + j * step];
    else
        for (j = 0; j < n; j++) y[j] = k * ws_half_to_float(v->f16[first + j * step]);
}

/* Row yi of the epilogue, Y = (alpha Y) S + beta C, when C is present and C's and S's elements are contiguous along
 * the row: one pass, the float32 / binary16 choice made once per row. */
static void epilogue_row(const ws_gemm_params *p, float *yi, uint32_t cols, uint32_t c0) {
    /* Locals: a store to yi could otherwise alias p's fields and reload them for every element */
    const float alpha = p->alpha, beta = p->beta;
    const float *sf = p->s.f32, *cf = p->c.f32;
    const uint16_t *sh = p->s.f16, *ch = p->c.f16;
    uint32_t j;
#define WS_EPILOGUE(PRODUCT, C_AT) for (j = 0; j < cols; j++) yi[j] = (PRODUCT) + beta * (C_AT)
    if (cf && sf) WS_EPILOGUE(alpha * yi[j] * sf[j], cf[c0 + j]);
    else if (cf && sh) WS_EPILOGUE(alpha * yi[j] * ws_half_to_float(sh[j]), cf[c0 + j]);
    else if (cf) WS_EPILOGUE(alpha * yi[j], cf[c0 + j]);
    else if (sf) WS_EPILOGUE(alpha * yi[j] * sf[j], ws_half_to_float(ch[c0 + j]));
    else if (sh) WS_EPILOGUE(alpha * yi[j] * ws_half_to_float(sh[j]), ws_half_to_float(ch[c0 + j]));
    else WS_EPILOGUE(alpha * yi[j], ws_half_to_float(ch[c0 + j]));
#undef WS_EPILOGUE
}

void ws_gemm_f32(const ws_gemm_params *p, const ws_operand *a, const ws_operand *b, float *y) {
    const uint32_t rows = p->m, depth = p->k, cols = p->n;
    const uint32_t a_sm = p->trans_a ? 1u : depth; /* storage strides of op(A) along m and k */
    const uint32_t a_sk = p->trans_a ? rows : 1u;
    /* Y = op(A) op(B) + beta * C (alpha 1, no S): the products are added onto beta * C, and no epilogue pass is
     * needed (a dense layer's bias, as TFLM's reference kernel starts each sum from it). */
    const int plain = p->alpha == 1.0f && !ws_values_present(&p->s);
    const int start_c = plain && ws_values_present(&p->c);
    ws_operand_reader w;
    uint32_t i, j, k;

    if (start_c) {
        for (i = 0; i < rows; i++)
            scaled_values(y + i * cols, cols, p->beta, &p->c, i * p->c_stride_m, p->c_stride_n);
    } else {
        for (i = 0; i < rows * cols; i++) y[i] = 0.0f;
    }
    if (p->trans_b && rows == 1u && a->values) {
        /* The common dense layer (batch 1, weights [N, K]): one dot product per output. */
        ws_dense_rows(a->values + p->a_off, b, p->b_off, depth, cols, y);
    } else {
        ws_operand_reader_start(&w, b, p->b_off);
        /* (k, j) walk B in storage order: [N, K] (for j, for k) when trans_b, else [K, N] (for k, for j); one
         * loop for both orders, 78 bytes smaller on Cortex-M4 than two
         * (make cortex-m4, measured at commit e79e755). */
        for (k = j = 0; k < depth && j < cols;) {
            add_scaled_column(a, a_sm, p->a_off + k * a_sk, ws_operand_next(&w), y + j, cols, rows);
            if (p->trans_b) {
                if (++k == depth) {
                    k = 0;
                    j++;
                }
            } else if (++j == cols) {
                j = 0;
                k++;
            }
        }
    }

    /* Epilogue when alpha or S scale the products: Y = (alpha Y) S + beta C, row by row (contiguous vectors in one
     * tight pass: a searched dense layer's normalisation alpha, scale and bias). */
    if (plain) return;
    for (i = 0; i < rows; i++) {
        if (ws_values_present(&p->c) && p->c_stride_n == 1u && (!ws_values_present(&p->s) || p->s_step == 1u)) {
            epilogue_row(p, y + i * cols, cols, i * p->c_stride_m);
            continue;
        }
        for (j = 0; j < cols; j++) { /* broadcast C or S, or no C */
            float v = p->alpha * y[i * cols + j];
            if (ws_values_present(&p->s)) v *= ws_values_at(&p->s, j * p->s_step);
            if (ws_values_present(&p->c)) v += p->beta * ws_values_at(&p->c, i * p->c_stride_m + j * p->c_stride_n);
            y[i * cols + j] = v;
        }
    }
}

uint32_t ws_matmul_dims(ws_broadcast *bc, ws_gemm_params *p, const uint32_t *a_shape, uint32_t a_rank,
                        const uint32_t *b_shape, uint32_t b_rank) {
    uint32_t r;
    if (a_rank < 1u || b_rank < 1u) return 0;
    p->m = a_rank >= 2u ? a_shape[a_rank - 2u] : 1u;
    p->k = a_shape[a_rank - 1u];
    p->n = b_rank >= 2u ? b_shape[b_rank - 1u] : 1u;
    if (p->k != b_shape[b_rank >= 2u ? b_rank - 2u : 0u]) return 0;
    if (!ws_broadcast_init(bc, a_shape, a_rank > 2u ? a_rank - 2u : 0u, b_shape, b_rank > 2u ? b_rank - 2u : 0u))
        return 0;
    r = bc->rank;
    if (a_rank >= 2u) bc->shape[r++] = p->m;
    if (b_rank >= 2u) bc->shape[r++] = p->n;
    return r + 1u;
}

void ws_matmul_f32(const ws_operand *a, const uint32_t *a_shape, uint32_t a_rank, const ws_operand *b,
                   const uint32_t *b_shape, uint32_t b_rank, float *y) {
    ws_gemm_params p;
    ws_broadcast bc;
    uint32_t batches = 1, b_batched = 0, t, r, i, d;
    memset(&p, 0, sizeof p);
    p.alpha = 1.0f;
    (void)ws_matmul_dims(&bc, &p, a_shape, a_rank, b_shape, b_rank);
    for (d = 0; d < bc.rank; d++) {
        batches *= bc.shape[d];
        b_batched |= bc.b_stride[d];
    }
    if (!b_batched) { /* one B for every batch: A's batch dims are rows */
        p.m *= batches;
        batches = 1;
    }
    for (t = 0; t < batches; t++) {
        p.a_off = p.b_off = 0;
        for (r = t, d = bc.rank; d-- > 0; r /= bc.shape[d]) { /* batch index t, last dim fastest */
            i = r % bc.shape[d];
            p.a_off += i * bc.a_stride[d];
            p.b_off += i * bc.b_stride[d];
        }
        p.a_off *= p.m * p.k;
        p.b_off *= p.k * p.n;
        ws_gemm_f32(&p, a, b, y + t * p.m * p.n);
    }
}
