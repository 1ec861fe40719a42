/*
 * The CNN op set through whole models (official builder -> ws_model_load -> ws_invoke), against hand-computed
 * values (ONNX's own examples where they exist) and against naive references written here with obviously-correct
 * loops: Conv (groups, depthwise, dilation, asymmetric pads, strides, 1-D), ConvTranspose, pools, Resize, Pad,
 * Transpose, Concat, broadcasting Sub/Mul/Div, activations, PRelu, ChannelAffine, epilogue S, in-place aliasing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "ws_test.h"

#define TOL 1e-5
#define U32(...) ((const uint32_t[]){__VA_ARGS__})


#define h_run(h, outputs, n) h_run_at(h, outputs, n, __LINE__)
static int h_run_at(harness *h, const int32_t *outputs, uint32_t num_outputs, int line) {
    uint32_t i;
    ws_status s = tm_finish(&h->m, h->inputs, h->num_inputs, outputs, num_outputs);
    CHECK_STATUS(s, WS_OK);
    if (s != WS_OK) fprintf(stderr, "    model built at line %d\n", line);
    if (s != WS_OK) return 0;
    for (i = 0; i < h->num_inputs; i++) tm_set(&h->m, h->inputs[i], h->values[i]);
    s = tm_run(&h->m);
    CHECK_STATUS(s, WS_OK);
    return s == WS_OK;
}

static uint32_t count_of(const uint32_t *shape, uint32_t rank) {
    uint32_t n = 1, i;
    for (i = 0; i < rank; i++) n *= shape[i];
    return n;
}

/* Random multiples of 1/8 in [-2, 2): sums of a few products stay exact in float. */
static lcg rng = {12345};
static float *random_values(uint32_t n) {
    float *v = (float *)malloc((n + 1) * sizeof(float));
    uint32_t i;
    for (i = 0; i < n; i++) v[i] = ((float)lcg_below(&rng, 32) - 16.0f) / 8.0f;
    return v;
}

/* The 16 codebook values random_codebook_values() draws from. */
static float CODEBOOK16[16];
static void init_codebook16(void) {
    uint32_t i;
    for (i = 0; i < 16; i++) CODEBOOK16[i] = ((float)i - 8.0f) / 4.0f;
}
static float *random_codebook_values(uint32_t n) {
    float *v = (float *)malloc((n + 1) * sizeof(float));
    uint32_t i;
    for (i = 0; i < n; i++) v[i] = CODEBOOK16[lcg_below(&rng, 16)];
    return v;
}

/* ---- Conv / ConvTranspose ------------------------------------------------------------------------------- */

typedef struct {
    uint32_t n, c, h, w, m, kh, kw, group;
    uint32_t s[2], d[2], pads[4], opad[2];
    int bias, scale; /* scale: 0 none, 1 S [M], 2 S [1] */
} conv_case;

/* The scale of output channel m (S [M] or S [1]). */
static double scale_of(const conv_case *k, const float *s, uint32_t m) { return s ? s[k->scale == 2 ? 0 : m] : 1.0; }

static void conv_ref(const conv_case *k, const float *x, const float *w, const float *b, const float *s,
                     uint32_t oh, uint32_t ow, float *y) {
    uint32_t n, m, yy, xx, ci, ki, kj;
    const uint32_t cg = k->c / k->group, mg = k->m / k->group;
    for (n = 0; n < k->n; n++)
        for (m = 0; m < k->m; m++)
            for (yy = 0; yy < oh; yy++)
                for (xx = 0; xx < ow; xx++) {
                    double acc = 0;
                    for (ci = 0; ci < cg; ci++)
                        for (ki = 0; ki < k->kh; ki++)
                            for (kj = 0; kj < k->kw; kj++) {
                                long iy = (long)(yy * k->s[0] + ki * k->d[0]) - (long)k->pads[0];
                                long ix = (long)(xx * k->s[1] + kj * k->d[1]) - (long)k->pads[1];
                                uint32_t c = (m / mg) * cg + ci;
                                if (iy < 0 || ix < 0 || iy >= (long)k->h || ix >= (long)k->w) continue;
                                acc += (double)x[((n * k->c + c) * k->h + (uint32_t)iy) * k->w + (uint32_t)ix] *
                                       w[((m * cg + ci) * k->kh + ki) * k->kw + kj];
                            }
                    y[((n * k->m + m) * oh + yy) * ow + xx] = (float)(scale_of(k, s, m) * acc + (b ? b[m] : 0.0));
                }
}

static void conv_transpose_ref(const conv_case *k, const float *x, const float *w, const float *b, const float *s,
                               uint32_t oh, uint32_t ow, float *y) {
    uint32_t n, c, iy, ix, mi, ki, kj, i;
    const uint32_t cg = k->c / k->group, mg = k->m / k->group;
    double *acc = (double *)calloc((size_t)k->n * k->m * oh * ow, sizeof(double));
    for (n = 0; n < k->n; n++)
        for (c = 0; c < k->c; c++)
            for (iy = 0; iy < k->h; iy++)
                for (ix = 0; ix < k->w; ix++)
                    for (mi = 0; mi < mg; mi++)
                        for (ki = 0; ki < k->kh; ki++)
                            for (kj = 0; kj < k->kw; kj++) {
                                long yy = (long)(iy * k->s[0] + ki * k->d[0]) - (long)k->pads[0];
                                long xx = (long)(ix * k->s[1] + kj * k->d[1]) - (long)k->pads[1];
                                uint32_t m = (c / cg) * mg + mi;
                                if (yy < 0 || xx < 0 || yy >= (long)oh || xx >= (long)ow) continue;
                                acc[((n * k->m + m) * oh + (uint32_t)yy) * ow + (uint32_t)xx] +=
                                    (double)x[((n * k->c + c) * k->h + iy) * k->w + ix] *
                                    w[((c * mg + mi) * k->kh + ki) * k->kw + kj];
                            }
    for (i = 0; i < k->n * k->m * oh * ow; i++) {
        uint32_t m = (i / (oh * ow)) % k->m;
        y[i] = (float)(scale_of(k, s, m) * acc[i] + (b ? b[m] : 0.0));
    }
    free(acc);
}

/* Runs one case with W of the given kind; returns the output (malloc'ed) or NULL. */
static float *run_conv(const conv_case *k, int transposed, int w_kind, const float *x, const float *w,
                       const float *b, const float *s, uint32_t oh, uint32_t ow) {
    harness h;
    int32_t in[4], y;
    uint32_t nin = 2, ny = k->n * k->m * oh * ow;
    float *out = NULL;
    h_init(&h, CODEBOOK16, 16);
    in[0] = operand(&h, ACT, DIMS(k->n, k->c, k->h, k->w), x);
    if (transposed) in[1] = operand(&h, w_kind, DIMS(k->c, k->m / k->group, k->kh, k->kw), w);
    else in[1] = operand(&h, w_kind, DIMS(k->m, k->c / k->group, k->kh, k->kw), w);
    if (b || s) in[nin++] = b ? tm_raw(&h.m, DIMS(k->m), b) : -1;
    if (s) in[nin++] = tm_raw(&h.m, DIMS(k->scale == 2 ? 1 : k->m), s);
    if (s && k->scale == 2) h.m.features |= WS_FEATURE_SCALAR_SCALE; /* S [1]: the file must declare it */
    y = tm_act(&h.m, DIMS(k->n, k->m, oh, ow));
    CHECK(wsm_builder_add_conv(h.m.b, transposed ? WS_OP_CONV_TRANSPOSE : WS_OP_CONV, "conv", in, nin, &y, 1,
                               k->group, k->s, k->d, k->pads, transposed ? k->opad : NULL, 2) == 0);
    if (h_run(&h, &y, 1)) {
        out = (float *)malloc(ny * sizeof(float));
        memcpy(out, tm_get(&h.m, y), ny * sizeof(float));
    }
    tm_free(&h.m);
    return out;
}

