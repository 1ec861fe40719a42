/*
 * Exact outliers of shared tensors (feature OUTLIERS) and one-element epilogue scales (feature SCALAR_SCALE):
 * kernels that stream weights (Gemm B, Conv W), random access (a shared Gemm A), ws_tensor_decode, against
 * hand-computed values and a naive reference; and every malformed table refused.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "ws_test.h"

#define TOL 1e-5
#define U32(...) ((const uint32_t[]){__VA_ARGS__})

static const float CODEBOOK[4] = {-1.0f, 0.0f, 1.0f, 2.0f};

static void start(tm *m, uint64_t features) { tm_init_with(m, CODEBOOK, 4, features); }

/* Y = X [1,3] · B [3,2], B shared [[-1, 0], [1, 2], [0, 1]] with outliers at 1 (10) and 4 (-7.5). */
static void test_gemm_streamed_weights(void) {
    tm m;
    int32_t x, b, y;
    float decoded[6];
    start(&m, WS_FEATURE_OUTLIERS);
    x = tm_act(&m, DIMS(1, 3));
    b = tm_shared_outliers(&m, DIMS(3, 2), U32(0, 1, 2, 3, 1, 2), U32(1, 4), FLOATS(10.0f, -7.5f), 2);
    y = tm_act(&m, DIMS(1, 2));
    tm_gemm(&m, TENSORS(x, b), y, 1.0f, 1.0f, 0, 0);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    tm_set(&m, x, FLOATS(1, 2, 3));
    CHECK_STATUS(tm_run(&m), WS_OK);
    CHECK_FLOATS(tm_get(&m, y), FLOATS(1 * -1 + 2 * 1 + 3 * -7.5f, 1 * 10 + 2 * 2 + 3 * 1), 2, TOL);
    CHECK_STATUS(ws_tensor_decode(&m.model, (uint32_t)b, decoded, 6), WS_OK);
    CHECK_FLOATS(decoded, FLOATS(-1, 10, 1, 2, -7.5f, 1), 6, 0);
    tm_free(&m);
}

/* A shared left operand is read by random access: A [[2, -1], [0, 1]] with an outlier at 2 (5). */
static void test_gemm_random_access(void) {
    tm m;
    int32_t a, x, y;
    start(&m, WS_FEATURE_OUTLIERS);
    a = tm_shared_outliers(&m, DIMS(2, 2), U32(3, 0, 1, 2), U32(2), FLOATS(5.0f), 1);
    x = tm_act(&m, DIMS(2, 2));
    y = tm_act(&m, DIMS(2, 2));
    tm_gemm(&m, TENSORS(a, x), y, 1.0f, 1.0f, 0, 0);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    tm_set(&m, x, FLOATS(1, 2, 3, 4));
    CHECK_STATUS(tm_run(&m), WS_OK);
    CHECK_FLOATS(tm_get(&m, y), FLOATS(2 - 3, 4 - 4, 5 + 3, 10 + 4), 4, TOL);
    tm_free(&m);
}

/* 1x1 Conv, W [2,1,1,1] = [1, 2] with the second weight an outlier (0.5), one scale S [1] = 3, bias [0.25, -1]. */
static void test_conv_scalar_scale(void) {
    tm m;
    int32_t x, w, y;
    start(&m, WS_FEATURE_OUTLIERS | WS_FEATURE_SCALAR_SCALE);
    x = tm_act(&m, DIMS(1, 1, 2, 2));
    w = tm_shared_outliers(&m, DIMS(2, 1, 1, 1), U32(2, 3), U32(1), FLOATS(0.5f), 1);
    y = tm_act(&m, DIMS(1, 2, 2, 2));
    CHECK(wsm_builder_add_conv(m.b, WS_OP_CONV, "conv",
                               TENSORS(x, w, tm_raw(&m, DIMS(2), FLOATS(0.25f, -1)), tm_raw(&m, DIMS(1), FLOATS(3))),
                               &y, 1, 1, U32(1, 1), U32(1, 1), U32(0, 0, 0, 0), NULL, 2) == 0);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    tm_set(&m, x, FLOATS(1, 2, 3, 4));
    CHECK_STATUS(tm_run(&m), WS_OK);
    CHECK_FLOATS(tm_get(&m, y), FLOATS(3.25f, 6.25f, 9.25f, 12.25f, 0.5f, 2, 3.5f, 5), 8, TOL);
    tm_free(&m);
}

