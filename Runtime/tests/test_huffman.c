/*
 * Huffman-coded index streams (feature HUFFMAN): hand-computed codes decoded by the kernels and by
 * ws_tensor_indices; every kernel that streams weights (Gemm both orders and batch sizes, MatMul with a batched B,
 * Conv through each host fast path and the streaming loop, ConvTranspose, Lstm) against the same model with
 * fixed-width indices, bit for bit; exact outliers on coded tensors; and every malformed table or stream refused
 * at load.
 */
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "ws_test.h"

#define U32(...) ((const uint32_t[]){__VA_ARGS__})
#define U8(...) ((const uint8_t[]){__VA_ARGS__})

static const float CB4[4] = {-1.0f, 0.0f, 1.0f, 2.0f};

/* Lengths {2, 1, 3, 3}: canonical codes sym1 = 0, sym0 = 10, sym2 = 110, sym3 = 111 (RFC 1951 order). Indices
 * [1, 0, 2, 3, 1, 1] are the bits 0 10 110 111 0 0, LSB-first: 0xDA 0x01 (11 bits). */
static void test_hand_code(void) {
    tm m;
    int32_t x, b, y;
    uint32_t codes[4], idx[6], bit = 0;
    uint64_t bits = 0;
    uint8_t enc[4] = {0};
    ws_stream_info si;
    ws_tensor_info ti;
    const uint32_t want[6] = {1, 0, 2, 3, 1, 1};

    ref_huffman_codes(U8(2, 1, 3, 3), 4, codes); /* the reference encoder agrees with the hand codes */
    CHECK_EQ(codes[0], 2);
    CHECK_EQ(codes[1], 0);
    CHECK_EQ(codes[2], 6);
    CHECK_EQ(codes[3], 7);
    for (idx[0] = 0; idx[0] < 6; idx[0]++) ref_put_code(enc, &bit, codes[want[idx[0]]], (U8(2, 1, 3, 3))[want[idx[0]]]);
    CHECK_EQ(bit, 11);
    CHECK_EQ(enc[0], 0xDA);
    CHECK_EQ(enc[1], 0x01);

    tm_init(&m);
    tm_codebook(&m, CB4, 4);
    tm_code(&m, U8(2, 1, 3, 3), 4);
    m.coded[0] = 0xDA;
    m.coded[1] = 0x01;
    m.coded_bits = 11;
    x = tm_act(&m, DIMS(1, 3));
    b = tm_shared_coded_at(&m, DIMS(3, 2), 0); /* B = [[0, -1], [1, 2], [0, 0]] */
    y = tm_act(&m, DIMS(1, 2));
    tm_gemm(&m, TENSORS(x, b), y, 1.0f, 1.0f, 0, 0);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    CHECK_EQ(m.model.features, WS_FEATURE_HUFFMAN);
    tm_set(&m, x, FLOATS(1, 2, 3));
    CHECK_STATUS(tm_run(&m), WS_OK);
    CHECK_FLOATS(tm_get(&m, y), FLOATS(2, 3), 2, 0);
    CHECK_STATUS(ws_tensor_indices(&m.model, b, idx, 6, &bits), WS_OK);
    CHECK(memcmp(idx, want, sizeof want) == 0);
    CHECK_EQ(bits, 11);
    CHECK_STATUS(ws_tensor_indices(&m.model, b, idx, 5, &bits), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_tensor_indices(&m.model, x, idx, 6, &bits), WS_ERR_ARGUMENT);
    CHECK_STATUS(ws_model_tensor(&m.model, b, &ti), WS_OK);
    CHECK_EQ(ti.index_encoding, WS_INDEX_HUFFMAN);
    CHECK_EQ(ti.index_offset, 0); /* no fixed-width part: the coded part starts at bit 0 */
    ws_model_stream(&m.model, &si);
    CHECK_EQ(si.num_code_lengths, 4);
    CHECK(si.code_lengths != NULL && si.code_lengths[1] == 1);
    tm_free(&m);
}

/* A code with lengths 1..11, 12, 12 over 13 symbols: symbols 10..12 are longer than the 8-bit lookup and take the
 * canonical walk. Gemm Y = X · B with B [13, 1] = every symbol once, X = powers of two (exact sums). */
