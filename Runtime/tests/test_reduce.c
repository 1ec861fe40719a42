/*
 * Reductions through whole models (official builder -> ws_model_load -> ws_invoke): Reduce in every mode over any
 * axes set (keepdims or not), LogSoftmax, LayerNormalization, against hand-computed values and against naive
 * references written here (coordinates of every element, accumulated in double).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "ws_test.h"

#define U32(...) ((const uint32_t[]){__VA_ARGS__})

/* ReduceMode values of the schema. */
enum { R_MEAN, R_SUM, R_MAX, R_MIN, R_L1, R_L2, R_SUM_SQUARE, R_PROD, R_LOG_SUM, R_LOG_SUM_EXP, R_MODES };

static lcg rng = {424242};

static uint32_t count_of(const uint32_t *shape, uint32_t rank) {
    uint32_t n = 1, i;
    for (i = 0; i < rank; i++) n *= shape[i];
    return n;
}

/* Builds, loads and runs x -> op -> y; returns y's values (NULL on failure) in *out (caller frees m). */
static const float *run_one(tm *m, int32_t x, const float *xv, int32_t y) {
    ws_status s = tm_finish(m, &x, 1, &y, 1);
    CHECK_STATUS(s, WS_OK);
    if (s != WS_OK) return NULL;
    tm_set(m, x, xv);
    CHECK_STATUS(tm_run(m), WS_OK);
    return tm_get(m, y);
}

static const float *reduce_run(tm *m, const uint32_t *shape, uint32_t rank, const float *xv, uint32_t mode,
                               const uint32_t *axes, uint32_t n_axes, int keepdims) {
    uint32_t yshape[WS_MAX_RANK], yr = 0, i, a = 0;
    int32_t x, y;
    for (i = 0; i < rank; i++) {
        if (a < n_axes && axes[a] == i) {
            a++;
            if (keepdims) yshape[yr++] = 1;
        } else {
            yshape[yr++] = shape[i];
        }
    }
    tm_init(m);
    x = tm_act(m, shape, rank);
    y = tm_act(m, yshape, yr);
    CHECK(wsm_builder_add_reduce(m->b, "reduce", &x, 1, &y, 1, (uint8_t)mode, axes, n_axes, keepdims) == 0);
    return run_one(m, x, xv, y);
}

