/*
 * Kernels through whole models written by the official FlatBuffers builder: ws_model_load() + ws_invoke(),
 * outputs compared with values computed by hand (or, for softmax, by a double-precision reference).
 */
#include <math.h>
#include <string.h>

#include "test_support.h"
#include "ws_kernels.h" /* ws_unary_f32 */
#include "ws_test.h"

#define TOL 1e-5


/* Builds, loads and runs; returns 1 when everything succeeded (failures are reported as checks). */
static int h_run(harness *h, const int32_t *outputs, uint32_t num_outputs) {
    uint32_t i;
    ws_status s = tm_finish(&h->m, h->inputs, h->num_inputs, outputs, num_outputs);
    CHECK_STATUS(s, WS_OK);
    if (s != WS_OK) return 0;
    for (i = 0; i < h->num_inputs; i++) tm_set(&h->m, h->inputs[i], h->values[i]);
    s = tm_run(&h->m);
    CHECK_STATUS(s, WS_OK);
    return s == WS_OK;
}

/* ---- Gemm ------------------------------------------------------------------------------------------------ */

/* A = [[1,2,3],[4,5,6]], B = [[1,-1],[2,0],[0,3]]: A B = [[5,8],[14,14]]. Transposed copies for trans flags. */
static const float GA[6] = {1, 2, 3, 4, 5, 6};
static const float GAT[6] = {1, 4, 2, 5, 3, 6};
static const float GB[6] = {1, -1, 2, 0, 0, 3};
static const float GBT[6] = {1, 2, 0, -1, 0, 3};
static const float GEMM_CODEBOOK[8] = {-1, 0, 1, 2, 3, 4, 5, 6};

static void gemm_case(int ta, int tb, int a_kind, int b_kind, float alpha, float beta, int c_kind,
                      const uint32_t *c_shape, uint32_t c_rank, const float *c_values, const float *expected) {
    harness h;
    int32_t in[3], y;
    uint32_t nin = 2;
    h_init(&h, GEMM_CODEBOOK, 8);
    in[0] = ta ? operand(&h, a_kind, DIMS(3, 2), GAT) : operand(&h, a_kind, DIMS(2, 3), GA);
    in[1] = tb ? operand(&h, b_kind, DIMS(2, 3), GBT) : operand(&h, b_kind, DIMS(3, 2), GB);
    if (c_values) in[nin++] = operand(&h, c_kind, c_shape, c_rank, c_values);
    y = tm_act(&h.m, DIMS(2, 2));
    tm_gemm(&h.m, in, nin, y, alpha, beta, ta, tb);
    if (h_run(&h, &y, 1)) {
        if (!CHECK(fabsf(tm_get(&h.m, y)[0] - expected[0]) <= TOL))
            fprintf(stderr, "    gemm ta=%d tb=%d a=%d b=%d c_rank=%u\n", ta, tb, a_kind, b_kind, c_rank);
        CHECK_FLOATS(tm_get(&h.m, y), expected, 4, TOL);
    }
    tm_free(&h.m);
}

static void test_gemm(void) {
    static const float ab[4] = {5, 8, 14, 14};
    int ta, tb, kind;
    for (ta = 0; ta < 2; ta++)
        for (tb = 0; tb < 2; tb++) {
            for (kind = ACT; kind <= SHARED; kind++) gemm_case(ta, tb, ACT, kind, 1, 1, 0, NULL, 0, NULL, ab);
            gemm_case(ta, tb, SHARED, RAW, 1, 1, 0, NULL, 0, NULL, ab); /* shared A: random-access decoding */
            gemm_case(ta, tb, RAW, ACT, 1, 1, 0, NULL, 0, NULL, ab);
        }

    /* Y = 2 A B + 0.5 C with C broadcast from each allowed shape. */
    gemm_case(0, 0, ACT, RAW, 2, 0.5f, RAW, DIMS(2), FLOATS(10, 20), FLOATS(15, 26, 33, 38));
    gemm_case(1, 1, ACT, SHARED, 2, 0.5f, RAW, DIMS(2), FLOATS(10, 20), FLOATS(15, 26, 33, 38));
    gemm_case(0, 1, ACT, SHARED, 2, 0.5f, RAW, DIMS(1, 2), FLOATS(10, 20), FLOATS(15, 26, 33, 38));
    gemm_case(1, 0, ACT, RAW, 2, 0.5f, RAW, DIMS(2, 2), FLOATS(10, 20, 30, 40), FLOATS(15, 26, 43, 48));
    gemm_case(0, 1, ACT, SHARED, 2, 0.5f, ACT, DIMS(2, 2), FLOATS(10, 20, 30, 40), FLOATS(15, 26, 43, 48));
    gemm_case(0, 0, ACT, SHARED, 2, 0.5f, RAW, DIMS(2, 1), FLOATS(10, 30), FLOATS(15, 21, 43, 43));
    gemm_case(1, 1, ACT, RAW, 2, 0.5f, ACT, DIMS(2, 1), FLOATS(10, 30), FLOATS(15, 21, 43, 43));
    gemm_case(0, 0, ACT, RAW, 2, 0.5f, RAW, DIMS(1), FLOATS(4), FLOATS(12, 18, 30, 30));
    gemm_case(0, 1, ACT, SHARED, 2, 0.5f, RAW, DIMS(1, 1), FLOATS(4), FLOATS(12, 18, 30, 30));
    gemm_case(0, 0, ACT, RAW, 2, 0.5f, RAW, NULL, 0, FLOATS(4), FLOATS(12, 18, 30, 30)); /* rank-0 C */
    gemm_case(0, 0, ACT, RAW, 2, 0, RAW, DIMS(2), FLOATS(10, 20), FLOATS(10, 16, 28, 28)); /* beta = 0 */
}

