/*
 * ws_model_load() on malformed files: truncations, byte flips, header problems, and files with a valid CRC but
 * bad content (written through the official builder, so the CRC is right and the specific check must fire).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "ws_test.h"

/* Every ws_model_load() of this file, and every tm_finish(), verifies through both paths (the scan and the
 * scratch), which must agree on the status and ws_load_error (load_both_paths aborts otherwise). */
#define ws_model_load(model, buf, len) load_both_paths(model, buf, len, NULL)

/* x [1,4] -> Gemm(W shared [3,4], trans_b, bias raw [3]) -> h [1,3] -> Relu -> y [1,3]. Valid. */
static void mlp_parts(tm *m, int32_t *x, int32_t *y) {
    int32_t w, b, h;
    tm_codebook(m, FLOATS(-1, 0, 1, 2), 4);
    *x = tm_act(m, DIMS(1, 4));
    w = tm_shared(m, DIMS(3, 4), FLOATS(1, 0, -1, 2, 0, 1, 2, -1, 2, 2, 0, 1));
    b = tm_raw(m, DIMS(3), FLOATS(0.5f, -0.5f, 1));
    h = tm_act(m, DIMS(1, 3));
    *y = tm_act(m, DIMS(1, 3));
    tm_gemm(m, TENSORS(*x, w, b), h, 1, 1, 0, 1);
    tm_op(m, WS_OP_RELU, TENSORS(h), TENSORS(*y));
}

/* Builds the MLP with the statements in `...` applied to `m` before finishing, checks the status, then runs the
 * statements `after` (which may read the harness `mlp_`). */
#define MLP_RUN(expected, after, ...)                              \
    do {                                                           \
        tm mlp_;                                                   \
        int32_t x_, y_;                                            \
        tm_init(&mlp_);                                            \
        mlp_parts(&mlp_, &x_, &y_);                                \
        {                                                          \
            tm *m = &mlp_;                                         \
            __VA_ARGS__;                                           \
        }                                                          \
        CHECK_STATUS(tm_finish(&mlp_, &x_, 1, &y_, 1), expected);  \
        after;                                                     \
        tm_free(&mlp_);                                            \
    } while (0)

/* The MLP with the statements in `...`, expecting the status `expected`. */
#define MLP_CASE(expected, ...) MLP_RUN(expected, (void)0, __VA_ARGS__)

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (rd16(p + 2) << 16); }

static size_t find_bytes(const uint8_t *buf, size_t len, const void *pattern, size_t n) {
    size_t i;
    for (i = 0; i + n <= len; i++)
        if (memcmp(buf + i, pattern, n) == 0) return i;
    return (size_t)-1;
}

/* ---- corruption of a valid file ------------------------------------------------------------------------- */

static void test_truncations(void) {
    tm m;
    int32_t x, y;
    size_t n, accepted = 0;
    ws_model model;
    tm_init(&m);
    mlp_parts(&m, &x, &y);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    for (n = 0; n < m.len; n++) {
        uint8_t *copy = aligned_copy(m.mem, n, 0); /* exact-size block: ASan sees any read past n */
        if (ws_model_load(&model, copy, n) == WS_OK) accepted++;
        free_copy(copy, 0);
    }
    CHECK_EQ(accepted, 0);
    printf("truncations: %zu lengths, all rejected\n", m.len);
    tm_free(&m);
}

static void test_byte_flips(void) {
    tm m;
    int32_t x, y;
    size_t i, root, vtable, vsize, accepted = 0, not_crc = 0, header = 0;
    ws_model model;
    uint8_t *copy;
    tm_init(&m);
    mlp_parts(&m, &x, &y);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    /* Bytes read before the CRC can be checked: root offset, identifier, the root's soffset and its vtable. */
    root = rd32(m.mem);
    vtable = root - (size_t)(int32_t)rd32(m.mem + root);
    vsize = rd16(m.mem + vtable);
    copy = aligned_copy(m.mem, m.len, 0);
    for (i = 0; i < m.len; i++) {
        int before_crc = i < 8 || (i >= root && i < root + 4) || (i >= vtable && i < vtable + vsize);
        ws_status s;
        copy[i] ^= 0xFF;
        s = ws_model_load(&model, copy, m.len);
        copy[i] ^= 0xFF;
        if (s == WS_OK) accepted++;
        if (before_crc) header++;
        else if (s != WS_ERR_CRC) {
            not_crc++;
            fprintf(stderr, "  flip at %zu: %s\n", i, ws_status_string(s));
        }
    }
    CHECK_EQ(accepted, 0);
    CHECK_EQ(not_crc, 0);
    CHECK(header < m.len / 4); /* the common case really is the CRC */
    CHECK_STATUS(ws_model_load(&model, copy, m.len), WS_OK);
    printf("byte flips: %zu positions, all rejected, %zu before the CRC field is located\n", m.len, header);
    free_copy(copy, 0);
    tm_free(&m);
}

static void test_header(void) {
    tm m;
    int32_t x, y;
    ws_model model;
    uint8_t *copy;
    size_t misalign;
    tm_init(&m);
    mlp_parts(&m, &x, &y);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);

    copy = aligned_copy(m.mem, m.len, 0);
    copy[4] = 'X';
    CHECK_STATUS(ws_model_load(&model, copy, m.len), WS_ERR_IDENTIFIER);
    copy[4] = 'W';
    copy[7] = '2';
    CHECK_STATUS(ws_model_load(&model, copy, m.len), WS_ERR_IDENTIFIER);
    copy[7] = '1';
    CHECK_STATUS(ws_model_load(&model, copy, m.len), WS_OK);
    /* Root offset outside the buffer. */
    copy[0] = 0xF0;
    copy[1] = 0xFF;
    CHECK_STATUS(ws_model_load(&model, copy, m.len), WS_ERR_TRUNCATED);
    free_copy(copy, 0);

    for (misalign = 1; misalign < 4; misalign++) {
        copy = aligned_copy(m.mem, m.len, misalign);
        CHECK_STATUS(ws_model_load(&model, copy, m.len), WS_ERR_ALIGNMENT);
        free_copy(copy, misalign);
    }
    CHECK_STATUS(ws_model_load(&model, m.mem, 7), WS_ERR_TRUNCATED);
    tm_free(&m);

    MLP_CASE(WS_ERR_VERSION, m->version = 0);
    MLP_CASE(WS_ERR_VERSION, m->version = WS_FORMAT_VERSION + 1);
    MLP_CASE(WS_ERR_VERSION, m->version = 0xFFFFFFFFu);
    MLP_CASE(WS_OK, m->version = WS_FORMAT_VERSION);
    MLP_CASE(WS_OK, m->features = WS_KNOWN_FEATURES);
    MLP_CASE(WS_ERR_FEATURE, m->features = (uint64_t)1 << 4); /* the first bit no runtime knows yet */
    MLP_CASE(WS_ERR_FEATURE, m->features = (uint64_t)1 << 63);
}

/* Hand-made layout damage, with the CRC recomputed so that the structural checks are what fires. */
static void test_layout(void) {
    tm m;
    int32_t x, y, w;
    ws_model model;
    uint8_t *copy;
    size_t pos, root, vtable;
    tm_init(&m);
    tm_codebook(&m, FLOATS(-1, 0, 1, 2), 4);
    x = wsm_builder_add_activation(m.b, "input", DIMS(1, 4), 0);
    w = wsm_builder_add_shared(m.b, "weightname", DIMS(2, 4), 0);
    memset(m.indices, 0, 8 * sizeof(uint32_t));
    m.count = 8;
    y = wsm_builder_add_activation(m.b, "output", DIMS(1, 2), 16);
    m.arena_bytes = 24;
    tm_gemm(&m, TENSORS(x, w), y, 1, 1, 0, 1);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    root = rd32(m.mem);
    vtable = root - (size_t)(int32_t)rd32(m.mem + root);

    /* A string without its NUL terminator. */
    copy = aligned_copy(m.mem, m.len, 0);
    pos = find_bytes(copy, m.len, "weightname", 11);
    CHECK(pos != (size_t)-1);
    copy[pos + 10] = 'X';
    CHECK(patch_crc(copy, m.len));
    CHECK_STATUS(ws_model_load(&model, copy, m.len), WS_ERR_LAYOUT);
    /* A string whose length runs past the end of the buffer. */
    memcpy(copy, m.mem, m.len);
    copy[pos - 4] = 0xF0;
    copy[pos - 3] = 0xFF;
    copy[pos - 2] = 0xFF;
    copy[pos - 1] = 0x0F;
    CHECK(patch_crc(copy, m.len));
    CHECK_STATUS(ws_model_load(&model, copy, m.len), WS_ERR_TRUNCATED);
    /* An odd vtable size (checked before the CRC can be located). */
    memcpy(copy, m.mem, m.len);
    copy[vtable] |= 1;
    CHECK_STATUS(ws_model_load(&model, copy, m.len), WS_ERR_LAYOUT);
    /* The crc32 field removed from the vtable: nothing to check the file against. */
    memcpy(copy, m.mem, m.len);
    copy[vtable + 24] = 0;
    copy[vtable + 25] = 0;
    CHECK_STATUS(ws_model_load(&model, copy, m.len), WS_ERR_CRC);
    /* A misaligned scalar: the root's format_version entry moved by 2 bytes (the official Verifier refuses
     * it too). */
    memcpy(copy, m.mem, m.len);
    CHECK(rd16(copy + vtable + 4) != 0);
    {
        uint32_t voff = rd16(copy + vtable + 4) + 2;
        copy[vtable + 4] = (uint8_t)voff;
        copy[vtable + 5] = (uint8_t)(voff >> 8);
    }
    CHECK(patch_crc(copy, m.len));
    CHECK(!wsm_flatbuffers_verify(copy, m.len));
    CHECK_STATUS(ws_model_load(&model, copy, m.len), WS_ERR_LAYOUT);
    free_copy(copy, 0);
    tm_free(&m);
}

/* ---- content with a valid CRC --------------------------------------------------------------------------- */

