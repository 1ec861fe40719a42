/*
 * Slice, Gather and Tile through whole models (official builder -> ws_model_load -> ws_invoke): hand-computed
 * values (ONNX's own examples where they exist) and naive references written here (output coordinates mapped back
 * to input coordinates one by one), in every rank up to 6; the shape and option rules of the verifier.
 */
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "ws_test.h"

#define U32(...) ((const uint32_t[]){__VA_ARGS__})
#define I32(...) ((const int32_t[]){__VA_ARGS__})

static lcg rng = {5150};

static uint32_t count_of(const uint32_t *shape, uint32_t rank) {
    uint32_t n = 1, i;
    for (i = 0; i < rank; i++) n *= shape[i];
    return n;
}

static float *iota(uint32_t n) {
    float *v = (float *)malloc((n ? n : 1) * sizeof(float));
    uint32_t i;
    for (i = 0; i < n; i++) v[i] = (float)i;
    return v;
}

/* Builds x -> (op built by `add`) -> y, loads, runs on xv; returns y's values or NULL. */
static const float *finish_run(tm *m, int32_t x, const float *xv, int32_t y) {
    ws_status s = tm_finish(m, &x, 1, &y, 1);
    CHECK_STATUS(s, WS_OK);
    if (s != WS_OK) return NULL;
    tm_set(m, x, xv);
    CHECK_STATUS(tm_run(m), WS_OK);
    return tm_get(m, y);
}

static const float *slice_run(tm *m, const uint32_t *shape, uint32_t rank, const float *xv, const uint32_t *starts,
                              const int32_t *steps, const uint32_t *y_shape) {
    int32_t x, y;
    tm_init(m);
    x = tm_act(m, shape, rank);
    y = tm_act(m, y_shape, rank);
    CHECK(wsm_builder_add_slice(m->b, "slice", &x, 1, &y, 1, starts, steps, rank) == 0);
    return finish_run(m, x, xv, y);
}

/* Naive: output element e's coordinates c[d], input index Σ (start[d] + c[d]·step[d])·stride[d]. */
static void slice_check(const uint32_t *shape, uint32_t rank, const uint32_t *starts, const int32_t *steps,
                        const uint32_t *y_shape) {
    uint32_t n = count_of(shape, rank), ny = count_of(y_shape, rank), e, d;
    float *x = iota(n), *expected = (float *)malloc(ny * sizeof(float));
    const float *got;
    tm m;
    for (e = 0; e < n; e++) x[e] = (float)lcg_below(&rng, 2000) / 100.0f - 10.0f;
    for (e = 0; e < ny; e++) {
        uint32_t rest = e, stride = 1;
        long src = 0;
        for (d = rank; d-- > 0;) {
            long c = (long)(rest % y_shape[d]);
            rest /= y_shape[d];
            src += ((long)starts[d] + c * (steps ? steps[d] : 1)) * (long)stride;
            stride *= shape[d];
        }
        expected[e] = x[src];
    }
    if ((got = slice_run(&m, shape, rank, x, starts, steps, y_shape))) CHECK(memcmp(got, expected, ny * 4) == 0);
    tm_free(&m);
    free(x), free(expected);
}