/* Gemm with an explicit absent C (-1), default options (no GemmOptions table) and the batch-1 fast path. */
static void test_gemm_variants(void) {
    harness h;
    int32_t x, w, y;

    h_init(&h, GEMM_CODEBOOK, 8);
    x = operand(&h, ACT, DIMS(2, 3), GA);
    w = operand(&h, SHARED, DIMS(3, 2), GB);
    y = tm_act(&h.m, DIMS(2, 2));
    tm_gemm(&h.m, TENSORS(x, w, -1), y, 2, 1, 0, 0);
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(10, 16, 28, 28), 4, TOL);
    tm_free(&h.m);

    h_init(&h, NULL, 0); /* opcode Gemm without options: alpha = beta = 1, no transposes */
    x = operand(&h, ACT, DIMS(2, 3), GA);
    w = operand(&h, RAW, DIMS(3, 2), GB);
    y = tm_act(&h.m, DIMS(2, 2));
    tm_op(&h.m, WS_OP_GEMM, TENSORS(x, w, tm_raw(&h.m, DIMS(2), FLOATS(1, -1))), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(6, 7, 15, 13), 4, TOL);
    tm_free(&h.m);

    /* Batch 1, weights [N, K] (trans_b): x = [1,2,3] -> [5, 8], plus bias. */
    h_init(&h, GEMM_CODEBOOK, 8);
    x = operand(&h, ACT, DIMS(1, 3), FLOATS(1, 2, 3));
    w = operand(&h, SHARED, DIMS(2, 3), GBT);
    y = tm_act(&h.m, DIMS(1, 2));
    tm_gemm(&h.m, TENSORS(x, w, tm_raw(&h.m, DIMS(2), FLOATS(0.5f, -0.5f))), y, 1, 1, 0, 1);
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(5.5f, 7.5f), 2, TOL);
    tm_free(&h.m);

    /* Batch 1 with trans_a: A stored [3, 1]. */
    h_init(&h, GEMM_CODEBOOK, 8);
    x = operand(&h, ACT, DIMS(3, 1), FLOATS(1, 2, 3));
    w = operand(&h, RAW, DIMS(2, 3), GBT);
    y = tm_act(&h.m, DIMS(1, 2));
    tm_gemm(&h.m, TENSORS(x, w), y, 1, 1, 1, 1);
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(5, 8), 2, TOL);
    tm_free(&h.m);
}

/* ---- MatMul ------------------------------------------------------------------------------------------- */

static void matmul_case(int b_kind) {
    /* A [2,3,2] = 0..11; B = [[1,0,-1],[2,1,0]]; row r (a0, a1) -> [a0 + 2 a1, a1, -a0]. */
    static const float a[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    static const float expected[18] = {2, 1, 0, 8, 3, -2, 14, 5, -4, 20, 7, -6, 26, 9, -8, 32, 11, -10};
    harness h;
    int32_t x, w, y;
    h_init(&h, FLOATS(-1, 0, 1, 2), 4);
    x = operand(&h, ACT, DIMS(2, 3, 2), a);
    w = operand(&h, b_kind, DIMS(2, 3), FLOATS(1, 0, -1, 2, 1, 0));
    y = tm_act(&h.m, DIMS(2, 3, 3));
    tm_op(&h.m, WS_OP_MATMUL, TENSORS(x, w), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), expected, 18, TOL);
    tm_free(&h.m);
}

