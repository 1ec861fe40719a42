/* The public accessors (tensor/operator/codebook/stream/metadata info, decoding) and argument checks. */
#include <stdint.h>
#include <string.h>

#include "test_support.h"
#include "ws_test.h"

static const float CODEBOOK[5] = {-0.5f, 0, 0.25f, 1, 2};
/* W = [[1, -0.5, 2], [0, 0.25, 1]] as codebook indices, plus one index no tensor uses. */
static const uint32_t INDICES[7] = {3, 0, 4, 1, 2, 3, 4};

/* input [1,3] -> Gemm(W shared [2,3], trans_b, bias raw [2]) -> output [1,2]; every name and metadata set. */
static ws_status build_named(tm *m) {
    static const wsm_metadata meta = {"wsc 0.1", "abc123", "model.onnx", "accuracy", "{\"k\":8}", 8, 5, 42,
                                      0.93, 0.95};
    int32_t x, w, b, y;
    x = wsm_builder_add_activation(m->b, "input", DIMS(1, 3), 0);
    w = wsm_builder_add_shared(m->b, "weight", DIMS(2, 3), 0);
    b = wsm_builder_add_raw(m->b, "bias", DIMS(2), FLOATS(0.5f, -0.5f), 2);
    y = wsm_builder_add_activation(m->b, "output", DIMS(1, 2), 16);
    wsm_builder_add_gemm(m->b, "fc", TENSORS(x, w, b), &y, 1, 1.0f, 1.0f, 0, 1);
    tm_codebook(m, CODEBOOK, 5);
    memcpy(m->indices, INDICES, sizeof INDICES);
    m->count = 7;
    m->arena_bytes = 24;
    m->metadata = &meta;
    return tm_finish(m, &x, 1, &y, 1);
}