static void test_long_codes(void) {
    float cb[13], xv[13], expect = 0.0f;
    uint8_t lengths[13];
    uint32_t order[13], i, idx[13];
    uint64_t bits;
    tm m;
    int32_t x, b, y;
    for (i = 0; i < 13; i++) {
        cb[i] = (float)i;
        lengths[i] = (uint8_t)(i < 12 ? i + 1 : 12);
        order[i] = 12 - i; /* longest codes first */
        xv[i] = (float)(1u << i);
        expect += xv[i] * (float)order[i];
    }
    tm_init(&m);
    tm_codebook(&m, cb, 13);
    tm_code(&m, lengths, 13);
    x = tm_act(&m, DIMS(1, 13));
    b = tm_shared_coded(&m, DIMS(13, 1), order);
    y = tm_act(&m, DIMS(1, 1));
    tm_gemm(&m, TENSORS(x, b), y, 1.0f, 1.0f, 0, 0);
    CHECK_EQ(m.coded_bits, 12 + 12 + 11 + 10 + 9 + 8 + 7 + 6 + 5 + 4 + 3 + 2 + 1);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    tm_set(&m, x, xv);
    CHECK_STATUS(tm_run(&m), WS_OK);
    CHECK_FLOATS(tm_get(&m, y), &expect, 1, 0);
    CHECK_STATUS(ws_tensor_indices(&m.model, b, idx, 13, &bits), WS_OK);
    CHECK(memcmp(idx, order, sizeof order) == 0);
    CHECK_EQ(bits, m.coded_bits);
    tm_free(&m);
}

/* A random complete prefix code over n symbols (a random leaf of length < 12 split until there are n). */
static void random_code(lcg *g, uint32_t n, uint8_t *lengths) {
    uint32_t leaves = 1, i, pick;
    uint8_t len[WS_HUFFMAN_MAX_SYMBOLS];
    len[0] = 0;
    if (n == 1) {
        lengths[0] = 1;
        return;
    }
    while (leaves < n) {
        do pick = lcg_below(g, leaves);
        while (len[pick] >= 12);
        len[pick]++;
        len[leaves++] = len[pick];
    }
    for (i = 0; i < n; i++) lengths[i] = len[i];
    for (i = n; i-- > 1;) { /* shuffle which symbol gets which length */
        uint8_t t;
        pick = lcg_below(g, i + 1);
        t = lengths[i], lengths[i] = lengths[pick], lengths[pick] = t;
    }
}

/* Indices drawn with probability about 2^-length (the distribution the code is good for). */
static uint32_t draw(lcg *g, const uint8_t *lengths, uint32_t n) {
    for (;;) {
        uint32_t s = lcg_below(g, n);
        if (lengths[s] && lcg_below(g, 1u << lengths[s]) < 64u) return s;
    }
}

typedef struct {
    uint32_t m;
    float cb[WS_HUFFMAN_MAX_SYMBOLS];
    uint8_t lengths[WS_HUFFMAN_MAX_SYMBOLS];
} code_case;

/* The same one-operator model with W fixed-width (coded = 0) or Huffman-coded; returns Y (malloc'd). The operator
 * is built by `op`, which gets the weight tensor id. */
typedef int32_t (*build_fn)(tm *m, int32_t w, int32_t *x);

static float *run_variant(const code_case *c, int coded, const uint32_t *wshape, uint32_t wrank, const uint32_t *w,
                          const float *xv, build_fn build, uint32_t *y_elements) {
    tm m;
    int32_t t, x, y;
    float *out;
    ws_tensor_info info;
    tm_init(&m);
    tm_codebook(&m, c->cb, c->m);
    if (coded) {
        tm_code(&m, c->lengths, c->m);
        t = tm_shared_coded(&m, wshape, wrank, w);
    } else {
        t = tm_shared_indices(&m, wshape, wrank, w);
    }
    y = build(&m, t, &x);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    if (m.model.buf == NULL) {
        tm_free(&m);
        return NULL;
    }
    tm_set(&m, x, xv);
    CHECK_STATUS(tm_run(&m), WS_OK);
    ws_model_tensor(&m.model, y, &info);
    out = (float *)malloc(info.elements * sizeof(float));
    memcpy(out, tm_get(&m, y), info.elements * sizeof(float));
    *y_elements = info.elements;
    tm_free(&m);
    return out;
}