static void test_matmul(void) {
    harness h;
    int32_t x, w, y;
    matmul_case(RAW);
    matmul_case(SHARED);
    matmul_case(ACT);

    /* A of rank 1: [1, 2] [[1,0,-1],[2,1,0]] = [5, 2, -1], Y of shape [3]. */
    h_init(&h, FLOATS(-1, 0, 1, 2), 4);
    x = operand(&h, ACT, DIMS(2), FLOATS(1, 2));
    w = operand(&h, SHARED, DIMS(2, 3), FLOATS(1, 0, -1, 2, 1, 0));
    y = tm_act(&h.m, DIMS(3));
    tm_op(&h.m, WS_OP_MATMUL, TENSORS(x, w), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(5, 2, -1), 3, TOL);
    tm_free(&h.m);

    /* Shared A (a constant left operand): [[1,2],[3,4]] [[1,0,-1],[2,1,0]] = [[5,2,-1],[11,4,-3]]. */
    h_init(&h, FLOATS(-1, 0, 1, 2, 3, 4), 6);
    x = operand(&h, SHARED, DIMS(2, 2), FLOATS(1, 2, 3, 4));
    w = operand(&h, ACT, DIMS(2, 3), FLOATS(1, 0, -1, 2, 1, 0));
    y = tm_act(&h.m, DIMS(2, 3));
    tm_op(&h.m, WS_OP_MATMUL, TENSORS(x, w), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(5, 2, -1, 11, 4, -3), 6, TOL);
    tm_free(&h.m);
}

#define P4(...) ((const uint32_t[]){__VA_ARGS__})

/* Naive NumPy matmul over shapes padded to rank 4 ([d0, d1, M, K] and [d0, d1, K, N], 1 where broadcast). */
static void matmul_ref(const float *a, const uint32_t *as, const float *b, const uint32_t *bs, float *y) {
    const uint32_t m = as[2], k = as[3], n = bs[3];
    const uint32_t y0 = as[0] > bs[0] ? as[0] : bs[0], y1 = as[1] > bs[1] ? as[1] : bs[1];
    uint32_t i0, i1, r, c, d;
    for (i0 = 0; i0 < y0; i0++)
        for (i1 = 0; i1 < y1; i1++) {
            const float *sa = a + ((as[0] == 1 ? 0 : i0) * as[1] + (as[1] == 1 ? 0 : i1)) * m * k;
            const float *sb = b + ((bs[0] == 1 ? 0 : i0) * bs[1] + (bs[1] == 1 ? 0 : i1)) * k * n;
            for (r = 0; r < m; r++)
                for (c = 0; c < n; c++) {
                    double acc = 0;
                    for (d = 0; d < k; d++) acc += (double)sa[r * k + d] * sb[d * n + c];
                    *y++ = (float)acc;
                }
        }
}

/* A and B as stored: the last `rank` dims of their padded rank-4 shapes (K alone for a rank-1 B); Y's shape is
 * the ONNX one. */
static void batched_matmul_case(int a_kind, const uint32_t *as, uint32_t a_rank, int b_kind, const uint32_t *bs,
                                uint32_t b_rank, const uint32_t *y_shape, uint32_t y_rank) {
    static const float codebook[8] = {-2, -1, -0.5f, 0, 0.5f, 1, 1.5f, 2};
    float a[256], b[256], expected[256];
    uint32_t na = as[0] * as[1] * as[2] * as[3], nb = bs[0] * bs[1] * bs[2] * bs[3], ny = 1, i;
    lcg rng = {11};
    harness h;
    int32_t x, w, y;
    for (i = 0; i < na; i++) a[i] = codebook[lcg_below(&rng, 8)];
    for (i = 0; i < nb; i++) b[i] = codebook[lcg_below(&rng, 8)];
    for (i = 0; i < y_rank; i++) ny *= y_shape[i];
    matmul_ref(a, as, b, bs, expected);
    h_init(&h, codebook, 8);
    x = operand(&h, a_kind, as + 4 - a_rank, a_rank, a);
    w = operand(&h, b_kind, b_rank == 1 ? bs + 2 : bs + 4 - b_rank, b_rank, b); /* B [K] is [K, 1] padded */
    y = tm_act(&h.m, y_shape, y_rank);
    tm_op(&h.m, WS_OP_MATMUL, TENSORS(x, w), TENSORS(y));
    if (h_run(&h, &y, 1)) {
        const unsigned failed = ws_test_failed;
        CHECK_FLOATS(tm_get(&h.m, y), expected, ny, TOL);
        if (ws_test_failed != failed)
            fprintf(stderr, "    matmul a=%d rank %u, b=%d rank %u\n", a_kind, a_rank, b_kind, b_rank);
    }
    tm_free(&h.m);
}