static void test_accessors(void) {
    tm m;
    ws_tensor_info info;
    ws_operator_info op;
    ws_stream_info stream;
    ws_metadata meta;
    uint32_t size = 99, i, index;
    const float *codebook;
    float decoded[8];

    tm_init(&m);
    CHECK_STATUS(build_named(&m), WS_OK);
    CHECK_EQ(ws_model_num_tensors(&m.model), 4);
    CHECK_EQ(ws_model_num_operators(&m.model), 1);
    CHECK_EQ(ws_model_num_inputs(&m.model), 1);
    CHECK_EQ(ws_model_num_outputs(&m.model), 1);
    CHECK_EQ(ws_model_input(&m.model, 0), 0);
    CHECK_EQ(ws_model_output(&m.model, 0), 3);
    CHECK_EQ(ws_model_input(&m.model, 1), -1);
    CHECK_EQ(ws_model_output(&m.model, 7), -1);
    CHECK_EQ(ws_model_arena_bytes(&m.model), 24);

    CHECK_STATUS(ws_model_tensor(&m.model, 0, &info), WS_OK);
    CHECK(strcmp(info.name, "input") == 0);
    CHECK_EQ(info.kind, WS_TENSOR_ACTIVATION);
    CHECK_EQ(info.rank, 2);
    CHECK(info.shape[0] == 1 && info.shape[1] == 3);
    CHECK_EQ(info.elements, 3);
    CHECK_EQ(info.arena_offset, 0);
    CHECK(info.raw == NULL);
    CHECK_STATUS(ws_model_tensor(&m.model, 1, &info), WS_OK);
    CHECK(strcmp(info.name, "weight") == 0);
    CHECK_EQ(info.kind, WS_TENSOR_SHARED);
    CHECK_EQ(info.elements, 6);
    CHECK_EQ(info.index_offset, 0);
    CHECK_STATUS(ws_model_tensor(&m.model, 2, &info), WS_OK);
    CHECK(strcmp(info.name, "bias") == 0);
    CHECK_EQ(info.kind, WS_TENSOR_RAW);
    CHECK(info.rank == 1 && info.shape[0] == 2);
    CHECK(info.raw != NULL && info.raw[0] == 0.5f && info.raw[1] == -0.5f);
    CHECK_STATUS(ws_model_tensor(&m.model, 3, &info), WS_OK);
    CHECK_EQ(info.arena_offset, 16);
    CHECK_STATUS(ws_model_tensor(&m.model, 4, &info), WS_ERR_ARGUMENT);
    /* Tensor ids are ws_tensor_id (int32) everywhere: negative ones, WS_NO_TENSOR included, are refused. */
    CHECK_STATUS(ws_model_tensor(&m.model, WS_NO_TENSOR, &info), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_model_tensor(&m.model, INT32_MIN, &info), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_model_tensor(&m.model, ws_model_input(&m.model, 5), &info), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_model_tensor(&m.model, 0, NULL), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_model_tensor(NULL, 0, &info), WS_ERR_ARGUMENT);

    CHECK_STATUS(ws_model_operator(&m.model, 0, &op), WS_OK);
    CHECK_EQ(op.opcode, WS_OP_GEMM);
    CHECK(strcmp(op.name, "fc") == 0);
    CHECK(op.num_inputs == 3 && op.num_outputs == 1);
    CHECK(op.inputs[0] == 0 && op.inputs[1] == 1 && op.inputs[2] == 2 && op.inputs[3] == -1);
    CHECK(op.outputs[0] == 3 && op.outputs[1] == -1);
    CHECK_STATUS(ws_model_operator(&m.model, 1, &op), WS_ERR_ARGUMENT);
    /* Every input through ws_model_operator_input (the same ids as the copied ones); -1 past the count. */
    for (i = 0; i < op.num_inputs; i++) CHECK_EQ(ws_model_operator_input(&m.model, 0, i), (int32_t)i);
    CHECK_EQ(ws_model_operator_input(&m.model, 0, 3), WS_NO_TENSOR);
    CHECK_EQ(ws_model_operator_input(&m.model, 1, 0), WS_NO_TENSOR);

    codebook = ws_model_codebook(&m.model, &size);
    CHECK_EQ(size, 5);
    CHECK(codebook != NULL && memcmp(codebook, CODEBOOK, sizeof CODEBOOK) == 0);

    ws_model_stream(&m.model, &stream);
    CHECK_EQ(stream.encoding, 0);
    CHECK_EQ(stream.bit_width, 3);
    CHECK_EQ(stream.count, 7);
    CHECK_EQ(stream.bytes, 3 + 4); /* ceil(7 * 3 / 8) packed bytes + 4 bytes of padding */
    for (i = 0; i < 7; i++) {
        index = 99;
        CHECK_STATUS(ws_model_index(&m.model, i, &index), WS_OK);
        CHECK_EQ(index, INDICES[i]);
    }
    /* A bad argument is an error, not index 0 (a valid index); *index is left alone. */
    index = 99;
    CHECK_STATUS(ws_model_index(&m.model, 7, &index), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_model_index(&m.model, 0xFFFFFFFFu, &index), WS_ERR_ARGUMENT);
    CHECK_EQ(index, 99);
    CHECK_STATUS(ws_model_index(&m.model, 0, NULL), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_model_index(NULL, 0, &index), WS_ERR_ARGUMENT);

    ws_model_metadata(&m.model, &meta);
    CHECK_EQ(meta.format_version, WS_FORMAT_VERSION);
    CHECK(strcmp(meta.tool_version, "wsc 0.1") == 0);
    CHECK(strcmp(meta.source_sha256, "abc123") == 0);
    CHECK(strcmp(meta.source_name, "model.onnx") == 0);
    CHECK(strcmp(meta.metric, "accuracy") == 0);
    CHECK(strcmp(meta.solution_json, "{\"k\":8}") == 0);
    CHECK(meta.k == 8 && meta.m == 5 && meta.seed == 42);
    CHECK(meta.score == 0.93 && meta.float_score == 0.95);

    /* Decoding constants: shared through the codebook, raw as stored. */
    CHECK_STATUS(ws_tensor_decode(&m.model, 1, decoded, 6), WS_OK);
    CHECK_FLOATS(decoded, FLOATS(1, -0.5f, 2, 0, 0.25f, 1), 6, 0);
    CHECK_STATUS(ws_tensor_decode(&m.model, 2, decoded, 8), WS_OK);
    CHECK_FLOATS(decoded, FLOATS(0.5f, -0.5f), 2, 0);
    CHECK_STATUS(ws_tensor_decode(&m.model, 1, decoded, 5), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_tensor_decode(&m.model, 0, decoded, 8), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_tensor_decode(&m.model, 9, decoded, 8), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_tensor_decode(&m.model, WS_NO_TENSOR, decoded, 8), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_tensor_decode(&m.model, -2, decoded, 8), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_tensor_decode(&m.model, 1, NULL, 8), WS_ERR_ARGUMENT);

    /* Activation pointers; constants have none. */
    CHECK(ws_tensor_data(&m.model, 0, m.arena) == m.arena);
    CHECK(ws_tensor_data(&m.model, 3, m.arena) == m.arena + 4);
    CHECK(ws_tensor_data(&m.model, 1, m.arena) == NULL);
    CHECK(ws_tensor_data(&m.model, 2, m.arena) == NULL);
    CHECK(ws_tensor_data(&m.model, 4, m.arena) == NULL);
    CHECK(ws_tensor_data(&m.model, WS_NO_TENSOR, m.arena) == NULL);
    CHECK(ws_tensor_data(&m.model, INT32_MIN, m.arena) == NULL);
    CHECK(ws_tensor_data(&m.model, ws_model_output(&m.model, 1), m.arena) == NULL);
    CHECK(ws_tensor_data(&m.model, 0, NULL) == NULL);

    /* Running it: y = W x + b = [1 - 1 + 6 + 0.5, 0 + 0.5 + 3 - 0.5]. */
    tm_set(&m, 0, FLOATS(1, 2, 3));
    CHECK_STATUS(tm_run(&m), WS_OK);
    CHECK_FLOATS(tm_get(&m, 3), FLOATS(6.5f, 3.0f), 2, 1e-6);
    tm_free(&m);
}