static void conv_check(const conv_case *k, int transposed) {
    uint32_t oh, ow, nx = k->n * k->c * k->h * k->w, nw = k->m * (k->c / k->group) * k->kh * k->kw, ny;
    float *x = random_values(nx), *w = random_codebook_values(nw), *b = NULL, *s = NULL, *expected, *got, *got2;
    if (k->bias) b = random_values(k->m);
    if (k->scale) s = random_values(k->m);
    if (transposed) {
        oh = k->s[0] * (k->h - 1) + k->opad[0] + (k->kh - 1) * k->d[0] + 1 - k->pads[0] - k->pads[2];
        ow = k->s[1] * (k->w - 1) + k->opad[1] + (k->kw - 1) * k->d[1] + 1 - k->pads[1] - k->pads[3];
    } else {
        oh = (k->h + k->pads[0] + k->pads[2] - ((k->kh - 1) * k->d[0] + 1)) / k->s[0] + 1;
        ow = (k->w + k->pads[1] + k->pads[3] - ((k->kw - 1) * k->d[1] + 1)) / k->s[1] + 1;
    }
    ny = k->n * k->m * oh * ow;
    expected = (float *)malloc(ny * sizeof(float));
    if (transposed) conv_transpose_ref(k, x, w, b, s, oh, ow, expected);
    else conv_ref(k, x, w, b, s, oh, ow, expected);
    got = run_conv(k, transposed, RAW, x, w, b, s, oh, ow);
    got2 = run_conv(k, transposed, SHARED, x, w, b, s, oh, ow);
    if (got) {
        unsigned before = ws_test_failed;
        CHECK_FLOATS(got, expected, ny, 1e-4);
        if (ws_test_failed != before)
            fprintf(stderr, "    conv t=%d n=%u c=%u h=%u w=%u m=%u g=%u k=%ux%u s=%u,%u d=%u,%u pads=%u,%u,%u,%u\n",
                    transposed, k->n, k->c, k->h, k->w, k->m, k->group, k->kh, k->kw, k->s[0], k->s[1], k->d[0],
                    k->d[1], k->pads[0], k->pads[1], k->pads[2], k->pads[3]);
    }
    /* Shared (codebook) weights give exactly what the same values stored raw give. */
    if (got && got2) CHECK(memcmp(got, got2, ny * sizeof(float)) == 0);
    free(x), free(w), free(b), free(s), free(expected), free(got), free(got2);
}

static void test_conv(void) {
    /*                 n  c  h  w  m  kh kw g   strides  dil     pads          opad   bias scale */
    conv_case cases[] = {
        {1, 1, 4, 4, 1, 3, 3, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}, {0, 0}, 0, 0},
        {1, 3, 5, 6, 4, 3, 3, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}, {0, 0}, 1, 0},
        {2, 4, 7, 5, 6, 3, 2, 2, {2, 1}, {1, 1}, {1, 0, 2, 1}, {0, 0}, 1, 1},   /* groups, asymmetric pads */
        {1, 4, 6, 6, 4, 3, 3, 4, {1, 1}, {1, 1}, {1, 1, 1, 1}, {0, 0}, 1, 0},   /* depthwise */
        {1, 3, 6, 6, 6, 3, 3, 3, {2, 2}, {1, 1}, {1, 1, 1, 1}, {0, 0}, 0, 1},   /* depthwise multiplier 2 */
        {1, 2, 9, 9, 3, 3, 3, 1, {1, 1}, {2, 3}, {2, 1, 0, 3}, {0, 0}, 1, 1},   /* dilation */
        {1, 2, 8, 9, 2, 2, 3, 1, {3, 2}, {2, 1}, {0, 2, 1, 0}, {0, 0}, 1, 0},   /* strides + dilation */
        {1, 3, 1, 12, 5, 1, 3, 1, {1, 2}, {1, 1}, {0, 1, 0, 1}, {0, 0}, 1, 0},  /* 1-D (H = 1) */
        {2, 2, 1, 10, 2, 1, 4, 2, {1, 1}, {1, 2}, {0, 3, 0, 0}, {0, 0}, 0, 1},  /* 1-D grouped, dilated */
        {1, 1, 3, 3, 2, 5, 5, 1, {1, 1}, {1, 1}, {2, 2, 2, 2}, {0, 0}, 1, 0},   /* kernel bigger than input */
    };
    conv_case tcases[] = {
        {1, 1, 3, 3, 1, 3, 3, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}, {0, 0}, 0, 0},
        {1, 2, 3, 4, 3, 3, 3, 1, {2, 2}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, 0},   /* stride, output_padding */
        {2, 4, 3, 3, 6, 2, 3, 2, {2, 3}, {1, 1}, {0, 1, 1, 0}, {1, 2}, 1, 1},   /* groups, asymmetric pads */
        {1, 3, 4, 4, 3, 3, 3, 3, {2, 2}, {1, 1}, {1, 1, 1, 1}, {1, 0}, 0, 1},   /* depthwise */
        {1, 2, 4, 3, 2, 2, 2, 1, {1, 2}, {2, 2}, {0, 0, 0, 0}, {1, 1}, 1, 0},   /* dilation, op < dilation */
        {1, 2, 1, 6, 3, 1, 3, 1, {1, 2}, {1, 1}, {0, 1, 0, 1}, {0, 1}, 1, 1},   /* 1-D */
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) conv_check(&cases[i], 0);
    for (i = 0; i < sizeof tcases / sizeof tcases[0]; i++) conv_check(&tcases[i], 1);
}

/* Random Conv shapes against the reference, one family per kernel path of ws_conv.c: pointwise (1x1, stride 1,
 * no pads), depthwise (group = C = M), general (groups, strides, dilations, pads, non-square kernels and planes),
 * and shapes past the fast paths' buffers (kernels over 16 taps, rows over 128 columns), which stream. */
static uint32_t pick(uint32_t lo, uint32_t hi) { return lo + lcg_below(&rng, hi - lo + 1u); }

static void random_conv_case(conv_case *k, int family) {
    uint32_t ext_h, ext_w, cg, mg;
    memset(k, 0, sizeof *k);
    k->n = pick(1, 2);
    k->group = family == 1 ? pick(1, 12) : pick(1, 3);
    cg = family == 1 ? 1 : pick(1, 6);
    mg = family == 1 ? 1 : pick(1, 7);
    k->c = cg * k->group;
    k->m = mg * k->group;
    k->kh = family == 0 ? 1 : family == 3 ? pick(1, 7) : pick(1, 4);
    k->kw = family == 0 ? 1 : family == 3 ? pick(3, 7) : pick(1, 4);
    k->s[0] = family == 0 ? 1 : pick(1, 3);
    k->s[1] = family == 0 ? 1 : pick(1, 3);
    if (family >= 1 && lcg_below(&rng, 2)) k->s[0] = k->s[1] = 1; /* the common, vectorised case */
    k->d[0] = family == 0 ? 1 : pick(1, 2);
    k->d[1] = family == 0 ? 1 : pick(1, 2);
    if (family != 0) {
        k->pads[0] = pick(0, 2), k->pads[1] = pick(0, 2), k->pads[2] = pick(0, 2), k->pads[3] = pick(0, 2);
    }
    ext_h = (k->kh - 1) * k->d[0] + 1;
    ext_w = (k->kw - 1) * k->d[1] + 1;
    k->h = pick(1, 11);
    k->w = family == 3 && lcg_below(&rng, 2) ? pick(130, 140) : pick(1, 19);
    if (k->h + k->pads[0] + k->pads[2] < ext_h) k->h = ext_h;
    if (k->w + k->pads[1] + k->pads[3] < ext_w) k->w = ext_w;
    k->bias = (int)lcg_below(&rng, 2);
    k->scale = (int)lcg_below(&rng, 3);
}

static void test_conv_random(void) {
    int family, i;
    for (family = 0; family < 4; family++)
        for (i = 0; i < 40; i++) {
            conv_case k;
            random_conv_case(&k, family);
            conv_check(&k, 0);
        }
}

/* A hand-computed Conv: x = 1..9 [1,1,3,3], w = [[1,0],[0,-1]], pads 0: y[i,j] = x[i,j] - x[i+1,j+1] = -4;
 * with S = 0.5 and B = 1: -1. */
static void test_conv_hand(void) {
    harness h;
    int32_t x, w, y;
    h_init(&h, FLOATS(-1, 0, 1), 3);
    x = operand(&h, ACT, DIMS(1, 1, 3, 3), FLOATS(1, 2, 3, 4, 5, 6, 7, 8, 9));
    w = operand(&h, SHARED, DIMS(1, 1, 2, 2), FLOATS(1, 0, 0, -1));
    y = tm_act(&h.m, DIMS(1, 1, 2, 2));
    CHECK(wsm_builder_add_conv(h.m.b, WS_OP_CONV, "c", TENSORS(x, w, tm_raw(&h.m, DIMS(1), FLOATS(1)),
                                                               tm_raw(&h.m, DIMS(1), FLOATS(0.5f))),
                               &y, 1, 1, NULL, NULL, NULL, NULL, 2) == 0);
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(-1, -1, -1, -1), 4, TOL);
    tm_free(&h.m);
}