/* Y = X [rows, K] · B^T with B [N, K] shared, many outliers (first and last element included), vs a naive loop.
 * One row takes the dense fast path of host builds (weights read in chunks of 64: K = 150 crosses chunks; index
 * widths dividing 8 are decoded a byte at a time, others one by one). */
static void gemm_many_outliers(uint32_t rows, uint32_t depth, int width) {
    enum { MAX_K = 150, N = 11, MAX_E = N * MAX_K };
    lcg rng = {7};
    uint32_t idx[MAX_E], pos[MAX_E];
    float vals[MAX_E], weights[MAX_E], xs[2 * MAX_K], expect[2 * N];
    uint32_t e, i, j, k, count = 0;
    tm m;
    int32_t x, b, y;
    for (e = 0; e < N * depth; e++) {
        idx[e] = lcg_below(&rng, 4);
        weights[e] = CODEBOOK[idx[e]];
        if (e == 0 || e == N * depth - 1 || lcg_below(&rng, 5) == 0) {
            pos[count] = e;
            vals[count] = ((float)lcg_below(&rng, 200) - 100.0f) / 4.0f;
            weights[e] = vals[count++];
        }
    }
    for (i = 0; i < rows * depth; i++) xs[i] = ((float)lcg_below(&rng, 16) - 8.0f) / 8.0f;
    for (i = 0; i < rows; i++)
        for (j = 0; j < N; j++) {
            double acc = 0;
            for (k = 0; k < depth; k++) acc += (double)xs[i * depth + k] * weights[j * depth + k];
            expect[i * N + j] = (float)acc;
        }
    start(&m, WS_FEATURE_OUTLIERS);
    m.bit_width = width;
    x = tm_act(&m, DIMS(rows, depth));
    b = tm_shared_outliers(&m, DIMS(N, depth), idx, pos, vals, count);
    y = tm_act(&m, DIMS(rows, N));
    tm_gemm(&m, TENSORS(x, b), y, 1.0f, 1.0f, 0, 1);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    tm_set(&m, x, xs);
    CHECK_STATUS(tm_run(&m), WS_OK);
    CHECK_FLOATS(tm_get(&m, y), expect, rows * N, 1e-3);
    tm_free(&m);
}

static void test_gemm_many_outliers(void) {
    int width;
    gemm_many_outliers(2, 37, 2);
    for (width = 2; width <= 8; width++) {
        gemm_many_outliers(1, 37, width);
        gemm_many_outliers(1, 150, width);
        gemm_many_outliers(1, 64, width);
    }
}

/* MatMul X [2,2,M,K] · B [2,K,N], B shared with outliers in both slices (each slice read twice: its outliers are
 * found from the slice's first element), vs a naive loop. */
static void test_batched_matmul_outliers(void) {
    enum { M = 3, K = 5, N = 4, S = K * N, E = 2 * S };
    lcg rng = {5};
    uint32_t idx[E], pos[E];
    float vals[E], weights[E], xs[4 * M * K], expect[4 * M * N];
    uint32_t e, i, r, c, k, count = 0;
    tm m;
    int32_t x, b, y;
    for (e = 0; e < E; e++) {
        idx[e] = lcg_below(&rng, 4);
        weights[e] = CODEBOOK[idx[e]];
        if (e == 0 || e == S - 1 || e == S || e == E - 1 || lcg_below(&rng, 4) == 0) {
            pos[count] = e;
            vals[count] = ((float)lcg_below(&rng, 200) - 100.0f) / 4.0f;
            weights[e] = vals[count++];
        }
    }
    for (i = 0; i < 4 * M * K; i++) xs[i] = ((float)lcg_below(&rng, 16) - 8.0f) / 8.0f;
    for (i = 0; i < 4; i++) /* batch (i0, i1) = (i / 2, i % 2) reads B slice i % 2 */
        for (r = 0; r < M; r++)
            for (c = 0; c < N; c++) {
                double acc = 0;
                for (k = 0; k < K; k++) acc += (double)xs[(i * M + r) * K + k] * weights[(i % 2) * S + k * N + c];
                expect[(i * M + r) * N + c] = (float)acc;
            }
    start(&m, WS_FEATURE_OUTLIERS);
    x = tm_act(&m, DIMS(2, 2, M, K));
    b = tm_shared_outliers(&m, DIMS(2, K, N), idx, pos, vals, count);
    y = tm_act(&m, DIMS(2, 2, M, N));
    tm_op(&m, WS_OP_MATMUL, TENSORS(x, b), TENSORS(y));
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    tm_set(&m, x, xs);
    CHECK_STATUS(tm_run(&m), WS_OK);
    CHECK_FLOATS(tm_get(&m, y), expect, 4 * M * N, 1e-4);
    tm_free(&m);
}