/* No metadata, no codebook, no index stream: everything reads as empty. */
static void test_minimal_model(void) {
    tm m;
    ws_stream_info stream;
    ws_metadata meta;
    ws_tensor_info info;
    uint32_t size = 99, index = 99;
    int32_t x, y;
    tm_init(&m);
    x = tm_act(&m, DIMS(2));
    y = tm_act(&m, DIMS(2));
    tm_op(&m, WS_OP_RELU, TENSORS(x), TENSORS(y));
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    CHECK(ws_model_codebook(&m.model, &size) == NULL);
    CHECK_EQ(size, 0);
    ws_model_stream(&m.model, &stream);
    CHECK(stream.bit_width == 0 && stream.count == 0 && stream.bytes == 0);
    CHECK_STATUS(ws_model_index(&m.model, 0, &index), WS_ERR_ARGUMENT); /* no stream: no index 0 */
    CHECK_EQ(index, 99);
    ws_model_metadata(&m.model, &meta);
    CHECK_EQ(meta.format_version, WS_FORMAT_VERSION);
    CHECK(strcmp(meta.tool_version, "") == 0 && strcmp(meta.source_sha256, "") == 0);
    CHECK(strcmp(meta.source_name, "") == 0 && strcmp(meta.metric, "") == 0);
    CHECK(strcmp(meta.solution_json, "") == 0);
    CHECK(meta.k == 0 && meta.m == 0 && meta.seed == 0 && meta.score == 0 && meta.float_score == 0);
    CHECK_STATUS(ws_model_tensor(&m.model, 0, &info), WS_OK);
    CHECK(strcmp(info.name, "") == 0);
    tm_free(&m);
}

static void test_invoke_arguments(void) {
    tm m;
    ws_model empty;
    int32_t x, y;
    tm_init(&m);
    x = tm_act(&m, DIMS(4));
    y = tm_act(&m, DIMS(4));
    tm_op(&m, WS_OP_RELU, TENSORS(x), TENSORS(y));
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    CHECK_EQ(ws_model_arena_bytes(&m.model), 32);

    CHECK_STATUS(ws_invoke(NULL, m.arena, 32), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_invoke(&m.model, NULL, 32), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_invoke(&m.model, (uint8_t *)m.arena + 1, 31), WS_ERR_ALIGNMENT);
    CHECK_STATUS(ws_invoke(&m.model, (uint8_t *)m.arena + 2, 30), WS_ERR_ALIGNMENT);
    CHECK_STATUS(ws_invoke(&m.model, m.arena, 31), WS_ERR_ARENA);
    CHECK_STATUS(ws_invoke(&m.model, m.arena, 0), WS_ERR_ARENA);
    memset(&empty, 0, sizeof empty);
    CHECK_STATUS(ws_invoke(&empty, m.arena, 32), WS_ERR_ARGUMENT);
    tm_set(&m, x, FLOATS(-1, 1, -2, 2));
    CHECK_STATUS(ws_invoke(&m.model, m.arena, 32), WS_OK);
    CHECK_FLOATS(tm_get(&m, y), FLOATS(0, 1, 0, 2), 4, 0);
    tm_free(&m);
}

