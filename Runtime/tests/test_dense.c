/*
 * Batch-1 dense layers (Gemm, B [N, K] shared, one input row) through every decode path of ws_dense_rows: raw
 * weights, nibble tables (2 and 4 bits), 32-bit windows (1, 3, 5 and 6 bits, and 2-bit rows that do not start on a
 * byte), the inline Huffman loop (with and without outliers), the sequential reader (7 and 8 bits, outliers off the
 * tables) — with rows that start anywhere in the stream (a shared tensor of `lead` elements first), depths that
 * are no multiple of a byte's or a window's indices, few rows, codebooks smaller than 2^width, codes longer than
 * the 8-bit lookup, and exact outliers; each against a double-precision reference.
 */
#include <math.h>
#include <string.h>

#include "test_support.h"
#include "ws_test.h"

#define U32(...) ((const uint32_t[]){__VA_ARGS__})
#define MAX_ROWS 13u
#define MAX_DEPTH 150u

enum { RAW_WEIGHTS, FIXED_WIDTH, WITH_OUTLIERS, HUFFMAN_CODED, CODED_OUTLIERS };

static float uniform(lcg *g) { return ((float)lcg_below(g, 2001) - 1000.0f) / 1000.0f; }

/* Y = x · B^T + bias for a random B [rows, depth] stored as `storage`, with a `lead`-element shared tensor before B
 * in the index stream; checks every output against the same sum in double precision. */
static void dense_case(uint32_t width, uint32_t depth, uint32_t rows, uint32_t lead, int storage) {
    /* a codebook smaller than 2^width; 13 values at 4 bits when coded: codes of up to 12 bits, longer than the
     * decoder's 8-bit lookup */
    const int coded = storage == HUFFMAN_CODED || storage == CODED_OUTLIERS;
    const uint32_t m_values = width == 1u ? 2u : coded && width == 4u ? 13u : (1u << width) - 1u;
    static uint32_t idx[MAX_ROWS * MAX_DEPTH], pos[MAX_ROWS * MAX_DEPTH];
    static float vals[MAX_ROWS * MAX_DEPTH], weights[MAX_ROWS * MAX_DEPTH];
    float cb[256], xs[MAX_DEPTH], bias[MAX_ROWS], expect[MAX_ROWS], tol[MAX_ROWS];
    uint8_t lengths[256];
    uint32_t e, j, k, count = 0;
    lcg rng = {width * 1000003u + depth * 101u + rows * 7u + lead};
    tm m;
    int32_t x, b, y;
    for (j = 0; j < m_values; j++) cb[j] = -1.0f + 2.0f * (float)j / (float)m_values + 0.5f * uniform(&rng) / 256.0f;
    for (e = 0; e < rows * depth; e++) {
        idx[e] = lcg_below(&rng, m_values);
        weights[e] = cb[idx[e]];
        if ((storage == WITH_OUTLIERS || storage == CODED_OUTLIERS) &&
            (e == 0 || e == rows * depth - 1u || lcg_below(&rng, 9) == 0)) {
            pos[count] = e;
            vals[count] = 4.0f * uniform(&rng);
            weights[e] = vals[count++];
        }
    }
    for (k = 0; k < depth; k++) xs[k] = uniform(&rng);
    for (j = 0; j < rows; j++) {
        double acc = 0.0, mag = 0.0;
        bias[j] = uniform(&rng);
        for (k = 0; k < depth; k++) {
            acc += (double)xs[k] * weights[j * depth + k];
            mag += fabs((double)xs[k] * weights[j * depth + k]);
        }
        expect[j] = (float)(acc + bias[j]);
        tol[j] = (float)(1e-6 * (mag + 1.0));
    }
    tm_init(&m);
    tm_codebook(&m, cb, m_values);
    m.bit_width = (int)width;
    if (storage == WITH_OUTLIERS || storage == CODED_OUTLIERS) m.features = WS_FEATURE_OUTLIERS;
    x = tm_act(&m, DIMS(1, depth));
    if (coded) { /* a complete prefix code: lengths 1, 2, ..., M - 1, M - 1 */
        for (j = 0; j < m_values; j++) lengths[j] = (uint8_t)(j + 1u < m_values ? j + 1u : m_values - 1u);
        if (m_values == 2u) lengths[0] = lengths[1] = 1;
        tm_code(&m, lengths, m_values);
    }
    if (lead) (void)tm_shared_indices(&m, DIMS(lead), idx);
    if (storage == RAW_WEIGHTS) b = tm_raw(&m, DIMS(rows, depth), weights);
    else if (storage == WITH_OUTLIERS) b = tm_shared_outliers(&m, DIMS(rows, depth), idx, pos, vals, count);
    else if (storage == HUFFMAN_CODED) b = tm_shared_coded(&m, DIMS(rows, depth), idx);
    else if (storage == CODED_OUTLIERS) b = tm_shared_coded_outliers(&m, DIMS(rows, depth), idx, pos, vals, count);
    else b = tm_shared_indices(&m, DIMS(rows, depth), idx);
    y = tm_act(&m, DIMS(1, rows));
    tm_gemm(&m, TENSORS(x, b, tm_raw(&m, DIMS(rows), bias)), y, 1.0f, 1.0f, 0, 1);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    tm_set(&m, x, xs);
    CHECK_STATUS(tm_run(&m), WS_OK);
    for (j = 0; j < rows && fabsf(tm_get(&m, y)[j] - expect[j]) <= tol[j]; j++) continue;
    CHECK(j == rows);
    if (j < rows)
        fprintf(stderr, "    width %u depth %u rows %u lead %u storage %d: row %u got %.9g, expected %.9g\n", width,
                depth, rows, lead, storage, j, tm_get(&m, y)[j], expect[j]);
    tm_free(&m);
}

