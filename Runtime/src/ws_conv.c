/*
 * Conv and ConvTranspose, NCHW, groups (depthwise included), pads, strides, dilations. Weight-stationary: the
 * weight tensor is read exactly once, in storage order, so each shared index is decoded once per call and no
 * weight is ever expanded; Y is the only accumulator. For each weight the kernel sweeps every batch item and
 * output row; the inner loop runs over a contiguous range of output columns (input columns at stride sw).
 */
#include "ws_kernels.h"

/* Valid range [*lo, *hi) of o in [0, n_out) with 0 <= o * s + off < n_in (off may be negative). */
static void valid_range(int32_t off, uint32_t s, uint32_t n_in, uint32_t n_out, uint32_t *lo, uint32_t *hi) {
    int32_t first = 0, last;
    if (off < 0) first = (int32_t)((uint32_t)(-off) + s - 1u) / (int32_t)s; /* ceil(-off / s) */
    last = (int32_t)n_in - 1 - off;                                          /* o * s <= n_in - 1 - off */
    if (last < 0) {
        *lo = *hi = 0;
        return;
    }
    last = last / (int32_t)s + 1;
    if ((uint32_t)last > n_out) last = (int32_t)n_out;
    *lo = (uint32_t)first;
    *hi = first < last ? (uint32_t)last : (uint32_t)first;
}

/* Y[m] = scale[m] * Y[m] + bias[m] over each output plane. */
static void epilogue(const ws_conv_params *p, float *y) {
    const uint32_t plane = p->oh * p->ow;
    uint32_t n, m, i;
    if (!p->bias && !p->scale) return;
    for (n = 0; n < p->n; n++)
        for (m = 0; m < p->m; m++) {
            const float s = p->scale ? p->scale[m * p->scale_step] : 1.0f, b = p->bias ? p->bias[m] : 0.0f;
            float *row = y + ((size_t)n * p->m + m) * plane;
            for (i = 0; i < plane; i++) row[i] = s * row[i] + b;
        }
}

static void zero(float *y, size_t count) {
    size_t i;
    for (i = 0; i < count; i++) y[i] = 0.0f;
}

void ws_conv2d_f32(const ws_conv_params *p, const float *x, const ws_operand *w, float *y) {
    const uint32_t cg = p->c / p->group, mg = p->m / p->group;
    const size_t in_plane = (size_t)p->h * p->w, out_plane = (size_t)p->oh * p->ow;
    ws_operand_reader r;
    uint32_t m, ci, ki, kj, n, oy, ox, lo, hi, ylo, yhi;

    zero(y, (size_t)p->n * p->m * out_plane);
    ws_operand_reader_init(&r, w);
    for (m = 0; m < p->m; m++) {
        const uint32_t c0 = (m / mg) * cg; /* first input channel of m's group */
        for (ci = 0; ci < cg; ci++) {
            for (ki = 0; ki < p->kh; ki++) {
                const int32_t yoff = (int32_t)(ki * p->dh) - (int32_t)p->pt;
                valid_range(yoff, p->sh, p->h, p->oh, &ylo, &yhi);
                for (kj = 0; kj < p->kw; kj++) {
                    const float wv = ws_operand_next(&r);
                    const int32_t xoff = (int32_t)(kj * p->dw) - (int32_t)p->pl;
                    valid_range(xoff, p->sw, p->w, p->ow, &lo, &hi);
                    if (lo >= hi) continue;
                    for (n = 0; n < p->n; n++) {
                        const float *xp = x + ((size_t)n * p->c + c0 + ci) * in_plane;
                        float *yp = y + ((size_t)n * p->m + m) * out_plane;
                        for (oy = ylo; oy < yhi; oy++) {
                            /* Both offsets are >= 0 inside the valid ranges. */
                            /* restrict: Y never overlaps X (verified), which lets compilers vectorise. */
                            const float *restrict xr = xp + (size_t)((int32_t)(oy * p->sh) + yoff) * p->w +
                                                       (size_t)((int32_t)(lo * p->sw) + xoff);
                            float *restrict yr = yp + (size_t)oy * p->ow + lo;
                            const uint32_t count = hi - lo;
                            if (p->sw == 1u) {
                                for (ox = 0; ox < count; ox++) yr[ox] += wv * xr[ox];
                            } else {
                                for (ox = 0; ox < count; ox++) yr[ox] += wv * xr[ox * p->sw];
                            }
                        }
                    }
                }
            }
        }
    }
    epilogue(p, y);
}

/* Scatter form: y[n, m, iy*sh - pt + ki*dh, ix*sw - pl + kj*dw] += x[n, c, iy, ix] * w[c, mi, ki, kj]. */
void ws_conv_transpose2d_f32(const ws_conv_params *p, const float *x, const ws_operand *w, float *y) {
    const uint32_t cg = p->c / p->group, mg = p->m / p->group;
    const size_t in_plane = (size_t)p->h * p->w, out_plane = (size_t)p->oh * p->ow;
    ws_operand_reader r;
    uint32_t c, mi, ki, kj, n, iy, ix, lo, hi, ylo, yhi;

    zero(y, (size_t)p->n * p->m * out_plane);
    ws_operand_reader_init(&r, w);
    for (c = 0; c < p->c; c++) {
        const uint32_t m0 = (c / cg) * mg; /* first output channel of c's group */
        for (mi = 0; mi < mg; mi++) {
            for (ki = 0; ki < p->kh; ki++) {
                /* Input rows iy with 0 <= iy * sh + yoff < oh, the same arithmetic as Conv with roles swapped. */
                const int32_t yoff = (int32_t)(ki * p->dh) - (int32_t)p->pt;
                valid_range(yoff, p->sh, p->oh, p->h, &ylo, &yhi);
                for (kj = 0; kj < p->kw; kj++) {
                    const float wv = ws_operand_next(&r);
                    const int32_t xoff = (int32_t)(kj * p->dw) - (int32_t)p->pl;
                    valid_range(xoff, p->sw, p->ow, p->w, &lo, &hi);
                    if (lo >= hi) continue;
                    for (n = 0; n < p->n; n++) {
                        const float *xp = x + ((size_t)n * p->c + c) * in_plane;
                        float *yp = y + ((size_t)n * p->m + m0 + mi) * out_plane;
                        for (iy = ylo; iy < yhi; iy++) {
                            const float *restrict xr = xp + (size_t)iy * p->w + lo;
                            float *restrict yr = yp + (size_t)((int32_t)(iy * p->sh) + yoff) * p->ow +
                                        (size_t)((int32_t)(lo * p->sw) + xoff);
                            const uint32_t count = hi - lo;
                            if (p->sw == 1u) {
                                for (ix = 0; ix < count; ix++) yr[ix] += wv * xr[ix];
                            } else {
                                for (ix = 0; ix < count; ix++) yr[ix * p->sw] += wv * xr[ix];
                            }
                        }
                    }
                }
            }
        }
    }
    epilogue(p, y);
}