/* x -> Relu -> y -> Add(y, y) -> z, four floats each: the model of the partial-invocation tests. */
static void relu_then_add(tm *m, int32_t *x, int32_t *y, int32_t *z) {
    tm_init(m);
    *x = tm_act(m, DIMS(4));
    *y = tm_act(m, DIMS(4));
    *z = tm_act(m, DIMS(4));
    tm_op(m, WS_OP_RELU, TENSORS(*x), TENSORS(*y));
    tm_op(m, WS_OP_ADD, TENSORS(*y, *y), TENSORS(*z));
    CHECK_STATUS(tm_finish(m, x, 1, z, 1), WS_OK);
}

/* ws_invoke_partial runs exactly the first n operators: later outputs keep what the arena held. */
static void test_invoke_partial(void) {
    tm m;
    int32_t x, y, z;
    relu_then_add(&m, &x, &y, &z);
    CHECK_STATUS(ws_invoke_partial(NULL, m.arena, 64, 1), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_invoke_partial(&m.model, m.arena, 0, 1), WS_ERR_ARENA);

    tm_set(&m, x, FLOATS(-1, 1, -2, 2));
    tm_set(&m, y, FLOATS(7, 7, 7, 7));
    tm_set(&m, z, FLOATS(9, 9, 9, 9));
    CHECK_STATUS(ws_invoke_partial(&m.model, m.arena, ws_model_arena_bytes(&m.model), 0), WS_OK);
    CHECK_FLOATS(tm_get(&m, y), FLOATS(7, 7, 7, 7), 4, 0);
    CHECK_STATUS(ws_invoke_partial(&m.model, m.arena, ws_model_arena_bytes(&m.model), 1), WS_OK);
    CHECK_FLOATS(tm_get(&m, y), FLOATS(0, 1, 0, 2), 4, 0);
    CHECK_FLOATS(tm_get(&m, z), FLOATS(9, 9, 9, 9), 4, 0);
    CHECK_STATUS(ws_invoke_partial(&m.model, m.arena, ws_model_arena_bytes(&m.model), 1000), WS_OK);
    CHECK_FLOATS(tm_get(&m, z), FLOATS(0, 2, 0, 4), 4, 0);
    tm_free(&m);
}

/* x [1,2] -> Gemm(W raw [3,2], trans_b, bias) -> g [1,3] -> Relu -> r -> Add(r, r) -> z; r on g's bytes when
 * in_place. By hand: W x + b = (1 - 2 + 0.5, 0 + 2 - 0.5, 3 - 2 - 2) = (-0.5, 1.5, -1) for x = (1, -2). */
static void gemm_relu_add(tm *m, int in_place, int32_t *x, int32_t *g, int32_t *r, int32_t *z) {
    int32_t w, b;
    uint32_t g_at;
    tm_init(m);
    *x = tm_act(m, DIMS(1, 2));
    w = tm_raw(m, DIMS(3, 2), FLOATS(1, 1, 0, -1, 3, 1));
    b = tm_raw(m, DIMS(3), FLOATS(0.5f, -0.5f, -2));
    g_at = m->arena_next;
    *g = tm_act(m, DIMS(1, 3));
    *r = in_place ? tm_act_at(m, DIMS(1, 3), g_at) : tm_act(m, DIMS(1, 3));
    *z = tm_act(m, DIMS(1, 3));
    CHECK(wsm_builder_add_gemm(m->b, NULL, TENSORS(*x, w, b), g, 1, 1.0f, 1.0f, 0, 1) >= 0);
    tm_op(m, WS_OP_RELU, TENSORS(*g), TENSORS(*r));
    tm_op(m, WS_OP_ADD, TENSORS(*r, *r), TENSORS(*z));
    CHECK_STATUS(tm_finish(m, x, 1, z, 1), WS_OK);
}