static uint32_t g_rows, g_depth, g_cols, g_tb, g_c, g_m, g_hw, g_k, g_group, g_batch;

static int32_t build_gemm(tm *m, int32_t w, int32_t *x) {
    int32_t y;
    *x = tm_act(m, DIMS(g_rows, g_depth));
    y = tm_act(m, DIMS(g_rows, g_cols));
    tm_gemm(m, TENSORS(*x, w), y, 1.0f, 1.0f, 0, (int)g_tb);
    return y;
}

static int32_t build_matmul(tm *m, int32_t w, int32_t *x) {
    int32_t y;
    *x = tm_act(m, DIMS(g_batch, g_rows, g_depth));
    y = tm_act(m, DIMS(g_batch, g_rows, g_cols));
    tm_op(m, WS_OP_MATMUL, TENSORS(*x, w), &y, 1);
    return y;
}

static int32_t build_conv(tm *m, int32_t w, int32_t *x) {
    const uint32_t oh = g_hw - g_k + 1u;
    int32_t y, in[2];
    *x = tm_act(m, DIMS(1, g_c, g_hw, g_hw));
    y = tm_act(m, DIMS(1, g_m, oh, oh));
    in[0] = *x;
    in[1] = w;
    CHECK(wsm_builder_add_conv(m->b, WS_OP_CONV, NULL, in, 2, &y, 1, g_group, NULL, NULL, NULL, NULL, 2) == 0);
    return y;
}

static int32_t build_conv_transpose(tm *m, int32_t w, int32_t *x) {
    const uint32_t oh = g_hw + g_k - 1u;
    int32_t y, in[2];
    *x = tm_act(m, DIMS(1, g_c, g_hw, g_hw));
    y = tm_act(m, DIMS(1, g_m, oh, oh));
    in[0] = *x;
    in[1] = w;
    CHECK(wsm_builder_add_conv(m->b, WS_OP_CONV_TRANSPOSE, NULL, in, 2, &y, 1, 1, NULL, NULL, NULL, NULL, 2) == 0);
    return y;
}

/* One differential case: the operator on coded and fixed-width W gives the same bits. */
static void differential(lcg *g, const code_case *c, const uint32_t *wshape, uint32_t wrank, uint32_t xn,
                         build_fn build, const char *what) {
    uint32_t n = 1, i, ny_a = 0, ny_b = 0;
    uint32_t *w;
    float *xv, *a, *b;
    for (i = 0; i < wrank; i++) n *= wshape[i];
    w = (uint32_t *)malloc(n * sizeof *w);
    xv = (float *)malloc(xn * sizeof *xv);
    for (i = 0; i < n; i++) w[i] = draw(g, c->lengths, c->m);
    for (i = 0; i < xn; i++) xv[i] = (float)((int)lcg_below(g, 17) - 8) / 8.0f;
    a = run_variant(c, 0, wshape, wrank, w, xv, build, &ny_a);
    b = run_variant(c, 1, wshape, wrank, w, xv, build, &ny_b);
    if (CHECK(a && b && ny_a == ny_b) && !CHECK(memcmp(a, b, ny_a * sizeof(float)) == 0))
        fprintf(stderr, "    %s: coded and fixed-width outputs differ\n", what);
    free(w);
    free(xv);
    free(a);
    free(b);
}