/* Batched B (ONNX test_matmul_3d/4d and broadcasting both ways), B raw, shared and an activation. */
static void test_batched_matmul(void) {
    int kind;
    for (kind = ACT; kind <= SHARED; kind++) {
        batched_matmul_case(ACT, P4(1, 2, 3, 4), 3, kind, P4(1, 2, 4, 3), 3, DIMS(2, 3, 3));
        batched_matmul_case(ACT, P4(1, 2, 3, 4), 4, kind, P4(1, 2, 4, 3), 4, DIMS(1, 2, 3, 3));
        batched_matmul_case(ACT, P4(1, 2, 3, 4), 4, kind, P4(3, 1, 4, 2), 4, DIMS(3, 2, 3, 2));
        batched_matmul_case(ACT, P4(2, 3, 2, 5), 4, kind, P4(1, 3, 5, 4), 3, DIMS(2, 3, 2, 4));
        batched_matmul_case(ACT, P4(1, 1, 3, 4), 2, kind, P4(2, 2, 4, 5), 4, DIMS(2, 2, 3, 5)); /* A broadcast */
        batched_matmul_case(ACT, P4(2, 3, 2, 4), 4, kind, P4(1, 1, 4, 3), 2, DIMS(2, 3, 2, 3)); /* rows folded */
        batched_matmul_case(ACT, P4(2, 1, 2, 4), 4, kind, P4(1, 1, 4, 3), 3, DIMS(2, 1, 2, 3)); /* B [1, K, N] */
        batched_matmul_case(ACT, P4(1, 1, 1, 4), 1, kind, P4(1, 3, 4, 2), 3, DIMS(3, 2));       /* A [K] */
        batched_matmul_case(ACT, P4(1, 2, 3, 4), 3, kind, P4(1, 1, 4, 1), 1, DIMS(2, 3));       /* B [K] */
        batched_matmul_case(ACT, P4(1, 1, 1, 4), 1, kind, P4(1, 1, 4, 1), 1, NULL, 0);          /* dot */
    }
    batched_matmul_case(SHARED, P4(2, 1, 3, 4), 3, RAW, P4(1, 2, 4, 3), 3, DIMS(2, 3, 3)); /* shared A */
    batched_matmul_case(SHARED, P4(1, 2, 3, 4), 3, ACT, P4(1, 2, 4, 3), 3, DIMS(2, 3, 3));
    batched_matmul_case(RAW, P4(3, 1, 2, 4), 4, SHARED, P4(1, 2, 4, 3), 4, DIMS(3, 2, 2, 3));
}

/* ---- Add ---------------------------------------------------------------------------------------------- */

static void add_case(int a_kind, const uint32_t *a_shape, uint32_t a_rank, const float *a, int b_kind,
                     const uint32_t *b_shape, uint32_t b_rank, const float *b, const uint32_t *y_shape,
                     uint32_t y_rank, const float *expected, uint32_t n) {
    harness h;
    int32_t x0, x1, y;
    h_init(&h, NULL, 0);
    x0 = operand(&h, a_kind, a_shape, a_rank, a);
    x1 = operand(&h, b_kind, b_shape, b_rank, b);
    y = tm_act(&h.m, y_shape, y_rank);
    tm_op(&h.m, WS_OP_ADD, TENSORS(x0, x1), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), expected, n, TOL);
    tm_free(&h.m);
}