/* A Relu written in place after an operator is applied by that operator (ws_invoke.c, relu_in_place_next): the
 * arena ends the same as with the Relu run on its own, a partial run that stops before the Relu still sees the
 * Gemm's own output, and a Relu that is not in place leaves the Gemm's output as it is. */
static void test_relu_after_operator(void) {
    tm m;
    int32_t x, g, r, z;
    size_t len;

    gemm_relu_add(&m, 1, &x, &g, &r, &z);
    len = ws_model_arena_bytes(&m.model);
    tm_set(&m, x, FLOATS(1, -2));
    CHECK_STATUS(ws_invoke(&m.model, m.arena, len), WS_OK);
    CHECK_FLOATS(tm_get(&m, r), FLOATS(0, 1.5f, 0), 3, 0);
    CHECK_FLOATS(tm_get(&m, z), FLOATS(0, 3, 0), 3, 0);
    CHECK_STATUS(ws_invoke_partial(&m.model, m.arena, len, 1), WS_OK);
    CHECK_FLOATS(tm_get(&m, g), FLOATS(-0.5f, 1.5f, -1), 3, 0);
    tm_set(&m, z, FLOATS(9, 9, 9));
    CHECK_STATUS(ws_invoke_partial(&m.model, m.arena, len, 2), WS_OK);
    CHECK_FLOATS(tm_get(&m, r), FLOATS(0, 1.5f, 0), 3, 0);
    CHECK_FLOATS(tm_get(&m, z), FLOATS(9, 9, 9), 3, 0);
    /* Operators 1 and 2 alone: the Relu reads the g the arena holds. */
    tm_set(&m, g, FLOATS(-4, 4, -0.0f));
    CHECK_STATUS(ws_invoke_operators(&m.model, m.arena, len, 1, 2), WS_OK);
    CHECK_FLOATS(tm_get(&m, z), FLOATS(0, 8, 0), 3, 0);
    tm_free(&m);

    gemm_relu_add(&m, 0, &x, &g, &r, &z);
    tm_set(&m, x, FLOATS(1, -2));
    CHECK_STATUS(ws_invoke(&m.model, m.arena, ws_model_arena_bytes(&m.model)), WS_OK);
    CHECK_FLOATS(tm_get(&m, g), FLOATS(-0.5f, 1.5f, -1), 3, 0);
    CHECK_FLOATS(tm_get(&m, r), FLOATS(0, 1.5f, 0), 3, 0);
    CHECK_FLOATS(tm_get(&m, z), FLOATS(0, 3, 0), 3, 0);
    tm_free(&m);
}

/* ws_invoke_operators runs exactly operators [first, first + count), clipped to the model's. */
static void test_invoke_operators(void) {
    tm m;
    int32_t x, y, z;
    size_t len;
    relu_then_add(&m, &x, &y, &z);
    len = ws_model_arena_bytes(&m.model);
    CHECK_STATUS(ws_invoke_operators(NULL, m.arena, len, 0, 1), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_invoke_operators(&m.model, m.arena, len - 1u, 0, 1), WS_ERR_ARENA);

    tm_set(&m, x, FLOATS(-1, 1, -2, 2));
    tm_set(&m, y, FLOATS(7, 7, 7, 7));
    tm_set(&m, z, FLOATS(9, 9, 9, 9));
    /* Only the Add: it reads the y the arena holds. */
    CHECK_STATUS(ws_invoke_operators(&m.model, m.arena, len, 1, 1), WS_OK);
    CHECK_FLOATS(tm_get(&m, y), FLOATS(7, 7, 7, 7), 4, 0);
    CHECK_FLOATS(tm_get(&m, z), FLOATS(14, 14, 14, 14), 4, 0);
    /* Only the Relu. */
    CHECK_STATUS(ws_invoke_operators(&m.model, m.arena, len, 0, 1), WS_OK);
    CHECK_FLOATS(tm_get(&m, y), FLOATS(0, 1, 0, 2), 4, 0);
    CHECK_FLOATS(tm_get(&m, z), FLOATS(14, 14, 14, 14), 4, 0);
    /* A count past the end and a first past the end are clipped. */
    CHECK_STATUS(ws_invoke_operators(&m.model, m.arena, len, 1, 0xFFFFFFFFu), WS_OK);
    CHECK_FLOATS(tm_get(&m, z), FLOATS(0, 2, 0, 4), 4, 0);
    tm_set(&m, z, FLOATS(9, 9, 9, 9));
    CHECK_STATUS(ws_invoke_operators(&m.model, m.arena, len, 7, 3), WS_OK);
    CHECK_STATUS(ws_invoke_operators(&m.model, m.arena, len, 0, 0), WS_OK);
    CHECK_FLOATS(tm_get(&m, z), FLOATS(9, 9, 9, 9), 4, 0);
    tm_free(&m);
}