static void test_codebook_and_stream(void) {
    MLP_CASE(WS_OK, (void)m);
    /* An index >= codebook size: 2 bits for 3 entries, and the stored index 3 (the value 2) is out of range. */
    MLP_CASE(WS_ERR_INDEX_RANGE, m->codebook_size = 3);
    MLP_CASE(WS_ERR_INDEX_RANGE, m->indices[11] = 4; m->bit_width = 3);
    MLP_CASE(WS_OK, m->bit_width = 5); /* wider than needed is fine */
    MLP_CASE(WS_ERR_CODEBOOK, m->codebook[1] = 5);
    MLP_CASE(WS_ERR_CODEBOOK, m->codebook[2] = NAN);
    MLP_CASE(WS_ERR_CODEBOOK, m->codebook[3] = INFINITY);
    MLP_CASE(WS_ERR_CODEBOOK, m->codebook[0] = -INFINITY);
    MLP_CASE(WS_ERR_CODEBOOK, m->codebook_size = 0);
    MLP_CASE(WS_OK, m->codebook[1] = -1); /* equal neighbours are sorted */
    MLP_CASE(WS_ERR_STREAM, m->bit_width = 0);
    MLP_CASE(WS_ERR_STREAM, m->bit_width = 17);
    MLP_CASE(WS_ERR_STREAM, m->pad = 0);
    MLP_CASE(WS_ERR_STREAM, m->pad = 3);
    MLP_CASE(WS_ERR_STREAM, m->encoding = 1); /* Huffman: reserved */
    MLP_CASE(WS_ERR_STREAM, m->encoding = 7);
    MLP_CASE(WS_ERR_STREAM, m->no_stream = 1);
    MLP_CASE(WS_ERR_STREAM, m->stream_count = (int64_t)1 << 32);
    MLP_CASE(WS_ERR_STREAM, m->stream_count = 100); /* more indices than the data holds */
    MLP_CASE(WS_ERR_TENSOR, m->stream_count = 11);  /* W needs 12 */
}

static void test_tensors(void) {
    static const uint32_t big[2] = {65536, 65536}; /* 2^32 elements */
    static const uint32_t rank7[7] = {1, 1, 1, 1, 1, 1, 2};
    MLP_CASE(WS_ERR_TENSOR, tm_act(m, DIMS(2, 0)));
    MLP_CASE(WS_ERR_TENSOR, tm_act(m, rank7, 7));
    MLP_CASE(WS_ERR_TENSOR, wsm_builder_add_raw(m->b, "r", big, 2, FLOATS(1), 1));
    MLP_CASE(WS_ERR_TENSOR, wsm_builder_add_raw(m->b, "r", DIMS(3), FLOATS(1, 2), 2));
    MLP_CASE(WS_ERR_TENSOR, wsm_builder_add_raw(m->b, "r", DIMS(1), FLOATS(1, 2), 2));
    MLP_CASE(WS_ERR_TENSOR, tm_shared_indices(m, DIMS(2), (const uint32_t[]){0, 1}); m->stream_count = 13);
    MLP_CASE(WS_ERR_TENSOR, wsm_builder_add_shared(m->b, "s", DIMS(2), 0xFFFFFFFFFFFFFFFFull));
    MLP_CASE(WS_OK, tm_act(m, NULL, 0)); /* rank 0 is a scalar */
    /* Arena: an activation past the end, misaligned, or one byte too few planned. */
    MLP_CASE(WS_ERR_ARENA, tm_act_at(m, DIMS(4), 1000); m->arena_bytes = 1000);
    MLP_CASE(WS_ERR_ARENA, tm_act_at(m, DIMS(4), 2));
    MLP_CASE(WS_ERR_ARENA, m->arena_bytes = 32 + 12 - 1); /* y [1,3] lives at 32 */
    MLP_CASE(WS_OK, m->arena_bytes = 32 + 12);
    MLP_CASE(WS_ERR_ARENA, tm_act_at(m, DIMS(4), 0xFFFFFFF8u); m->arena_bytes = 0xFFFFFFFCu); /* no wrap-around */
}

/* One operator over fresh tensors; `expected` from ws_model_load(). */
static void op_case(ws_status expected, ws_opcode op, const uint32_t *a, uint32_t ra, const uint32_t *b, uint32_t rb,
                    const uint32_t *y, uint32_t ry) {
    tm m;
    int32_t in[2], out;
    uint32_t n = 0;
    tm_init(&m);
    in[n++] = tm_act(&m, a, ra);
    if (b) in[n++] = tm_act(&m, b, rb);
    out = tm_act(&m, y, ry);
    tm_op(&m, op, in, n, &out, 1);
    CHECK_STATUS(tm_finish(&m, in, n, &out, 1), expected);
    tm_free(&m);
}

static void where_case(ws_status expected, const uint32_t *c, uint32_t rc, const uint32_t *a, uint32_t ra,
                       const uint32_t *b, uint32_t rb, const uint32_t *y, uint32_t ry) {
    tm m;
    int32_t in[3], out;
    tm_init(&m);
    in[0] = tm_act(&m, c, rc);
    in[1] = tm_act(&m, a, ra);
    in[2] = tm_act(&m, b, rb);
    out = tm_act(&m, y, ry);
    tm_op(&m, WS_OP_WHERE, in, 3, &out, 1);
    CHECK_STATUS(tm_finish(&m, in, 3, &out, 1), expected);
    tm_free(&m);
}

static void gemm_case(ws_status expected, const uint32_t *a, uint32_t ra, const uint32_t *b, uint32_t rb,
                      const uint32_t *c, uint32_t rc, const uint32_t *y, uint32_t ry, int ta, int tb) {
    tm m;
    int32_t in[3], out;
    uint32_t n = 0;
    tm_init(&m);
    in[n++] = tm_act(&m, a, ra);
    in[n++] = tm_act(&m, b, rb);
    if (c) in[n++] = tm_act(&m, c, rc);
    out = tm_act(&m, y, ry);
    tm_gemm(&m, in, n, out, 1, 1, ta, tb);
    CHECK_STATUS(tm_finish(&m, in, n, &out, 1), expected);
    tm_free(&m);
}

static void test_shapes(void) {
    /* Gemm */
    gemm_case(WS_OK, DIMS(2, 3), DIMS(3, 4), DIMS(4), DIMS(2, 4), 0, 0);
    gemm_case(WS_OK, DIMS(3, 2), DIMS(4, 3), DIMS(2, 1), DIMS(2, 4), 1, 1);
    gemm_case(WS_ERR_SHAPE, DIMS(2, 3), DIMS(4, 5), NULL, 0, DIMS(2, 5), 0, 0);    /* inner dims 3 vs 4 */
    gemm_case(WS_ERR_SHAPE, DIMS(3, 2), DIMS(5, 4), NULL, 0, DIMS(2, 5), 1, 1);    /* the same, transposed */
    gemm_case(WS_ERR_SHAPE, DIMS(2, 3), DIMS(3, 4), NULL, 0, DIMS(3, 4), 1, 0);    /* trans_a changes K */
    gemm_case(WS_ERR_SHAPE, DIMS(2, 3), DIMS(3, 4), NULL, 0, DIMS(4, 2), 0, 0);    /* Y */
    gemm_case(WS_ERR_SHAPE, DIMS(2, 3), DIMS(3, 4), NULL, 0, DIMS(8), 0, 0);       /* Y rank */
    gemm_case(WS_ERR_SHAPE, DIMS(1, 2, 3), DIMS(3, 4), NULL, 0, DIMS(2, 4), 0, 0); /* A rank 3 */
    gemm_case(WS_ERR_SHAPE, DIMS(2, 3), DIMS(3), NULL, 0, DIMS(2, 1), 0, 0);       /* B rank 1 */
    gemm_case(WS_ERR_SHAPE, DIMS(2, 3), DIMS(3, 4), DIMS(3), DIMS(2, 4), 0, 0);    /* C [3] vs N 4 */
    gemm_case(WS_ERR_SHAPE, DIMS(2, 3), DIMS(3, 4), DIMS(4, 4), DIMS(2, 4), 0, 0); /* C [4,4] vs M 2 */
    gemm_case(WS_ERR_SHAPE, DIMS(2, 3), DIMS(3, 4), DIMS(2), DIMS(2, 4), 0, 0);    /* C [M] is not [M,1] */
    gemm_case(WS_ERR_SHAPE, DIMS(2, 3), DIMS(3, 4), DIMS(1, 2, 4), DIMS(2, 4), 0, 0); /* C rank 3 */
    /* MatMul */
    op_case(WS_OK, WS_OP_MATMUL, DIMS(5, 2, 3), DIMS(3, 4), DIMS(5, 2, 4));
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(5, 2, 3), DIMS(2, 4), DIMS(5, 2, 4));
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(5, 2, 3), DIMS(3, 4), DIMS(10, 4));
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(5, 2, 3), DIMS(3, 4), DIMS(5, 2, 3));
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(2, 3), DIMS(1, 3, 4), DIMS(2, 4));
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(3), DIMS(3, 4), DIMS(1, 4));
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, NULL, 0, DIMS(1, 4), DIMS(4));
    /* MatMul, NumPy semantics: batched B, broadcast batch dims, rank-1 operands */
    op_case(WS_OK, WS_OP_MATMUL, DIMS(2, 3, 4), DIMS(2, 4, 5), DIMS(2, 3, 5));
    op_case(WS_OK, WS_OP_MATMUL, DIMS(2, 1, 3, 4), DIMS(6, 4, 5), DIMS(2, 6, 3, 5));
    op_case(WS_OK, WS_OP_MATMUL, DIMS(2, 3), DIMS(1, 3, 4), DIMS(1, 2, 4));
    op_case(WS_OK, WS_OP_MATMUL, DIMS(3), DIMS(2, 3, 4), DIMS(2, 4));
    op_case(WS_OK, WS_OP_MATMUL, DIMS(2, 5, 3), DIMS(3), DIMS(2, 5));
    op_case(WS_OK, WS_OP_MATMUL, DIMS(3), DIMS(3), NULL, 0);
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(2, 3, 4), DIMS(3, 4, 5), DIMS(2, 3, 5)); /* batch 2 vs 3 */
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(2, 3, 4), DIMS(2, 3, 5), DIMS(2, 3, 5)); /* K 4 vs 3 */
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(2, 3, 4), DIMS(2, 4, 5), DIMS(3, 5));    /* batch dim left out */
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(2, 3, 4), DIMS(2, 4, 5), DIMS(1, 2, 3, 5));
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(2, 3, 4), DIMS(2, 4, 5), DIMS(2, 3, 4));
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(2, 1, 3, 4), DIMS(6, 4, 5), DIMS(2, 1, 3, 5)); /* not broadcast */
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(2, 5, 3), DIMS(3), DIMS(2, 5, 1));             /* B [K]: no N */
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(3), DIMS(2, 3, 4), DIMS(2, 1, 4));             /* A [K]: no M */
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(3), DIMS(4), NULL, 0);
    op_case(WS_ERR_SHAPE, WS_OP_MATMUL, DIMS(3), (const uint32_t[]){1}, 0, DIMS(3));        /* scalar B */
    /* Add */
    op_case(WS_OK, WS_OP_ADD, DIMS(2, 3), DIMS(3), DIMS(2, 3));
    op_case(WS_ERR_SHAPE, WS_OP_ADD, DIMS(2, 3), DIMS(2), DIMS(2, 3));
    op_case(WS_ERR_SHAPE, WS_OP_ADD, DIMS(2, 1), DIMS(1, 4), DIMS(2, 1));
    op_case(WS_ERR_SHAPE, WS_OP_ADD, DIMS(2, 3), DIMS(3), DIMS(1, 2, 3));
    op_case(WS_ERR_SHAPE, WS_OP_ADD, DIMS(2, 3), DIMS(3), DIMS(3, 2));
    /* Relu, Softmax, Reshape */
    op_case(WS_ERR_SHAPE, WS_OP_RELU, DIMS(4), NULL, 0, DIMS(2, 2));
    op_case(WS_ERR_SHAPE, WS_OP_SOFTMAX, DIMS(2, 3), NULL, 0, DIMS(3, 2));
    op_case(WS_ERR_SHAPE, WS_OP_RESHAPE, DIMS(2, 3), NULL, 0, DIMS(5));
    op_case(WS_OK, WS_OP_RESHAPE, DIMS(2, 3), NULL, 0, DIMS(6, 1));
    {
        tm m;
        int32_t x, y;
        tm_init(&m);
        x = tm_act(&m, DIMS(2, 3));
        y = tm_act(&m, DIMS(2, 3));
        tm_softmax(&m, x, y, 2, 0); /* axis == rank */
        CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_SHAPE);
        tm_free(&m);
    }
}

