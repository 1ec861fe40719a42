/*
 * Differential check against the official flatbuffers::Verifier: valid files, mutated deterministically (1-4
 * bytes changed, or truncated), with the CRC field re-patched so that the structural checks are what is tested.
 * Whenever the official Verifier rejects a buffer, ws_model_load() must reject it too. Every buffer the runtime
 * accepts is then used: accessors, constant decoding and ws_invoke() must not read or write out of bounds
 * (this binary also runs under AddressSanitizer/UBSan).
 */
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "ws_test.h"

#define MUTATIONS 30000
#define NUM_MODELS 11

typedef struct {
    uint8_t *data;
    size_t len;
} blob;

static blob keep(tm *m) {
    blob b;
    b.data = aligned_copy(m->mem, m->len, 0);
    b.len = m->len;
    tm_free(m);
    return b;
}

/* An MLP with every optional part: names, metadata, options, shared and raw constants. */
static blob model_mlp(void) {
    static const wsm_metadata meta = {"wsc 0.1", "0123abcd", "mlp.onnx", "accuracy", "{\"k\":6,\"merges\":[]}", 6, 6,
                                      7, 0.9, 0.91};
    tm m;
    int32_t x, w1, b1, h1, r1, w2, y, p;
    tm_init(&m);
    tm_codebook(&m, FLOATS(-1, -0.5f, 0, 0.5f, 1, 2), 6);
    x = tm_act(&m, DIMS(1, 4));
    w1 = tm_shared(&m, DIMS(3, 4), FLOATS(1, 0, -1, 2, 0.5f, 0.5f, 0, -1, -1, -1, 1, 0));
    b1 = tm_raw(&m, DIMS(3), FLOATS(0.5f, -2, 1));
    h1 = tm_act(&m, DIMS(1, 3));
    r1 = tm_act_at(&m, DIMS(1, 3), 16); /* in place over h1 */
    w2 = tm_shared(&m, DIMS(3, 2), FLOATS(1, 2, 0, -1, 0.5f, 0));
    y = tm_act(&m, DIMS(1, 2));
    p = tm_act(&m, DIMS(1, 2));
    tm_gemm(&m, TENSORS(x, w1, b1), h1, 1, 1, 0, 1);
    tm_op(&m, WS_OP_RELU, TENSORS(h1), TENSORS(r1));
    tm_gemm(&m, TENSORS(r1, w2, -1), y, 0.5f, 1, 0, 0);
    tm_softmax(&m, y, p, 1, 1);
    m.metadata = &meta;
    if (tm_finish(&m, &x, 1, &p, 1) != WS_OK) abort();
    return keep(&m);
}

/* MatMul over a 3-D input, broadcast Add, Reshape, Softmax on an inner axis. */
static blob model_mix(void) {
    tm m;
    int32_t x, w, s, bias, a, r, p;
    tm_init(&m);
    tm_codebook(&m, FLOATS(-2, -1, 0, 1, 2, 3, 4, 5, 6), 9);
    x = tm_act(&m, DIMS(2, 3, 2));
    w = tm_shared(&m, DIMS(2, 3), FLOATS(1, 0, -1, 2, 6, -2));
    s = tm_act(&m, DIMS(2, 3, 3));
    bias = tm_raw(&m, DIMS(3), FLOATS(0.25f, 0.5f, 0.75f));
    a = tm_act(&m, DIMS(2, 3, 3));
    r = tm_act(&m, DIMS(3, 6));
    p = tm_act(&m, DIMS(3, 6));
    tm_op(&m, WS_OP_MATMUL, TENSORS(x, w), TENSORS(s));
    tm_op(&m, WS_OP_ADD, TENSORS(s, bias), TENSORS(a));
    tm_op(&m, WS_OP_RESHAPE, TENSORS(a), TENSORS(r));
    tm_softmax(&m, r, p, 0, 0);
    if (tm_finish(&m, &x, 1, TENSORS(p, s)) != WS_OK) abort();
    return keep(&m);
}