static void test_every_path(void) {
    static const uint32_t depths[] = {1, 6, 8, 12, 37, 64, 150};
    static const uint32_t row_counts[] = {1, 7, 8, 13};
    static const uint32_t leads[] = {0, 1, 2, 3, 5};
    uint32_t width, d, r, l;
    int storage;
    for (width = 1; width <= 8; width++)
        for (d = 0; d < sizeof depths / sizeof *depths; d++)
            for (r = 0; r < sizeof row_counts / sizeof *row_counts; r++)
                for (l = 0; l < sizeof leads / sizeof *leads; l++)
                    for (storage = RAW_WEIGHTS; storage <= CODED_OUTLIERS; storage++) {
                        if (storage == RAW_WEIGHTS && (width > 1u || l > 0)) continue; /* raw weights have no width */
                        /* coded tensors come first in their part; the test's code has lengths up to M - 1 */
                        if (storage >= HUFFMAN_CODED && (l > 0 || width > 4u)) continue;
                        dense_case(width, depths[d], row_counts[r], leads[l], storage);
                    }
}

/* Hand-computed: 2-bit codebook [-1, 0, 0.5, 2], eight rows of four weights (one byte each, a nibble table), one
 * outlier (row 3, column 1: 10 instead of the codebook's 0). */
static void test_nibble_table_by_hand(void) {
    static const float cb[4] = {-1.0f, 0.0f, 0.5f, 2.0f};
    /* row j: indices (j % 4, (j + 1) % 4, (j + 2) % 4, (j + 3) % 4) */
    uint32_t idx[32], j, k;
    tm m;
    int32_t x, b, y;
    for (j = 0; j < 8; j++)
        for (k = 0; k < 4; k++) idx[j * 4 + k] = (j + k) % 4;
    tm_init(&m);
    tm_codebook(&m, cb, 4);
    m.features = WS_FEATURE_OUTLIERS;
    x = tm_act(&m, DIMS(1, 4));
    b = tm_shared_outliers(&m, DIMS(8, 4), idx, U32(13), FLOATS(10.0f), 1);
    y = tm_act(&m, DIMS(1, 8));
    tm_gemm(&m, TENSORS(x, b), y, 1.0f, 1.0f, 0, 1);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    tm_set(&m, x, FLOATS(1, 2, 3, 4));
    CHECK_STATUS(tm_run(&m), WS_OK);
    /* x · (cb[j%4], cb[(j+1)%4], cb[(j+2)%4], cb[(j+3)%4]): rows 0 and 4: -1 + 0 + 1.5 + 8 = 8.5; rows 1, 5: 0 + 1 + 6
     * - 4 = 3; rows 2, 6: 0.5 + 4 - 3 + 0 = 1.5; row 7: 2 - 2 + 0 + 2 = 2; row 3: 2 + 2 * 10 + 0 + 2 = 24. */
    CHECK_FLOATS(tm_get(&m, y), FLOATS(8.5f, 3, 1.5f, 24, 8.5f, 3, 1.5f, 2), 8, 1e-6);
    tm_free(&m);
}

int main(void) {
    test_nibble_table_by_hand();
    test_every_path();
    return ws_test_finish();
}