static void test_slice(void) {
    tm m;
    const float *y;
    /* ONNX's test_slice_neg_steps shape: x [20, 10, 5], starts (20, 10, 4) ends (0, 0, 1) steps (-1, -3, -2)
     * clamp to starts (19, 9, 4) and give y [19, 3, 2]. */
    slice_check(DIMS(20, 10, 5), U32(19, 9, 4), I32(-1, -3, -2), U32(19, 3, 2));
    /* test_slice: x[0:3, 0:10] of [20, 10, 5] */
    slice_check(DIMS(20, 10, 5), U32(0, 0, 0), NULL, U32(3, 10, 5));
    /* Hand: [[0 1 2 3] [4 5 6 7]] -> row 1, columns 3, 1 (step -2) = [7, 5]. */
    if ((y = slice_run(&m, DIMS(2, 4), FLOATS(0, 1, 2, 3, 4, 5, 6, 7), U32(1, 3), I32(1, -2), U32(1, 2))))
        CHECK(y[0] == 7.0f && y[1] == 5.0f);
    tm_free(&m);
    /* Every rank, mixed steps; one-element dims take any step. */
    slice_check(DIMS(9), U32(8), I32(-3), U32(3));
    slice_check(DIMS(9), U32(4), I32(1000), U32(1));
    slice_check(DIMS(3, 4, 5, 6), U32(2, 1, 0, 5), I32(-1, 2, 2, -2), U32(3, 2, 3, 3));
    slice_check(DIMS(2, 3, 2, 3, 2, 3), U32(1, 0, 0, 2, 1, 0), I32(-1, 1, 1, -1, -1, 2), U32(2, 3, 2, 3, 2, 2));
    slice_check(DIMS(1, 6, 4, 4), U32(0, 3, 0, 0), NULL, U32(1, 3, 4, 4)); /* a Split half (channels) */
}

static void gather_check(const uint32_t *shape, uint32_t rank, uint32_t axis, const uint32_t *indices, uint32_t count) {
    uint32_t n = count_of(shape, rank), y_shape[WS_MAX_RANK], ny, e, d;
    float *x = iota(n), *expected;
    const float *got;
    int32_t xt, yt;
    tm m;
    for (e = 0; e < n; e++) x[e] = (float)lcg_below(&rng, 2000) / 100.0f - 10.0f;
    memcpy(y_shape, shape, rank * sizeof(uint32_t));
    y_shape[axis] = count;
    ny = count_of(y_shape, rank);
    expected = (float *)malloc(ny * sizeof(float));
    for (e = 0; e < ny; e++) {
        uint32_t rest = e, stride = 1, src = 0;
        for (d = rank; d-- > 0;) {
            uint32_t c = rest % y_shape[d];
            rest /= y_shape[d];
            src += (d == axis ? indices[c] : c) * stride;
            stride *= shape[d];
        }
        expected[e] = x[src];
    }
    tm_init(&m);
    xt = tm_act(&m, shape, rank);
    yt = tm_act(&m, y_shape, rank);
    CHECK(wsm_builder_add_gather(m.b, "gather", &xt, 1, &yt, 1, axis, indices, count) == 0);
    if ((got = finish_run(&m, xt, x, yt))) CHECK(memcmp(got, expected, ny * 4) == 0);
    tm_free(&m);
    free(x), free(expected);
}

static void test_gather(void) {
    tm m;
    int32_t xt, yt;
    const float *y;
    /* ONNX Gather example (axis 0): data [[1, 1.2], [2.3, 3.4], [4.5, 5.7]], indices [[0, 1], [1, 2]] ->
     * [[[1, 1.2], [2.3, 3.4]], [[2.3, 3.4], [4.5, 5.7]]]; the runtime's Y is [4, 2] (the compiler reshapes). */
    static const float data[] = {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f};
    static const float want[] = {1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f};
    /* axis 1 example: data [[1, 1.2, 1.9], [2.3, 3.4, 3.9], [4.5, 5.7, 5.9]], indices [[0, 2]] -> [[1, 1.9], ...] */
    static const float data1[] = {1.0f, 1.2f, 1.9f, 2.3f, 3.4f, 3.9f, 4.5f, 5.7f, 5.9f};
    static const float want1[] = {1.0f, 1.9f, 2.3f, 3.9f, 4.5f, 5.9f};
    tm_init(&m);
    xt = tm_act(&m, DIMS(3, 2));
    yt = tm_act(&m, DIMS(4, 2));
    CHECK(wsm_builder_add_gather(m.b, "g", &xt, 1, &yt, 1, 0, U32(0, 1, 1, 2), 4) == 0);
    if ((y = finish_run(&m, xt, data, yt))) CHECK(memcmp(y, want, sizeof want) == 0);
    tm_free(&m);
    tm_init(&m);
    xt = tm_act(&m, DIMS(3, 3));
    yt = tm_act(&m, DIMS(3, 2));
    CHECK(wsm_builder_add_gather(m.b, "g", &xt, 1, &yt, 1, 1, U32(0, 2), 2) == 0);
    if ((y = finish_run(&m, xt, data1, yt))) CHECK(memcmp(y, want1, sizeof want1) == 0);
    tm_free(&m);
    gather_check(DIMS(5, 4, 3), 0, U32(4, 0, 0, 2, 1, 3), 6);
    gather_check(DIMS(5, 4, 3), 1, U32(3), 1);
    gather_check(DIMS(5, 4, 3), 2, U32(2, 1, 0, 2), 4);
    gather_check(DIMS(2, 2, 2, 3, 2, 2), 3, U32(2, 0), 2);
}

