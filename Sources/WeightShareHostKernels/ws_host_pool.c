/* MaxPool over many planes: each window's valid taps found once per output row and column, not per output. */
#include <float.h>
#include <stdlib.h>

#include "ws_host_internal.h"

/* First valid tap and tap count of output o along one axis (taps i = o·s − pad + t·d inside [0, n)). */
static void taps(uint32_t o, uint32_t s, uint32_t pad, uint32_t k, uint32_t d, uint32_t n, int32_t *first,
                 uint32_t *t0, uint32_t *count) {
    const int32_t base = (int32_t)(o * s) - (int32_t)pad;
    uint32_t t, a = k, b = 0;
    for (t = 0; t < k; t++) {
        const int32_t i = base + (int32_t)(t * d);
        if (i >= 0 && i < (int32_t)n) {
            if (a == k) a = t;
            b = t + 1u;
        }
    }
    *t0 = a == k ? 0u : a;
    *count = a == k ? 0u : b - a;
    *first = base + (int32_t)(*t0 * d);
}

int ws_host_maxpool(const ws_conv_params *p, const float *x, float *y, uint32_t planes) {
    int32_t *x_first = (int32_t *)malloc((size_t)p->ow * sizeof *x_first);
    uint32_t *x_count = (uint32_t *)malloc((size_t)p->ow * sizeof *x_count);
    uint32_t pl, oy, ox, ty, tx;
    if (!x_first || !x_count) {
        free(x_first);
        free(x_count);
        return 0;
    }
    for (ox = 0; ox < p->ow; ox++) {
        uint32_t t0;
        taps(ox, p->sw, p->pl, p->kw, p->dw, p->w, &x_first[ox], &t0, &x_count[ox]);
    }
    for (pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * p->h * p->w;
        for (oy = 0; oy < p->oh; oy++) {
            int32_t y_first;
            uint32_t t0, y_count;
            taps(oy, p->sh, p->pt, p->kh, p->dh, p->h, &y_first, &t0, &y_count);
            for (ox = 0; ox < p->ow; ox++) {
                float acc = -FLT_MAX; /* a window with no input element (as the runtime's kernel) */
                for (ty = 0; ty < y_count; ty++) {
                    const float *row = xp + (size_t)(y_first + (int32_t)(ty * p->dh)) * p->w + x_first[ox];
                    for (tx = 0; tx < x_count[ox]; tx++) {
                        const float v = row[tx * p->dw];
                        if (v > acc || v != v) acc = v; /* NaN propagates */
                    }
                }
                *y++ = acc;
            }
        }
    }
    free(x_first);
    free(x_count);
    return 1;
}