/* Gemm epilogue S [N]: Y = alpha * A B diag(S) + beta * C. A B = [[5,8],[14,14]] (see test_kernels.c). */
static void test_gemm_scale(void) {
    static const float cb[8] = {-1, 0, 1, 2, 3, 4, 5, 6};
    harness h;
    int32_t a, b, y;
    int shared;
    for (shared = 0; shared < 2; shared++) {
        h_init(&h, cb, 8);
        a = operand(&h, ACT, DIMS(2, 3), FLOATS(1, 2, 3, 4, 5, 6));
        b = operand(&h, shared ? SHARED : RAW, DIMS(2, 3), FLOATS(1, 2, 0, -1, 0, 3)); /* B^T */
        y = tm_act(&h.m, DIMS(2, 2));
        tm_gemm(&h.m, TENSORS(a, b, tm_raw(&h.m, DIMS(2), FLOATS(10, 20)), tm_raw(&h.m, DIMS(2), FLOATS(2, -1))), y,
                0.5f, 1, 0, 1);
        /* 0.5 * [[5*2, 8*-1],[14*2, 14*-1]] + [10, 20] = [[15, 16],[24, 13]] */
        if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(15, 16, 24, 13), 4, TOL);
        tm_free(&h.m);
    }
    /* S without C (C = -1), batch-1 fast path. */
    h_init(&h, cb, 8);
    a = operand(&h, ACT, DIMS(1, 3), FLOATS(1, 2, 3));
    b = operand(&h, SHARED, DIMS(2, 3), FLOATS(1, 2, 0, -1, 0, 3));
    y = tm_act(&h.m, DIMS(1, 2));
    tm_gemm(&h.m, TENSORS(a, b, -1, tm_raw(&h.m, DIMS(2), FLOATS(3, 0.5f))), y, 1, 1, 0, 1);
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(15, 4), 2, TOL);
    tm_free(&h.m);
}

/* ---- pools ----------------------------------------------------------------------------------------------- */

typedef struct {
    uint32_t n, c, h, w, kh, kw;
    uint32_t s[2], d[2], pads[4];
    int ceil_mode, include_pad;
} pool_case;

static uint32_t pool_out(uint32_t in, uint32_t pb, uint32_t pe, uint32_t k, uint32_t d, uint32_t s, int ceil_mode) {
    uint32_t span = in + pb + pe - ((k - 1) * d + 1);
    return (ceil_mode ? (span + s - 1) / s : span / s) + 1;
}

static void pool_ref(const pool_case *k, int average, const float *x, uint32_t oh, uint32_t ow, float *y) {
    uint32_t p, yy, xx, ki, kj;
    for (p = 0; p < k->n * k->c; p++)
        for (yy = 0; yy < oh; yy++)
            for (xx = 0; xx < ow; xx++) {
                double acc = average ? 0 : -INFINITY;
                uint32_t inside = 0, padded = 0;
                for (ki = 0; ki < k->kh; ki++)
                    for (kj = 0; kj < k->kw; kj++) {
                        long iy = (long)(yy * k->s[0] + ki * k->d[0]) - (long)k->pads[0];
                        long ix = (long)(xx * k->s[1] + kj * k->d[1]) - (long)k->pads[1];
                        if (iy < (long)(k->h + k->pads[2]) && ix < (long)(k->w + k->pads[3])) padded++;
                        if (iy < 0 || ix < 0 || iy >= (long)k->h || ix >= (long)k->w) continue;
                        inside++;
                        if (average) acc += x[(p * k->h + (uint32_t)iy) * k->w + (uint32_t)ix];
                        else acc = fmax(acc, x[(p * k->h + (uint32_t)iy) * k->w + (uint32_t)ix]);
                    }
                if (average) acc /= k->include_pad ? padded : inside;
                y[(p * oh + yy) * ow + xx] = (float)acc;
            }
}

static void pool_check(const pool_case *k, int average) {
    uint32_t oh = pool_out(k->h, k->pads[0], k->pads[2], k->kh, k->d[0], k->s[0], k->ceil_mode);
    uint32_t ow = pool_out(k->w, k->pads[1], k->pads[3], k->kw, k->d[1], k->s[1], k->ceil_mode);
    uint32_t nx = k->n * k->c * k->h * k->w, ny = k->n * k->c * oh * ow;
    float *x = random_values(nx), *expected = (float *)malloc(ny * sizeof(float));
    harness h;
    int32_t in, y;
    pool_ref(k, average, x, oh, ow, expected);
    h_init(&h, NULL, 0);
    in = operand(&h, ACT, DIMS(k->n, k->c, k->h, k->w), x);
    y = tm_act(&h.m, DIMS(k->n, k->c, oh, ow));
    CHECK(wsm_builder_add_pool(h.m.b, average ? WS_OP_AVERAGE_POOL : WS_OP_MAX_POOL, "pool", &in, 1, &y, 1,
                               U32(k->kh, k->kw), k->s, k->d, k->pads, 2, k->include_pad) == 0);
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), expected, ny, 1e-5);
    tm_free(&h.m);
    free(x), free(expected);
}

static void test_pools(void) {
    pool_case cases[] = {
        {1, 1, 4, 4, 2, 2, {2, 2}, {1, 1}, {0, 0, 0, 0}, 0, 0},
        {1, 2, 5, 5, 2, 2, {2, 2}, {1, 1}, {0, 0, 0, 0}, 1, 0},  /* ceil mode: 3x3, last window clipped */
        {2, 3, 7, 6, 3, 3, {2, 2}, {1, 1}, {1, 1, 1, 1}, 1, 1},  /* ceil mode, pads, count_include_pad */
        {2, 3, 7, 6, 3, 3, {2, 2}, {1, 1}, {1, 1, 1, 1}, 1, 0},
        {1, 2, 6, 7, 3, 2, {1, 2}, {1, 1}, {1, 0, 2, 1}, 0, 1},  /* asymmetric pads */
        {1, 2, 6, 7, 3, 2, {1, 2}, {1, 1}, {1, 0, 2, 1}, 0, 0},
        {1, 1, 8, 8, 2, 3, {2, 1}, {2, 2}, {0, 1, 1, 1}, 1, 1},  /* dilation */
        {1, 3, 1, 11, 1, 3, {1, 2}, {1, 1}, {0, 1, 0, 1}, 1, 0}, /* 1-D */
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pool_check(&cases[i], 0);
        pool_check(&cases[i], 1);
    }
}

/* Hand values: 2x2 max/average pool with stride 2 over 1..16, ceil mode of 3x3 -> 2x2, GlobalAveragePool. */
static void test_pools_hand(void) {
    harness h;
    int32_t x, y;
    static const float x16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    h_init(&h, NULL, 0); /* MaxPool 2x2 stride 2 */
    x = operand(&h, ACT, DIMS(1, 1, 4, 4), x16);
    y = tm_act(&h.m, DIMS(1, 1, 2, 2));
    wsm_builder_add_pool(h.m.b, WS_OP_MAX_POOL, "p", &x, 1, &y, 1, (const uint32_t[]){2, 2},
                         (const uint32_t[]){2, 2}, NULL, NULL, 2, 0);
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(6, 8, 14, 16), 4, 0);
    tm_free(&h.m);

    h_init(&h, NULL, 0); /* AveragePool 2x2 stride 2 on 3x3, ceil mode: windows clipped to the input */
    x = operand(&h, ACT, DIMS(1, 1, 3, 3), FLOATS(1, 2, 3, 4, 5, 6, 7, 8, 9));
    y = tm_act(&h.m, DIMS(1, 1, 2, 2));
    wsm_builder_add_pool(h.m.b, WS_OP_AVERAGE_POOL, "p", &x, 1, &y, 1, (const uint32_t[]){2, 2},
                         (const uint32_t[]){2, 2}, NULL, NULL, 2, 0);
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(3, 4.5f, 7.5f, 9), 4, TOL);
    tm_free(&h.m);

    h_init(&h, NULL, 0); /* count_include_pad with pads 1: corner window covers 1,2,4,5 of 9 positions */
    x = operand(&h, ACT, DIMS(1, 1, 3, 3), FLOATS(1, 2, 3, 4, 5, 6, 7, 8, 9));
    y = tm_act(&h.m, DIMS(1, 1, 2, 2));
    wsm_builder_add_pool(h.m.b, WS_OP_AVERAGE_POOL, "p", &x, 1, &y, 1, (const uint32_t[]){3, 3},
                         (const uint32_t[]){2, 2}, NULL, (const uint32_t[]){1, 1, 1, 1}, 2, 1);
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(12 / 9.f, 16 / 9.f, 24 / 9.f, 28 / 9.f), 4, TOL);
    tm_free(&h.m);

    h_init(&h, NULL, 0);
    x = operand(&h, ACT, DIMS(2, 2, 1, 3), FLOATS(1, 2, 3, 4, 5, 6, -1, -2, -3, 0, 0, 3));
    y = tm_act(&h.m, DIMS(2, 2, 1, 1));
    tm_op(&h.m, WS_OP_GLOBAL_AVERAGE_POOL, &x, 1, &y, 1);
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(2, 5, -2, 1), 4, TOL);
    tm_free(&h.m);
}