/* Rank 6: a [2,1,2,1,2,1] + b [1,2,1,2,1,2], checked against explicit index arithmetic. */
static void test_add_rank6(void) {
    float a[8], b[8], expected[64];
    uint32_t i0, i1, i2, i3, i4, i5, i;
    for (i = 0; i < 8; i++) {
        a[i] = (float)(100 * (i + 1));
        b[i] = (float)(i + 1);
    }
    for (i0 = 0; i0 < 2; i0++)
        for (i1 = 0; i1 < 2; i1++)
            for (i2 = 0; i2 < 2; i2++)
                for (i3 = 0; i3 < 2; i3++)
                    for (i4 = 0; i4 < 2; i4++)
                        for (i5 = 0; i5 < 2; i5++)
                            expected[((((i0 * 2 + i1) * 2 + i2) * 2 + i3) * 2 + i4) * 2 + i5] =
                                a[(i0 * 2 + i2) * 2 + i4] + b[(i1 * 2 + i3) * 2 + i5];
    add_case(ACT, DIMS(2, 1, 2, 1, 2, 1), a, RAW, DIMS(1, 2, 1, 2, 1, 2), b, DIMS(2, 2, 2, 2, 2, 2), expected, 64);
    /* b of lower rank: [2,1,2,1,2,1] + [2,1,2] -> [2,1,2,2,2,2] */
    {
        float e2[32];
        uint32_t j0, j2, j3, j4, j5;
        for (j0 = 0; j0 < 2; j0++)
            for (j2 = 0; j2 < 2; j2++)
                for (j3 = 0; j3 < 2; j3++)
                    for (j4 = 0; j4 < 2; j4++)
                        for (j5 = 0; j5 < 2; j5++)
                            e2[(((j0 * 2 + j2) * 2 + j3) * 2 + j4) * 2 + j5] =
                                a[(j0 * 2 + j2) * 2 + j4] + b[(j3 * 2) + j5];
        add_case(ACT, DIMS(2, 1, 2, 1, 2, 1), a, ACT, DIMS(2, 1, 2), b, DIMS(2, 1, 2, 2, 2, 2), e2, 32);
    }
}

static void test_add(void) {
    static const float six[6] = {1, 2, 3, 4, 5, 6};
    add_case(ACT, DIMS(2, 3), six, RAW, DIMS(3), FLOATS(10, 20, 30), DIMS(2, 3), FLOATS(11, 22, 33, 14, 25, 36), 6);
    add_case(ACT, DIMS(2, 3), six, ACT, DIMS(3), FLOATS(10, 20, 30), DIMS(2, 3), FLOATS(11, 22, 33, 14, 25, 36), 6);
    add_case(RAW, DIMS(3), FLOATS(10, 20, 30), ACT, DIMS(2, 3), six, DIMS(2, 3), FLOATS(11, 22, 33, 14, 25, 36), 6);
    add_case(ACT, DIMS(2, 1), FLOATS(1, 2), ACT, DIMS(1, 4), FLOATS(10, 20, 30, 40), DIMS(2, 4),
             FLOATS(11, 21, 31, 41, 12, 22, 32, 42), 8);
    add_case(ACT, DIMS(1, 4), FLOATS(10, 20, 30, 40), RAW, DIMS(2, 1), FLOATS(1, 2), DIMS(2, 4),
             FLOATS(11, 21, 31, 41, 12, 22, 32, 42), 8);
    add_case(ACT, DIMS(2, 3), six, RAW, NULL, 0, FLOATS(100), DIMS(2, 3), FLOATS(101, 102, 103, 104, 105, 106), 6);
    add_case(RAW, NULL, 0, FLOATS(100), ACT, DIMS(2, 3), six, DIMS(2, 3), FLOATS(101, 102, 103, 104, 105, 106), 6);
    add_case(ACT, DIMS(2, 3), six, RAW, DIMS(1), FLOATS(100), DIMS(2, 3), FLOATS(101, 102, 103, 104, 105, 106), 6);
    add_case(ACT, DIMS(2, 3), six, ACT, DIMS(2, 3), six, DIMS(2, 3), FLOATS(2, 4, 6, 8, 10, 12), 6);
    add_case(ACT, NULL, 0, FLOATS(1.5f), RAW, NULL, 0, FLOATS(2.25f), NULL, 0, FLOATS(3.75f), 1);
    test_add_rank6();
}

/* ---- Relu, Softmax, Reshape ------------------------------------------------------------------------------ */

static void test_relu(void) {
    harness h;
    int32_t x, y;
    h_init(&h, NULL, 0);
    x = operand(&h, ACT, DIMS(2, 3), FLOATS(-2, -0.5f, 0, 3, 1e-3f, -1e30f));
    y = tm_act(&h.m, DIMS(2, 3));
    tm_op(&h.m, WS_OP_RELU, TENSORS(x), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(0, 0, 0, 3, 1e-3f, 0), 6, 0);
    tm_free(&h.m);
}

/* The Relu kernel itself, in place and not, over two groups of four and a tail of three: x < 0 ? 0 : x, so NaN and
 * -0 pass through (as max(x, 0) in ONNX's reference) and -inf is 0. */