static void tile_check(const uint32_t *x_shape, uint32_t x_rank, const uint32_t *y_shape, uint32_t y_rank) {
    uint32_t n = count_of(x_shape, x_rank), ny = count_of(y_shape, y_rank), e, d, lead = y_rank - x_rank;
    float *x = iota(n), *expected = (float *)malloc(ny * sizeof(float));
    const float *got;
    int32_t xt, yt;
    tm m;
    for (e = 0; e < n; e++) x[e] = (float)lcg_below(&rng, 2000) / 100.0f - 10.0f;
    for (e = 0; e < ny; e++) {
        uint32_t rest = e, stride = 1, src = 0;
        for (d = y_rank; d-- > lead;) {
            uint32_t c = rest % y_shape[d], xd = x_shape[d - lead];
            rest /= y_shape[d];
            src += (c % xd) * stride;
            stride *= xd;
        }
        expected[e] = x[src];
    }
    tm_init(&m);
    xt = tm_act(&m, x_shape, x_rank);
    yt = tm_act(&m, y_shape, y_rank);
    tm_op(&m, WS_OP_TILE, &xt, 1, &yt, 1);
    if ((got = finish_run(&m, xt, x, yt))) CHECK(memcmp(got, expected, ny * 4) == 0);
    tm_free(&m);
    free(x), free(expected);
}

static void test_tile(void) {
    tm m;
    int32_t xt, yt;
    const float *y;
    /* ONNX test_tile_precomputed: [[0, 1], [2, 3]] repeats (2, 2) -> [[0 1 0 1] [2 3 2 3] [0 1 0 1] [2 3 2 3]] */
    static const float want[] = {0, 1, 0, 1, 2, 3, 2, 3, 0, 1, 0, 1, 2, 3, 2, 3};
    /* ONNX Expand example: [[1], [2], [3]] to (2, 1, 6) -> [2, 3, 6], each row its value six times */
    static const float col[] = {1, 2, 3};
    float want_expand[36];
    uint32_t i;
    float *x = iota(4);
    tm_init(&m);
    xt = tm_act(&m, DIMS(2, 2));
    yt = tm_act(&m, DIMS(4, 4));
    tm_op(&m, WS_OP_TILE, &xt, 1, &yt, 1);
    if ((y = finish_run(&m, xt, x, yt))) CHECK(memcmp(y, want, sizeof want) == 0);
    tm_free(&m);
    free(x);
    for (i = 0; i < 36; i++) want_expand[i] = col[(i / 6) % 3];
    tm_init(&m);
    xt = tm_act(&m, DIMS(3, 1));
    yt = tm_act(&m, DIMS(2, 3, 6));
    tm_op(&m, WS_OP_TILE, &xt, 1, &yt, 1);
    if ((y = finish_run(&m, xt, col, yt))) CHECK(memcmp(y, want_expand, sizeof want_expand) == 0);
    tm_free(&m);
    tile_check(DIMS(3), DIMS(12));
    tile_check(DIMS(2, 3, 4), DIMS(4, 3, 8));
    tile_check(DIMS(1, 3, 1), DIMS(2, 3, 5)); /* Expand */
    tile_check(DIMS(3, 1), DIMS(2, 2, 6, 3));
    tile_check(DIMS(1, 2, 1, 3, 1, 2), DIMS(2, 4, 3, 3, 2, 4));
    tile_check(DIMS(4, 5), DIMS(4, 5)); /* nothing repeated */
}