/* ---- element-wise ---------------------------------------------------------------------------------------- */

static void binary_case(ws_opcode op, const uint32_t *a_shape, uint32_t a_rank, const float *a, int b_kind,
                        const uint32_t *b_shape, uint32_t b_rank, const float *b, const uint32_t *y_shape,
                        uint32_t y_rank, const float *expected) {
    harness h;
    int32_t x0, x1, y;
    h_init(&h, NULL, 0);
    x0 = operand(&h, ACT, a_shape, a_rank, a);
    x1 = operand(&h, b_kind, b_shape, b_rank, b);
    y = tm_act(&h.m, y_shape, y_rank);
    tm_op(&h.m, op, TENSORS(x0, x1), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), expected, count_of(y_shape, y_rank), TOL);
    tm_free(&h.m);
}

static void test_binary(void) {
    static const float six[6] = {1, 2, 3, 4, 5, 6};
    binary_case(WS_OP_SUB, DIMS(2, 3), six, RAW, DIMS(3), FLOATS(1, 1, 2), DIMS(2, 3), FLOATS(0, 1, 1, 3, 4, 4));
    binary_case(WS_OP_SUB, DIMS(2, 1), FLOATS(10, 20), ACT, DIMS(1, 3), FLOATS(1, 2, 3), DIMS(2, 3),
                FLOATS(9, 8, 7, 19, 18, 17));
    binary_case(WS_OP_MUL, DIMS(2, 3), six, RAW, DIMS(2, 1), FLOATS(2, -1), DIMS(2, 3), FLOATS(2, 4, 6, -4, -5, -6));
    binary_case(WS_OP_MUL, DIMS(2, 3), six, RAW, NULL, 0, FLOATS(0.5f), DIMS(2, 3), FLOATS(0.5f, 1, 1.5f, 2, 2.5f, 3));
    binary_case(WS_OP_DIV, DIMS(2, 3), six, RAW, DIMS(3), FLOATS(1, 2, 4), DIMS(2, 3), FLOATS(1, 1, 0.75f, 4, 2.5f, 1.5f));
    binary_case(WS_OP_DIV, DIMS(1, 2, 1, 2), FLOATS(1, 2, 3, 4), ACT, DIMS(3, 1), FLOATS(1, 2, 4), DIMS(1, 2, 3, 2),
                FLOATS(1, 2, 0.5f, 1, 0.25f, 0.5f, 3, 4, 1.5f, 2, 0.75f, 1));
    /* PRelu: slope [C,1,1] broadcast to [1,C,1,2], and a scalar slope. */
    binary_case(WS_OP_PRELU, DIMS(1, 2, 1, 2), FLOATS(-1, 2, -3, 4), RAW, DIMS(2, 1, 1), FLOATS(0.5f, 0.25f),
                DIMS(1, 2, 1, 2), FLOATS(-0.5f, 2, -0.75f, 4));
    binary_case(WS_OP_PRELU, DIMS(3), FLOATS(-2, 0, 2), RAW, DIMS(1), FLOATS(0.1f), DIMS(3), FLOATS(-0.2f, 0, 2));
    /* Pow (run-time exponent), Min, Max, broadcasting. */
    binary_case(WS_OP_POW, DIMS(2, 2), FLOATS(2, 3, 4, 9), ACT, DIMS(2), FLOATS(2, 0.5f), DIMS(2, 2),
                FLOATS(4, 1.7320508f, 16, 3));
    binary_case(WS_OP_MIN, DIMS(2, 3), six, RAW, DIMS(3), FLOATS(2, 2, 7), DIMS(2, 3), FLOATS(1, 2, 3, 2, 2, 6));
    binary_case(WS_OP_MAX, DIMS(2, 1), FLOATS(0, 5), ACT, DIMS(1, 3), FLOATS(-1, 2, 6), DIMS(2, 3),
                FLOATS(0, 2, 6, 5, 5, 6));
    /* Comparisons give 0/1 masks; logic reads any non-zero as true. */
    binary_case(WS_OP_EQUAL, DIMS(2, 3), six, RAW, DIMS(3), FLOATS(1, 5, 3), DIMS(2, 3), FLOATS(1, 0, 1, 0, 1, 0));
    binary_case(WS_OP_LESS, DIMS(2, 3), six, RAW, DIMS(3), FLOATS(1, 5, 3), DIMS(2, 3), FLOATS(0, 1, 0, 0, 0, 0));
    binary_case(WS_OP_GREATER, DIMS(2, 3), six, RAW, DIMS(3), FLOATS(1, 5, 3), DIMS(2, 3), FLOATS(0, 0, 0, 1, 0, 1));
    binary_case(WS_OP_LESS_OR_EQUAL, DIMS(2, 3), six, RAW, DIMS(3), FLOATS(1, 5, 3), DIMS(2, 3),
                FLOATS(1, 1, 1, 0, 1, 0));
    binary_case(WS_OP_GREATER_OR_EQUAL, DIMS(2, 3), six, RAW, DIMS(3), FLOATS(1, 5, 3), DIMS(2, 3),
                FLOATS(1, 0, 1, 1, 1, 1));
    binary_case(WS_OP_AND, DIMS(4), FLOATS(0, 0, 1, -2), ACT, DIMS(4), FLOATS(0, 1, 0, 0.5f), DIMS(4), FLOATS(0, 0, 0, 1));
    binary_case(WS_OP_OR, DIMS(4), FLOATS(0, 0, 1, -2), ACT, DIMS(4), FLOATS(0, 1, 0, 0.5f), DIMS(4), FLOATS(0, 1, 1, 1));
    binary_case(WS_OP_XOR, DIMS(4), FLOATS(0, 0, 1, -2), ACT, DIMS(4), FLOATS(0, 1, 0, 0.5f), DIMS(4), FLOATS(0, 1, 1, 0));
    binary_case(WS_OP_XOR, DIMS(2, 2), FLOATS(0, 1, 1, 0), RAW, DIMS(1), FLOATS(1), DIMS(2, 2), FLOATS(1, 0, 0, 1));
}

/* Min/Max propagate NaN from either side (NumPy minimum/maximum); comparisons with NaN are false. */
static void test_nan_semantics(void) {
    static const ws_opcode ops[] = {WS_OP_MIN, WS_OP_MAX, WS_OP_EQUAL, WS_OP_LESS, WS_OP_GREATER_OR_EQUAL};
    uint32_t k;
    for (k = 0; k < 5; k++) {
        harness h;
        int32_t a, b, y;
        const float nan = (float)NAN;
        h_init(&h, NULL, 0);
        a = operand(&h, ACT, DIMS(3), FLOATS(nan, 1, nan));
        b = operand(&h, RAW, DIMS(3), FLOATS(1, nan, nan));
        y = tm_act(&h.m, DIMS(3));
        tm_op(&h.m, ops[k], TENSORS(a, b), TENSORS(y));
        if (h_run(&h, &y, 1)) {
            const float *v = tm_get(&h.m, y);
            uint32_t i;
            for (i = 0; i < 3; i++) CHECK(k < 2 ? v[i] != v[i] : v[i] == 0.0f);
        }
        tm_free(&h.m);
    }
}

static void where_case(const uint32_t *c_shape, uint32_t c_rank, const float *c, const uint32_t *a_shape,
                       uint32_t a_rank, const float *a, const uint32_t *b_shape, uint32_t b_rank, const float *b,
                       const uint32_t *y_shape, uint32_t y_rank, const float *expected) {
    harness h;
    int32_t x0, x1, x2, y;
    h_init(&h, NULL, 0);
    x0 = operand(&h, ACT, c_shape, c_rank, c);
    x1 = operand(&h, RAW, a_shape, a_rank, a);
    x2 = operand(&h, RAW, b_shape, b_rank, b);
    y = tm_act(&h.m, y_shape, y_rank);
    tm_op(&h.m, WS_OP_WHERE, TENSORS(x0, x1, x2), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), expected, count_of(y_shape, y_rank), 0);
    tm_free(&h.m);
}

