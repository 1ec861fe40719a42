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

/* ACTIVATION element functions: y = f(x, alpha, beta) with ActivationOptions. */
static float ws_f_clip(float x, float alpha, float beta) { return clampf(x, alpha, beta); } /* min(max(x, a), b) */
static float ws_f_leaky_relu(float x, float alpha, float beta) {
    (void)beta;
    return x < 0.0f ? alpha * x : x;
}
static float ws_f_hard_sigmoid(float x, float alpha, float beta) { return clampf(alpha * x + beta, 0.0f, 1.0f); }

void ws_unary_f32(ws_opcode op, float alpha, float beta, const float *x, float *y, uint32_t n) {
    uint32_t i;
    (void)alpha; /* unused when the table has no ACTIVATION row */
    (void)beta;
    switch (op) {
#define WS_UNARY_CASE(name, Camel, code, min_in, max_in, options, req, inplace, shared, shape, kernel, fn) \
    WS_IF_KERNEL(kernel, UNARY)(case WS_OP_##name: for (i = 0; i < n; i++) y[i] = fn(x[i]); break;)       \
    WS_IF_KERNEL(kernel, ACTIVATION)(case WS_OP_##name: for (i = 0; i < n; i++) y[i] = fn(x[i], alpha, beta); break;)
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
