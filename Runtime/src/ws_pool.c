/*
 * MaxPool, AveragePool (NCHW, pads, strides, dilations; windows clipped to the padded input, which is what a
 * ceil_mode output shape needs) and GlobalAveragePool.
 */
#include <float.h>

#include "ws_kernels.h"

/* The window of output o along one dim: taps t in [0, k) at input o*s - pad + t*d. Counts the taps inside the
 * padded input [-pad, n + pad_end) in *padded, and returns the first and end tap inside the input [0, n). */
static void window(uint32_t o, uint32_t s, uint32_t pad, uint32_t pad_end, uint32_t k, uint32_t d, uint32_t n,
                   int32_t *start, uint32_t *t0, uint32_t *t1, uint32_t *padded) {
    const int32_t base = (int32_t)(o * s) - (int32_t)pad;
    uint32_t t, a = k, b = 0, np = 0;
    for (t = 0; t < k; t++) {
        const int32_t i = base + (int32_t)(t * d);
        if (i < (int32_t)n + (int32_t)pad_end) np++;
        if (i >= 0 && i < (int32_t)n) {
            if (a == k) a = t;
            b = t + 1u;
        }
    }
    *start = base;
    *t0 = a == k ? 0 : a;
    *t1 = b;
    *padded = np; /* taps are >= -pad by construction */
}

static void pool(const ws_conv_params *p, int average, int count_include_pad, const float *x, float *y) {
    const uint32_t planes = p->n * p->c;
    uint32_t pl, oy, ox, ty, tx;
    for (pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * p->h * p->w;
        for (oy = 0; oy < p->oh; oy++) {
            int32_t ys;
            uint32_t ty0, ty1, npy;
            window(oy, p->sh, p->pt, p->pb, p->kh, p->dh, p->h, &ys, &ty0, &ty1, &npy);
            for (ox = 0; ox < p->ow; ox++) {
                int32_t xs;
                uint32_t tx0, tx1, npx, inside = 0;
                float acc = average ? 0.0f : -FLT_MAX;
                window(ox, p->sw, p->pl, p->pr, p->kw, p->dw, p->w, &xs, &tx0, &tx1, &npx);
                for (ty = ty0; ty < ty1; ty++) {
                    const int32_t iy = ys + (int32_t)(ty * p->dh);
                    if (iy < 0 || iy >= (int32_t)p->h) continue; /* dilated taps may skip the input */
                    for (tx = tx0; tx < tx1; tx++) {
                        const int32_t ix = xs + (int32_t)(tx * p->dw);
                        float v;
                        if (ix < 0 || ix >= (int32_t)p->w) continue;
                        v = xp[(size_t)iy * p->w + (uint32_t)ix];
                        if (average) acc += v;
                        else if (v > acc || v != v) acc = v; /* NaN propagates */
                        inside++;
                    }
                }
                if (average) {
                    const uint32_t count = count_include_pad ? npy * npx : inside;
                    acc = count ? acc / (float)count : 0.0f;
                }
                *y++ = acc;
            }
        }
    }
}

void ws_maxpool2d_f32(const ws_conv_params *p, const float *x, float *y) { pool(p, 0, 0, x, y); }

void ws_avgpool2d_f32(const ws_conv_params *p, int count_include_pad, const float *x, float *y) {
    pool(p, 1, count_include_pad, x, y);
}

void ws_global_avgpool_f32(const float *x, uint32_t planes, uint32_t size, float *y) {
    uint32_t pl, i;
    for (pl = 0; pl < planes; pl++) {
        float acc = 0.0f;
        for (i = 0; i < size; i++) acc += x[i];
        x += size;
        y[pl] = acc / (float)size;
    }
}