static void test_where(void) {
    /* ONNX's example: condition [[1, 0], [1, 1]], x [[1, 2], [3, 4]], y [[9, 8], [7, 6]]. */
    where_case(DIMS(2, 2), FLOATS(1, 0, 1, 1), DIMS(2, 2), FLOATS(1, 2, 3, 4), DIMS(2, 2), FLOATS(9, 8, 7, 6),
               DIMS(2, 2), FLOATS(1, 8, 3, 4));
    /* All three broadcast: c [2, 1, 1], a [1, 3], b scalar -> [2, 1, 3]; a non-zero condition is true. */
    where_case(DIMS(2, 1, 1), FLOATS(0, -0.5f), DIMS(1, 3), FLOATS(1, 2, 3), NULL, 0, FLOATS(-7), DIMS(2, 1, 3),
               FLOATS(-7, -7, -7, 1, 2, 3));
    /* Condition [3] along the last axis, a [2, 1], b [2, 3]. */
    where_case(DIMS(3), FLOATS(1, 0, 1), DIMS(2, 1), FLOATS(10, 20), DIMS(2, 3), FLOATS(1, 2, 3, 4, 5, 6), DIMS(2, 3),
               FLOATS(10, 2, 10, 20, 5, 20));
}

static void activation_case(ws_opcode op, int with_options, float alpha, float beta, const float *x,
                            const float *expected, uint32_t n, double tol) {
    harness h;
    int32_t in, y;
    h_init(&h, NULL, 0);
    in = operand(&h, ACT, &n, 1, x);
    y = tm_act(&h.m, &n, 1);
    if (with_options) CHECK(wsm_builder_add_activation_op(h.m.b, (uint8_t)op, "a", &in, 1, &y, 1, alpha, beta) == 0);
    else tm_op(&h.m, op, &in, 1, &y, 1);
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), expected, n, tol);
    tm_free(&h.m);
}

static void test_activations(void) {
    static const float x[7] = {-10, -3, -1, 0, 0.5f, 3, 10};
    float e[7];
    uint32_t i;
    activation_case(WS_OP_CLIP, 1, 0, 6, x, FLOATS(0, 0, 0, 0, 0.5f, 3, 6), 7, 0);
    activation_case(WS_OP_CLIP, 1, -1, 1, x, FLOATS(-1, -1, -1, 0, 0.5f, 1, 1), 7, 0);
    activation_case(WS_OP_LEAKY_RELU, 1, 0.1f, 0, x, FLOATS(-1, -0.3f, -0.1f, 0, 0.5f, 3, 10), 7, 1e-6);
    activation_case(WS_OP_HARD_SIGMOID, 1, 0.2f, 0.5f, x, FLOATS(0, 0, 0.3f, 0.5f, 0.6f, 1, 1), 7, 1e-6);
    activation_case(WS_OP_HARD_SWISH, 0, 0, 0, x, FLOATS(0, 0, -1 / 3.f, 0, 0.5f * 3.5f / 6, 3, 10), 7, 1e-6);
    for (i = 0; i < 7; i++) e[i] = (float)(1 / (1 + exp(-(double)x[i])));
    activation_case(WS_OP_SIGMOID, 0, 0, 0, x, e, 7, 1e-6);
    for (i = 0; i < 7; i++) e[i] = (float)tanh((double)x[i]);
    activation_case(WS_OP_TANH, 0, 0, 0, x, e, 7, 1e-6);
    /* Sigmoid far out: no overflow to NaN. */
    activation_case(WS_OP_SIGMOID, 0, 0, 0, FLOATS(-1000, 1000), FLOATS(0, 1), 2, 0);
    /* Sqrt, a row of the operator table with no kernel of its own: exact on squares. */
    activation_case(WS_OP_SQRT, 0, 0, 0, FLOATS(0, 0.25f, 1, 4, 9, 1e6f), FLOATS(0, 0.5f, 1, 2, 3, 1e3f), 6, 0);
    /* The UNARY rows of issue 12 (libm or one-line functions), against double-precision references. */
    for (i = 0; i < 7; i++) e[i] = (float)exp((double)x[i]);
    activation_case(WS_OP_EXP, 0, 0, 0, x, e, 7, 1e-6 * 22026.5);
    activation_case(WS_OP_LOG, 0, 0, 0, FLOATS(1, 2.718281828f, 0.5f, 100), FLOATS(0, 1, -0.693147181f, 4.605170186f), 4,
                    1e-6);
    activation_case(WS_OP_NEG, 0, 0, 0, x, FLOATS(10, 3, 1, 0, -0.5f, -3, -10), 7, 0);
    activation_case(WS_OP_ABS, 0, 0, 0, x, FLOATS(10, 3, 1, 0, 0.5f, 3, 10), 7, 0);
    activation_case(WS_OP_RECIPROCAL, 0, 0, 0, FLOATS(-4, 0.5f, 1, 8), FLOATS(-0.25f, 2, 1, 0.125f), 4, 0);
    /* erf: A&S table values. */
    activation_case(WS_OP_ERF, 0, 0, 0, FLOATS(-1, 0, 0.5f, 2), FLOATS(-0.842700793f, 0, 0.520499878f, 0.995322265f), 4,
                    1e-6);
    for (i = 0; i < 7; i++) e[i] = (float)log1p(exp((double)x[i]));
    activation_case(WS_OP_SOFTPLUS, 0, 0, 0, x, e, 7, 1e-6);
    activation_case(WS_OP_SOFTPLUS, 0, 0, 0, FLOATS(-1000, 1000), FLOATS(0, 1000), 2, 0); /* no overflow */
    activation_case(WS_OP_SOFTSIGN, 0, 0, 0, x, FLOATS(-10 / 11.f, -0.75f, -0.5f, 0, 0.5f / 1.5f, 0.75f, 10 / 11.f), 7,
                    1e-7);
    activation_case(WS_OP_FLOOR, 0, 0, 0, FLOATS(-1.5f, -1, 0.25f, 2.75f), FLOATS(-2, -1, 0, 2), 4, 0);
    activation_case(WS_OP_CEIL, 0, 0, 0, FLOATS(-1.5f, -1, 0.25f, 2.75f), FLOATS(-1, -1, 1, 3), 4, 0);
    activation_case(WS_OP_NOT, 0, 0, 0, FLOATS(0, 1, -2, 0.5f), FLOATS(1, 0, 0, 0), 4, 0);
    /* Gelu (exact and tanh forms), SiLU. */
    for (i = 0; i < 7; i++) e[i] = (float)(0.5 * x[i] * (1 + erf(x[i] / sqrt(2.0))));
    activation_case(WS_OP_GELU, 0, 0, 0, x, e, 7, 1e-6);
    for (i = 0; i < 7; i++)
        e[i] = (float)(0.5 * x[i] * (1 + tanh(sqrt(2 / 3.14159265358979323846) * (x[i] + 0.044715 * pow(x[i], 3)))));
    activation_case(WS_OP_GELU_TANH, 0, 0, 0, x, e, 7, 1e-6);
    for (i = 0; i < 7; i++) e[i] = (float)(x[i] / (1 + exp(-(double)x[i])));
    activation_case(WS_OP_SILU, 0, 0, 0, x, e, 7, 1e-6);
    activation_case(WS_OP_SILU, 0, 0, 0, FLOATS(-1000, 1000), FLOATS(0, 1000), 2, 0);
    /* PowScalar: the fast exponents are exact, others go through powf. */
    activation_case(WS_OP_POW_SCALAR, 1, 2, 0, FLOATS(-3, 0.5f, 4), FLOATS(9, 0.25f, 16), 3, 0);
    activation_case(WS_OP_POW_SCALAR, 1, 3, 0, FLOATS(-3, 0.5f, 4), FLOATS(-27, 0.125f, 64), 3, 0);
    activation_case(WS_OP_POW_SCALAR, 1, 0.5f, 0, FLOATS(0, 0.25f, 16), FLOATS(0, 0.5f, 4), 3, 0);
    activation_case(WS_OP_POW_SCALAR, 1, 1, 0, FLOATS(-3, 0.5f, 4), FLOATS(-3, 0.5f, 4), 3, 0);
    activation_case(WS_OP_POW_SCALAR, 1, -1, 0, FLOATS(-4, 0.5f, 8), FLOATS(-0.25f, 2, 0.125f), 3, 0);
    activation_case(WS_OP_POW_SCALAR, 1, 1.5f, 0, FLOATS(0, 4, 9), FLOATS(0, 8, 27), 3, 1e-5);
    activation_case(WS_OP_POW_SCALAR, 1, -2, 0, FLOATS(-2, 0.5f, 4), FLOATS(0.25f, 4, 0.0625f), 3, 1e-6);
}

