/* The generic element-wise kernel of WS_OP_LIST's UNARY and ACTIVATION rows, and the per-channel affine map.
 * Each output element depends only on its own input element, so y == x works. A UNARY row names any float
 * function of one float (a libm function such as tanhf, or one of the ws_f_* below); nothing here changes when one
 * is added. */
#include <math.h>

#include "ws_kernels.h"

static float clampf(float v, float lo, float hi) {
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* UNARY element functions: y = f(x). */
static float ws_f_relu(float x) { return x < 0.0f ? 0.0f : x; } /* NaN passes through, as in max(x, 0) */
static float ws_f_sigmoid(float x) {
    /* Both branches stay in range: expf of a non-positive number. */
    float e;
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    e = expf(x);
    return e / (1.0f + e);
}
static float ws_f_hard_swish(float x) { return x * clampf(x * (1.0f / 6.0f) + 0.5f, 0.0f, 1.0f); }
static float ws_f_neg(float x) { return -x; }
static float ws_f_reciprocal(float x) { return 1.0f / x; }
static float ws_f_softplus(float x) { return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x)); } /* no overflow */
static float ws_f_softsign(float x) { return x / (1.0f + fabsf(x)); }
static float ws_f_not(float x) { return x == 0.0f ? 1.0f : 0.0f; } /* masks: non-zero is true */
static float ws_f_gelu(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
static float ws_f_gelu_tanh(float x) {
    return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
}
static float ws_f_silu(float x) { return x * ws_f_sigmoid(x); }

/* ACTIVATION element functions: y = f(x, alpha, beta) with ActivationOptions. */
static float ws_f_clip(float x, float alpha, float beta) { return clampf(x, alpha, beta); } /* min(max(x, a), b) */
static float ws_f_leaky_relu(float x, float alpha, float beta) {
    (void)beta;
    return x < 0.0f ? alpha * x : x;
}
static float ws_f_hard_sigmoid(float x, float alpha, float beta) { return clampf(alpha * x + beta, 0.0f, 1.0f); }
/* x^alpha: the exponents of written-out formulas exactly (x·x for LayerNorm's Pow(x, 2)), others through powf.
 * sqrtf differs from powf(x, 0.5) only at -0 (gives -0) and -inf (gives NaN). */
static float ws_f_pow_scalar(float x, float alpha, float beta) {
    (void)beta;
    if (alpha == 2.0f) return x * x;
    if (alpha == 0.5f) return sqrtf(x);
    if (alpha == 1.0f) return x;
    if (alpha == -1.0f) return 1.0f / x;
    if (alpha == 3.0f) return x * x * x;
    return powf(x, alpha);
}

/* Relu four elements a step: one loop test for four. In place (y == x, as the planner puts it and as ws_invoke
 * folds a Relu into the operator before it) only the negative values are written: ~5 Cortex-M4 instructions an
 * element, ~7 otherwise, against 9 through the generic loop. NaN and -0 pass through, as ws_f_relu. */
static void relu_f32(const float *x, float *y, uint32_t n) {
    uint32_t quads = n / 4u;
    if (x == y)
        for (; quads > 0u; quads--, x += 4, y += 4) {
            const float a = y[0], b = y[1], c = y[2], d = y[3];
            if (a < 0.0f) y[0] = 0.0f;
            if (b < 0.0f) y[1] = 0.0f;
            if (c < 0.0f) y[2] = 0.0f;
            if (d < 0.0f) y[3] = 0.0f;
        }
    else
        for (; quads > 0u; quads--, x += 4, y += 4) {
            const float a = x[0], b = x[1], c = x[2], d = x[3];
            y[0] = ws_f_relu(a);
            y[1] = ws_f_relu(b);
            y[2] = ws_f_relu(c);
            y[3] = ws_f_relu(d);
        }
    for (n &= 3u; n > 0u; n--) *y++ = ws_f_relu(*x++);
}

void ws_unary_f32(ws_opcode op, float alpha, float beta, const float *x, float *y, uint32_t n) {
    uint32_t i;
    (void)alpha; /* unused when the table (or the op set) has no ACTIVATION row */
    (void)beta;
    (void)x, (void)y, (void)n, (void)i; /* unused when the op set has no UNARY or ACTIVATION row */
    if (WS_OP_BUILT(RELU) && op == WS_OP_RELU) {
        relu_f32(x, y, n);
        return;
    }
    switch (op) {
#define WS_UNARY_CASE(name, Camel, code, min_in, max_in, min_out, max_out, options, req, inplace, shared, shape, \
                      kernel, fn)                                                                            \
    WS_IF_BUILT(name)(WS_IF_KERNEL(kernel, UNARY)(                                                      \
        case WS_OP_##name: for (i = 0; i < n; i++) y[i] = fn(x[i]); break;))                            \
    WS_IF_BUILT(name)(WS_IF_KERNEL(kernel, ACTIVATION)(                                                 \
        case WS_OP_##name: for (i = 0; i < n; i++) y[i] = fn(x[i], alpha, beta); break;))
        WS_OP_LIST(WS_UNARY_CASE)
#undef WS_UNARY_CASE
    default:
        break;
    }
}

void ws_channel_affine_f32(const float *x, const float *scale, const float *shift, uint32_t outer,
                           uint32_t channels, uint32_t inner, float *y) {
    uint32_t o, c, i;
    for (o = 0; o < outer; o++)
        for (c = 0; c < channels; c++) {
            const float s = scale[c], t = shift[c];
            for (i = 0; i < inner; i++) y[i] = x[i] * s + t;
            x += inner;
            y += inner;
        }
}