static void test_operators(void) {
    int32_t extra;
    /* Arity. */
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_RELU, TENSORS(0, 0), TENSORS(extra = tm_act(m, DIMS(1, 4)))));
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_RELU, NULL, 0, TENSORS(extra = tm_act(m, DIMS(1, 4)))));
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_RELU, TENSORS(0), NULL, 0));
    MLP_CASE(WS_ERR_OPERATOR, extra = tm_act(m, DIMS(1, 4));
             tm_op(m, WS_OP_RELU, TENSORS(0), TENSORS(extra, tm_act(m, DIMS(1, 4)))));
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_ADD, TENSORS(0), TENSORS(extra = tm_act(m, DIMS(1, 4)))));
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_MATMUL, TENSORS(0, 1, 2), TENSORS(extra = tm_act(m, DIMS(1, 3)))));
    MLP_CASE(WS_ERR_OPERATOR, tm_gemm(m, TENSORS(0), extra = tm_act(m, DIMS(1, 3)), 1, 1, 0, 1));
    MLP_CASE(WS_ERR_OPERATOR, tm_gemm(m, TENSORS(0, 1, 2, 2, 2), extra = tm_act(m, DIMS(1, 3)), 1, 1, 0, 1));
    MLP_CASE(WS_OK, tm_gemm(m, TENSORS(0, 1, 2, 2), extra = tm_act(m, DIMS(1, 3)), 1, 1, 0, 1)); /* S [3] */
    MLP_CASE(WS_OK, tm_gemm(m, TENSORS(0, 1, -1, 2), extra = tm_act(m, DIMS(1, 3)), 1, 1, 0, 1)); /* no C */
    MLP_CASE(WS_ERR_OPERATOR, tm_gemm(m, TENSORS(0, 1, 2, 1), extra = tm_act(m, DIMS(1, 3)), 1, 1, 0, 1));
    MLP_CASE(WS_ERR_SHAPE, tm_gemm(m, TENSORS(0, 1, 2, 0), extra = tm_act(m, DIMS(1, 3)), 1, 1, 0, 1));
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_SOFTMAX, TENSORS(0, 0), TENSORS(extra = tm_act(m, DIMS(1, 4)))));
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_RESHAPE, TENSORS(0, 0), TENSORS(extra = tm_act(m, DIMS(1, 4)))));
    /* Unknown opcode, tensor indices out of range, -1 where nothing is optional. */
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, (ws_opcode)WS_OP_COUNT, TENSORS(0), TENSORS(extra = tm_act(m, DIMS(1, 4)))));
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_RELU, TENSORS(99), TENSORS(extra = tm_act(m, DIMS(1, 4)))));
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_RELU, TENSORS(0), TENSORS(99)));
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_RELU, TENSORS(-1), TENSORS(extra = tm_act(m, DIMS(1, 4)))));
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_ADD, TENSORS(0, -1), TENSORS(extra = tm_act(m, DIMS(1, 4)))));
    MLP_CASE(WS_ERR_OPERATOR, tm_gemm(m, TENSORS(0, -1, 2), extra = tm_act(m, DIMS(1, 3)), 1, 1, 0, 1));
    /* Kinds: outputs must be activations; shared tensors only feed Gemm/MatMul A or B. */
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_RELU, TENSORS(0), TENSORS(2)));
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_RELU, TENSORS(0), TENSORS(1)));
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_ADD, TENSORS(1, 1), TENSORS(extra = tm_act(m, DIMS(3, 4)))));
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_RELU, TENSORS(1), TENSORS(extra = tm_act(m, DIMS(3, 4)))));
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_RESHAPE, TENSORS(1), TENSORS(extra = tm_act(m, DIMS(12)))));
    MLP_CASE(WS_ERR_OPERATOR, tm_softmax(m, 1, extra = tm_act(m, DIMS(3, 4)), 1, 0));
    MLP_CASE(WS_ERR_OPERATOR,
             tm_gemm(m, TENSORS(0, tm_raw(m, DIMS(4, 3), FLOATS(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), 1),
                     extra = tm_act(m, DIMS(1, 3)), 1, 1, 0, 0)); /* shared C */
    MLP_CASE(WS_OK, tm_op(m, WS_OP_ADD, TENSORS(4, 2), TENSORS(extra = tm_act(m, DIMS(1, 3)))));
    (void)extra;
}

static void test_arena_aliasing(void) {
    tm m;
    int32_t x, y, z;

    tm_init(&m); /* Relu writing 4 bytes into its input: a partial overlap */
    x = tm_act_at(&m, DIMS(4), 0);
    y = tm_act_at(&m, DIMS(4), 4);
    tm_op(&m, WS_OP_RELU, TENSORS(x), TENSORS(y));
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_ARENA);
    tm_free(&m);

    tm_init(&m); /* Reshape to fewer elements is a shape error; the same offset, bigger output, is an overlap */
    x = tm_act_at(&m, DIMS(2, 2), 0);
    y = tm_act_at(&m, DIMS(4), 0);
    z = tm_act_at(&m, DIMS(2, 2), 16);
    tm_op(&m, WS_OP_RELU, TENSORS(x), TENSORS(z));
    tm_op(&m, WS_OP_RESHAPE, TENSORS(z), TENSORS(y));
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK); /* y over x: x is dead, no overlap with z */
    tm_free(&m);

    tm_init(&m); /* Add: output on its broadcast (smaller) input */
    x = tm_act_at(&m, DIMS(3), 0);
    y = tm_act_at(&m, DIMS(2, 3), 16);
    z = tm_act_at(&m, DIMS(2, 3), 0);
    tm_op(&m, WS_OP_ADD, TENSORS(x, y), TENSORS(z));
    CHECK_STATUS(tm_finish(&m, TENSORS(x, y), &z, 1), WS_ERR_ARENA);
    tm_free(&m);

    tm_init(&m); /* Gemm never runs in place, not even exactly */
    x = tm_act_at(&m, DIMS(1, 2), 0);
    y = tm_act_at(&m, DIMS(1, 2), 0);
    tm_gemm(&m, TENSORS(x, tm_raw(&m, DIMS(2, 2), FLOATS(1, 0, 0, 1))), y, 1, 1, 0, 0);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_ARENA);
    tm_free(&m);

    tm_init(&m); /* MatMul output overlapping B */
    x = tm_act_at(&m, DIMS(1, 2), 0);
    y = tm_act_at(&m, DIMS(2, 2), 16);
    z = tm_act_at(&m, DIMS(1, 2), 24);
    tm_op(&m, WS_OP_MATMUL, TENSORS(x, y), TENSORS(z));
    CHECK_STATUS(tm_finish(&m, TENSORS(x, y), &z, 1), WS_ERR_ARENA);
    tm_free(&m);

    tm_init(&m); /* Gemm output overlapping an activation C */
    x = tm_act_at(&m, DIMS(1, 2), 0);
    y = tm_act_at(&m, DIMS(1, 2), 16);
    z = tm_act_at(&m, DIMS(1, 2), 20);
    tm_gemm(&m, TENSORS(x, tm_raw(&m, DIMS(2, 2), FLOATS(1, 0, 0, 1)), y), z, 1, 1, 0, 0);
    CHECK_STATUS(tm_finish(&m, TENSORS(x, y), &z, 1), WS_ERR_ARENA);
    tm_free(&m);

    tm_init(&m); /* Softmax output shifted by one element */
    x = tm_act_at(&m, DIMS(2, 2), 16);
    y = tm_act_at(&m, DIMS(2, 2), 20);
    tm_softmax(&m, x, y, 1, 0);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_ARENA);
    tm_free(&m);
}