static void test_channel_affine(void) {
    harness h;
    int32_t x, y;
    h_init(&h, NULL, 0);
    x = operand(&h, ACT, DIMS(2, 2, 2), FLOATS(1, 2, 3, 4, 5, 6, 7, 8));
    y = tm_act(&h.m, DIMS(2, 2, 2));
    tm_op(&h.m, WS_OP_CHANNEL_AFFINE,
          TENSORS(x, tm_raw(&h.m, DIMS(2), FLOATS(2, -1)), tm_raw(&h.m, DIMS(2), FLOATS(0.5f, 10))), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(2.5f, 4.5f, 7, 6, 10.5f, 12.5f, 3, 2), 8, TOL);
    tm_free(&h.m);
    h_init(&h, NULL, 0); /* rank 2 [N, C] */
    x = operand(&h, ACT, DIMS(1, 3), FLOATS(1, 2, 3));
    y = tm_act(&h.m, DIMS(1, 3));
    tm_op(&h.m, WS_OP_CHANNEL_AFFINE,
          TENSORS(x, tm_raw(&h.m, DIMS(3), FLOATS(1, 2, 3)), tm_raw(&h.m, DIMS(3), FLOATS(0, 0, 1))), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(1, 4, 10), 3, TOL);
    tm_free(&h.m);
}

/* ---- Concat, Transpose, Pad ----------------------------------------------------------------------------- */

static void test_concat(void) {
    /* Three inputs [2, a_i, 3] (one raw) along each axis, against index arithmetic. */
    uint32_t axis;
    for (axis = 0; axis < 3; axis++) {
        uint32_t sizes[3] = {1, 2, 3}, shapes[3][3], yshape[3] = {2, 2, 3}, i, total = 0, e;
        float *vals[3], *expected;
        harness h;
        int32_t in[3], y;
        yshape[axis] = 6;
        h_init(&h, NULL, 0);
        for (i = 0; i < 3; i++) {
            memcpy(shapes[i], yshape, sizeof yshape);
            shapes[i][axis] = sizes[i];
            vals[i] = random_values(count_of(shapes[i], 3));
            in[i] = operand(&h, i == 1 ? RAW : ACT, shapes[i], 3, vals[i]);
        }
        total = count_of(yshape, 3);
        expected = (float *)malloc(total * sizeof(float));
        for (e = 0; e < total; e++) {
            uint32_t c[3] = {e / (yshape[1] * yshape[2]), (e / yshape[2]) % yshape[1], e % yshape[2]}, k = 0;
            while (c[axis] >= sizes[k]) c[axis] -= sizes[k++];
            expected[e] = vals[k][(c[0] * shapes[k][1] + c[1]) * shapes[k][2] + c[2]];
        }
        y = tm_act(&h.m, yshape, 3);
        CHECK(wsm_builder_add_concat(h.m.b, "cat", in, 3, &y, 1, axis) == 0);
        if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), expected, total, 0);
        tm_free(&h.m);
        for (i = 0; i < 3; i++) free(vals[i]);
        free(expected);
    }
    {   /* Ten inputs (more than ws_operator_info holds) of [1, 1], along axis 1. */
        harness h;
        int32_t in[10], y;
        float v[10], expected[10];
        uint32_t i;
        h_init(&h, NULL, 0);
        for (i = 0; i < 10; i++) {
            v[i] = (float)i;
            expected[i] = (float)i;
            in[i] = tm_raw(&h.m, DIMS(1, 1), &v[i]);
        }
        y = tm_act(&h.m, DIMS(1, 10));
        CHECK(wsm_builder_add_concat(h.m.b, "cat", in, 10, &y, 1, 1) == 0);
        if (h_run(&h, &y, 1)) {
            CHECK_FLOATS(tm_get(&h.m, y), expected, 10, 0);
            CHECK_EQ(ws_model_operator_input(&h.m.model, 0, 9), in[9]);
            CHECK_EQ(ws_model_operator_input(&h.m.model, 0, 10), -1);
            CHECK_EQ(ws_model_operator_input(&h.m.model, 1, 0), -1); /* no operator 1 */
            CHECK_EQ(ws_model_operator_input(NULL, 0, 0), -1);
            {
                ws_operator_info info;
                CHECK_STATUS(ws_model_operator(&h.m.model, 0, &info), WS_OK);
                CHECK_EQ(info.opcode, WS_OP_CONCAT);
                CHECK_EQ(info.num_inputs, 10);
                CHECK_EQ(info.inputs[7], in[7]); /* the first WS_OPERATOR_INFO_INPUTS are copied */
            }
        }
        tm_free(&h.m);
    }
}

static void transpose_check(const uint32_t *shape, uint32_t rank, const uint32_t *perm) {
    uint32_t n = count_of(shape, rank), yshape[6], in_stride[6], e, i, step = 1;
    float *x = random_values(n), *expected = (float *)malloc(n * sizeof(float));
    harness h;
    int32_t in, y;
    for (i = rank; i-- > 0;) {
        in_stride[i] = step;
        step *= shape[i];
    }
    for (i = 0; i < rank; i++) yshape[i] = shape[perm[i]];
    for (e = 0; e < n; e++) {
        uint32_t rest = e, src = 0;
        for (i = rank; i-- > 0;) {
            src += (rest % yshape[i]) * in_stride[perm[i]];
            rest /= yshape[i];
        }
        expected[e] = x[src];
    }
    h_init(&h, NULL, 0);
    in = operand(&h, ACT, shape, rank, x);
    y = tm_act(&h.m, yshape, rank);
    CHECK(wsm_builder_add_transpose(h.m.b, "t", &in, 1, &y, 1, perm, rank) == 0);
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), expected, n, 0);
    tm_free(&h.m);
    free(x), free(expected);
}

static void test_transpose(void) {
    static const uint32_t perms3[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    int i;
    for (i = 0; i < 6; i++) transpose_check(DIMS(2, 3, 4), perms3[i]);
    transpose_check(DIMS(2, 3, 4, 5), (const uint32_t[]){0, 2, 3, 1});
    transpose_check(DIMS(2, 3, 4, 5), (const uint32_t[]){3, 1, 0, 2});
    transpose_check(DIMS(2, 1, 3, 1, 2, 2), (const uint32_t[]){5, 4, 3, 2, 1, 0});
    transpose_check(DIMS(7), (const uint32_t[]){0});
    transpose_check(DIMS(3, 5), (const uint32_t[]){1, 0});
}

static void pad_check(const uint32_t *shape, uint32_t rank, const uint32_t *pads, uint32_t mode, float value) {
    uint32_t n = count_of(shape, rank), yshape[6], i, e, ny;
    float *x = random_values(n), *expected;
    harness h;
    int32_t in, y;
    for (i = 0; i < rank; i++) yshape[i] = shape[i] + pads[i] + pads[rank + i];
    ny = count_of(yshape, rank);
    expected = (float *)malloc(ny * sizeof(float));
    for (e = 0; e < ny; e++) {
        uint32_t rest = e, src = 0, step = 1;
        int outside = 0;
        for (i = rank; i-- > 0;) {
            long c = (long)(rest % yshape[i]) - (long)pads[i];
            rest /= yshape[i];
            if (c < 0 || c >= (long)shape[i]) {
                if (mode == 0) outside = 1;
                else if (mode == 2) c = c < 0 ? 0 : (long)shape[i] - 1;
                else c = c < 0 ? -c : 2 * ((long)shape[i] - 1) - c;
            }
            src += (uint32_t)(outside ? 0 : c) * step;
            step *= shape[i];
        }
        expected[e] = outside ? value : x[src];
    }
    h_init(&h, NULL, 0);
    in = operand(&h, ACT, shape, rank, x);
    y = tm_act(&h.m, yshape, rank);
    CHECK(wsm_builder_add_pad(h.m.b, "pad", &in, 1, &y, 1, (uint8_t)mode, pads, 2 * rank, value) == 0);
    if (h_run(&h, &y, 1)) {
        if (!CHECK(memcmp(tm_get(&h.m, y), expected, ny * sizeof(float)) == 0)) fprintf(stderr, "    pad mode %u\n", mode);
    }
    tm_free(&h.m);
    free(x), free(expected);
}

static void test_pad(void) {
    static const float x[6] = {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f};
    uint32_t mode;
    harness h;
    int32_t in, y;
    /* ONNX's examples: pads [0, 2, 0, 0] on [3, 2] (constant, edge); reflect with pads [0, 1, 0, 0], since
     * reflect pads must be smaller than the dim (as onnxruntime requires). */
    static const float expected[3][12] = {{0, 0, 1.0f, 1.2f, 0, 0, 2.3f, 3.4f, 0, 0, 4.5f, 5.7f},
                                          {1.2f, 1.0f, 1.2f, 3.4f, 2.3f, 3.4f, 5.7f, 4.5f, 5.7f},
                                          {1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f}};
    for (mode = 0; mode < 3; mode++) {
        const uint32_t left = mode == 1 ? 1 : 2;
        h_init(&h, NULL, 0);
        in = operand(&h, ACT, DIMS(3, 2), x);
        y = tm_act(&h.m, DIMS(3, 2 + left));
        CHECK(wsm_builder_add_pad(h.m.b, "pad", &in, 1, &y, 1, (uint8_t)mode, (const uint32_t[]){0, left, 0, 0}, 4,
                                  0) == 0);
        if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), expected[mode], 3 * (2 + left), 0);
        tm_free(&h.m);
    }
    for (mode = 0; mode < 3; mode++) {
        pad_check(DIMS(1, 2, 4, 5), (const uint32_t[]){0, 0, 1, 2, 0, 0, 3, 1}, mode, -1.5f);
        pad_check(DIMS(3, 4, 4), (const uint32_t[]){1, 2, 3, 2, 0, 1}, mode, 7);
        pad_check(DIMS(5), (const uint32_t[]){4, 2}, mode, 0);
    }
}