static void test_load_arguments(void) {
    tm m;
    ws_model model;
    int32_t x, y;
    uint32_t index;
    tm_init(&m);
    x = tm_act(&m, DIMS(4));
    y = tm_act(&m, DIMS(4));
    tm_op(&m, WS_OP_RELU, TENSORS(x), TENSORS(y));
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);

    CHECK_STATUS(ws_model_load(NULL, m.mem, m.len), WS_ERR_ARGUMENT);
    memset(&model, 0xAB, sizeof model);
    CHECK_STATUS(ws_model_load(&model, NULL, m.len), WS_ERR_ARGUMENT);
    CHECK(model.buf == NULL && model.num_tensors == 0); /* zeroed on error */
    if (sizeof(size_t) > 4) {
        /* 2^31 bytes or more is refused before a single byte is read. */
        CHECK_STATUS(ws_model_load(&model, m.mem, (size_t)1 << 31), WS_ERR_ARGUMENT);
    }
    CHECK_STATUS(ws_model_load(&model, m.mem, m.len), WS_OK);
    CHECK(model.buf == m.mem && model.len == m.len);

    /* Accessors on NULL or a failed load read as empty. */
    memset(&model, 0, sizeof model);
    CHECK_EQ(ws_model_num_tensors(NULL), 0);
    CHECK_EQ(ws_model_num_operators(NULL), 0);
    CHECK_EQ(ws_model_num_inputs(NULL), 0);
    CHECK_EQ(ws_model_num_outputs(NULL), 0);
    CHECK_EQ(ws_model_arena_bytes(NULL), 0);
    CHECK_EQ(ws_model_input(&model, 0), -1);
    CHECK_EQ(ws_model_output(NULL, 0), -1);
    CHECK(ws_model_codebook(NULL, NULL) == NULL);
    CHECK_STATUS(ws_model_index(&model, 0, &index), WS_ERR_ARGUMENT);
    CHECK(ws_tensor_data(&model, 0, m.arena) == NULL);
    tm_free(&m);
}

/* ws_opcode_name: the schema's names, generated from WS_OP_LIST; "unknown" outside it. */
static void test_opcode_names(void) {
    int i;
    CHECK(strcmp(ws_opcode_name(WS_OP_GEMM), "Gemm") == 0);
    CHECK(strcmp(ws_opcode_name(WS_OP_CONV_TRANSPOSE), "ConvTranspose") == 0);
    CHECK(strcmp(ws_opcode_name(WS_OP_PRELU), "PRelu") == 0);
    CHECK(strcmp(ws_opcode_name(WS_OP_CHANNEL_AFFINE), "ChannelAffine") == 0);
    CHECK(strcmp(ws_opcode_name((ws_opcode)WS_OP_COUNT), "unknown") == 0);
    CHECK(strcmp(ws_opcode_name((ws_opcode)200), "unknown") == 0);
    CHECK(strcmp(ws_opcode_name((ws_opcode)-1), "unknown") == 0);
    CHECK(WS_OP_COUNT >= 26); /* codes 0..25 are the format's first opcodes; they are only ever appended to */
    for (i = 0; i < (int)WS_OP_COUNT; i++) CHECK(strcmp(ws_opcode_name((ws_opcode)i), "unknown") != 0);
}

int main(void) {
    test_opcode_names();
    test_accessors();
    test_minimal_model();
    test_invoke_arguments();
    test_invoke_partial();
    test_invoke_operators();
    test_relu_after_operator();
    test_load_arguments();
    return ws_test_finish();
}