static void test_graph(void) {
    tm m;
    int32_t x, y, z;
    /* Reading an activation nobody writes, or one written later. */
    MLP_CASE(WS_ERR_GRAPH, tm_op(m, WS_OP_RELU, TENSORS(tm_act(m, DIMS(4))), TENSORS(tm_act(m, DIMS(4)))));
    tm_init(&m);
    x = tm_act(&m, DIMS(4));
    y = tm_act(&m, DIMS(4));
    z = tm_act(&m, DIMS(4));
    tm_op(&m, WS_OP_RELU, TENSORS(y), TENSORS(z));
    tm_op(&m, WS_OP_RELU, TENSORS(x), TENSORS(y));
    CHECK_STATUS(tm_finish(&m, &x, 1, &z, 1), WS_ERR_GRAPH);
    tm_free(&m);
    /* Written twice. */
    tm_init(&m);
    x = tm_act(&m, DIMS(4));
    y = tm_act(&m, DIMS(4));
    tm_op(&m, WS_OP_RELU, TENSORS(x), TENSORS(y));
    tm_op(&m, WS_OP_RELU, TENSORS(x), TENSORS(y));
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_GRAPH);
    tm_free(&m);
    /* Graph inputs and outputs. */
    {
        tm g;
        int32_t gx, gy;
        tm_init(&g);
        mlp_parts(&g, &gx, &gy);
        CHECK_STATUS(tm_finish(&g, &gx, 1, TENSORS(gy, 99)), WS_ERR_GRAPH);
        tm_free(&g);
        tm_init(&g);
        mlp_parts(&g, &gx, &gy);
        CHECK_STATUS(tm_finish(&g, &gx, 1, TENSORS(-1)), WS_ERR_GRAPH);
        tm_free(&g);
        tm_init(&g);
        mlp_parts(&g, &gx, &gy);
        CHECK_STATUS(tm_finish(&g, &gx, 1, NULL, 0), WS_ERR_GRAPH); /* no outputs */
        tm_free(&g);
        tm_init(&g);
        mlp_parts(&g, &gx, &gy);
        CHECK_STATUS(tm_finish(&g, TENSORS(gx, 99), &gy, 1), WS_ERR_GRAPH);
        tm_free(&g);
        tm_init(&g);
        mlp_parts(&g, &gx, &gy);
        CHECK_STATUS(tm_finish(&g, TENSORS(gx, 2), &gy, 1), WS_ERR_GRAPH); /* raw input */
        tm_free(&g);
        tm_init(&g);
        mlp_parts(&g, &gx, &gy);
        CHECK_STATUS(tm_finish(&g, TENSORS(gx, gy), &gy, 1), WS_ERR_GRAPH); /* input written by an op */
        tm_free(&g);
        tm_init(&g);
        mlp_parts(&g, &gx, &gy);
        CHECK_STATUS(tm_finish(&g, &gx, 1, TENSORS(gy, 2)), WS_ERR_GRAPH); /* raw output */
        tm_free(&g);
        tm_init(&g);
        mlp_parts(&g, &gx, &gy);
        CHECK_STATUS(tm_finish(&g, &gx, 1, TENSORS(gy, tm_act(&g, DIMS(2)))), WS_ERR_GRAPH); /* never written */
        tm_free(&g);
        tm_init(&g);
        mlp_parts(&g, &gx, &gy);
        CHECK_STATUS(tm_finish(&g, &gx, 1, TENSORS(gy, gx)), WS_OK); /* an input may be an output */
        tm_free(&g);
        tm_init(&g);
        mlp_parts(&g, &gx, &gy);
        CHECK_STATUS(tm_finish(&g, NULL, 0, &gy, 1), WS_ERR_GRAPH); /* x read but never provided */
        tm_free(&g);
    }
}

/* ---- the CNN op set ------------------------------------------------------------------------------------- */

#define U32(...) ((const uint32_t[]){__VA_ARGS__})

/* Conv/ConvTranspose over X [1,4,6,6] with W of the given shape and kind, Y of the given shape. */
static ws_status conv_status(ws_opcode op, const uint32_t *w_shape, int w_shared, const uint32_t *y_shape,
                             uint32_t group, const uint32_t *strides, const uint32_t *dilations, const uint32_t *pads,
                             const uint32_t *opad, uint32_t spatial, const int32_t *extra, uint32_t n_extra) {
    tm m;
    int32_t in[6], y;
    uint32_t n = 2, i;
    ws_status s;
    static const float zeros[256] = {0};
    tm_init(&m);
    tm_codebook(&m, FLOATS(0), 1);
    in[0] = tm_act(&m, DIMS(1, 4, 6, 6));
    in[1] = w_shared ? tm_shared(&m, w_shape, 4, zeros) : tm_raw(&m, w_shape, 4, zeros);
    for (i = 0; i < n_extra; i++)
        in[n++] = extra[i] == -1 ? -1 : extra[i] == -2 ? tm_raw(&m, DIMS(2), zeros) : extra[i] == -3 ? tm_raw(&m, DIMS(3), zeros) : tm_shared(&m, DIMS(2), zeros);
    y = tm_act(&m, y_shape, 4);
    wsm_builder_add_conv(m.b, (uint8_t)op, "c", in, n, &y, 1, group, strides, dilations, pads, opad, spatial);
    s = tm_finish(&m, in, 1, &y, 1);
    tm_free(&m);
    return s;
}

static void test_conv_rejects(void) {
    const uint32_t *one = U32(1, 1), *no_pad = U32(0, 0, 0, 0);
    /* Valid: W [2,4,3,3] -> Y [1,2,4,4]; grouped W [2,2,3,3] with group 2; B and S. */
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 4, 4), 1, one, one, no_pad, NULL, 2, NULL, 0), WS_OK);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 2, 3, 3), 0, U32(1, 2, 4, 4), 2, one, one, no_pad, NULL, 2, NULL, 0), WS_OK);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 4, 4), 1, NULL, NULL, NULL, NULL, 2,
                             (const int32_t[]){-1, -2}, 2), WS_OK);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 4, 4), 1, NULL, NULL, NULL, NULL, 2,
                             (const int32_t[]){-3}, 1), WS_ERR_SHAPE); /* B [3] vs M 2 */
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 4, 4), 1, NULL, NULL, NULL, NULL, 2,
                             (const int32_t[]){-2, -3}, 2), WS_ERR_SHAPE); /* S [3] */
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 4, 4), 1, NULL, NULL, NULL, NULL, 2,
                             (const int32_t[]){-4}, 1), WS_ERR_OPERATOR); /* shared B */
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 4, 4), 1, NULL, NULL, NULL, NULL, 2,
                             (const int32_t[]){-2, -2, -2}, 3), WS_ERR_OPERATOR); /* 5 inputs */
    /* Options: group 0, group not dividing C, strides/dilations 0, wrong vector lengths, output_padding. */
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 4, 4), 0, one, one, no_pad, NULL, 2, NULL, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(3, 1, 3, 3), 1, U32(1, 3, 4, 4), 3, one, one, no_pad, NULL, 2, NULL, 0), WS_ERR_SHAPE);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(3, 2, 3, 3), 1, U32(1, 3, 4, 4), 2, one, one, no_pad, NULL, 2, NULL, 0), WS_ERR_SHAPE);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 4, 4), 1, U32(0, 1), one, no_pad, NULL, 2, NULL, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 4, 4), 1, one, U32(1, 0), no_pad, NULL, 2, NULL, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 4, 4), 1, U32(1, 1, 1), NULL, NULL, NULL, 3, NULL, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 4, 4), 1, one, one, no_pad, U32(0, 0), 2, NULL, 0), WS_ERR_OPERATOR);
    /* Shapes: Y spatial off by one, W channels, rank. */
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 4, 5), 1, one, one, no_pad, NULL, 2, NULL, 0), WS_ERR_SHAPE);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 6, 6), 1, one, one, U32(1, 1, 1, 1), NULL, 2, NULL, 0), WS_OK);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 6, 6), 1, one, one, U32(1, 1, 1, 0), NULL, 2, NULL, 0), WS_ERR_SHAPE);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 2, 2), 1, U32(2, 2), one, no_pad, NULL, 2, NULL, 0), WS_OK);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 2, 2), 1, one, U32(2, 2), no_pad, NULL, 2, NULL, 0), WS_OK);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 2, 2, 2), 1, one, U32(4, 4), no_pad, NULL, 2, NULL, 0), WS_ERR_SHAPE); /* kernel extent 9 > 6 */
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 3, 3, 3), 1, U32(1, 2, 4, 4), 1, one, one, no_pad, NULL, 2, NULL, 0), WS_ERR_SHAPE);
    CHECK_STATUS(conv_status(WS_OP_CONV, U32(2, 4, 3, 3), 1, U32(1, 3, 4, 4), 1, one, one, no_pad, NULL, 2, NULL, 0), WS_ERR_SHAPE);
    /* ConvTranspose: X [1,4,6,6], W [4,1,3,3] group 2 -> M 2; stride 2, output_padding 1: 2*5+1+3 = 14. */
    CHECK_STATUS(conv_status(WS_OP_CONV_TRANSPOSE, U32(4, 1, 3, 3), 1, U32(1, 2, 14, 14), 2, U32(2, 2), one, no_pad, U32(1, 1), 2, NULL, 0), WS_OK);
    CHECK_STATUS(conv_status(WS_OP_CONV_TRANSPOSE, U32(4, 1, 3, 3), 1, U32(1, 2, 13, 13), 2, U32(2, 2), one, no_pad, NULL, 2, NULL, 0), WS_OK);
    CHECK_STATUS(conv_status(WS_OP_CONV_TRANSPOSE, U32(4, 1, 3, 3), 1, U32(1, 2, 14, 13), 2, U32(2, 2), one, no_pad, U32(1, 1), 2, NULL, 0), WS_ERR_SHAPE);
    CHECK_STATUS(conv_status(WS_OP_CONV_TRANSPOSE, U32(4, 1, 3, 3), 1, U32(1, 2, 15, 15), 2, U32(2, 2), one, no_pad, U32(2, 2), 2, NULL, 0), WS_ERR_OPERATOR); /* output_padding >= stride */
    CHECK_STATUS(conv_status(WS_OP_CONV_TRANSPOSE, U32(4, 1, 3, 3), 1, U32(1, 2, 14, 14), 2, NULL, NULL, NULL, U32(1, 1, 1), 3, NULL, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(conv_status(WS_OP_CONV_TRANSPOSE, U32(3, 1, 3, 3), 1, U32(1, 2, 8, 8), 1, one, one, no_pad, NULL, 2, NULL, 0), WS_ERR_SHAPE); /* W[0] != C */
    CHECK_STATUS(conv_status(WS_OP_CONV_TRANSPOSE, U32(4, 1, 3, 3), 1, U32(1, 2, 1, 1), 2, one, one, U32(4, 4, 4, 4), NULL, 2, NULL, 0), WS_ERR_SHAPE); /* pads eat the output */
    /* Conv options missing or of another type. */
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_CONV, TENSORS(0, 1), TENSORS(tm_act(m, DIMS(1, 3, 1, 1)))));
    MLP_CASE(WS_ERR_OPERATOR, wsm_builder_add_pool(m->b, WS_OP_CONV, "c", TENSORS(0, 1), TENSORS(tm_act(m, DIMS(1, 3))),
                                                   U32(1, 1), NULL, NULL, NULL, 2, 0));
}

static uint32_t pool_rank = 4;
static ws_status pool_status(ws_opcode op, const uint32_t *x_shape, const uint32_t *y_shape, const uint32_t *kernel,
                             const uint32_t *strides, const uint32_t *dilations, const uint32_t *pads, uint32_t spatial) {
    tm m;
    int32_t x, y;
    ws_status s;
    tm_init(&m);
    x = tm_act(&m, x_shape, pool_rank);
    y = tm_act(&m, y_shape, pool_rank);
    wsm_builder_add_pool(m.b, (uint8_t)op, "p", &x, 1, &y, 1, kernel, strides, dilations, pads, spatial, 0);
    s = tm_finish(&m, &x, 1, &y, 1);
    tm_free(&m);
    return s;
}

