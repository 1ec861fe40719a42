/* Unary activations (Clip, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish) and the per-channel affine map.
 * Each output element depends only on its own input element, so y == x works. */
#include <math.h>

#include "ws_kernels.h"

static float clampf(float v, float lo, float hi) {
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

void ws_activation_f32(ws_opcode op, float alpha, float beta, const float *x, float *y, uint32_t n) {
    uint32_t i;
    switch (op) {
    case WS_OP_CLIP: /* min(max(x, alpha), beta) */
        for (i = 0; i < n; i++) y[i] = clampf(x[i], alpha, beta);
        break;
    case WS_OP_LEAKY_RELU:
        for (i = 0; i < n; i++) y[i] = x[i] < 0.0f ? alpha * x[i] : x[i];
        break;
    case WS_OP_SIGMOID:
        /* Both branches stay in range: expf of a non-positive number. */
        for (i = 0; i < n; i++) {
            float v = x[i];
            if (v >= 0.0f) {
                y[i] = 1.0f / (1.0f + expf(-v));
            } else {
                float e = expf(v);
                y[i] = e / (1.0f + e);
            }
        }
        break;
    case WS_OP_TANH:
        for (i = 0; i < n; i++) y[i] = tanhf(x[i]);
        break;
    case WS_OP_HARD_SIGMOID:
        for (i = 0; i < n; i++) y[i] = clampf(alpha * x[i] + beta, 0.0f, 1.0f);
        break;
    case WS_OP_HARD_SWISH:
        for (i = 0; i < n; i++) y[i] = x[i] * clampf(x[i] * (1.0f / 6.0f) + 0.5f, 0.0f, 1.0f);
        break;
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
