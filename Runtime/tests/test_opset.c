/*
 * A runtime built for one model's op set (tests/opset/model_data.h: Gemm and Relu; `make opset-test`): a model of
 * those operators loads and computes what the full runtime computes; a model with any other operator is refused at
 * load with WS_ERR_OP_NOT_BUILT naming that operator, so nothing can reach a kernel that was left out. The header
 * also leaves the Huffman decoder out (WS_MODEL_HUFFMAN 0): the same model with coded indices is refused at load
 * with WS_ERR_FEATURE.
 */
#include <string.h>

#include "test_support.h"
#include "ws_test.h"

static const float CODEBOOK[4] = {-1, 0, 1, 2};

/* x [1, 3] · W [3, 2] (shared) -> Relu, then optionally an Add or a Sigmoid of the Relu output. */
static ws_status build(tm *m, int extra, int32_t *x, int32_t *y) {
    int32_t w, g, r;
    tm_init(m);
    tm_codebook(m, CODEBOOK, 4);
    *x = tm_act(m, (const uint32_t[]){1, 3}, 2);
    w = tm_shared(m, (const uint32_t[]){3, 2}, 2, (const float[]){1, -1, 2, 0, -1, 2});
    g = tm_act(m, (const uint32_t[]){1, 2}, 2);
    tm_gemm(m, (const int32_t[]){*x, w}, 2, g, 1, 1, 0, 0);
    r = tm_act(m, (const uint32_t[]){1, 2}, 2);
    tm_op(m, WS_OP_RELU, &g, 1, &r, 1);
    *y = r;
    if (extra == 1) { /* Add: not in the op set */
        *y = tm_act(m, (const uint32_t[]){1, 2}, 2);
        tm_op(m, WS_OP_ADD, (const int32_t[]){r, r}, 2, y, 1);
    } else if (extra == 2) { /* Sigmoid: a UNARY row like Relu, but not in the op set */
        *y = tm_act(m, (const uint32_t[]){1, 2}, 2);
        tm_op(m, WS_OP_SIGMOID, &r, 1, y, 1);
    }
    return tm_finish(m, x, 1, y, 1);
}

static void test_built_ops_run(void) {
    tm m;
    int32_t x, y;
    ws_status s = build(&m, 0, &x, &y);
    CHECK_STATUS(s, WS_OK);
    if (s == WS_OK) {
        const float *out;
        /* [1, 2, 3] · [[1, -1], [2, 0], [-1, 2]] = [2, 5] -> Relu [2, 5]; with x = [-1, 0, 0]: [-1, 1] -> [0, 1]. */
        tm_set(&m, x, (const float[]){1, 2, 3});
        CHECK_STATUS(tm_run(&m), WS_OK);
        out = tm_get(&m, y);
        CHECK(out[0] == 2.0f && out[1] == 5.0f);
        tm_set(&m, x, (const float[]){-1, 0, 0});
        CHECK_STATUS(tm_run(&m), WS_OK);
        out = tm_get(&m, y);
        CHECK(out[0] == 0.0f && out[1] == 1.0f);
    }
    tm_free(&m);
}

static void test_other_ops_refused(void) {
    int extra;
    for (extra = 1; extra <= 2; extra++) {
        tm m;
        int32_t x, y;
        ws_status s = build(&m, extra, &x, &y);
        CHECK_STATUS(s, WS_ERR_OP_NOT_BUILT);
        CHECK_EQ(m.error.op, 2); /* the third operator: Gemm and Relu passed */
        CHECK(m.error.tensor == -1);
        tm_free(&m);
    }
    CHECK(strcmp(ws_status_string(WS_ERR_OP_NOT_BUILT), "operator not built into this runtime (its op set leaves it out)") == 0);
}

/* The Gemm/Relu model with W's indices Huffman-coded (the indices of W above, lengths 1, 2, 3, 3). */
static void test_coded_refused(void) {
    tm m;
    int32_t x, w, g, r;
    tm_init(&m);
    tm_codebook(&m, CODEBOOK, 4);
    tm_code(&m, (const uint8_t[]){1, 2, 3, 3}, 4);
    x = tm_act(&m, (const uint32_t[]){1, 3}, 2);
    w = tm_shared_coded(&m, (const uint32_t[]){3, 2}, 2, (const uint32_t[]){2, 0, 3, 1, 0, 3});
    g = tm_act(&m, (const uint32_t[]){1, 2}, 2);
    tm_gemm(&m, (const int32_t[]){x, w}, 2, g, 1, 1, 0, 0);
    r = tm_act(&m, (const uint32_t[]){1, 2}, 2);
    tm_op(&m, WS_OP_RELU, &g, 1, &r, 1);
    CHECK_STATUS(tm_finish(&m, &x, 1, &r, 1), WS_ERR_FEATURE);
    tm_free(&m);
}

static void test_built_table(void) {
    int code, built = 0;
    CHECK(ws_opcode_built(WS_OP_GEMM) && ws_opcode_built(WS_OP_RELU));
    CHECK(!ws_opcode_built(WS_OP_ADD) && !ws_opcode_built(WS_OP_CONV) && !ws_opcode_built(WS_OP_SIGMOID));
    CHECK(!ws_opcode_built((ws_opcode)WS_OP_COUNT));
    for (code = 0; code < WS_OP_COUNT; code++) built += ws_opcode_built((ws_opcode)code);
    CHECK_EQ(built, 2);
    CHECK(strcmp(ws_opcode_symbol(WS_OP_AVERAGE_POOL), "AVERAGE_POOL") == 0);
    CHECK(strcmp(ws_opcode_symbol((ws_opcode)WS_OP_COUNT), "") == 0);
}

int main(void) {
    test_built_ops_run();
    test_other_ops_refused();
    test_coded_refused();
    test_built_table();
    return ws_test_finish();
}