/* ---- Resize ------------------------------------------------------------------------------------------------ */

static void resize_case(const uint32_t *xs, const float *x, const uint32_t *ys, uint8_t mode, uint8_t coord,
                        uint8_t nearest, const float *scales, const float *expected, double tol) {
    harness h;
    int32_t in, y;
    h_init(&h, NULL, 0);
    in = operand(&h, ACT, xs, 4, x);
    y = tm_act(&h.m, ys, 4);
    CHECK(wsm_builder_add_resize(h.m.b, "r", &in, 1, &y, 1, mode, coord, nearest, scales, scales ? 4 : 0) == 0);
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), expected, count_of(ys, 4), tol);
    tm_free(&h.m);
}

/* Independent reference: ONNX Resize's formulas in double, one output element at a time. */
/* In float, as onnxruntime computes it: ties of the nearest modes depend on the rounding of this value. */
static double ref_coord(int coord, float o, float scale, float n_in, float n_out) {
    switch (coord) {
    case 1: return n_out == 1 ? 0 : o * (n_in - 1) / (n_out - 1);
    case 2: return o / scale;
    case 3: return n_out > 1 ? (o + 0.5f) / scale - 0.5f : 0;
    case 4: return (o + 0.5f) / scale;
    default: return (o + 0.5f) / scale - 0.5f;
    }
}

static long ref_nearest(int mode, double v) {
    double f = floor(v);
    if (mode == 2) return (long)f;
    if (mode == 3) return (long)ceil(v);
    if (v - f == 0.5) return mode == 1 ? (long)f + 1 : (long)f;
    return lround(v);
}

static double ref_at(const float *plane, uint32_t w, long yy, long xx, uint32_t h) {
    yy = yy < 0 ? 0 : yy >= (long)h ? (long)h - 1 : yy;
    xx = xx < 0 ? 0 : xx >= (long)w ? (long)w - 1 : xx;
    return plane[yy * (long)w + xx];
}

static void resize_ref_check(uint32_t h_in, uint32_t w_in, uint32_t h_out, uint32_t w_out, int mode, int coord,
                             int nearest) {
    const uint32_t planes = 2, nx = planes * h_in * w_in, ny = planes * h_out * w_out;
    float *x = random_values(nx), *expected = (float *)malloc(ny * sizeof(float));
    const float sh = (float)h_out / (float)h_in, sw = (float)w_out / (float)w_in;
    uint32_t p, i, j;
    for (p = 0; p < planes; p++)
        for (i = 0; i < h_out; i++)
            for (j = 0; j < w_out; j++) {
                const float *pl = x + p * h_in * w_in;
                double cy = ref_coord(coord, (float)i, sh, (float)h_in, (float)h_out);
                double cx = ref_coord(coord, (float)j, sw, (float)w_in, (float)w_out), v;
                if (mode == 0) {
                    v = ref_at(pl, w_in, ref_nearest(nearest, cy), ref_nearest(nearest, cx), h_in);
                } else {
                    /* ONNX's reference pads by the edge value; equivalently, clamp the coordinate */
                    double y0 = floor(cy), x0 = floor(cx), ty = cy - y0, tx = cx - x0;
                    v = (1 - ty) * ((1 - tx) * ref_at(pl, w_in, (long)y0, (long)x0, h_in) +
                                    tx * ref_at(pl, w_in, (long)y0, (long)x0 + 1, h_in)) +
                        ty * ((1 - tx) * ref_at(pl, w_in, (long)y0 + 1, (long)x0, h_in) +
                              tx * ref_at(pl, w_in, (long)y0 + 1, (long)x0 + 1, h_in));
                }
                expected[(p * h_out + i) * w_out + j] = (float)v;
            }
    if (getenv("WS_RESIZE_VERBOSE")) fprintf(stderr, "resize %u %u -> %u %u mode %d coord %d nearest %d\n", h_in, w_in, h_out, w_out, mode, coord, nearest);
    resize_case(U32(1, planes, h_in, w_in), x, U32(1, planes, h_out, w_out), (uint8_t)mode, (uint8_t)coord,
                (uint8_t)nearest, NULL, expected, 1e-5);
    free(x), free(expected);
}

static void test_resize(void) {
    static const float x4[4] = {1, 2, 3, 4};
    static const float x8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int coord, nearest;
    /* ONNX's examples (resize_upsample_scales_nearest, _linear, _linear_align_corners, downsample ...). */
    resize_case(U32(1, 1, 2, 2), x4, U32(1, 1, 4, 6), 0, 0, 0, FLOATS(1, 1, 2, 3),
                FLOATS(1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4), 0);
    resize_case(U32(1, 1, 2, 2), x4, U32(1, 1, 4, 4), 1, 0, 0, FLOATS(1, 1, 2, 2),
                FLOATS(1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4),
                1e-6);
    resize_case(U32(1, 1, 2, 2), x4, U32(1, 1, 4, 4), 1, 1, 0, FLOATS(1, 1, 2, 2),
                FLOATS(1, 4 / 3.f, 5 / 3.f, 2, 5 / 3.f, 2, 7 / 3.f, 8 / 3.f, 7 / 3.f, 8 / 3.f, 3, 10 / 3.f, 3,
                       10 / 3.f, 11 / 3.f, 4),
                1e-6);
    resize_case(U32(1, 1, 2, 4), x8, U32(1, 1, 1, 2), 0, 0, 0, FLOATS(1, 1, 0.6f, 0.6f), FLOATS(1, 3), 0);
    resize_case(U32(1, 1, 2, 4), x8, U32(1, 1, 1, 2), 1, 0, 0, FLOATS(1, 1, 0.6f, 0.6f),
                FLOATS(2.6666665f, 4.3333331f), 1e-5);
    /* Asymmetric + floor: plain pixel replication. */
    resize_case(U32(1, 1, 2, 2), x4, U32(1, 1, 4, 4), 0, 2, 2, NULL,
                FLOATS(1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4), 0);
    /* Every coordinate transform and nearest mode, up and down, against the reference. */
    for (coord = 0; coord < 5; coord++) {
        for (nearest = 0; nearest < 4; nearest++) {
            resize_ref_check(3, 5, 7, 4, 0, coord, nearest);
            resize_ref_check(4, 4, 8, 2, 0, coord, nearest);
        }
        resize_ref_check(3, 5, 7, 4, 1, coord, 0);
        resize_ref_check(4, 6, 2, 9, 1, coord, 0);
        resize_ref_check(1, 5, 1, 8, 1, coord, 0);
    }
}

/* ---- in-place aliasing --------------------------------------------------------------------------------- */

