/*
 * Resize of the two trailing dims, as ONNX Resize (opset 11+) without antialiasing: nearest with its four
 * rounding modes, and linear (bilinear), with the five coordinate transforms.
 */
#include <math.h>

#include "ws_kernels.h"
#include "ws_schema.h"

/* Source coordinate of output index o along a dim (ONNX coordinate_transformation_mode). */
static float source_coord(uint32_t coord, uint32_t o, float scale, uint32_t n_in, uint32_t n_out) {
    const float x = (float)o;
    switch (coord) {
    case WS_COORDINATE_TRANSFORM_ALIGN_CORNERS: {
        /* ONNX's reference divides by the unrounded resized length n_in·scale − 1 (equal to n_out − 1 when the
         * model gave sizes); with scales that do not divide evenly this is what the conformance data expects. */
        const float span = (float)n_in * scale - 1.0f;
        (void)n_out;
        return span > 0.0f ? x * (float)(n_in - 1u) / span : 0.0f;
    }
    case WS_COORDINATE_TRANSFORM_ASYMMETRIC:
        return x / scale;
    case WS_COORDINATE_TRANSFORM_PYTORCH_HALF_PIXEL:
        return n_out > 1u ? (x + 0.5f) / scale - 0.5f : 0.0f;
    case WS_COORDINATE_TRANSFORM_TF_HALF_PIXEL_FOR_NEAREST:
        return (x + 0.5f) / scale;
    default: /* half_pixel */
        return (x + 0.5f) / scale - 0.5f;
    }
}

static uint32_t clamp_index(float v, uint32_t n) {
    if (!(v > 0.0f)) return 0; /* also NaN */
    if (v >= (float)(n - 1u)) return n - 1u;
    return (uint32_t)v;
}

/* Nearest input index along a dim. */
static uint32_t nearest_index(const ws_resize_params *p, uint32_t o, float scale, uint32_t n_in, uint32_t n_out) {
    const float x = source_coord(p->coord, o, scale, n_in, n_out);
    const float f = floorf(x);
    float r;
    switch (p->nearest) {
    case WS_NEAREST_MODE_FLOOR:
        r = f;
        break;
    case WS_NEAREST_MODE_CEIL:
        r = ceilf(x);
        break;
    case WS_NEAREST_MODE_ROUND_PREFER_CEIL:
        r = x - f == 0.5f ? f + 1.0f : floorf(x + 0.5f);
        break;
    default: /* round_prefer_floor */
        r = x - f == 0.5f ? f : floorf(x + 0.5f);
        break;
    }
    return clamp_index(r, n_in);
}

/* Linear taps along a dim: indices i0, i1 and the weight of i1 (source coordinate clamped to the input, which
 * equals ONNX's edge-padded interpolation). */
static void linear_taps(const ws_resize_params *p, uint32_t o, float scale, uint32_t n_in, uint32_t n_out,
                        uint32_t *i0, uint32_t *i1, float *t) {
    float x = source_coord(p->coord, o, scale, n_in, n_out);
    if (!(x > 0.0f)) x = 0.0f;
    if (x > (float)(n_in - 1u)) x = (float)(n_in - 1u);
    *i0 = clamp_index(floorf(x), n_in);
    *i1 = *i0 + 1u < n_in ? *i0 + 1u : *i0;
    *t = x - (float)*i0;
}

void ws_resize_f32(const ws_resize_params *p, const float *x, float *y) {
    uint32_t pl, oy, ox;
    for (pl = 0; pl < p->planes; pl++) {
        const float *xp = x + (size_t)pl * p->h * p->w;
        for (oy = 0; oy < p->oh; oy++) {
            if (p->mode == WS_RESIZE_MODE_NEAREST) {
                const uint32_t iy = nearest_index(p, oy, p->scale_h, p->h, p->oh);
                const float *xr = xp + (size_t)iy * p->w;
                if (oy > 0 && iy == nearest_index(p, oy - 1u, p->scale_h, p->h, p->oh)) {
                    for (ox = 0; ox < p->ow; ox++, y++) *y = y[-(ptrdiff_t)p->ow]; /* the row above, again */
                    continue;
                }
                for (ox = 0; ox < p->ow; ox++) *y++ = xr[nearest_index(p, ox, p->scale_w, p->w, p->ow)];
            } else {
                uint32_t y0, y1, x0, x1;
                float ty, tx;
                linear_taps(p, oy, p->scale_h, p->h, p->oh, &y0, &y1, &ty);
                for (ox = 0; ox < p->ow; ox++) {
                    const float *r0 = xp + (size_t)y0 * p->w, *r1 = xp + (size_t)y1 * p->w;
                    float top, bottom;
                    linear_taps(p, ox, p->scale_w, p->w, p->ow, &x0, &x1, &tx);
                    top = r0[x0] + (r0[x1] - r0[x0]) * tx;
                    bottom = r1[x0] + (r1[x1] - r1[x0]) * tx;
                    *y++ = top + (bottom - top) * ty;
                }
            }
        }
    }
}