static void test_relu_kernel(void) {
    const float x[11] = {-1, 2, -0.0f, NAN, -INFINITY, INFINITY, 1e-38f, -1e-38f, -3, 0, 5};
    const float want[11] = {0, 2, -0.0f, NAN, 0, INFINITY, 1e-38f, 0, 0, 0, 5};
    float y[11], z[11];
    int pass, i;
    for (pass = 0; pass < 2; pass++) {
        float *out = pass ? z : y;
        memcpy(z, x, sizeof z);
        ws_unary_f32(WS_OP_RELU, 0.0f, 0.0f, pass ? z : x, out, 11); /* pass 1: in place */
        for (i = 0; i < 11; i++) {
            if (isnan(want[i])) CHECK(isnan(out[i]));
            else CHECK(out[i] == want[i] && signbit(out[i]) == signbit(want[i]));
        }
    }
}

/* Softmax by its definition, in double, without the max subtraction. */
static void softmax_reference(const float *x, const uint32_t *dims, uint32_t rank, uint32_t axis, int coerce,
                              float *out) {
    uint32_t outer = 1, n = 1, inner = 1, i, o, j, k;
    for (i = 0; i < axis; i++) outer *= dims[i];
    for (i = axis; i < rank; i++) {
        if (i == axis || coerce) n *= dims[i];
        else inner *= dims[i];
    }
    for (o = 0; o < outer; o++)
        for (k = 0; k < inner; k++) {
            double sum = 0;
            for (j = 0; j < n; j++) sum += exp((double)x[(o * n + j) * inner + k]);
            for (j = 0; j < n; j++)
                out[(o * n + j) * inner + k] = (float)(exp((double)x[(o * n + j) * inner + k]) / sum);
        }
}

static void softmax_case(const uint32_t *dims, uint32_t rank, const float *x, uint32_t axis, int coerce,
                         int with_options, const float *expected) {
    harness h;
    int32_t in, y;
    uint32_t n = 1, i;
    for (i = 0; i < rank; i++) n *= dims[i];
    h_init(&h, NULL, 0);
    in = operand(&h, ACT, dims, rank, x);
    y = tm_act(&h.m, dims, rank);
    if (with_options) tm_softmax(&h.m, in, y, axis, coerce);
    else tm_op(&h.m, WS_OP_SOFTMAX, TENSORS(in), TENSORS(y));
    if (h_run(&h, &y, 1)) {
        if (!CHECK(fabsf(tm_get(&h.m, y)[0] - expected[0]) <= 1e-6f))
            fprintf(stderr, "    softmax axis=%u coerce=%d\n", axis, coerce);
        CHECK_FLOATS(tm_get(&h.m, y), expected, n, 1e-6);
    }
    tm_free(&h.m);
}

static void test_softmax(void) {
    static const uint32_t d3[3] = {2, 3, 2};
    const float ln3 = (float)log(3.0);
    float x[12], expected[12];
    uint32_t axis, i;
    int coerce;

    /* Closed forms: exp values 1 and 3 give 1/4 and 3/4. */
    softmax_case(DIMS(1, 2), FLOATS(0, ln3), 1, 0, 1, FLOATS(0.25f, 0.75f));
    softmax_case(DIMS(2, 2), FLOATS(0, ln3, 0, 0), 1, 0, 1, FLOATS(0.25f, 0.75f, 0.5f, 0.5f));
    softmax_case(DIMS(2, 2), FLOATS(0, ln3, 0, 0), 0, 0, 1, FLOATS(0.5f, 0.75f, 0.5f, 0.25f));
    softmax_case(DIMS(2, 2), FLOATS(0, ln3, 0, 0), 0, 1, 1, FLOATS(1 / 6.f, 0.5f, 1 / 6.f, 1 / 6.f));
    softmax_case(DIMS(2, 2), FLOATS(0, ln3, 0, 0), 0, 0, 0, FLOATS(0.5f, 0.75f, 0.5f, 0.25f)); /* default axis 0 */
    /* Large inputs: a naive exp() overflows; the stable kernel subtracts the maximum. */
    {
        const float big = 1000 + ln3; /* float spacing at 1000 is 6e-5: use the difference actually stored */
        const double d = exp((double)big - 1000.0);
        softmax_case(DIMS(2), FLOATS(1000, big), 0, 0, 1, FLOATS((float)(1 / (1 + d)), (float)(d / (1 + d))));
    }
    softmax_case(DIMS(3), FLOATS(-1000, -1000, -1000), 0, 0, 1, FLOATS(1 / 3.f, 1 / 3.f, 1 / 3.f));

    /* 3-D, every axis, both semantics, against the double reference. */
    for (i = 0; i < 12; i++) x[i] = (float)((i * 7) % 5) * 0.5f - 1.0f + (float)i * 0.01f;
    for (axis = 0; axis < 3; axis++)
        for (coerce = 0; coerce < 2; coerce++) {
            softmax_reference(x, d3, 3, axis, coerce, expected);
            softmax_case(d3, 3, x, axis, coerce, 1, expected);
        }
    /* The two semantics really differ on axis 1. */
    {
        float a[12], b[12];
        softmax_reference(x, d3, 3, 1, 0, a);
        softmax_reference(x, d3, 3, 1, 1, b);
        CHECK(fabsf(a[0] - b[0]) > 1e-3f);
    }
}