static void test_in_place(void) {
    static const ws_opcode unary[] = {WS_OP_CLIP, WS_OP_LEAKY_RELU, WS_OP_SIGMOID, WS_OP_TANH, WS_OP_HARD_SIGMOID,
                                      WS_OP_HARD_SWISH};
    static const float x[4] = {-2, -0.5f, 0.5f, 3};
    harness h;
    int32_t a, b, y;
    size_t i;
    for (i = 0; i < sizeof unary / sizeof unary[0]; i++) {
        float expected[4];
        uint32_t k;
        for (k = 0; k < 4; k++) {
            float v = x[k];
            switch (unary[i]) {
            case WS_OP_CLIP: expected[k] = v < 0 ? 0 : v > 1 ? 1 : v; break;
            case WS_OP_LEAKY_RELU: expected[k] = v < 0 ? 0.5f * v : v; break;
            case WS_OP_SIGMOID: expected[k] = (float)(1 / (1 + exp(-(double)v))); break;
            case WS_OP_TANH: expected[k] = (float)tanh((double)v); break;
            case WS_OP_HARD_SIGMOID: expected[k] = 0.5f * v + 1 < 0 ? 0 : 0.5f * v + 1 > 1 ? 1 : 0.5f * v + 1; break;
            default: expected[k] = v * (v / 6 + 0.5f < 0 ? 0 : v / 6 + 0.5f > 1 ? 1 : v / 6 + 0.5f); break;
            }
        }
        h_init(&h, NULL, 0);
        a = operand(&h, ACT, DIMS(4), x);
        y = tm_act_at(&h.m, DIMS(4), 0);
        if (unary[i] == WS_OP_SIGMOID || unary[i] == WS_OP_TANH || unary[i] == WS_OP_HARD_SWISH)
            tm_op(&h.m, unary[i], &a, 1, &y, 1);
        else
            wsm_builder_add_activation_op(h.m.b, (uint8_t)unary[i], "u", &a, 1, &y, 1,
                                          unary[i] == WS_OP_CLIP ? 0.0f : 0.5f, unary[i] == WS_OP_CLIP ? 1.0f : 1.0f);
        if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), expected, 4, 1e-6);
        tm_free(&h.m);
    }
    /* Sub/Mul/Div/PRelu over their first input (second broadcast), Sub over its second input. */
    {
        static const ws_opcode bin[] = {WS_OP_SUB, WS_OP_MUL, WS_OP_DIV, WS_OP_PRELU};
        static const float e[4][6] = {{0, 0, 1, 3, 3, 4}, {1, 4, 6, 4, 10, 12}, {1, 1, 1.5f, 4, 2.5f, 3},
                                      {1, 2, 3, 4, 5, 6}};
        for (i = 0; i < 4; i++) {
            h_init(&h, NULL, 0);
            a = operand(&h, ACT, DIMS(2, 3), FLOATS(1, 2, 3, 4, 5, 6));
            b = operand(&h, ACT, DIMS(3), FLOATS(1, 2, 2));
            y = tm_act_at(&h.m, DIMS(2, 3), 0);
            tm_op(&h.m, bin[i], TENSORS(a, b), TENSORS(y));
            if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), e[i], 6, TOL);
            tm_free(&h.m);
        }
        h_init(&h, NULL, 0);
        a = operand(&h, ACT, DIMS(3), FLOATS(10, 20, 30));
        b = operand(&h, ACT, DIMS(2, 3), FLOATS(1, 2, 3, 4, 5, 6));
        y = tm_act_at(&h.m, DIMS(2, 3), 16);
        tm_op(&h.m, WS_OP_SUB, TENSORS(a, b), TENSORS(y));
        if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(9, 18, 27, 6, 15, 24), 6, 0);
        tm_free(&h.m);
    }
    h_init(&h, NULL, 0); /* ChannelAffine over X */
    a = operand(&h, ACT, DIMS(1, 2, 2), FLOATS(1, 2, 3, 4));
    y = tm_act_at(&h.m, DIMS(1, 2, 2), 0);
    tm_op(&h.m, WS_OP_CHANNEL_AFFINE,
          TENSORS(a, tm_raw(&h.m, DIMS(2), FLOATS(2, 3)), tm_raw(&h.m, DIMS(2), FLOATS(1, -1))), TENSORS(y));
    if (h_run(&h, &y, 1)) CHECK_FLOATS(tm_get(&h.m, y), FLOATS(3, 5, 8, 11), 4, 0);
    tm_free(&h.m);
}

/* A small CNN chain with planned reuse: Conv(shared) -> Clip in place -> MaxPool -> GAP -> Gemm(shared, S). */
static void test_chain(void) {
    harness h;
    int32_t x, w, c, r, p, g, f, y;
    float wv[2 * 1 * 3 * 3], xv[36], wf[3 * 2];
    uint32_t i;
    init_codebook16();
    for (i = 0; i < 18; i++) wv[i] = CODEBOOK16[(i * 5) % 16];
    for (i = 0; i < 6; i++) wf[i] = CODEBOOK16[(i * 3 + 1) % 16];
    for (i = 0; i < 36; i++) xv[i] = (float)((i * 7) % 11) / 4.0f - 1.0f;
    h_init(&h, CODEBOOK16, 16);
    x = operand(&h, ACT, DIMS(1, 1, 6, 6), xv);
    w = tm_shared(&h.m, DIMS(2, 1, 3, 3), wv);
    i = h.m.arena_next;
    c = tm_act(&h.m, DIMS(1, 2, 6, 6));
    r = tm_act_at(&h.m, DIMS(1, 2, 6, 6), i); /* over c */
    p = tm_act(&h.m, DIMS(1, 2, 3, 3));
    g = tm_act(&h.m, DIMS(1, 2, 1, 1));
    f = tm_act(&h.m, DIMS(1, 2));
    y = tm_act(&h.m, DIMS(1, 3));
    wsm_builder_add_conv(h.m.b, WS_OP_CONV, "conv", TENSORS(x, w, tm_raw(&h.m, DIMS(2), FLOATS(0.5f, -0.5f))), &c, 1,
                         1, NULL, NULL, (const uint32_t[]){1, 1, 1, 1}, NULL, 2);
    wsm_builder_add_activation_op(h.m.b, WS_OP_CLIP, "relu6", &c, 1, &r, 1, 0, 6);
    wsm_builder_add_pool(h.m.b, WS_OP_MAX_POOL, "pool", &r, 1, &p, 1, (const uint32_t[]){2, 2},
                         (const uint32_t[]){2, 2}, NULL, NULL, 2, 0);
    tm_op(&h.m, WS_OP_GLOBAL_AVERAGE_POOL, &p, 1, &g, 1);
    tm_op(&h.m, WS_OP_RESHAPE, &g, 1, &f, 1);
    tm_gemm(&h.m, TENSORS(f, tm_shared(&h.m, DIMS(3, 2), wf), -1, tm_raw(&h.m, DIMS(3), FLOATS(1, 2, -1))), y, 1, 1, 0,
            1);
    if (h_run(&h, &y, 1)) {
        /* Reference: the same steps with plain loops. */
        float conv[72], pool[18], gap[2], out[3];
        conv_case k = {1, 1, 6, 6, 2, 3, 3, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}, {0, 0}, 1, 0};
        pool_case pk = {1, 2, 6, 6, 2, 2, {2, 2}, {1, 1}, {0, 0, 0, 0}, 0, 0};
        uint32_t j;
        conv_ref(&k, xv, wv, FLOATS(0.5f, -0.5f), NULL, 6, 6, conv);
        for (i = 0; i < 72; i++) conv[i] = conv[i] < 0 ? 0 : conv[i] > 6 ? 6 : conv[i];
        pool_ref(&pk, 0, conv, 3, 3, pool);
        for (i = 0; i < 2; i++) {
            gap[i] = 0;
            for (j = 0; j < 9; j++) gap[i] += pool[i * 9 + j] / 9;
        }
        for (i = 0; i < 3; i++) out[i] = (gap[0] * wf[i * 2] + gap[1] * wf[i * 2 + 1]) * FLOATS(1, 2, -1)[i];
        CHECK_FLOATS(tm_get(&h.m, y), out, 3, 1e-5);
    }
    tm_free(&h.m);
}

int main(void) {
    init_codebook16();
    test_conv();
    test_conv_random();
    test_conv_hand();
    test_gemm_scale();
    test_pools();
    test_pools_hand();
    test_binary();
    test_activations();
    test_nan_semantics();
    test_where();
    test_channel_affine();
    test_concat();
    test_transpose();
    test_pad();
    test_resize();
    test_in_place();
    test_chain();
    return ws_test_finish();
}