static void test_kernels_differential(void) {
    lcg g = {12345};
    code_case c;
    uint32_t round, i;
    for (round = 0; round < 24; round++) {
        c.m = round % 3 == 0 ? 2u + lcg_below(&g, 6) : round % 3 == 1 ? 16u : 2u + lcg_below(&g, 255);
        random_code(&g, c.m, c.lengths);
        for (i = 0; i < c.m; i++) c.cb[i] = (float)i / 4.0f - 2.0f;
        /* Gemm: batch 1 with B [N, K] (the host's 64-at-a-time dense path), and the generic walk both orders. */
        g_rows = 1, g_depth = 3u + lcg_below(&g, 150), g_cols = 1u + lcg_below(&g, 9), g_tb = 1;
        differential(&g, &c, U32(g_cols, g_depth), 2, g_rows * g_depth, build_gemm, "gemm dense");
        g_rows = 1u + lcg_below(&g, 3), g_tb = round & 1u;
        if (g_tb) differential(&g, &c, U32(g_cols, g_depth), 2, g_rows * g_depth, build_gemm, "gemm trans_b");
        else differential(&g, &c, U32(g_depth, g_cols), 2, g_rows * g_depth, build_gemm, "gemm");
        /* MatMul with a batched B: each batch slice starts inside the coded run. */
        g_batch = 2u + lcg_below(&g, 2), g_rows = 2, g_depth = 5, g_cols = 3;
        differential(&g, &c, U32(g_batch, g_depth, g_cols), 3, g_batch * g_rows * g_depth, build_matmul, "matmul");
        /* Conv: pointwise, depthwise, blocked in one pass, blocked in several (coded: streaming), and streaming. */
        g_c = 3, g_m = 5, g_hw = 6, g_k = 1, g_group = 1;
        differential(&g, &c, U32(g_m, g_c, 1, 1), 4, g_c * 36, build_conv, "pointwise");
        g_c = g_m = g_group = 4, g_k = 3;
        differential(&g, &c, U32(g_m, 1, 3, 3), 4, g_c * 36, build_conv, "depthwise");
        g_c = 2, g_m = 6, g_group = 1;
        differential(&g, &c, U32(g_m, g_c, 3, 3), 4, g_c * 36, build_conv, "blocked");
        g_c = 9, g_m = 5, g_hw = 7;
        differential(&g, &c, U32(g_m, g_c, 3, 3), 4, g_c * 49, build_conv, "blocked, several passes");
        g_c = 2, g_m = 3, g_hw = 7, g_k = 7;
        differential(&g, &c, U32(g_m, g_c, 7, 7), 4, g_c * 49, build_conv, "streaming");
        g_c = 3, g_m = 2, g_hw = 4, g_k = 3;
        differential(&g, &c, U32(g_c, g_m, 3, 3), 4, g_c * 16, build_conv_transpose, "conv transpose");
    }
}

/* Exact outliers on a coded B: the outlier replaces the decoded value; the codes around it are unaffected. */
static void test_outliers_on_coded(void) {
    tm m;
    int32_t x, b, y;
    float decoded[6];
    int32_t in[2];
    tm_init(&m);
    tm_codebook(&m, CB4, 4);
    tm_code(&m, U8(2, 1, 3, 3), 4);
    m.features |= WS_FEATURE_OUTLIERS;
    {
        uint32_t codes[4], e;
        const uint32_t idx[6] = {0, 1, 2, 3, 1, 2};
        ref_huffman_codes(m.code_lengths, 4, codes);
        for (e = 0; e < 6; e++) ref_put_code(m.coded, &m.coded_bits, codes[idx[e]], m.code_lengths[idx[e]]);
    }
    x = tm_act(&m, DIMS(1, 3));
    b = wsm_builder_add_shared_encoded(m.b, NULL, DIMS(3, 2), 0, 1, U32(1, 4), FLOATS(10.0f, -7.5f), 2);
    y = tm_act(&m, DIMS(1, 2));
    in[0] = x, in[1] = b;
    tm_gemm(&m, in, 2, y, 1.0f, 1.0f, 0, 0);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    tm_set(&m, x, FLOATS(1, 2, 3));
    CHECK_STATUS(tm_run(&m), WS_OK);
    CHECK_FLOATS(tm_get(&m, y), FLOATS(1 * -1 + 2 * 1 + 3 * -7.5f, 1 * 10 + 2 * 2 + 3 * 1), 2, 1e-6);
    CHECK_STATUS(ws_tensor_decode(&m.model, b, decoded, 6), WS_OK);
    CHECK_FLOATS(decoded, FLOATS(-1, 10, 1, 2, -7.5f, 1), 6, 0);
    tm_free(&m);
}

/* One Gemm model with B [3, 2] coded by `lengths` (n of them) over a codebook of `cb_n` entries; `edit` may damage
 * the model before it is finished. Returns the load status. */