/* Gemm with trans_a, an activation C and a raw B; two graph inputs. */
static blob model_gemm(void) {
    tm m;
    int32_t a, b, c, y, z;
    tm_init(&m);
    a = tm_act(&m, DIMS(3, 2));
    c = tm_act(&m, DIMS(2, 1));
    y = tm_act(&m, DIMS(2, 4));
    z = tm_act_at(&m, DIMS(8), 48); /* Reshape in place over y */
    b = tm_raw(&m, DIMS(3, 4), FLOATS(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12));
    wsm_builder_add_gemm(m.b, NULL, TENSORS(a, b, c), &y, 1, 2.0f, -1.0f, 1, 0);
    tm_op(&m, WS_OP_RESHAPE, TENSORS(y), TENSORS(z));
    if (tm_finish(&m, TENSORS(a, c), &z, 1) != WS_OK) abort();
    return keep(&m);
}

/* Both feature bits: a shared Gemm B with exact outliers and a Conv whose epilogue scale has one element. */
static blob model_features(void) {
    tm m;
    int32_t a, b, y, x, w, z;
    tm_init(&m);
    m.features = WS_FEATURE_OUTLIERS | WS_FEATURE_SCALAR_SCALE;
    tm_codebook(&m, FLOATS(-1, 0, 1, 2), 4);
    a = tm_act(&m, DIMS(1, 3));
    b = tm_shared_outliers(&m, DIMS(3, 2), (const uint32_t[]){0, 1, 2, 3, 1, 2}, (const uint32_t[]){1, 4},
                           FLOATS(10, -7.5f), 2);
    y = tm_act(&m, DIMS(1, 2));
    wsm_builder_add_gemm(m.b, NULL, TENSORS(a, b), &y, 1, 1.0f, 1.0f, 0, 0);
    x = tm_act(&m, DIMS(1, 1, 2, 2));
    w = tm_shared_outliers(&m, DIMS(2, 1, 1, 1), (const uint32_t[]){2, 3}, (const uint32_t[]){0}, FLOATS(0.5f), 1);
    z = tm_act(&m, DIMS(1, 2, 2, 2));
    wsm_builder_add_conv(m.b, WS_OP_CONV, NULL, TENSORS(x, w, -1, tm_raw(&m, DIMS(1), FLOATS(3))), &z, 1, 1,
                         (const uint32_t[]){1, 1}, (const uint32_t[]){1, 1}, (const uint32_t[]){0, 0, 0, 0}, NULL, 2);
    if (tm_finish(&m, TENSORS(a, x), TENSORS(y, z)) != WS_OK) abort();
    return keep(&m);
}

/* Feature HUFFMAN: a fixed-width shared tensor, then a Huffman-coded Gemm B and a coded Conv W (code lengths
 * 2, 1, 3, 3: codes 10, 0, 110, 111). */
static blob model_huffman(void) {
    tm m;
    int32_t a, b, y, x, w, z, f;
    tm_init(&m);
    tm_codebook(&m, FLOATS(-1, 0, 1, 2), 4);
    f = tm_shared_indices(&m, DIMS(2, 2), (const uint32_t[]){3, 2, 1, 0});
    tm_code(&m, (const uint8_t[]){2, 1, 3, 3}, 4);
    a = tm_act(&m, DIMS(1, 3));
    b = tm_shared_coded(&m, DIMS(3, 2), (const uint32_t[]){0, 1, 2, 3, 1, 1});
    y = tm_act(&m, DIMS(1, 2));
    wsm_builder_add_gemm(m.b, NULL, TENSORS(a, b), &y, 1, 1.0f, 1.0f, 0, 0);
    x = tm_act(&m, DIMS(1, 2, 3, 3));
    w = tm_shared_coded(&m, DIMS(3, 2, 2, 2), (const uint32_t[]){1, 1, 0, 2, 3, 1, 1, 1, 0, 0, 1, 2, 1, 1, 1, 3, 1, 1,
                                                              0, 1, 1, 2, 1, 1});
    z = tm_act(&m, DIMS(1, 3, 2, 2));
    wsm_builder_add_conv(m.b, WS_OP_CONV, NULL, TENSORS(x, w), &z, 1, 1, NULL, NULL, NULL, NULL, 2);
    (void)f;
    if (tm_finish(&m, TENSORS(a, x), TENSORS(y, z)) != WS_OK) abort();
    return keep(&m);
}