static void test_reduce_hand(void) {
    static const float x[6] = {1, 2, 3, 4, 5, 6}; /* [2, 3] */
    static const float signs[6] = {1, -2, 3, -4, 0.5f, 6};
    tm m;
    const float *y;
    if ((y = reduce_run(&m, DIMS(2, 3), x, R_SUM, U32(1), 1, 1))) CHECK_FLOATS(y, FLOATS(6, 15), 2, 1e-6);
    tm_free(&m);
    if ((y = reduce_run(&m, DIMS(2, 3), x, R_MEAN, U32(0), 1, 0))) CHECK_FLOATS(y, FLOATS(2.5f, 3.5f, 4.5f), 3, 1e-6);
    tm_free(&m);
    if ((y = reduce_run(&m, DIMS(2, 3), x, R_MAX, U32(0, 1), 2, 0))) CHECK_FLOATS(y, FLOATS(6), 1, 0);
    tm_free(&m);
    if ((y = reduce_run(&m, DIMS(2, 3), signs, R_MIN, U32(1), 1, 1))) CHECK_FLOATS(y, FLOATS(-2, -4), 2, 0);
    tm_free(&m);
    if ((y = reduce_run(&m, DIMS(2, 3), signs, R_L1, U32(0), 1, 1))) CHECK_FLOATS(y, FLOATS(5, 2.5f, 9), 3, 1e-6);
    tm_free(&m);
    /* sqrt(1 + 4 + 9) and sqrt(16 + 25 + 36) */
    if ((y = reduce_run(&m, DIMS(2, 3), x, R_L2, U32(1), 1, 1)))
        CHECK_FLOATS(y, FLOATS(3.74165738677f, 8.77496438739f), 2, 1e-5);
    tm_free(&m);
    if ((y = reduce_run(&m, DIMS(2, 3), x, R_SUM_SQUARE, U32(1), 1, 0))) CHECK_FLOATS(y, FLOATS(14, 77), 2, 1e-5);
    tm_free(&m);
    /* Max and Min propagate a NaN wherever it stands in the reduced box (first, middle, last), as NumPy does. */
    {
        static const float nans[9] = {NAN, 1, 2, 3, NAN, 4, 5, 6, NAN}; /* [3, 3] */
        uint32_t mode, i;
        for (mode = 0; mode < 2; mode++) {
            if ((y = reduce_run(&m, DIMS(3, 3), nans, mode == 0 ? R_MAX : R_MIN, U32(1), 1, 0)))
                for (i = 0; i < 3; i++) CHECK(y[i] != y[i]);
            tm_free(&m);
        }
    }
    if ((y = reduce_run(&m, DIMS(2, 3), x, R_PROD, U32(0), 1, 0))) CHECK_FLOATS(y, FLOATS(4, 10, 18), 3, 0);
    tm_free(&m);
    if ((y = reduce_run(&m, DIMS(2, 3), x, R_LOG_SUM, U32(1), 1, 0)))
        CHECK_FLOATS(y, FLOATS(1.79175946923f, 2.7080502011f), 2, 1e-5); /* log 6, log 15 */
    tm_free(&m);
    /* log(e^1 + e^2 + e^3) = 3.40760596 */
    if ((y = reduce_run(&m, DIMS(2, 3), x, R_LOG_SUM_EXP, U32(1), 1, 0)))
        CHECK_FLOATS(y, FLOATS(3.40760596444f, 6.40760596444f), 2, 1e-5);
    tm_free(&m);
    /* A large value does not overflow LogSumExp. */
    if ((y = reduce_run(&m, DIMS(2), FLOATS(1000, 1000), R_LOG_SUM_EXP, U32(0), 1, 0)))
        CHECK_FLOATS(y, FLOATS(1000.69314718f), 1, 1e-3);
    tm_free(&m);
    /* Axes over size-1 dims only: a copy. */
    if ((y = reduce_run(&m, DIMS(1, 2, 1, 3), x, R_SUM, U32(0, 2), 2, 0))) CHECK_FLOATS(y, x, 6, 0);
    tm_free(&m);
}

/* Naive reduction: every element's output index from its coordinates, accumulated in double. */
static void reduce_ref(const float *x, const uint32_t *shape, uint32_t rank, uint32_t reduced_mask, uint32_t mode,
                       double *acc, double *shift, uint32_t n_out, float *y) {
    uint32_t n = count_of(shape, rank), e, o, count = 1, d;
    for (d = 0; d < rank; d++)
        if (reduced_mask & (1u << d)) count *= shape[d];
    for (int pass = 0; pass < 2; pass++) {
        for (o = 0; o < n_out; o++) acc[o] = mode == R_PROD ? 1.0 : (mode == R_MAX || mode == R_MIN) ? NAN : 0.0;
        for (e = 0; e < n; e++) {
            uint32_t rest = e, out = 0, step = 1;
            double v = x[e];
            for (d = rank; d-- > 0;) {
                uint32_t c = rest % shape[d];
                rest /= shape[d];
                if (!(reduced_mask & (1u << d))) {
                    out += c * step;
                    step *= shape[d];
                }
            }
            if (pass == 0 && mode == R_LOG_SUM_EXP) {
                if (isnan(acc[out]) || acc[out] == 0.0 || v > acc[out]) acc[out] = v; /* max first */
                continue;
            }
            switch (mode) {
            case R_MAX: acc[out] = isnan(acc[out]) || v > acc[out] ? v : acc[out]; break;
            case R_MIN: acc[out] = isnan(acc[out]) || v < acc[out] ? v : acc[out]; break;
            case R_PROD: acc[out] *= v; break;
            case R_L1: acc[out] += fabs(v); break;
            case R_L2: case R_SUM_SQUARE: acc[out] += v * v; break;
            case R_LOG_SUM_EXP: acc[out] += exp(v - shift[out]); break;
            default: acc[out] += v; break;
            }
        }
        if (mode != R_LOG_SUM_EXP) break;
        if (pass == 0) memcpy(shift, acc, n_out * sizeof(double));
    }
    for (o = 0; o < n_out; o++) {
        double v = acc[o];
        if (mode == R_MEAN) v /= count;
        else if (mode == R_L2) v = sqrt(v);
        else if (mode == R_LOG_SUM) v = log(v);
        else if (mode == R_LOG_SUM_EXP) v = shift[o] + log(v);
        y[o] = (float)v;
    }
}