typedef void (*edit_fn)(tm *m);
static ws_status load_coded(const uint8_t *lengths, uint32_t n, uint32_t cb_n, const uint32_t *idx, edit_fn edit,
                            ws_load_error *err) {
    static float cb[300];
    tm m;
    int32_t x, b, y;
    ws_status s;
    uint32_t i;
    for (i = 0; i < cb_n; i++) cb[i] = (float)i;
    tm_init(&m);
    tm_codebook(&m, cb, cb_n);
    tm_code(&m, lengths, n);
    x = tm_act(&m, DIMS(1, 3));
    if (idx) {
        b = tm_shared_coded(&m, DIMS(3, 2), idx);
    } else {
        b = tm_shared_coded_at(&m, DIMS(3, 2), 0);
        m.coded_bits = 8; /* one byte of zero bits (edit may write others) */
    }
    y = tm_act(&m, DIMS(1, 2));
    tm_gemm(&m, TENSORS(x, b), y, 1.0f, 1.0f, 0, 0);
    if (edit) edit(&m);
    s = tm_finish(&m, &x, 1, &y, 1);
    if (err) *err = m.error;
    tm_free(&m);
    return s;
}

static void no_feature(tm *m) { m->features &= ~(uint64_t)WS_FEATURE_HUFFMAN; }
static void outlier_feature_only(tm *m) { m->features = WS_FEATURE_OUTLIERS; }
static void truncate_codes(tm *m) { m->coded_bits = 8u; } /* 12 bits of codes in 1 byte: the rest is padding */
static void short_padding(tm *m) { m->pad = 3; }
static void single_symbol_bad_bit(tm *m) { m->coded[0] = 0x04; } /* third code is '1': no symbol */