/* Feature HALF_RAW: a Gemm's C and S and a Conv's bias and S stored as binary16. */
static blob model_half(void) {
    tm m;
    int32_t a, b, y, x, w, z;
    tm_init(&m);
    m.features = WS_FEATURE_HALF_RAW;
    tm_codebook(&m, FLOATS(-1, 0, 1, 2), 4);
    a = tm_act(&m, DIMS(1, 3));
    b = tm_shared(&m, DIMS(3, 2), FLOATS(-1, 0, 1, 2, 0, 1));
    y = tm_act(&m, DIMS(1, 2));
    wsm_builder_add_gemm(m.b, NULL,
                         TENSORS(a, b, tm_raw_half(&m, DIMS(2), (const uint16_t[]){0x3400u, 0xBE00u}),
                                 tm_raw_half(&m, DIMS(2), (const uint16_t[]){0x4000u, 0x3555u})),
                         &y, 1, 0.5f, 2.0f, 0, 0);
    x = tm_act(&m, DIMS(1, 1, 2, 2));
    w = tm_shared(&m, DIMS(2, 1, 1, 1), FLOATS(1, 2));
    z = tm_act(&m, DIMS(1, 2, 2, 2));
    wsm_builder_add_conv(m.b, WS_OP_CONV, NULL,
                         TENSORS(x, w, tm_raw_half(&m, DIMS(2), (const uint16_t[]){0x0001u, 0xFBFFu}),
                                 tm_raw_half(&m, DIMS(2), (const uint16_t[]){0x3C00u, 0x8400u})),
                         &z, 1, 1, (const uint32_t[]){1, 1}, (const uint32_t[]){1, 1}, (const uint32_t[]){0, 0, 0, 0},
                         NULL, 2);
    if (tm_finish(&m, TENSORS(a, x), TENSORS(y, z)) != WS_OK) abort();
    return keep(&m);
}

/* The smallest kind of file: no codebook, no stream, no metadata. */
static blob model_tiny(void) {
    tm m;
    int32_t x, y;
    tm_init(&m);
    x = tm_act(&m, DIMS(4));
    y = tm_act_at(&m, DIMS(4), 0);
    tm_op(&m, WS_OP_RELU, TENSORS(x), TENSORS(y));
    if (tm_finish(&m, &x, 1, &y, 1) != WS_OK) abort();
    return keep(&m);
}

#define U32(...) ((const uint32_t[]){__VA_ARGS__})

/* The CNN op set: Conv (shared W, B, S), Clip in place, MaxPool (ceil), ConvTranspose, Resize, Pad, Concat,
 * Transpose, ChannelAffine, PRelu, GlobalAveragePool, Gemm with S. */