/* A Gemm over a shared B [3,2] with the given outlier table and file features; returns the load status. */
static ws_status load_with_outliers(uint64_t features, const uint32_t *pos, const float *vals, uint32_t n) {
    tm m;
    int32_t x, b, y;
    ws_status s;
    start(&m, features);
    x = tm_act(&m, DIMS(1, 3));
    b = tm_shared_outliers(&m, DIMS(3, 2), U32(0, 1, 2, 3, 1, 2), pos, vals, n);
    y = tm_act(&m, DIMS(1, 2));
    tm_gemm(&m, TENSORS(x, b), y, 1.0f, 1.0f, 0, 0);
    s = tm_finish(&m, &x, 1, &y, 1);
    tm_free(&m);
    return s;
}

static void test_rejected_tables(void) {
    CHECK_STATUS(load_with_outliers(WS_FEATURE_OUTLIERS, U32(0, 5), FLOATS(1, 2), 2), WS_OK);
    CHECK_STATUS(load_with_outliers(0, U32(0, 5), FLOATS(1, 2), 2), WS_ERR_TENSOR);          /* undeclared */
    CHECK_STATUS(load_with_outliers(WS_FEATURE_OUTLIERS, U32(3, 2), FLOATS(1, 2), 2), WS_ERR_TENSOR); /* order */
    CHECK_STATUS(load_with_outliers(WS_FEATURE_OUTLIERS, U32(2, 2), FLOATS(1, 2), 2), WS_ERR_TENSOR); /* twice */
    CHECK_STATUS(load_with_outliers(WS_FEATURE_OUTLIERS, U32(6), FLOATS(1), 1), WS_ERR_TENSOR);  /* past the end */
    CHECK_STATUS(load_with_outliers(WS_FEATURE_OUTLIERS, U32(1), FLOATS(INFINITY), 1), WS_ERR_TENSOR);
    CHECK_STATUS(load_with_outliers(WS_FEATURE_OUTLIERS, U32(1), FLOATS(NAN), 1), WS_ERR_TENSOR);
}

/* S [1] over two channels loads only when the file declares SCALAR_SCALE; over one channel it is per-channel. */
static ws_status load_conv_with_scale(uint64_t features, uint32_t channels) {
    tm m;
    int32_t x, w, y;
    ws_status s;
    start(&m, features);
    x = tm_act(&m, DIMS(1, 1, 2, 2));
    w = tm_shared(&m, U32(channels, 1, 1, 1), 4, FLOATS(1, 2));
    y = tm_act(&m, U32(1, channels, 2, 2), 4);
    CHECK(wsm_builder_add_conv(m.b, WS_OP_CONV, "conv", TENSORS(x, w, -1, tm_raw(&m, DIMS(1), FLOATS(3))), &y, 1, 1,
                               U32(1, 1), U32(1, 1), U32(0, 0, 0, 0), NULL, 2) == 0);
    s = tm_finish(&m, &x, 1, &y, 1);
    tm_free(&m);
    return s;
}

static void test_scalar_scale_feature(void) {
    CHECK_STATUS(load_conv_with_scale(WS_FEATURE_SCALAR_SCALE, 2), WS_OK);
    CHECK_STATUS(load_conv_with_scale(0, 2), WS_ERR_SHAPE);
    CHECK_STATUS(load_conv_with_scale(0, 1), WS_OK);
}

int main(void) {
    test_gemm_streamed_weights();
    test_gemm_random_access();
    test_conv_scalar_scale();
    test_gemm_many_outliers();
    test_batched_matmul_outliers();
    test_rejected_tables();
    test_scalar_scale_feature();
    return ws_test_finish();
}