static void test_pool_rejects(void) {
    const uint32_t *x = U32(1, 2, 5, 5), *k2 = U32(2, 2), *s2 = U32(2, 2);
    CHECK_STATUS(pool_status(WS_OP_MAX_POOL, x, U32(1, 2, 2, 2), k2, s2, NULL, NULL, 2), WS_OK);     /* floor */
    CHECK_STATUS(pool_status(WS_OP_MAX_POOL, x, U32(1, 2, 3, 3), k2, s2, NULL, NULL, 2), WS_OK);     /* ceil */
    CHECK_STATUS(pool_status(WS_OP_AVERAGE_POOL, x, U32(1, 2, 3, 2), k2, s2, NULL, NULL, 2), WS_OK);
    CHECK_STATUS(pool_status(WS_OP_MAX_POOL, x, U32(1, 2, 4, 4), k2, s2, NULL, NULL, 2), WS_ERR_SHAPE);
    CHECK_STATUS(pool_status(WS_OP_MAX_POOL, x, U32(1, 2, 1, 1), k2, s2, NULL, NULL, 2), WS_ERR_SHAPE);
    CHECK_STATUS(pool_status(WS_OP_MAX_POOL, x, U32(1, 3, 2, 2), k2, s2, NULL, NULL, 2), WS_ERR_SHAPE); /* C */
    CHECK_STATUS(pool_status(WS_OP_MAX_POOL, x, U32(1, 2, 2, 2), NULL, s2, NULL, NULL, 2), WS_ERR_OPERATOR); /* no kernel */
    CHECK_STATUS(pool_status(WS_OP_MAX_POOL, x, U32(1, 2, 2, 2), U32(0, 2), s2, NULL, NULL, 2), WS_ERR_OPERATOR);
    CHECK_STATUS(pool_status(WS_OP_MAX_POOL, x, U32(1, 2, 2, 2), k2, U32(2, 0), NULL, NULL, 2), WS_ERR_OPERATOR);
    CHECK_STATUS(pool_status(WS_OP_MAX_POOL, x, U32(1, 2, 2, 2), k2, s2, U32(0, 1), NULL, 2), WS_ERR_OPERATOR);
    CHECK_STATUS(pool_status(WS_OP_MAX_POOL, x, U32(1, 2, 2, 2), U32(2, 2, 2), U32(2, 2, 2), NULL, NULL, 3), WS_ERR_OPERATOR);
    CHECK_STATUS(pool_status(WS_OP_MAX_POOL, x, U32(1, 2, 1, 1), U32(6, 6), s2, NULL, NULL, 2), WS_ERR_SHAPE); /* window > input */
    CHECK_STATUS(pool_status(WS_OP_MAX_POOL, x, U32(1, 2, 1, 1), U32(6, 6), s2, NULL, U32(1, 0, 0, 1), 2), WS_OK);
    pool_rank = 3;
    CHECK_STATUS(pool_status(WS_OP_MAX_POOL, U32(2, 5, 5), U32(2, 2, 2), k2, s2, NULL, NULL, 2), WS_ERR_SHAPE); /* rank 3 */
    pool_rank = 4;
    MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_MAX_POOL, TENSORS(0), TENSORS(tm_act(m, DIMS(1, 4)))));
    /* GlobalAveragePool */
    op_case(WS_OK, WS_OP_GLOBAL_AVERAGE_POOL, DIMS(1, 2, 3, 3), NULL, 0, DIMS(1, 2, 1, 1));
    op_case(WS_ERR_SHAPE, WS_OP_GLOBAL_AVERAGE_POOL, DIMS(1, 2, 3, 3), NULL, 0, DIMS(1, 2));
    op_case(WS_ERR_SHAPE, WS_OP_GLOBAL_AVERAGE_POOL, DIMS(1, 2, 3, 3), NULL, 0, DIMS(1, 2, 1, 3));
    op_case(WS_ERR_SHAPE, WS_OP_GLOBAL_AVERAGE_POOL, DIMS(2, 3), NULL, 0, DIMS(2, 1));
    op_case(WS_ERR_OPERATOR, WS_OP_GLOBAL_AVERAGE_POOL, DIMS(1, 2, 3, 3), DIMS(1), DIMS(1, 2, 1, 1));
}

static void test_elementwise_rejects(void) {
    static const ws_opcode bin[] = {WS_OP_SUB, WS_OP_MUL, WS_OP_DIV};
    static const ws_opcode unary[] = {WS_OP_SIGMOID, WS_OP_TANH, WS_OP_HARD_SWISH};
    static const ws_opcode with_options[] = {WS_OP_CLIP, WS_OP_LEAKY_RELU, WS_OP_HARD_SIGMOID};
    size_t i;
    /* Sqrt: one input, same shape, no options. */
    op_case(WS_OK, WS_OP_SQRT, DIMS(2, 3), NULL, 0, DIMS(2, 3));
    op_case(WS_ERR_SHAPE, WS_OP_SQRT, DIMS(2, 3), NULL, 0, DIMS(3, 2));
    op_case(WS_ERR_OPERATOR, WS_OP_SQRT, DIMS(2, 3), DIMS(2, 3), DIMS(2, 3));
    /* Issue 12's element-wise rows: UNARY (one input, same shape), BINARY (two, broadcasting), PowScalar
       (ActivationOptions required), Where (three, broadcasting together). */
    {
        static const ws_opcode unary12[] = {WS_OP_EXP,   WS_OP_LOG,  WS_OP_NEG,  WS_OP_ABS,       WS_OP_RECIPROCAL,
                                            WS_OP_ERF,   WS_OP_SOFTPLUS, WS_OP_SOFTSIGN, WS_OP_FLOOR, WS_OP_CEIL,
                                            WS_OP_NOT,   WS_OP_GELU, WS_OP_GELU_TANH, WS_OP_SILU};
        static const ws_opcode binary12[] = {WS_OP_POW,   WS_OP_MIN,           WS_OP_MAX,
                                             WS_OP_EQUAL, WS_OP_LESS,          WS_OP_GREATER,
                                             WS_OP_LESS_OR_EQUAL, WS_OP_GREATER_OR_EQUAL, WS_OP_AND,
                                             WS_OP_OR,    WS_OP_XOR};
        size_t k;
        for (k = 0; k < sizeof unary12 / sizeof unary12[0]; k++) {
            op_case(WS_OK, unary12[k], DIMS(2, 3), NULL, 0, DIMS(2, 3));
            op_case(WS_ERR_SHAPE, unary12[k], DIMS(2, 3), NULL, 0, DIMS(3, 2));
            op_case(WS_ERR_OPERATOR, unary12[k], DIMS(2, 3), DIMS(2, 3), DIMS(2, 3));
        }
        for (k = 0; k < sizeof binary12 / sizeof binary12[0]; k++) {
            op_case(WS_OK, binary12[k], DIMS(2, 1), DIMS(1, 3), DIMS(2, 3));
            op_case(WS_ERR_SHAPE, binary12[k], DIMS(2, 3), DIMS(2), DIMS(2, 3));
            op_case(WS_ERR_SHAPE, binary12[k], DIMS(2, 1), DIMS(1, 3), DIMS(2, 1));
            op_case(WS_ERR_OPERATOR, binary12[k], DIMS(2, 3), NULL, 0, DIMS(2, 3));
            MLP_CASE(WS_ERR_OPERATOR, tm_op(m, binary12[k], TENSORS(1, 1), TENSORS(tm_act(m, DIMS(3, 4)))));
        }
        op_case(WS_ERR_OPERATOR, WS_OP_POW_SCALAR, DIMS(2, 3), NULL, 0, DIMS(2, 3));
        MLP_CASE(WS_OK, wsm_builder_add_activation_op(m->b, (uint8_t)WS_OP_POW_SCALAR, "p", TENSORS(0),
                                                      TENSORS(tm_act(m, DIMS(1, 4))), 2, 0));
        MLP_CASE(WS_ERR_SHAPE, wsm_builder_add_activation_op(m->b, (uint8_t)WS_OP_POW_SCALAR, "p", TENSORS(0),
                                                           TENSORS(tm_act(m, DIMS(4))), 2, 0));
        where_case(WS_OK, DIMS(2, 1, 1), DIMS(1, 3), DIMS(1), DIMS(2, 1, 3));
        where_case(WS_OK, DIMS(3), DIMS(2, 3), DIMS(2, 3), DIMS(2, 3));
        where_case(WS_ERR_SHAPE, DIMS(2), DIMS(2, 3), DIMS(2, 3), DIMS(2, 3));    /* condition does not broadcast */
        where_case(WS_ERR_SHAPE, DIMS(3), DIMS(2, 3), DIMS(4, 1, 1), DIMS(2, 3)); /* Y is not the broadcast */
        where_case(WS_ERR_SHAPE, DIMS(3), DIMS(1, 3), DIMS(3), DIMS(2, 3));       /* Y larger than the broadcast */
        op_case(WS_ERR_OPERATOR, WS_OP_WHERE, DIMS(2, 3), DIMS(2, 3), DIMS(2, 3)); /* two inputs */
        /* A shared (codebook) tensor is no operand of Where. */
        MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_WHERE, TENSORS(0, 1, 0), TENSORS(tm_act(m, DIMS(3, 4)))));
    }
    for (i = 0; i < 3; i++) {
        op_case(WS_OK, bin[i], DIMS(2, 3), DIMS(3), DIMS(2, 3));
        op_case(WS_OK, bin[i], DIMS(2, 1), DIMS(1, 3), DIMS(2, 3));
        op_case(WS_ERR_SHAPE, bin[i], DIMS(2, 3), DIMS(2), DIMS(2, 3));
        op_case(WS_ERR_SHAPE, bin[i], DIMS(2, 1), DIMS(1, 3), DIMS(2, 1));
        op_case(WS_ERR_OPERATOR, bin[i], DIMS(2, 3), NULL, 0, DIMS(2, 3));
        op_case(WS_OK, unary[i], DIMS(2, 3), NULL, 0, DIMS(2, 3));
        op_case(WS_ERR_SHAPE, unary[i], DIMS(2, 3), NULL, 0, DIMS(3, 2));
        op_case(WS_ERR_OPERATOR, unary[i], DIMS(2, 3), DIMS(2, 3), DIMS(2, 3));
        /* Clip/LeakyRelu/HardSigmoid need their ActivationOptions. */
        op_case(WS_ERR_OPERATOR, with_options[i], DIMS(2, 3), NULL, 0, DIMS(2, 3));
        MLP_CASE(WS_OK, wsm_builder_add_activation_op(m->b, (uint8_t)with_options[i], "a", TENSORS(0),
                                                      TENSORS(tm_act(m, DIMS(1, 4))), 0, 1));
        MLP_CASE(WS_ERR_SHAPE, wsm_builder_add_activation_op(m->b, (uint8_t)with_options[i], "a", TENSORS(0),
                                                           TENSORS(tm_act(m, DIMS(4))), 0, 1));
        MLP_CASE(WS_ERR_OPERATOR, wsm_builder_add_concat(m->b, "a", TENSORS(0), TENSORS(tm_act(m, DIMS(1, 4))), 0);
                 tm_op(m, with_options[i], TENSORS(0), TENSORS(tm_act(m, DIMS(1, 4)))));
        /* Shared operands are weights only. */
        MLP_CASE(WS_ERR_OPERATOR, tm_op(m, bin[i], TENSORS(1, 1), TENSORS(tm_act(m, DIMS(3, 4)))));
    }
    /* PRelu: slope must broadcast to X without growing it. */
    op_case(WS_OK, WS_OP_PRELU, DIMS(1, 2, 3), DIMS(2, 1), DIMS(1, 2, 3));
    op_case(WS_ERR_SHAPE, WS_OP_PRELU, DIMS(1, 2, 1), DIMS(2, 3), DIMS(1, 2, 3));
    op_case(WS_ERR_SHAPE, WS_OP_PRELU, DIMS(1, 2, 3), DIMS(3, 1), DIMS(1, 2, 3));
    op_case(WS_ERR_OPERATOR, WS_OP_PRELU, DIMS(1, 2, 3), NULL, 0, DIMS(1, 2, 3));
    /* ChannelAffine: X rank >= 2, scale and shift [C]. */
    {
        tm m;
        int32_t x, y;
        int k;
        for (k = 0; k < 5; k++) {
            tm_init(&m);
            x = tm_act(&m, k == 3 ? U32(4) : U32(2, 3, 2), k == 3 ? 1 : 3);
            y = tm_act(&m, k == 3 ? U32(4) : U32(2, 3, 2), k == 3 ? 1 : 3);
            if (k == 4) {
                tm_op(&m, WS_OP_CHANNEL_AFFINE, TENSORS(x, tm_raw(&m, DIMS(3), FLOATS(1, 1, 1))), TENSORS(y));
            } else {
                int32_t sc = tm_raw(&m, k == 1 ? U32(2) : U32(3), 1, FLOATS(1, 1, 1));
                int32_t sh = tm_raw(&m, k == 2 ? U32(1, 3) : U32(3), k == 2 ? 2 : 1, FLOATS(0, 0, 0));
                tm_op(&m, WS_OP_CHANNEL_AFFINE, TENSORS(x, sc, sh), TENSORS(y));
            }
            CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), k == 0 ? WS_OK : k == 4 ? WS_ERR_OPERATOR : WS_ERR_SHAPE);
            tm_free(&m);
        }
    }
}