static blob model_cnn(void) {
    static float w1[3 * 1 * 3 * 3], wt[3 * 2 * 2 * 2];
    tm m;
    int32_t x, c1, r1, p1, ct, rs, pd, cat, tr, ca, pr, g, f, y;
    uint32_t i;
    for (i = 0; i < 27; i++) w1[i] = (float)(i % 5) - 2.0f;
    for (i = 0; i < 24; i++) wt[i] = (float)(i % 3) * 0.5f;
    tm_init(&m);
    tm_codebook(&m, FLOATS(-2, -1, 0, 0.5f, 1, 2), 6);
    x = tm_act(&m, DIMS(1, 1, 6, 6));
    c1 = tm_act(&m, DIMS(1, 3, 6, 6));
    r1 = tm_act_at(&m, DIMS(1, 3, 6, 6), 144); /* in place over c1 */
    p1 = tm_act(&m, DIMS(1, 3, 3, 3));
    ct = tm_act(&m, DIMS(1, 2, 6, 6));
    rs = tm_act(&m, DIMS(1, 3, 6, 6));
    pd = tm_act(&m, DIMS(1, 2, 6, 6));
    cat = tm_act(&m, DIMS(1, 5, 6, 6));
    tr = tm_act(&m, DIMS(1, 6, 6, 5));
    ca = tm_act(&m, DIMS(1, 6, 6, 5));
    pr = tm_act(&m, DIMS(1, 6, 6, 5));
    g = tm_act(&m, DIMS(1, 6, 1, 1));
    f = tm_act(&m, DIMS(1, 6));
    y = tm_act(&m, DIMS(1, 2));
    wsm_builder_add_conv(m.b, WS_OP_CONV, "conv", TENSORS(x, tm_shared(&m, DIMS(3, 1, 3, 3), w1),
                                                          tm_raw(&m, DIMS(3), FLOATS(0.5f, 0, -0.5f)),
                                                          tm_raw(&m, DIMS(3), FLOATS(1, 2, 0.5f))),
                         &c1, 1, 1, U32(1, 1), U32(1, 1), U32(1, 1, 1, 1), NULL, 2);
    wsm_builder_add_activation_op(m.b, WS_OP_CLIP, "relu6", &c1, 1, &r1, 1, 0, 6);
    wsm_builder_add_pool(m.b, WS_OP_MAX_POOL, "pool", &r1, 1, &p1, 1, U32(2, 2), U32(2, 2), NULL, NULL, 2, 0);
    wsm_builder_add_conv(m.b, WS_OP_CONV_TRANSPOSE, "up", TENSORS(p1, tm_shared(&m, DIMS(3, 2, 2, 2), wt), -1), &ct,
                         1, 1, U32(2, 2), NULL, NULL, U32(0, 0), 2);
    wsm_builder_add_resize(m.b, "resize", &p1, 1, &rs, 1, 1, 0, 0, NULL, 0);
    wsm_builder_add_pad(m.b, "pad", TENSORS(ct), &pd, 1, 1, U32(0, 0, 0, 0, 0, 0, 0, 0), 8, 0);
    wsm_builder_add_concat(m.b, "cat", TENSORS(rs, pd), &cat, 1, 1);
    wsm_builder_add_transpose(m.b, "t", TENSORS(cat), &tr, 1, U32(0, 3, 2, 1), 4);
    tm_op(&m, WS_OP_CHANNEL_AFFINE, TENSORS(tr, tm_raw(&m, DIMS(6), FLOATS(1, 2, 3, 4, 5, 6)),
                                            tm_raw(&m, DIMS(6), FLOATS(0, 0, 1, 1, 2, 2))), TENSORS(ca));
    tm_op(&m, WS_OP_PRELU, TENSORS(ca, tm_raw(&m, DIMS(6, 1, 1), FLOATS(0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f))),
          TENSORS(pr));
    tm_op(&m, WS_OP_GLOBAL_AVERAGE_POOL, TENSORS(pr), TENSORS(g));
    tm_op(&m, WS_OP_RESHAPE, TENSORS(g), TENSORS(f));
    tm_gemm(&m, TENSORS(f, tm_shared(&m, DIMS(2, 6), FLOATS(1, 0, -1, 2, 0.5f, 0, 0, 1, 1, -2, 0, 0.5f)), -1,
                        tm_raw(&m, DIMS(2), FLOATS(2, 0.5f))), y, 1, 1, 0, 1);
    if (tm_finish(&m, &x, 1, TENSORS(y, cat)) != WS_OK) abort();
    return keep(&m);
}

/* Element-wise ops with broadcasting and activations, AveragePool with pads, Sub/Mul/Div in place. */
static blob model_elementwise(void) {
    tm m;
    int32_t x, a, s, mu, d, hs, sg, th, lr, hg, ap, ps;
    tm_init(&m);
    x = tm_act(&m, DIMS(1, 2, 4, 4));
    a = tm_act(&m, DIMS(1, 2, 4, 4));
    s = tm_act_at(&m, DIMS(1, 2, 4, 4), 128); /* over a */
    mu = tm_act_at(&m, DIMS(1, 2, 4, 4), 128);
    d = tm_act_at(&m, DIMS(1, 2, 4, 4), 128);
    hs = tm_act(&m, DIMS(1, 2, 4, 4));
    sg = tm_act_at(&m, DIMS(1, 2, 4, 4), 256);
    th = tm_act_at(&m, DIMS(1, 2, 4, 4), 256);
    lr = tm_act_at(&m, DIMS(1, 2, 4, 4), 256);
    hg = tm_act_at(&m, DIMS(1, 2, 4, 4), 256);
    ap = tm_act(&m, DIMS(1, 2, 3, 3));
    ps = tm_act(&m, DIMS(1, 2, 2, 2));
    tm_op(&m, WS_OP_ADD, TENSORS(x, tm_raw(&m, DIMS(4), FLOATS(1, 2, 3, 4))), TENSORS(a));
    tm_op(&m, WS_OP_SUB, TENSORS(a, tm_raw(&m, DIMS(2, 1, 1), FLOATS(1, -1))), TENSORS(s));
    tm_op(&m, WS_OP_MUL, TENSORS(s, x), TENSORS(mu));
    tm_op(&m, WS_OP_DIV, TENSORS(mu, tm_raw(&m, DIMS(1), FLOATS(4))), TENSORS(d));
    tm_op(&m, WS_OP_HARD_SWISH, TENSORS(d), TENSORS(hs));
    tm_op(&m, WS_OP_SIGMOID, TENSORS(hs), TENSORS(sg));
    tm_op(&m, WS_OP_TANH, TENSORS(sg), TENSORS(th));
    wsm_builder_add_activation_op(m.b, WS_OP_LEAKY_RELU, "lr", &th, 1, &lr, 1, 0.01f, 0);
    wsm_builder_add_activation_op(m.b, WS_OP_HARD_SIGMOID, "hg", &lr, 1, &hg, 1, 0.2f, 0.5f);
    wsm_builder_add_pool(m.b, WS_OP_AVERAGE_POOL, "ap", &hg, 1, &ap, 1, U32(3, 3), U32(2, 2), U32(1, 1),
                         U32(1, 1, 1, 1), 2, 1);
    wsm_builder_add_pool(m.b, WS_OP_MAX_POOL, "mp", &ap, 1, &ps, 1, U32(2, 2), U32(1, 1), U32(1, 1), NULL, 2, 0);
    if (tm_finish(&m, &x, 1, TENSORS(ps)) != WS_OK) abort();
    return keep(&m);
}