static void test_reshape(void) {
    harness h;
    int32_t x, y, z;
    h_init(&h, NULL, 0);
    x = operand(&h, ACT, DIMS(2, 3), FLOATS(1, 2, 3, 4, 5, 6));
    y = tm_act(&h.m, DIMS(3, 2));
    z = tm_act(&h.m, DIMS(6));
    tm_op(&h.m, WS_OP_RESHAPE, TENSORS(x), TENSORS(y));
    tm_op(&h.m, WS_OP_RESHAPE, TENSORS(y), TENSORS(z));
    if (h_run(&h, TENSORS(y, z))) {
        CHECK_FLOATS(tm_get(&h.m, y), FLOATS(1, 2, 3, 4, 5, 6), 6, 0);
        CHECK_FLOATS(tm_get(&h.m, z), FLOATS(1, 2, 3, 4, 5, 6), 6, 0);
    }
    tm_free(&h.m);

    /* A raw input reshaped. */
    h_init(&h, NULL, 0);
    x = tm_raw(&h.m, DIMS(4), FLOATS(4, 3, 2, 1));
    y = tm_act(&h.m, DIMS(2, 2));
    tm_op(&h.m, WS_OP_RESHAPE, TENSORS(x), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(4, 3, 2, 1), 4, 0);
    tm_free(&h.m);
}

/* ---- chains and in-place aliasing ----------------------------------------------------------------------- */

/*
 * x [1,4] -> Gemm(W1 shared [3,4], trans_b, b1) -> Relu -> Gemm(W2 raw [2,3], trans_b, b2) -> Softmax.
 * W1 x = [1+0+1+1, 0.5+1+0-0.5, -1-2-1+0] = [3, 1, -4]; + b1 [0.5,-2,1] = [3.5,-1,-3]; relu -> [3.5, 0, 0].
 * W2 h = [3.5, 0]; + b2 [0, 1] = [3.5, 1]; softmax -> [1/(1+e^-2.5), e^-2.5/(1+e^-2.5)].
 */
static void test_mlp(void) {
    harness h;
    int32_t x, w1, b1, h1, r1, w2, b2, h2, p;
    const double e = exp(-2.5);
    h_init(&h, FLOATS(-1, -0.5f, 0, 0.5f, 1, 2), 6);
    x = operand(&h, ACT, DIMS(1, 4), FLOATS(1, 2, -1, 0.5f));
    w1 = tm_shared(&h.m, DIMS(3, 4), FLOATS(1, 0, -1, 2, 0.5f, 0.5f, 0, -1, -1, -1, 1, 0));
    b1 = tm_raw(&h.m, DIMS(3), FLOATS(0.5f, -2, 1));
    h1 = tm_act(&h.m, DIMS(1, 3));
    r1 = tm_act(&h.m, DIMS(1, 3));
    w2 = tm_raw(&h.m, DIMS(2, 3), FLOATS(1, 2, 3, 0, 1, -1));
    b2 = tm_raw(&h.m, DIMS(2), FLOATS(0, 1));
    h2 = tm_act(&h.m, DIMS(1, 2));
    p = tm_act(&h.m, DIMS(1, 2));
    tm_gemm(&h.m, TENSORS(x, w1, b1), h1, 1, 1, 0, 1);
    tm_op(&h.m, WS_OP_RELU, TENSORS(h1), TENSORS(r1));
    tm_gemm(&h.m, TENSORS(r1, w2, b2), h2, 1, 1, 0, 1);
    tm_softmax(&h.m, h2, p, 1, 0);
    if (h_run(&h, TENSORS(p, r1, h1))) {
        CHECK_FLOATS(tm_get(&h.m, h1), FLOATS(3.5f, -1, -3), 3, TOL);
        CHECK_FLOATS(tm_get(&h.m, r1), FLOATS(3.5f, 0, 0), 3, TOL);
        CHECK_FLOATS(tm_get(&h.m, p), FLOATS((float)(1 / (1 + e)), (float)(e / (1 + e))), 2, 1e-6);
    }
    tm_free(&h.m);
}