static ws_status layout_status(int which, const uint32_t *x_shape, uint32_t x_rank, const uint32_t *y_shape,
                               uint32_t y_rank, const uint32_t *vec, uint32_t n, uint32_t mode) {
    tm m;
    int32_t x, y;
    ws_status s;
    tm_init(&m);
    x = tm_act(&m, x_shape, x_rank);
    y = tm_act(&m, y_shape, y_rank);
    if (which == 0) wsm_builder_add_transpose(m.b, "t", &x, 1, &y, 1, vec, n);
    else if (which == 1) wsm_builder_add_pad(m.b, "p", &x, 1, &y, 1, (uint8_t)mode, vec, n, 0);
    else wsm_builder_add_resize(m.b, "r", &x, 1, &y, 1, (uint8_t)(mode & 3), (uint8_t)(mode >> 2 & 7),
                                (uint8_t)(mode >> 5), (const float *)(const void *)vec, n);
    s = tm_finish(&m, &x, 1, &y, 1);
    tm_free(&m);
    return s;
}

static void test_layout_rejects(void) {
    static const float scales[4] = {1, 1, 2, 2}, zero_scale[4] = {1, 1, 0, 2}, nan_scale[4] = {1, 1, NAN, 2};
    /* Transpose */
    CHECK_STATUS(layout_status(0, DIMS(2, 3, 4), DIMS(4, 2, 3), U32(2, 0, 1), 3, 0), WS_OK);
    CHECK_STATUS(layout_status(0, DIMS(2, 3, 4), DIMS(4, 3, 2), U32(2, 0, 1), 3, 0), WS_ERR_SHAPE);
    CHECK_STATUS(layout_status(0, DIMS(2, 3, 4), DIMS(4, 2, 3), U32(2, 0, 0), 3, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(layout_status(0, DIMS(2, 3, 4), DIMS(4, 2, 3), U32(2, 0, 3), 3, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(layout_status(0, DIMS(2, 3, 4), DIMS(4, 2, 3), U32(1, 0), 2, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(layout_status(0, DIMS(2, 3, 4), DIMS(4, 2, 3), NULL, 0, 0), WS_ERR_OPERATOR);
    op_case(WS_ERR_OPERATOR, WS_OP_TRANSPOSE, DIMS(2, 3), NULL, 0, DIMS(3, 2)); /* no options */
    /* Pad */
    CHECK_STATUS(layout_status(1, DIMS(2, 3), DIMS(3, 6), U32(1, 2, 0, 1), 4, 0), WS_OK);
    CHECK_STATUS(layout_status(1, DIMS(2, 3), DIMS(3, 6), U32(1, 2, 0, 1), 4, 2), WS_OK);
    CHECK_STATUS(layout_status(1, DIMS(2, 3), DIMS(3, 6), U32(1, 2, 0, 1), 4, 1), WS_OK);
    CHECK_STATUS(layout_status(1, DIMS(2, 3), DIMS(3, 7), U32(1, 3, 0, 1), 4, 1), WS_ERR_OPERATOR); /* reflect 3 >= 3 */
    CHECK_STATUS(layout_status(1, DIMS(2, 3), DIMS(3, 6), U32(1, 2, 0, 1), 4, 3), WS_ERR_OPERATOR); /* mode */
    CHECK_STATUS(layout_status(1, DIMS(2, 3), DIMS(3, 6), U32(1, 2, 0), 3, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(layout_status(1, DIMS(2, 3), DIMS(3, 7), U32(1, 2, 0, 1), 4, 0), WS_ERR_SHAPE);
    CHECK_STATUS(layout_status(1, DIMS(2, 3), DIMS(3, 6, 1), U32(1, 2, 0, 1), 4, 0), WS_ERR_SHAPE);
    /* Resize: mode | coord << 2 | nearest << 5 */
    CHECK_STATUS(layout_status(2, DIMS(1, 2, 3, 3), DIMS(1, 2, 6, 6), NULL, 0, 1 | 3 << 2 | 3 << 5), WS_OK);
    CHECK_STATUS(layout_status(2, DIMS(1, 2, 3, 3), DIMS(1, 2, 6, 6), (const uint32_t *)(const void *)scales, 4, 0), WS_OK);
    CHECK_STATUS(layout_status(2, DIMS(1, 2, 3, 3), DIMS(1, 2, 6, 6), (const uint32_t *)(const void *)scales, 3, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(layout_status(2, DIMS(1, 2, 3, 3), DIMS(1, 2, 6, 6), (const uint32_t *)(const void *)zero_scale, 4, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(layout_status(2, DIMS(1, 2, 3, 3), DIMS(1, 2, 6, 6), (const uint32_t *)(const void *)nan_scale, 4, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(layout_status(2, DIMS(1, 2, 3, 3), DIMS(1, 2, 6, 6), NULL, 0, 2), WS_ERR_OPERATOR);      /* mode */
    CHECK_STATUS(layout_status(2, DIMS(1, 2, 3, 3), DIMS(1, 2, 6, 6), NULL, 0, 5 << 2), WS_ERR_OPERATOR); /* coord */
    CHECK_STATUS(layout_status(2, DIMS(1, 2, 3, 3), DIMS(1, 2, 6, 6), NULL, 0, 4 << 5), WS_ERR_OPERATOR); /* nearest */
    CHECK_STATUS(layout_status(2, DIMS(1, 2, 3, 3), DIMS(1, 3, 6, 6), NULL, 0, 0), WS_ERR_SHAPE);   /* C */
    CHECK_STATUS(layout_status(2, DIMS(1, 2, 3, 3), DIMS(2, 2, 6, 6), NULL, 0, 0), WS_ERR_SHAPE);   /* N */
    CHECK_STATUS(layout_status(2, DIMS(1, 2, 3, 3), DIMS(2, 6, 6), NULL, 0, 0), WS_ERR_SHAPE);      /* rank */
    CHECK_STATUS(layout_status(2, DIMS(4), DIMS(8), NULL, 0, 0), WS_ERR_SHAPE);                     /* rank 1 */
    /* Concat */
    {
        tm m;
        int32_t a, b, y;
        int k;
        for (k = 0; k < 5; k++) {
            tm_init(&m);
            a = tm_act(&m, DIMS(2, 3));
            b = tm_act(&m, k == 1 ? U32(3, 3) : k == 2 ? U32(1, 2, 3) : U32(2, 2), k == 2 ? 3 : 2);
            y = tm_act(&m, k == 3 ? U32(2, 6) : U32(2, 5), 2);
            wsm_builder_add_concat(m.b, "c", TENSORS(a, b), &y, 1, k == 4 ? 2 : 1);
            CHECK_STATUS(tm_finish(&m, TENSORS(a, b), &y, 1), k == 0 ? WS_OK : k == 4 ? WS_ERR_OPERATOR : WS_ERR_SHAPE);
            tm_free(&m);
        }
        MLP_CASE(WS_ERR_OPERATOR, wsm_builder_add_concat(m->b, "c", NULL, 0, TENSORS(tm_act(m, DIMS(1, 4))), 0));
        MLP_CASE(WS_ERR_OPERATOR, tm_op(m, WS_OP_CONCAT, TENSORS(0), TENSORS(tm_act(m, DIMS(1, 4)))));
        MLP_CASE(WS_ERR_OPERATOR, wsm_builder_add_concat(m->b, "c", TENSORS(0, 1), TENSORS(tm_act(m, DIMS(4, 4))), 0));
    }
}

static ws_status reduce_status(const uint32_t *x_shape, uint32_t x_rank, const uint32_t *y_shape, uint32_t y_rank,
                               uint32_t mode, const uint32_t *axes, uint32_t n_axes, int keepdims) {
    tm m;
    int32_t x, y;
    ws_status s;
    tm_init(&m);
    x = tm_act(&m, x_shape, x_rank);
    y = tm_act(&m, y_shape, y_rank);
    wsm_builder_add_reduce(m.b, "r", &x, 1, &y, 1, (uint8_t)mode, axes, n_axes, keepdims);
    s = tm_finish(&m, &x, 1, &y, 1);
    tm_free(&m);
    return s;
}

/* Scale and B (absent with no_b) of s_shape. */
static ws_status layer_norm_status(const uint32_t *x_shape, uint32_t x_rank, const uint32_t *s_shape, uint32_t s_rank,
                                   const uint32_t *y_shape, uint32_t y_rank, uint32_t axis, float epsilon, int no_b) {
    static const float zeros[64];
    tm m;
    int32_t in[3], y;
    ws_status s;
    tm_init(&m);
    in[0] = tm_act(&m, x_shape, x_rank);
    in[1] = tm_raw(&m, s_shape, s_rank, zeros);
    in[2] = no_b ? -1 : tm_raw(&m, s_shape, s_rank, zeros);
    y = tm_act(&m, y_shape, y_rank);
    wsm_builder_add_layer_norm(m.b, "ln", in, 3, &y, 1, axis, epsilon);
    s = tm_finish(&m, in, 1, &y, 1);
    tm_free(&m);
    return s;
}

static void test_reduction_rejects(void) {
    /* Reduce */
    CHECK_STATUS(reduce_status(DIMS(2, 3, 4), DIMS(2, 1, 4), 0, U32(1), 1, 1), WS_OK);
    CHECK_STATUS(reduce_status(DIMS(2, 3, 4), DIMS(2, 4), 9, U32(1), 1, 0), WS_OK);
    CHECK_STATUS(reduce_status(DIMS(2, 3, 4), NULL, 0, 2, U32(0, 1, 2), 3, 0), WS_OK); /* to a scalar */
    CHECK_STATUS(reduce_status(DIMS(2, 3, 4), DIMS(2, 4), 10, U32(1), 1, 0), WS_ERR_OPERATOR);   /* mode */
    CHECK_STATUS(reduce_status(DIMS(2, 3, 4), DIMS(2, 3, 4), 0, NULL, 0, 1), WS_ERR_OPERATOR);   /* no axes */
    CHECK_STATUS(reduce_status(DIMS(2, 3, 4), DIMS(2, 3, 1), 0, U32(3), 1, 1), WS_ERR_OPERATOR); /* axis >= rank */
    CHECK_STATUS(reduce_status(DIMS(2, 3, 4), DIMS(1, 1, 4), 0, U32(1, 0), 2, 1), WS_ERR_OPERATOR); /* order */
    CHECK_STATUS(reduce_status(DIMS(2, 3, 4), DIMS(2, 1, 4), 0, U32(1, 1), 2, 1), WS_ERR_OPERATOR); /* repeated */
    CHECK_STATUS(reduce_status(DIMS(2, 3, 4), DIMS(1, 1, 1), 0, U32(0, 1, 2, 2), 4, 1), WS_ERR_OPERATOR); /* > rank */
    CHECK_STATUS(reduce_status(DIMS(2, 3, 4), DIMS(2, 4), 0, U32(1), 1, 1), WS_ERR_SHAPE);       /* keepdims: rank */
    CHECK_STATUS(reduce_status(DIMS(2, 3, 4), DIMS(2, 1, 4), 0, U32(1), 1, 0), WS_ERR_SHAPE);    /* dropped: rank */
    CHECK_STATUS(reduce_status(DIMS(2, 3, 4), DIMS(2, 3, 4), 0, U32(1), 1, 1), WS_ERR_SHAPE);    /* not 1 */
    CHECK_STATUS(reduce_status(DIMS(2, 3, 4), DIMS(4, 2), 0, U32(1), 1, 0), WS_ERR_SHAPE);       /* kept dims */
    op_case(WS_ERR_OPERATOR, WS_OP_REDUCE, DIMS(2, 3), NULL, 0, DIMS(2, 1));                     /* no options */
    /* LogSoftmax: as Softmax */
    op_case(WS_OK, WS_OP_LOG_SOFTMAX, DIMS(2, 3), NULL, 0, DIMS(2, 3));
    op_case(WS_ERR_SHAPE, WS_OP_LOG_SOFTMAX, DIMS(2, 3), NULL, 0, DIMS(3, 2));
    {
        tm m;
        int32_t x, y;
        tm_init(&m);
        x = tm_act(&m, DIMS(2, 3));
        y = tm_act(&m, DIMS(2, 3));
        wsm_builder_add_log_softmax(m.b, "ls", &x, 1, &y, 1, 2, 0); /* axis == rank */
        CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_SHAPE);
        tm_free(&m);
    }
    /* LayerNormalization */
    CHECK_STATUS(layer_norm_status(DIMS(2, 3, 4), DIMS(3, 4), DIMS(2, 3, 4), 1, 1e-5f, 0), WS_OK);
    CHECK_STATUS(layer_norm_status(DIMS(2, 3, 4), DIMS(4), DIMS(2, 3, 4), 2, 0.0f, 1), WS_OK);
    CHECK_STATUS(layer_norm_status(DIMS(2, 3, 4), DIMS(4), DIMS(2, 3, 4), 3, 1e-5f, 0), WS_ERR_OPERATOR); /* axis */
    CHECK_STATUS(layer_norm_status(DIMS(2, 3, 4), DIMS(4), DIMS(2, 3, 4), 2, -1.0f, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(layer_norm_status(DIMS(2, 3, 4), DIMS(4), DIMS(2, 3, 4), 2, NAN, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(layer_norm_status(DIMS(2, 3, 4), DIMS(4), DIMS(2, 3, 4), 2, INFINITY, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(layer_norm_status(DIMS(2, 3, 4), DIMS(3, 4), DIMS(2, 3, 4), 2, 1e-5f, 0), WS_ERR_SHAPE); /* scale */
    CHECK_STATUS(layer_norm_status(DIMS(2, 3, 4), DIMS(1, 4), DIMS(2, 3, 4), 2, 1e-5f, 0), WS_ERR_SHAPE);
    CHECK_STATUS(layer_norm_status(DIMS(2, 3, 4), DIMS(4), DIMS(2, 3, 2), 2, 1e-5f, 0), WS_ERR_SHAPE);    /* Y */
    {   /* B of another shape than the scale */
        static const float zeros[8];
        tm m;
        int32_t in[3], y;
        tm_init(&m);
        in[0] = tm_act(&m, DIMS(2, 4));
        in[1] = tm_raw(&m, DIMS(4), zeros);
        in[2] = tm_raw(&m, DIMS(2, 4), zeros);
        y = tm_act(&m, DIMS(2, 4));
        wsm_builder_add_layer_norm(m.b, "ln", in, 3, &y, 1, 1, 1e-5f);
        CHECK_STATUS(tm_finish(&m, in, 1, &y, 1), WS_ERR_SHAPE);
        tm_free(&m);
    }
    op_case(WS_ERR_OPERATOR, WS_OP_LAYER_NORMALIZATION, DIMS(2, 3), DIMS(3), DIMS(2, 3)); /* no options */
    op_case(WS_ERR_OPERATOR, WS_OP_LAYER_NORMALIZATION, DIMS(2, 3), NULL, 0, DIMS(2, 3)); /* one input */
}

/* Aliasing for the new ops: exact in place only where element-wise; partial overlaps never. */
static void test_cnn_aliasing(void) {
    tm m;
    int32_t x, y;
    tm_init(&m); /* Conv exactly over its input: refused */
    x = tm_act_at(&m, DIMS(1, 1, 3, 3), 0);
    y = tm_act_at(&m, DIMS(1, 1, 3, 3), 0);
    wsm_builder_add_conv(m.b, WS_OP_CONV, "c", TENSORS(x, tm_raw(&m, DIMS(1, 1, 1, 1), FLOATS(2))), &y, 1, 1, NULL,
                         NULL, NULL, NULL, 2);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_ARENA);
    tm_free(&m);
    tm_init(&m); /* Transpose in place: refused */
    x = tm_act_at(&m, DIMS(2, 2), 0);
    y = tm_act_at(&m, DIMS(2, 2), 0);
    wsm_builder_add_transpose(m.b, "t", &x, 1, &y, 1, U32(1, 0), 2);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_ARENA);
    tm_free(&m);
    tm_init(&m); /* Sigmoid shifted by one element */
    x = tm_act_at(&m, DIMS(4), 0);
    y = tm_act_at(&m, DIMS(4), 4);
    tm_op(&m, WS_OP_SIGMOID, &x, 1, &y, 1);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_ARENA);
    tm_free(&m);
    tm_init(&m); /* Sigmoid exactly in place: accepted */
    x = tm_act_at(&m, DIMS(4), 0);
    y = tm_act_at(&m, DIMS(4), 0);
    tm_op(&m, WS_OP_SIGMOID, &x, 1, &y, 1);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    tm_free(&m);
    tm_init(&m); /* Concat over its first input: refused */
    x = tm_act_at(&m, DIMS(2), 0);
    y = tm_act_at(&m, DIMS(4), 0);
    wsm_builder_add_concat(m.b, "c", TENSORS(x, tm_raw(&m, DIMS(2), FLOATS(1, 2))), &y, 1, 0);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_ARENA);
    tm_free(&m);
}

/* ---- where verification failed: ws_model_load_detailed ------------------------------------------------ */

/* The MLP (tensors x 0, W 1, b 2, h 3, y 4; operators Gemm 0, Relu 1) with the statements in `...`, expecting
 * `expected` at operator `op_`, tensor `t_`, input slot `in_`. */
#define DETAIL_CASE(expected, op_, t_, in_, ...)                                                       \
    MLP_RUN(expected,                                                                                 \
            CHECK_STATUS(mlp_.error.status, expected); CHECK_EQ(mlp_.error.op, op_);                  \
            CHECK_EQ(mlp_.error.tensor, t_); CHECK_EQ(mlp_.error.input, in_),                         \
            __VA_ARGS__)

static void test_load_error_details(void) {
    tm m;
    int32_t x, y, z;
    ws_model model;
    ws_load_error err;
    uint8_t *copy;

    /* A valid file: every field -1. */
    DETAIL_CASE(WS_OK, -1, -1, -1, (void)m);
    /* A tensor's own problem: the tensor, no operator. */
    DETAIL_CASE(WS_ERR_TENSOR, -1, 5, -1, tm_act(m, DIMS(2, 0)));
    DETAIL_CASE(WS_ERR_ARENA, -1, 5, -1, tm_act_at(m, DIMS(4), 2));
    /* An operator's input id that names no tensor: operator 2, the stored id, input slot 0. */
    DETAIL_CASE(WS_ERR_OPERATOR, 2, 99, 0, z = tm_act(m, DIMS(1, 3)); tm_op(m, WS_OP_RELU, TENSORS(99), TENSORS(z)));
    DETAIL_CASE(WS_ERR_OPERATOR, 2, -1, 1,
                z = tm_act(m, DIMS(1, 3)); tm_op(m, WS_OP_ADD, TENSORS(4, -1), TENSORS(z)));
    /* A shared tensor where only weights may be: Add's input 1 is W (tensor 1). */
    DETAIL_CASE(WS_ERR_OPERATOR, 2, 1, 1,
                z = tm_act(m, DIMS(3, 4)); tm_op(m, WS_OP_ADD, TENSORS(4, 1), TENSORS(z)));
    /* The output is a constant: operator 2, tensor b (2), no input slot. */
    DETAIL_CASE(WS_ERR_OPERATOR, 2, 2, -1, tm_op(m, WS_OP_RELU, TENSORS(4), TENSORS(2)));
    /* Shapes that do not agree: the operator only (the rule involves several tensors). */
    DETAIL_CASE(WS_ERR_SHAPE, 2, -1, -1, z = tm_act(m, DIMS(1, 4)); tm_op(m, WS_OP_ADD, TENSORS(4, 4), TENSORS(z)));
    /* An options value out of range: the operator only. */
    DETAIL_CASE(WS_ERR_OPERATOR, 2, -1, -1,
                z = tm_act(m, DIMS(1, 3)); wsm_builder_add_concat(m->b, "c", TENSORS(4), &z, 1, 5));
    /* Read before written: operator 2 reads z (5), which operator 3 writes later; input slot 1. */
    DETAIL_CASE(WS_ERR_GRAPH, 2, 5, 1, z = tm_act(m, DIMS(1, 3)); tm_op(m, WS_OP_ADD, TENSORS(4, z), TENSORS(z + 1));
                tm_act(m, DIMS(1, 3)); tm_op(m, WS_OP_RELU, TENSORS(4), TENSORS(z)));
    /* Written twice: operator 2 writes h (3) again. */
    DETAIL_CASE(WS_ERR_GRAPH, 2, 3, -1, tm_op(m, WS_OP_RELU, TENSORS(4), TENSORS(3)));

    /* An output overlapping an input of an operator that is not element-wise: the input's slot and tensor. */
    tm_init(&m);
    tm_codebook(&m, FLOATS(-1, 0, 1, 2), 4);
    x = tm_act_at(&m, DIMS(1, 4), 0);
    y = tm_act_at(&m, DIMS(1, 4), 0);
    z = tm_shared(&m, DIMS(4, 4), FLOATS(1, 0, -1, 2, 0, 1, 2, -1, 2, 2, 0, 1, 1, 1, 1, 1));
    tm_gemm(&m, TENSORS(x, z), y, 1, 1, 0, 1);
    m.arena_bytes = 16;
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_ARENA);
    CHECK(m.error.op == 0 && m.error.tensor == x && m.error.input == 0);
    /* The names as stored: the operator's ("gemm"), the tensor's ("" when it has none). */
    CHECK(m.error.op_name != NULL && strcmp(m.error.op_name, "gemm") == 0);
    CHECK(m.error.tensor_name != NULL && strcmp(m.error.tensor_name, "") == 0);
    tm_free(&m);

    /* A named tensor at fault. */
    DETAIL_CASE(WS_ERR_TENSOR, -1, 5, -1, wsm_builder_add_activation(m->b, "bad", DIMS(2, 0), 0));
    tm_init(&m);
    mlp_parts(&m, &x, &y);
    wsm_builder_add_activation(m.b, "bad", DIMS(2, 0), 0);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_TENSOR);
    CHECK(m.error.tensor_name != NULL && strcmp(m.error.tensor_name, "bad") == 0 && m.error.op_name == NULL);
    tm_free(&m);

    /* A graph output no operator writes: the tensor, no operator. */
    tm_init(&m);
    mlp_parts(&m, &x, &y);
    z = tm_act(&m, DIMS(1, 3));
    CHECK_STATUS(tm_finish(&m, &x, 1, &z, 1), WS_ERR_GRAPH);
    CHECK(m.error.op == -1 && m.error.tensor == z && m.error.input == -1);
    tm_free(&m);

    /* File-level problems (CRC) and bad arguments: nothing to point at; a NULL `error` is allowed. */
    tm_init(&m);
    mlp_parts(&m, &x, &y);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    copy = aligned_copy(m.mem, m.len, 0);
    copy[m.len / 2] ^= 1;
    CHECK_STATUS(ws_model_load_detailed(&model, copy, m.len, &err), WS_ERR_CRC);
    CHECK(err.status == WS_ERR_CRC && err.op == -1 && err.tensor == -1 && err.input == -1);
    CHECK(err.op_name == NULL && err.tensor_name == NULL);
    CHECK_STATUS(ws_model_load_detailed(&model, copy, m.len, NULL), WS_ERR_CRC);
    free_copy(copy, 0);
    CHECK_STATUS(ws_model_load_detailed(NULL, m.mem, m.len, &err), WS_ERR_ARGUMENT);
    CHECK(err.status == WS_ERR_ARGUMENT && err.op == -1 && err.tensor == -1 && err.input == -1);
    CHECK_STATUS(ws_model_load_detailed(&model, m.mem, m.len, NULL), WS_OK);
    tm_free(&m);
}

/* ---- linear-time verification: long chains -------------------------------------------------------------- */

/* A chain of n operators (see chain_model) through ws_model_load_scratch(): expected status and location. */
static void check_chain(uint32_t n, int variant, ws_status expected, int32_t op, int32_t tensor, int32_t input) {
    size_t len, bytes;
    uint8_t *file = chain_model(n, variant, &len), *scratch;
    ws_model model;
    ws_load_error err;
    bytes = WS_VERIFY_SCRATCH_BYTES(n + 1u); /* n + 1 tensors */
    scratch = (uint8_t *)malloc(bytes + 1);
    memset(scratch, 0xA5, bytes + 1);
    CHECK_STATUS(ws_model_load_scratch(&model, file, len, &err, scratch, bytes), expected);
    CHECK(err.op == op && err.tensor == tensor && err.input == input);
    CHECK_EQ(scratch[bytes], 0xA5); /* nothing written past WS_VERIFY_SCRATCH_BYTES */
    if (expected == WS_OK) CHECK_EQ(ws_model_num_operators(&model), n);
    free(scratch);
    free_copy(file, 0);
}

/* One byte short of WS_VERIFY_SCRATCH_BYTES: the scan is used and the scratch left alone, same result. */
static void check_short_scratch(uint32_t n, int variant) {
    size_t len, bytes;
    uint8_t *file = chain_model(n, variant, &len), *scratch;
    ws_model model;
    ws_load_error err, scan;
    size_t i, touched = 0;
    bytes = WS_VERIFY_SCRATCH_BYTES(n + 1u) - 1u;
    scratch = (uint8_t *)malloc(bytes);
    memset(scratch, 0xA5, bytes);
    CHECK_STATUS(ws_model_load_scratch(&model, file, len, &err, scratch, bytes),
                 ws_model_load_detailed(&model, file, len, &scan));
    CHECK(err.op == scan.op && err.tensor == scan.tensor && err.input == scan.input);
    for (i = 0; i < bytes; i++) touched += scratch[i] != 0xA5;
    CHECK_EQ(touched, 0);
    /* NULL scratch with a length, and a length without scratch: the scan. */
    CHECK_STATUS(ws_model_load_scratch(&model, file, len, &err, NULL, 1u << 20), scan.status);
    CHECK_STATUS(ws_model_load_scratch(&model, file, len, NULL, scratch, 0), scan.status);
    free(scratch);
    free_copy(file, 0);
}

static void test_chains(void) {
    const uint32_t big = 40000, small = 1000;
    size_t len;
    uint8_t *file;
    ws_model model;
    int v;
    /* Scan and scratch agree on a chain small enough for the scan. */
    for (v = CHAIN_VALID; v <= CHAIN_WRITE_TWICE; v++) {
        file = chain_model(small, v, &len);
        CHECK_STATUS(load_both_paths(&model, file, len, NULL), v == CHAIN_VALID ? WS_OK : WS_ERR_GRAPH);
        free_copy(file, 0);
        check_short_scratch(small, v);
    }
    /* 40,000 operators (the scan takes tens of seconds on these; the scratch path is linear). */
    check_chain(big, CHAIN_VALID, WS_OK, -1, -1, -1);
    check_chain(big, CHAIN_READ_BEFORE_WRITE, WS_ERR_GRAPH, (int32_t)big - 2, (int32_t)big, 0);
    check_chain(big, CHAIN_WRITE_TWICE, WS_ERR_GRAPH, (int32_t)big - 1, (int32_t)big - 3, -1);
    check_chain(small, CHAIN_READ_BEFORE_WRITE, WS_ERR_GRAPH, (int32_t)small - 2, (int32_t)small, 0);
    check_chain(small, CHAIN_WRITE_TWICE, WS_ERR_GRAPH, (int32_t)small - 1, (int32_t)small - 3, -1);
    file = chain_model(big, CHAIN_VALID, &len);
    printf("chains: %u operators (%zu bytes) verified with scratch\n", (unsigned)big, len);
    free_copy(file, 0);
}

int main(void) {
    test_truncations();
    test_byte_flips();
    test_header();
    test_layout();
    test_codebook_and_stream();
    test_tensors();
    test_shapes();
    test_operators();
    test_arena_aliasing();
    test_graph();
    test_conv_rejects();
    test_pool_rejects();
    test_elementwise_rejects();
    test_layout_rejects();
    test_reduction_rejects();
    test_cnn_aliasing();
    test_load_error_details();
    test_chains();
    printf("scan and scratch verification agreed on %lu loads\n", load_both_paths_count);
    return ws_test_finish();
}