static void test_reduce_random(void) {
    uint32_t trial;
    for (trial = 0; trial < 300; trial++) {
        uint32_t rank = 1 + lcg_below(&rng, WS_MAX_RANK), shape[WS_MAX_RANK], axes[WS_MAX_RANK], n_axes = 0, mask = 0;
        uint32_t mode = trial % R_MODES, i, n, n_out = 1;
        int keepdims = (int)lcg_below(&rng, 2);
        float *x, *expected;
        double *acc, *shift;
        const float *y;
        tm m;
        for (i = 0; i < rank; i++) shape[i] = 1 + lcg_below(&rng, rank > 4 ? 3 : 4);
        while (mask == 0) mask = lcg_below(&rng, 1u << rank);
        for (i = 0; i < rank; i++) {
            if (mask & (1u << i)) axes[n_axes++] = i;
            else n_out *= shape[i];
        }
        n = count_of(shape, rank);
        x = (float *)malloc(n * sizeof(float));
        /* Prod stays near 1; logs need positive sums. */
        for (i = 0; i < n; i++) {
            float u = (float)lcg_below(&rng, 1000) / 1000.0f;
            x[i] = mode == R_PROD ? 0.8f + 0.4f * u : mode == R_LOG_SUM ? 0.1f + u : 4.0f * u - 2.0f;
        }
        expected = (float *)malloc(n_out * sizeof(float));
        acc = (double *)malloc(n_out * sizeof(double));
        shift = (double *)malloc(n_out * sizeof(double));
        reduce_ref(x, shape, rank, mask, mode, acc, shift, n_out, expected);
        if ((y = reduce_run(&m, shape, rank, x, mode, axes, n_axes, keepdims))) {
            uint32_t bad = n_out;
            for (i = 0; i < n_out && bad == n_out; i++)
                if (!(fabs((double)y[i] - (double)expected[i]) <= 1e-4 * (1.0 + fabs((double)expected[i])))) bad = i;
            if (!ws_test_record(bad == n_out, __FILE__, __LINE__, "reduce ~ naive reference"))
                fprintf(stderr, "    trial %u mode %u rank %u mask %x: element %u got %g expected %g\n", trial, mode,
                        rank, mask, bad, (double)y[bad], (double)expected[bad]);
        }
        tm_free(&m);
        free(x);
        free(expected);
        free(acc);
        free(shift);
    }
}

static void test_log_softmax(void) {
    tm m;
    int32_t x, y;
    const float *out;
    /* ONNX's example: [-1, 0, 1] -> [-2.40760596, -1.40760596, -0.40760596] */
    tm_init(&m);
    x = tm_act(&m, DIMS(1, 3));
    y = tm_act(&m, DIMS(1, 3));
    CHECK(wsm_builder_add_log_softmax(m.b, "ls", &x, 1, &y, 1, 1, 0) == 0);
    if ((out = run_one(&m, x, FLOATS(-1, 0, 1), y)))
        CHECK_FLOATS(out, FLOATS(-2.40760596f, -1.40760596f, -0.40760596f), 3, 1e-6);
    tm_free(&m);
    /* In place, large numbers, along the middle axis of [2, 3, 2] (and coerced to 2-D) against a reference. */
    {
        static const uint32_t shape[3] = {2, 3, 2};
        float xv[12], expected[12];
        int coerce;
        uint32_t i;
        for (i = 0; i < 12; i++) xv[i] = (float)((i * 7) % 5) + (i == 3 ? 1000.0f : 0.0f);
        for (coerce = 0; coerce < 2; coerce++) {
            uint32_t o, j, k, n = coerce ? 6 : 3, inner = coerce ? 1 : 2;
            for (o = 0; o < 2; o++)
                for (k = 0; k < inner; k++) {
                    double mx = -INFINITY, s = 0;
                    for (j = 0; j < n; j++) mx = fmax(mx, xv[o * 6 + j * inner + k]);
                    for (j = 0; j < n; j++) s += exp(xv[o * 6 + j * inner + k] - mx);
                    for (j = 0; j < n; j++) expected[o * 6 + j * inner + k] = (float)(xv[o * 6 + j * inner + k] - mx - log(s));
                }
            tm_init(&m);
            x = tm_act_at(&m, shape, 3, 0);
            y = tm_act_at(&m, shape, 3, 0);
            CHECK(wsm_builder_add_log_softmax(m.b, "ls", &x, 1, &y, 1, 1, coerce) == 0);
            if ((out = run_one(&m, x, xv, y))) CHECK_FLOATS(out, expected, 12, 1e-4);
            tm_free(&m);
        }
    }
}

