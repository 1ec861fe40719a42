/*
 * Raw constants stored as IEEE 754 binary16 (feature HALF_RAW): the conversion against hand-computed values, Conv
 * and Gemm biases and epilogue scales read from binary16 against hand-computed outputs, ws_tensor_decode, and every
 * misuse refused at load.
 */
#include <math.h>
#include <string.h>

#include "test_support.h"
#include "ws_flatbuf.h"
#include "ws_test.h"

#define U32(...) ((const uint32_t[]){__VA_ARGS__})
#define HALVES(...) ((const uint16_t[]){__VA_ARGS__})

static const float CODEBOOK[4] = {-1.0f, 0.0f, 1.0f, 2.0f};

static void start(tm *m, uint64_t features) { tm_init_with(m, CODEBOOK, 4, features); }

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Values worked out from the binary16 layout: sign, 5 exponent bits (bias 15), 10 mantissa bits. */
static void test_conversion(void) {
    CHECK(ws_half_to_float(0x3C00u) == 1.0f);
    CHECK(ws_half_to_float(0xC000u) == -2.0f);
    CHECK(ws_half_to_float(0x3555u) == 0.333251953125f); /* 2^-2 * (1 + 341/1024) */
    CHECK(ws_half_to_float(0x7BFFu) == 65504.0f);        /* largest finite */
    CHECK(ws_half_to_float(0x0400u) == ldexpf(1.0f, -14)); /* smallest normal */
    CHECK(ws_half_to_float(0x0001u) == ldexpf(1.0f, -24)); /* smallest subnormal */
    CHECK(ws_half_to_float(0x83FFu) == -ldexpf(1023.0f, -24)); /* largest subnormal, negative */
    CHECK_EQ(bits_of(ws_half_to_float(0x0000u)), 0x00000000u);
    CHECK_EQ(bits_of(ws_half_to_float(0x8000u)), 0x80000000u); /* -0 keeps its sign */
    CHECK(ws_half_to_float(0x7C00u) == INFINITY);
    CHECK(ws_half_to_float(0xFC00u) == -INFINITY);
    CHECK(isnan(ws_half_to_float(0x7E00u)));
}

/* 1x1 Conv, W [2,1,1,1] = [1, 2], bias [1/3 rounded, -1] and S [3, 0.5], both binary16. */
static void test_conv(void) {
    const float third = 0.333251953125f;
    float decoded[2];
    tm m;
    int32_t x, w, y, bias;
    start(&m, WS_FEATURE_HALF_RAW);
    x = tm_act(&m, DIMS(1, 1, 2, 2));
    w = tm_shared(&m, DIMS(2, 1, 1, 1), FLOATS(1, 2));
    y = tm_act(&m, DIMS(1, 2, 2, 2));
    bias = tm_raw_half(&m, DIMS(2), HALVES(0x3555u, 0xBC00u));
    CHECK(wsm_builder_add_conv(m.b, WS_OP_CONV, "conv",
                               TENSORS(x, w, bias, tm_raw_half(&m, DIMS(2), HALVES(0x4200u, 0x3800u))), &y, 1, 1,
                               U32(1, 1), U32(1, 1), U32(0, 0, 0, 0), NULL, 2) == 0);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    tm_set(&m, x, FLOATS(1, 2, 3, 4));
    CHECK_STATUS(tm_run(&m), WS_OK);
    CHECK_FLOATS(tm_get(&m, y),
                 FLOATS(3 * 1 + third, 3 * 2 + third, 3 * 3 + third, 3 * 4 + third, 0.5f * 2 * 1 - 1, 0.5f * 2 * 2 - 1,
                        0.5f * 2 * 3 - 1, 0.5f * 2 * 4 - 1),
                 8, 0);
    CHECK_STATUS(ws_tensor_decode(&m.model, (uint32_t)bias, decoded, 2), WS_OK);
    CHECK_FLOATS(decoded, FLOATS(third, -1), 2, 0);
    tm_free(&m);
}

/* Y = 0.5 * (X [2,3] · B [3,2]) · diag(S) + 2 * C, C [2] and S [2] binary16: C = [0.25, -1.5], S = [2, -0.75]. */
static void test_gemm(void) {
    tm m;
    int32_t x, b, y;
    start(&m, WS_FEATURE_HALF_RAW);
    x = tm_act(&m, DIMS(2, 3));
    b = tm_shared(&m, DIMS(3, 2), FLOATS(-1, 0, 1, 2, 0, 1)); /* [[-1, 0], [1, 2], [0, 1]] */
    y = tm_act(&m, DIMS(2, 2));
    tm_gemm(&m,
            TENSORS(x, b, tm_raw_half(&m, DIMS(2), HALVES(0x3400u, 0xBE00u)),
                    tm_raw_half(&m, DIMS(2), HALVES(0x4000u, 0xBA00u))),
            y, 0.5f, 2.0f, 0, 0);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    tm_set(&m, x, FLOATS(1, 2, 3, -1, 0, 4));
    CHECK_STATUS(tm_run(&m), WS_OK);
    /* X·B = [[1, 7], [1, 4]] */
    CHECK_FLOATS(tm_get(&m, y),
                 FLOATS(0.5f * 1 * 2 + 2 * 0.25f, 0.5f * 7 * -0.75f + 2 * -1.5f, 0.5f * 1 * 2 + 2 * 0.25f,
                        0.5f * 4 * -0.75f + 2 * -1.5f),
                 4, 0);
    tm_free(&m);
}