/* The memory planner's exact aliasing: each element-wise op writes over its own input. */
static void test_in_place(void) {
    harness h;
    int32_t x, y, a, b, z;

    h_init(&h, NULL, 0); /* Relu */
    x = operand(&h, ACT, DIMS(4), FLOATS(-1, 2, -3, 4));
    y = tm_act_at(&h.m, DIMS(4), 0);
    tm_op(&h.m, WS_OP_RELU, TENSORS(x), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(0, 2, 0, 4), 4, 0);
    tm_free(&h.m);

    h_init(&h, NULL, 0); /* Add over its first input, the second broadcast */
    a = operand(&h, ACT, DIMS(2, 3), FLOATS(1, 2, 3, 4, 5, 6));
    b = operand(&h, ACT, DIMS(3), FLOATS(10, 20, 30));
    y = tm_act_at(&h.m, DIMS(2, 3), 0);
    tm_op(&h.m, WS_OP_ADD, TENSORS(a, b), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(11, 22, 33, 14, 25, 36), 6, 0);
    tm_free(&h.m);

    h_init(&h, NULL, 0); /* Add over its second input, the first broadcast */
    a = operand(&h, ACT, DIMS(3), FLOATS(10, 20, 30));
    b = operand(&h, ACT, DIMS(2, 3), FLOATS(1, 2, 3, 4, 5, 6));
    y = tm_act_at(&h.m, DIMS(2, 3), 16);
    tm_op(&h.m, WS_OP_ADD, TENSORS(a, b), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(11, 22, 33, 14, 25, 36), 6, 0);
    tm_free(&h.m);

    h_init(&h, NULL, 0); /* Add(x, x) over x */
    a = operand(&h, ACT, DIMS(3), FLOATS(1, 2, 3));
    y = tm_act_at(&h.m, DIMS(3), 0);
    tm_op(&h.m, WS_OP_ADD, TENSORS(a, a), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(2, 4, 6), 3, 0);
    tm_free(&h.m);

    h_init(&h, NULL, 0); /* Reshape */
    x = operand(&h, ACT, DIMS(2, 3), FLOATS(1, 2, 3, 4, 5, 6));
    y = tm_act_at(&h.m, DIMS(6), 0);
    tm_op(&h.m, WS_OP_RESHAPE, TENSORS(x), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(1, 2, 3, 4, 5, 6), 6, 0);
    tm_free(&h.m);

    h_init(&h, NULL, 0); /* Softmax along the first axis of [2,2], in place */
    x = operand(&h, ACT, DIMS(2, 2), FLOATS(0, (float)log(3.0), 0, 0));
    y = tm_act_at(&h.m, DIMS(2, 2), 0);
    tm_softmax(&h.m, x, y, 0, 0);
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(0.5f, 0.75f, 0.5f, 0.25f), 4, 1e-6);
    tm_free(&h.m);

    /* A planned chain: Gemm -> Relu (over the Gemm output) -> Softmax (over it again). */
    h_init(&h, GEMM_CODEBOOK, 8);
    x = operand(&h, ACT, DIMS(1, 3), FLOATS(1, 2, 3));
    a = tm_act_at(&h.m, DIMS(1, 2), 16);
    b = tm_act_at(&h.m, DIMS(1, 2), 16);
    z = tm_act_at(&h.m, DIMS(1, 2), 16);
    tm_gemm(&h.m, TENSORS(x, tm_shared(&h.m, DIMS(2, 3), GBT), tm_raw(&h.m, DIMS(2), FLOATS(-7, -7))), a, 1, 1, 0, 1);
    tm_op(&h.m, WS_OP_RELU, TENSORS(a), TENSORS(b));
    tm_softmax(&h.m, b, z, 1, 0);
    /* Gemm: [5, 8] + [-7, -7] = [-2, 1]; Relu: [0, 1]; Softmax: [1 / (1 + e), e / (1 + e)]. */
    if (h_run(&h, &z, 1)) {
        const double e = exp(1.0);
        CHECK_FLOATS(tm_get(&h.m, z), FLOATS((float)(1 / (1 + e)), (float)(e / (1 + e))), 2, 1e-6);
    }
    tm_free(&h.m);
}

int main(void) {
    test_gemm();
    test_gemm_variants();
    test_matmul();
    test_batched_matmul();
    test_add();
    test_relu();
    test_relu_kernel();
    test_softmax();
    test_reshape();
    test_mlp();
    test_in_place();
    return ws_test_finish();
}