/* Slice (negative steps), Gather and Tile: the index-picking copies with their options vectors. */
static blob model_slice(void) {
    tm m;
    int32_t x, s, g, t;
    tm_init(&m);
    x = tm_act(&m, DIMS(1, 4, 3, 3));
    s = tm_act(&m, DIMS(1, 2, 3, 2));
    g = tm_act(&m, DIMS(1, 2, 3, 3));
    t = tm_act(&m, DIMS(2, 2, 6, 3));
    wsm_builder_add_slice(m.b, "slice", &x, 1, &s, 1, U32(0, 3, 0, 2), (const int32_t[]){1, -2, 1, -1}, 4);
    wsm_builder_add_gather(m.b, "gather", &s, 1, &g, 1, 3, U32(1, 0, 1), 3);
    tm_op(&m, WS_OP_TILE, &g, 1, &t, 1);
    if (tm_finish(&m, &x, 1, &t, 1) != WS_OK) abort();
    return keep(&m);
}

/* Multi-output recurrent operators: a bidirectional Lstm with shared W and R, initial state from the graph,
 * peepholes and Y; its Y reshaped into a batch-first Gru (linear_before_reset) that leaves Y out. */
static blob model_recurrent(void) {
    tm m;
    float w[96], r[96];
    int32_t in[7], out[4], x, h0, yh, yc, ws, y, y3, gh, gws;
    uint32_t i;
    for (i = 0; i < 96; i++) w[i] = r[i] = (float)(i % 5) * 0.25f - 0.5f;
    tm_init(&m);
    tm_codebook(&m, FLOATS(-0.5f, -0.25f, 0, 0.25f, 0.5f), 5);
    x = tm_act(&m, DIMS(3, 1, 2));
    h0 = tm_act(&m, DIMS(2, 1, 2));
    in[0] = x;
    in[1] = tm_shared(&m, DIMS(2, 8, 2), w);
    in[2] = tm_shared(&m, DIMS(2, 8, 2), r);
    in[3] = tm_raw(&m, DIMS(2, 16), w);
    in[4] = h0;
    in[5] = -1;
    in[6] = tm_raw(&m, DIMS(2, 6), r);
    out[0] = yh = tm_act(&m, DIMS(2, 1, 2));
    out[1] = yc = tm_act(&m, DIMS(2, 1, 2));
    out[2] = ws = tm_act(&m, DIMS(1, 8));
    out[3] = y = tm_act(&m, DIMS(3, 2, 1, 2));
    if (wsm_builder_add_recurrent(m.b, WS_OP_LSTM, "lstm", in, 7, out, 4, 2, 0, 0) != 0) abort();
    y3 = tm_act(&m, DIMS(1, 3, 4));
    tm_op(&m, WS_OP_RESHAPE, TENSORS(y), TENSORS(y3));
    in[0] = y3;
    in[1] = tm_raw(&m, DIMS(1, 6, 4), w);
    in[2] = tm_raw(&m, DIMS(1, 6, 2), r);
    out[0] = gh = tm_act(&m, DIMS(1, 1, 2));
    out[1] = gws = tm_act(&m, DIMS(1, 14));
    if (wsm_builder_add_recurrent(m.b, WS_OP_GRU, "gru", in, 3, out, 2, 0, 1, 1) != 0) abort();
    (void)ws, (void)gws;
    if (tm_finish(&m, TENSORS(x, h0), TENSORS(gh, yc)) != WS_OK) abort();
    return keep(&m);
}