static void test_rejected(void) {
    static const uint32_t idx[6] = {0, 1, 2, 3, 1, 0};
    uint8_t big[257];
    ws_load_error err;
    uint32_t i;
    CHECK_STATUS(load_coded(U8(2, 1, 3, 3), 4, 4, idx, NULL, NULL), WS_OK);
    CHECK_STATUS(load_coded(U8(2, 1, 2, 3), 4, 4, NULL, NULL, NULL), WS_ERR_STREAM);  /* Kraft sum > 1 */
    CHECK_STATUS(load_coded(U8(2, 2, 3, 3), 4, 4, NULL, NULL, NULL), WS_ERR_STREAM);  /* Kraft sum < 1 */
    CHECK_STATUS(load_coded(U8(2, 1, 3, 13), 4, 4, NULL, NULL, NULL), WS_ERR_STREAM); /* longer than 12 */
    CHECK_STATUS(load_coded(U8(2, 1, 3, 3, 0), 5, 4, NULL, NULL, NULL), WS_ERR_STREAM); /* 5 lengths, M = 4 */
    CHECK_STATUS(load_coded(U8(2, 1, 3), 3, 4, NULL, NULL, NULL), WS_ERR_STREAM);       /* 3 lengths, M = 4 */
    CHECK_STATUS(load_coded(U8(0, 0, 0, 0), 4, 4, NULL, NULL, NULL), WS_ERR_STREAM);    /* no code at all */
    for (i = 0; i < 257; i++) big[i] = i < 255 ? 8 : 9; /* a complete code, but 257 > WS_HUFFMAN_MAX_SYMBOLS */
    CHECK_STATUS(load_coded(big, 257, 257, NULL, NULL, NULL), WS_ERR_STREAM);
    /* The table or a coded tensor without the feature bit; an old runtime's view: the bit it does not know. */
    CHECK_STATUS(load_coded(U8(2, 1, 3, 3), 4, 4, idx, no_feature, NULL), WS_ERR_STREAM);
    CHECK_STATUS(load_coded(U8(2, 1, 3, 3), 4, 4, idx, outlier_feature_only, NULL), WS_ERR_STREAM);
    /* Streams: codes running into the padding, padding too short, a bit pattern with no code. */
    CHECK_STATUS(load_coded(U8(2, 1, 3, 3), 4, 4, idx, truncate_codes, &err), WS_ERR_STREAM);
    CHECK_EQ(err.tensor, 1);
    CHECK_STATUS(load_coded(U8(2, 1, 3, 3), 4, 4, idx, short_padding, NULL), WS_ERR_STREAM);
    CHECK_STATUS(load_coded(U8(1, 0, 0, 0), 4, 4, NULL, NULL, NULL), WS_OK); /* one symbol, code '0', all zeros */
    CHECK_STATUS(load_coded(U8(1, 0, 0, 0), 4, 4, NULL, single_symbol_bad_bit, NULL), WS_ERR_STREAM);
    {
        /* A coded tensor as Gemm's A (random access) is refused; one starting inside the fixed-width part too. */
        tm m;
        int32_t a, x, y, f;
        tm_init(&m);
        tm_codebook(&m, CB4, 4);
        tm_code(&m, U8(2, 1, 3, 3), 4);
        a = tm_shared_coded(&m, DIMS(2, 2), U32(0, 1, 2, 3));
        x = tm_act(&m, DIMS(2, 2));
        y = tm_act(&m, DIMS(2, 2));
        tm_gemm(&m, TENSORS(a, x), y, 1.0f, 1.0f, 0, 0);
        CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_OPERATOR);
        CHECK_EQ(m.error.tensor, a);
        CHECK_EQ(m.error.input, 0);
        tm_free(&m);

        tm_init(&m);
        tm_codebook(&m, CB4, 4);
        f = tm_shared_indices(&m, DIMS(2, 2), U32(0, 1, 2, 3));
        tm_code(&m, U8(2, 1, 3, 3), 4);
        a = wsm_builder_add_shared_encoded(m.b, NULL, DIMS(2, 2), 0, 1, NULL, NULL, 0); /* bit 0: the fixed part */
        x = tm_act(&m, DIMS(1, 2));
        y = tm_act(&m, DIMS(1, 2));
        tm_gemm(&m, TENSORS(x, a), y, 1.0f, 1.0f, 0, 0);
        (void)f;
        CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_STREAM);
        CHECK_EQ(m.error.tensor, a);
        tm_free(&m);

        tm_init(&m); /* an encoding the schema does not define */
        tm_codebook(&m, CB4, 4);
        tm_code(&m, U8(2, 1, 3, 3), 4);
        a = wsm_builder_add_shared_encoded(m.b, NULL, DIMS(2, 2), 0, 2, NULL, NULL, 0);
        x = tm_act(&m, DIMS(1, 2));
        y = tm_act(&m, DIMS(1, 2));
        tm_gemm(&m, TENSORS(x, a), y, 1.0f, 1.0f, 0, 0);
        CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_TENSOR);
        tm_free(&m);
    }
}

/* The decoder at every start bit: a run decoded from bit offset o matches the reference for o = 0..15. */
static void test_offsets(void) {
    uint8_t lengths[16];
    uint32_t o, e, idx[40], got[40];
    lcg g = {99};
    random_code(&g, 16, lengths);
    for (o = 0; o < 16; o++) {
        tm m;
        int32_t x, b, y;
        uint64_t bits;
        tm_init(&m);
        {
            float cb[16];
            for (e = 0; e < 16; e++) cb[e] = (float)e;
            tm_codebook(&m, cb, 16);
        }
        tm_code(&m, lengths, 16);
        m.coded_bits = o; /* o leading zero bits before the run */
        for (e = 0; e < 40; e++) idx[e] = draw(&g, lengths, 16);
        x = tm_act(&m, DIMS(1, 8));
        b = tm_shared_coded(&m, DIMS(5, 8), idx);
        y = tm_act(&m, DIMS(1, 5));
        tm_gemm(&m, TENSORS(x, b), y, 1.0f, 1.0f, 0, 1);
        CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
        CHECK_STATUS(ws_tensor_indices(&m.model, b, got, 40, &bits), WS_OK);
        CHECK(memcmp(got, idx, sizeof idx) == 0);
        CHECK_EQ(bits, m.coded_bits - o);
        tm_free(&m);
    }
}

int main(void) {
    test_hand_code();
    test_long_codes();
    test_offsets();
    test_outliers_on_coded();
    test_kernels_differential();
    test_rejected();
    return ws_test_finish();
}