/* The same Gemm with C float32 or binary16 and S absent, float32 or binary16: every mix goes through the Gemm's
 * one-pass epilogue (ws_dense.c, epilogue_row) and gives the hand-computed values (all exact in both precisions). */
static void test_gemm_epilogue_mixes(void) {
    tm m;
    int32_t x, b, y, c, sc;
    int c_half, s_kind;
    for (c_half = 0; c_half < 2; c_half++)
        for (s_kind = 0; s_kind < 3; s_kind++) { /* S: none, float32, binary16 */
            start(&m, WS_FEATURE_HALF_RAW);
            x = tm_act(&m, DIMS(2, 3));
            b = tm_shared(&m, DIMS(3, 2), FLOATS(-1, 0, 1, 2, 0, 1));
            y = tm_act(&m, DIMS(2, 2));
            c = c_half ? tm_raw_half(&m, DIMS(2), HALVES(0x3400u, 0xBE00u)) : tm_raw(&m, DIMS(2), FLOATS(0.25f, -1.5f));
            sc = s_kind == 2 ? tm_raw_half(&m, DIMS(2), HALVES(0x4000u, 0xBA00u)) : tm_raw(&m, DIMS(2), FLOATS(2, -0.75f));
            if (s_kind == 0) tm_gemm(&m, TENSORS(x, b, c), y, 0.5f, 2.0f, 0, 0);
            else tm_gemm(&m, TENSORS(x, b, c, sc), y, 0.5f, 2.0f, 0, 0);
            CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
            tm_set(&m, x, FLOATS(1, 2, 3, -1, 0, 4));
            CHECK_STATUS(tm_run(&m), WS_OK);
            /* X·B = [[1, 7], [1, 4]] */
            if (s_kind == 0)
                CHECK_FLOATS(tm_get(&m, y), FLOATS(0.5f * 1 + 2 * 0.25f, 0.5f * 7 + 2 * -1.5f, 0.5f * 1 + 2 * 0.25f,
                                                   0.5f * 4 + 2 * -1.5f), 4, 0);
            else
                CHECK_FLOATS(tm_get(&m, y), FLOATS(0.5f * 1 * 2 + 2 * 0.25f, 0.5f * 7 * -0.75f + 2 * -1.5f,
                                                   0.5f * 1 * 2 + 2 * 0.25f, 0.5f * 4 * -0.75f + 2 * -1.5f), 4, 0);
            tm_free(&m);
        }
}

/* X [1,2] · B [2,2] + C, C a binary16 [2] vector stored with `count` values, or X + C when `add`; the load status. */
static ws_status load(uint64_t features, int add, uint32_t count) {
    tm m;
    int32_t x, y, c;
    ws_status s;
    start(&m, features);
    x = tm_act(&m, DIMS(1, 2));
    y = tm_act(&m, DIMS(1, 2));
    c = wsm_builder_add_raw_half(m.b, NULL, DIMS(2), HALVES(0x3C00u, 0x4000u, 0x4200u), count);
    CHECK(c >= 0);
    if (add) tm_op(&m, WS_OP_ADD, TENSORS(x, c), TENSORS(y));
    else tm_gemm(&m, TENSORS(x, tm_shared(&m, DIMS(2, 2), FLOATS(1, 0, 0, 1)), c), y, 1.0f, 1.0f, 0, 0);
    s = tm_finish(&m, &x, 1, &y, 1);
    tm_free(&m);
    return s;
}

static void test_rejected(void) {
    CHECK_STATUS(load(WS_FEATURE_HALF_RAW, 0, 2), WS_OK);
    CHECK_STATUS(load(0, 0, 2), WS_ERR_TENSOR);                   /* the feature is not declared */
    CHECK_STATUS(load(WS_FEATURE_HALF_RAW, 1, 2), WS_ERR_OPERATOR); /* Add reads float32 operands only */
    CHECK_STATUS(load(WS_FEATURE_HALF_RAW, 0, 3), WS_ERR_TENSOR);   /* 3 values for 2 elements */
}

int main(void) {
    test_conversion();
    test_conv();
    test_gemm();
    test_gemm_epilogue_mixes();
    test_rejected();
    return ws_test_finish();
}