/* Uses everything an accepted model offers; ASan/UBSan catch what verification let through. */
static void exercise(const ws_model *model) {
    ws_tensor_info info;
    ws_operator_info op;
    ws_stream_info stream;
    ws_metadata meta;
    uint32_t i, size, arena_bytes = ws_model_arena_bytes(model);
    volatile float sink = 0;

    ws_model_stream(model, &stream);
    ws_model_metadata(model, &meta);
    sink += (float)strlen(meta.tool_version) + (float)strlen(meta.solution_json) + (float)strlen(meta.metric);
    (void)ws_model_codebook(model, &size);
    for (i = 0; i < stream.count; i++) {
        uint32_t index = 0;
        if (ws_model_index(model, i, &index) == WS_OK) sink += (float)index;
    }
    for (i = 0; i < ws_model_num_operators(model); i++) {
        uint32_t j;
        ws_model_operator(model, i, &op);
        sink += (float)strlen(op.name) + (float)strlen(ws_opcode_name(op.opcode));
        for (j = 0; j < op.num_inputs; j++) sink += (float)ws_model_operator_input(model, i, j);
    }
    for (i = 0; i < ws_model_num_tensors(model); i++) {
        ws_model_tensor(model, (ws_tensor_id)i, &info);
        sink += (float)strlen(info.name);
        if (info.kind != WS_TENSOR_ACTIVATION && info.elements <= (1u << 20)) {
            float *values = (float *)malloc(info.elements * sizeof(float));
            if (values && ws_tensor_decode(model, (ws_tensor_id)i, values, info.elements) == WS_OK) sink += values[0];
            free(values);
        }
    }
    if (arena_bytes <= (16u << 20)) {
        /* Exactly arena_bytes (or one word for an empty arena): ASan flags any access past it. */
        size_t words = arena_bytes / 4 + (arena_bytes == 0);
        float *arena = (float *)malloc(words * sizeof(float));
        if (arena) {
            for (i = 0; i < words; i++) arena[i] = (float)(i % 7) - 3.0f;
            if (ws_invoke(model, arena, arena_bytes) != WS_OK) abort();
            free(arena);
        }
    }
    (void)sink;
}

/* Short names for the statistics, indexed by -status. */
static const char *const status_names[] = {
#define STATUS_NAME(name, value, text) #name,
    WS_STATUS_LIST(STATUS_NAME)
#undef STATUS_NAME
};

/* `test_fuzz --corpus DIR`: writes the eleven models and small chains (valid, read before write, written twice) to
 * DIR as the libFuzzer seed corpus (tests/fuzz/corpus, `make fuzz-corpus`). */
static int write_file(const char *dir, const char *name, const uint8_t *data, size_t len) {
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s.wsm", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    return 0;
}

static int write_corpus(const char *dir, blob *models) {
    static const char *const names[NUM_MODELS] = {"mlp",         "mix",      "gemm",  "tiny",     "cnn",
                                                  "elementwise", "features", "slice", "recurrent", "huffman",
                                                  "half"};
    static const char *const chains[3] = {"chain", "chain_read_before_write", "chain_write_twice"};
    int k, bad = 0;
    for (k = 0; k < NUM_MODELS; k++) bad |= write_file(dir, names[k], models[k].data, models[k].len);
    for (k = CHAIN_VALID; k <= CHAIN_WRITE_TWICE; k++) {
        size_t len;
        uint8_t *file = chain_model(6, k, &len);
        bad |= write_file(dir, chains[k], file, len);
        free_copy(file, 0);
    }
    return bad;
}