static const float *layer_norm_run(tm *m, const uint32_t *shape, uint32_t rank, const float *xv, uint32_t axis,
                                   const float *scale, const float *bias, float epsilon, int in_place) {
    int32_t x, y, in[3];
    tm_init(m);
    x = in_place ? tm_act_at(m, shape, rank, 0) : tm_act(m, shape, rank);
    y = in_place ? tm_act_at(m, shape, rank, 0) : tm_act(m, shape, rank);
    in[0] = x;
    in[1] = tm_raw(m, shape + axis, rank - axis, scale);
    in[2] = bias ? tm_raw(m, shape + axis, rank - axis, bias) : -1;
    CHECK(wsm_builder_add_layer_norm(m->b, "ln", in, bias ? 3 : 2, &y, 1, axis, epsilon) == 0);
    return run_one(m, x, xv, y);
}

static void test_layer_norm(void) {
    tm m;
    const float *y;
    /* Rows [1, 2, 3, 4] (mean 2.5, variance 1.25) and [0, 0, 4, 4] (mean 2, variance 4), epsilon 0. */
    static const float x[8] = {1, 2, 3, 4, 0, 0, 4, 4};
    if ((y = layer_norm_run(&m, DIMS(2, 4), x, 1, FLOATS(1, 1, 2, 2), FLOATS(0, 0, 0, 1), 0.0f, 0)))
        CHECK_FLOATS(y, FLOATS(-1.34164079f, -0.447213595f, 0.894427191f, 3.68328157f, -1, -1, 2, 3), 8, 1e-6);
    tm_free(&m);
    if ((y = layer_norm_run(&m, DIMS(2, 4), x, 1, FLOATS(1, 1, 2, 2), NULL, 0.0f, 1))) /* no B, in place */
        CHECK_FLOATS(y, FLOATS(-1.34164079f, -0.447213595f, 0.894427191f, 2.68328157f, -1, -1, 2, 2), 8, 1e-6);
    tm_free(&m);
    /* Every axis of [2, 3, 4] with epsilon 1e-3, against a double reference. */
    {
        static const uint32_t shape[3] = {2, 3, 4};
        float xv[24], scale[24], bias[24], expected[24];
        uint32_t axis, i, j;
        for (i = 0; i < 24; i++) {
            xv[i] = (float)lcg_below(&rng, 1000) / 100.0f - 5.0f + 100.0f; /* an offset tests the two passes */
            scale[i] = (float)lcg_below(&rng, 100) / 50.0f - 1.0f;
            bias[i] = (float)lcg_below(&rng, 100) / 50.0f - 1.0f;
        }
        for (axis = 0; axis < 3; axis++) {
            uint32_t n = count_of(shape + axis, 3 - axis), outer = 24 / n;
            for (i = 0; i < outer; i++) {
                double mean = 0, var = 0;
                for (j = 0; j < n; j++) mean += xv[i * n + j];
                mean /= n;
                for (j = 0; j < n; j++) var += (xv[i * n + j] - mean) * (xv[i * n + j] - mean);
                var /= n;
                for (j = 0; j < n; j++)
                    expected[i * n + j] = (float)((xv[i * n + j] - mean) / sqrt(var + 1e-3) * scale[j] + bias[j]);
            }
            if ((y = layer_norm_run(&m, shape, 3, xv, axis, scale, bias, 1e-3f, axis == 1)))
                CHECK_FLOATS(y, expected, 24, 1e-4);
            tm_free(&m);
        }
    }
}

int main(void) {
    test_reduce_hand();
    test_reduce_random();
    test_log_softmax();
    test_layer_norm();
    return ws_test_finish();
}