/* One operator's load status: x [x_shape] -> y [y_shape]. kind 0 Slice, 1 Gather, 2 Tile. */
static ws_status status_of(int kind, const uint32_t *x_shape, uint32_t x_rank, const uint32_t *y_shape,
                           uint32_t y_rank, const uint32_t *v, const int32_t *steps, uint32_t n, uint32_t axis) {
    tm m;
    int32_t x, y;
    ws_status s;
    tm_init(&m);
    x = tm_act(&m, x_shape, x_rank);
    y = tm_act(&m, y_shape, y_rank);
    if (kind == 0) wsm_builder_add_slice(m.b, "s", &x, 1, &y, 1, v, steps, n);
    else if (kind == 1) wsm_builder_add_gather(m.b, "g", &x, 1, &y, 1, axis, v, n);
    else tm_op(&m, WS_OP_TILE, &x, 1, &y, 1);
    s = tm_finish(&m, &x, 1, &y, 1);
    tm_free(&m);
    return s;
}

static void test_rejections(void) {
    tm m;
    int32_t x, y;
    /* Slice */
    CHECK_STATUS(status_of(0, DIMS(4, 5), DIMS(2, 2), U32(1, 1), I32(2, 3), 2, 0), WS_OK);
    CHECK_STATUS(status_of(0, DIMS(4, 5), DIMS(2, 2), U32(1, 1), NULL, 2, 0), WS_OK);
    CHECK_STATUS(status_of(0, DIMS(4, 5), DIMS(2, 2), U32(3, 4), I32(-3, -4), 2, 0), WS_OK);
    CHECK_STATUS(status_of(0, DIMS(4, 5), DIMS(2, 2), U32(1, 1), I32(2, 4), 2, 0), WS_ERR_SHAPE);   /* 1 + 4 = 5 */
    CHECK_STATUS(status_of(0, DIMS(4, 5), DIMS(2, 2), U32(3, 4), I32(-3, -5), 2, 0), WS_ERR_SHAPE); /* 4 - 5 < 0 */
    CHECK_STATUS(status_of(0, DIMS(4, 5), DIMS(2, 6), U32(0, 0), NULL, 2, 0), WS_ERR_SHAPE);        /* count */
    CHECK_STATUS(status_of(0, DIMS(4, 5), DIMS(2, 2, 1), U32(0, 0), NULL, 2, 0), WS_ERR_SHAPE);     /* Y rank */
    CHECK_STATUS(status_of(0, DIMS(4, 5), DIMS(8), U32(0), NULL, 1, 0), WS_ERR_OPERATOR);           /* starts n */
    CHECK_STATUS(status_of(0, DIMS(4, 5), DIMS(2, 2), U32(4, 0), NULL, 2, 0), WS_ERR_OPERATOR);     /* start dim */
    CHECK_STATUS(status_of(0, DIMS(4, 5), DIMS(2, 2), U32(0, 0), I32(1, 0), 2, 0), WS_ERR_OPERATOR); /* step 0 */
    CHECK_STATUS(status_of(0, DIMS(4, 5), DIMS(1, 1), U32(0, 0), I32(1, -2147483647 - 1), 2, 0), WS_ERR_OPERATOR);
    CHECK_STATUS(status_of(0, DIMS(4, 5), DIMS(1, 1), U32(0, 0), I32(1, 2147483647), 2, 0), WS_OK); /* one taken */
    CHECK_STATUS(status_of(0, DIMS(4, 5), DIMS(2, 2), NULL, NULL, 0, 0), WS_ERR_OPERATOR);           /* no starts */
    /* A Slice without options is refused (required). */
    tm_init(&m);
    x = tm_act(&m, DIMS(4));
    y = tm_act(&m, DIMS(4));
    tm_op(&m, WS_OP_SLICE, &x, 1, &y, 1);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_OPERATOR);
    tm_free(&m);
    /* Gather */
    CHECK_STATUS(status_of(1, DIMS(4, 5), DIMS(4, 3), U32(0, 4, 4), NULL, 3, 1), WS_OK);
    CHECK_STATUS(status_of(1, DIMS(4, 5), DIMS(4, 3), U32(0, 5, 4), NULL, 3, 1), WS_ERR_OPERATOR); /* index 5 */
    CHECK_STATUS(status_of(1, DIMS(4, 5), DIMS(4, 3), U32(0, 1, 2), NULL, 3, 2), WS_ERR_OPERATOR); /* axis */
    CHECK_STATUS(status_of(1, DIMS(4, 5), DIMS(4, 5), NULL, NULL, 0, 1), WS_ERR_OPERATOR);         /* no indices */
    CHECK_STATUS(status_of(1, DIMS(4, 5), DIMS(4, 2), U32(0, 1, 2), NULL, 3, 1), WS_ERR_SHAPE);    /* count */
    CHECK_STATUS(status_of(1, DIMS(4, 5), DIMS(3, 3), U32(0, 1, 2), NULL, 3, 1), WS_ERR_SHAPE);    /* other dim */
    CHECK_STATUS(status_of(1, DIMS(4, 5), DIMS(12), U32(0, 1, 2), NULL, 3, 1), WS_ERR_SHAPE);      /* rank */
    /* Tile */
    CHECK_STATUS(status_of(2, DIMS(2, 3), DIMS(4, 2, 9), NULL, NULL, 0, 0), WS_OK);
    CHECK_STATUS(status_of(2, DIMS(2, 3), DIMS(4, 2, 8), NULL, NULL, 0, 0), WS_ERR_SHAPE); /* 8 % 3 */
    CHECK_STATUS(status_of(2, DIMS(2, 3), DIMS(3, 3), NULL, NULL, 0, 0), WS_ERR_SHAPE);    /* 3 % 2 */
    CHECK_STATUS(status_of(2, DIMS(1, 2, 3), DIMS(2, 3), NULL, NULL, 0, 0), WS_ERR_SHAPE); /* X rank > Y rank */
    /* Not in place: an output over its input is refused. */
    tm_init(&m);
    x = tm_act_at(&m, DIMS(4), 0);
    y = tm_act_at(&m, DIMS(4), 0);
    tm_op(&m, WS_OP_TILE, &x, 1, &y, 1);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_ARENA);
    tm_free(&m);
    /* A Gather without options is refused (required); Tile takes none. */
    tm_init(&m);
    x = tm_act(&m, DIMS(4));
    y = tm_act(&m, DIMS(4));
    tm_op(&m, WS_OP_GATHER, &x, 1, &y, 1);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_ERR_OPERATOR);
    tm_free(&m);
    CHECK_EQ(strcmp(ws_opcode_name(WS_OP_SLICE), "Slice"), 0);
    CHECK_EQ(strcmp(ws_opcode_name(WS_OP_GATHER), "Gather"), 0);
    CHECK_EQ(strcmp(ws_opcode_name(WS_OP_TILE), "Tile"), 0);
}

/* A Slice's raw (constant) input works too: the kernel reads the file's values. */
static void test_raw_input(void) {
    tm m;
    int32_t x, r, y;
    const float *got;
    tm_init(&m);
    x = tm_act(&m, DIMS(2));
    r = tm_raw(&m, DIMS(2, 3), FLOATS(1, 2, 3, 4, 5, 6));
    y = tm_act(&m, DIMS(2, 1));
    CHECK(wsm_builder_add_slice(m.b, "s", &r, 1, &y, 1, U32(1, 2), I32(-1, 1), 2) == 0);
    CHECK_STATUS(tm_finish(&m, &x, 1, &y, 1), WS_OK);
    tm_set(&m, x, FLOATS(0, 0));
    CHECK_STATUS(tm_run(&m), WS_OK);
    got = tm_get(&m, y);
    CHECK(got[0] == 6.0f && got[1] == 3.0f);
    tm_free(&m);
}

int main(void) {
    test_slice();
    test_gather();
    test_tile();
    test_rejections();
    test_raw_input();
    return ws_test_finish();
}