int main(int argc, char **argv) {
    blob models[NUM_MODELS];
    lcg g = {0x5EED};
    static const uint8_t interesting[] = {0x00, 0xFF, 0x7F, 0x80, 0x01, 0x02, 0x04, 0x08, 0x10, 0xFE};
    unsigned long official_rejects = 0, both_reject = 0, only_ours = 0, both_accept = 0, violations = 0, patched = 0;
    unsigned long stricter_layout = 0;
    unsigned long by_status[17] = {0};
    int i, k;

    models[0] = model_mlp();
    models[1] = model_mix();
    models[2] = model_gemm();
    models[3] = model_tiny();
    models[4] = model_cnn();
    models[5] = model_elementwise();
    models[6] = model_features();
    models[7] = model_slice();
    models[8] = model_recurrent();
    models[9] = model_huffman();
    models[10] = model_half();
    for (k = 0; k < NUM_MODELS; k++) {
        ws_model model;
        CHECK(wsm_flatbuffers_verify(models[k].data, models[k].len));
        CHECK_STATUS(ws_model_load(&model, models[k].data, models[k].len), WS_OK);
    }
    if (argc == 3 && strcmp(argv[1], "--corpus") == 0) return write_corpus(argv[2], models);

    for (i = 0; i < MUTATIONS; i++) {
        const blob *base = &models[i % NUM_MODELS];
        size_t len = base->len;
        uint8_t *buf;
        ws_model model;
        ws_status ours;
        int official;

        if (lcg_below(&g, 10) == 0) {
            len = lcg_below(&g, (uint32_t)base->len); /* truncation */
            buf = aligned_copy(base->data, len, 0);
        } else {
            int changes = 1 + (int)lcg_below(&g, 4), c;
            buf = aligned_copy(base->data, len, 0);
            for (c = 0; c < changes; c++) {
                size_t pos = lcg_below(&g, (uint32_t)len);
                switch (lcg_below(&g, 4)) {
                case 0:
                case 1:
                    buf[pos] = (uint8_t)lcg_next(&g);
                    break;
                case 2:
                    buf[pos] ^= (uint8_t)(1u << lcg_below(&g, 8));
                    break;
                default:
                    buf[pos] = interesting[lcg_below(&g, sizeof interesting)];
                    break;
                }
            }
        }
        patched += (unsigned long)patch_crc(buf, len);

        official = wsm_flatbuffers_verify(buf, len);
        ours = load_both_paths(&model, buf, len, NULL); /* the scan and the scratch path must agree */
        by_status[-(int)ours]++;
        if (!official) {
            official_rejects++;
            if (ours == WS_OK) {
                if (violations++ < 10) fprintf(stderr, "  mutation %d: only the official Verifier rejects\n", i);
            } else {
                both_reject++;
            }
        } else if (ours != WS_OK) {
            only_ours++;
            if (ours == WS_ERR_LAYOUT || ours == WS_ERR_TRUNCATED) {
                /* Stricter than the official Verifier on purpose only: vtable size < 4, union type/value. */
                stricter_layout++;
                if (getenv("WS_FUZZ_VERBOSE")) fprintf(stderr, "  mutation %d: layout refused\n", i);
            }
        } else {
            both_accept++;
        }
        if (ours == WS_OK) exercise(&model);
        free_copy(buf, 0);
    }

    printf("differential: %d mutations (%lu with the CRC re-patched)\n", MUTATIONS, patched);
    printf("  official Verifier rejected %lu, runtime rejected all of them: %s\n", official_rejects,
           violations ? "NO" : "yes");
    printf("  runtime rejected %lu more (%lu of them for layout), both accepted %lu\n", only_ours, stricter_layout,
           both_accept);
    printf("  runtime statuses:");
    for (k = 0; k < 17; k++)
        if (by_status[k]) printf(" %s=%lu", status_names[k], by_status[k]);
    printf("\n");

    CHECK_EQ(violations, 0);
    CHECK_EQ(both_reject, official_rejects);
    /* The CRC patching must let many mutations reach the structural checks, and some reach the end. */
    CHECK(by_status[-WS_ERR_LAYOUT] + by_status[-WS_ERR_TRUNCATED] > MUTATIONS / 50);
    CHECK(both_accept > 0);
    CHECK(official_rejects > MUTATIONS / 50);
    for (k = 0; k < NUM_MODELS; k++) free_copy(models[k].data, 0);
    return ws_test_finish();
}
