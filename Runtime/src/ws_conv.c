/*
 * Conv and ConvTranspose, NCHW, groups (depthwise included), pads, strides, dilations. Each shared index is
 * decoded once per call and no weight tensor is ever expanded.
 *
 * Streaming kernels (ConvTranspose; Conv shapes the fast paths do not take; every Conv with WS_SMALL):
 * weight-stationary, the weight tensor read exactly once in storage order, Y the only accumulator. For each
 * weight the kernel sweeps every batch item and output row; the inner loop runs over a contiguous range of
 * output columns (input columns at stride sw).
 *
 * Fast paths (Conv without WS_SMALL): conv_pointwise, conv_depthwise and conv_blocked below.
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
    if (!ws_conv_has_epilogue(p)) return;
    for (n = 0; n < p->n; n++)
        for (m = 0; m < p->m; m++) {
            const float s = ws_conv_scale(p, m), b = ws_conv_bias(p, m);
            float *row = y + ((size_t)n * p->m + m) * plane;
            for (i = 0; i < plane; i++) row[i] = s * row[i] + b;
        }
}

static void zero(float *y, size_t count) {
    size_t i;
    for (i = 0; i < count; i++) y[i] = 0.0f;
}

#ifndef WS_SMALL
/*
 * Fast paths (host builds; compiled out by WS_SMALL, which the -Os Cortex-M build defines to keep .text small).
 * Both decode a block of up to LANES output channels' weights into a stack buffer with ws_operand_at (each
 * weight is decoded once per call) and then run float loops over TILE output columns whose fixed trip count lets
 * compilers vectorise them. Accumulation order per output element is the streaming kernel's (input channel,
 * kernel row, kernel column), and the epilogue is fused into the last pass. Stack: at most 1 KiB of buffers
 * (WS_CONV_BUF floats) plus accumulator tiles (at most 2 LANES x TILE + TILE floats, 288 bytes, the second
 * LANES x TILE in tile4 usually in registers). Shapes that do not fit fall back to streaming.
 */
enum { TILE = 8, LANES = 4, WS_CONV_BUF = 256 };

/* a = the first `count` columns of y (zeros past them), or zeros on the first pass. */
static inline void get_tile(float *restrict a, const float *restrict y, uint32_t count, int first) {
    uint32_t i;
    if (first) {
        for (i = 0; i < TILE; i++) a[i] = 0.0f;
    } else if (count == TILE) {
        for (i = 0; i < TILE; i++) a[i] = y[i];
    } else {
        for (i = 0; i < TILE; i++) a[i] = i < count ? y[i] : 0.0f;
    }
}

/* y = a (first `count` columns), through output channel m's epilogue on the last pass. */
static inline void put_tile(const ws_conv_params *p, uint32_t m, float *restrict a, float *restrict y,
                            uint32_t count, int last) {
    uint32_t i;
    if (last && ws_conv_has_epilogue(p)) {
        const float s = ws_conv_scale(p, m), b = ws_conv_bias(p, m);
        for (i = 0; i < TILE; i++) a[i] = s * a[i] + b;
    }
    if (count == TILE) {
        for (i = 0; i < TILE; i++) y[i] = a[i];
    } else {
        for (i = 0; i < count; i++) y[i] = a[i];
    }
}

/* Output channels of a block starting at m0: up to LANES, within m0's group. */
static uint32_t block_lanes(uint32_t m0, uint32_t mg) {
    const uint32_t left = mg - m0 % mg;
    return left < LANES ? left : LANES;
}

/*
 * a[j][i] += w[j * lane + o * wo + q] * x[o * xo + q * xq + i] over the outer steps o < no whose bit is set
 * in `mask` and the inner steps q < nq, for the LANES x TILE accumulators. Written with scalar locals so that
 * compilers keep the accumulators in vector registers (gcc's SLP vectoriser does at -O2); one input load
 * serves every lane.
 */
#define WS_MAC_LANE(j)                                                                                         \
    do {                                                                                                       \
        const float wv = wq[(j) * lane];                                                                       \
        acc[j][0] += wv * x0, acc[j][1] += wv * x1, acc[j][2] += wv * x2, acc[j][3] += wv * x3;                \
        acc[j][4] += wv * x4, acc[j][5] += wv * x5, acc[j][6] += wv * x6, acc[j][7] += wv * x7;                \
    } while (0)
static inline void tile4(float (*restrict a)[TILE], const float *restrict w, uint32_t lane, uint32_t wo,
                         const float *restrict x, uint32_t xo, uint32_t xq, uint32_t no, uint32_t nq,
                         uint32_t mask) {
    float acc[LANES][TILE];
    uint32_t o, q, j, i;
    for (j = 0; j < LANES; j++)
        for (i = 0; i < TILE; i++) acc[j][i] = a[j][i];
    for (o = 0; o < no; o++) {
        if (!(mask >> o & 1u)) continue;
        for (q = 0; q < nq; q++) {
            const float *restrict xs = x + o * xo + q * xq, *restrict wq = w + o * wo + q;
            const float x0 = xs[0], x1 = xs[1], x2 = xs[2], x3 = xs[3];
            const float x4 = xs[4], x5 = xs[5], x6 = xs[6], x7 = xs[7];
            WS_MAC_LANE(0);
            WS_MAC_LANE(1);
            WS_MAC_LANE(2);
            WS_MAC_LANE(3);
        }
    }
    for (j = 0; j < LANES; j++)
        for (i = 0; i < TILE; i++) a[j][i] = acc[j][i];
}
#undef WS_MAC_LANE

/* 1x1, stride 1, no pads: per block, Y[m, i] = sum_c W[m, c] X[c, i] over the flattened plane, TILE at a time. */
static int conv_pointwise(const ws_conv_params *p, const float *x, const ws_operand *w, float *y) {
    const uint32_t cg = p->c / p->group, mg = p->m / p->group;
    const size_t plane = (size_t)p->h * p->w;
    float wb[WS_CONV_BUF], a[LANES][TILE];
    ws_operand_reader r;
    uint32_t m0, lanes, j, ci, n, i;
    size_t i0;
    if (p->kh != 1u || p->kw != 1u || p->sh != 1u || p->sw != 1u || p->pt || p->pl || p->pb || p->pr ||
        cg > WS_CONV_BUF / LANES)
        return 0;
    ws_operand_reader_init(&r, w); /* blocks of output channels in order: W in storage order */
    for (m0 = 0; m0 < p->m; m0 += lanes) {
        const uint32_t c0 = (m0 / mg) * cg;
        lanes = block_lanes(m0, mg);
        for (j = 0; j < LANES * cg; j++) wb[j] = j < lanes * cg ? ws_operand_next(&r) : 0.0f;
        for (n = 0; n < p->n; n++) {
            const float *xp = x + ((size_t)n * p->c + c0) * plane;
            float *yp = y + ((size_t)n * p->m + m0) * plane;
            for (i0 = 0; i0 < plane; i0 += TILE) {
                const uint32_t count = plane - i0 < TILE ? (uint32_t)(plane - i0) : TILE;
                for (j = 0; j < LANES; j++) get_tile(a[j], NULL, 0, 1);
                if (count == TILE) { /* wb[j * cg + ci] */
                    tile4(a, wb, cg, 0, xp + i0, 0, (uint32_t)plane, 1, cg, 1u);
                } else { /* the last, partial tile: no reads past the plane */
                    for (j = 0; j < lanes; j++)
                        for (ci = 0; ci < cg; ci++)
                            for (i = 0; i < count; i++) a[j][i] += wb[j * cg + ci] * xp[ci * plane + i0 + i];
                }
                for (j = 0; j < lanes; j++) put_tile(p, m0 + j, a[j], yp + j * plane + i0, count, 1);
            }
        }
    }
    return 1;
}

/* dst[0..n) = src[0..n). Rows are short: four floats a step, spelled out so that compilers move them as one
 * vector instead of calling memcpy. */
static void copy_row(float *restrict dst, const float *restrict src, uint32_t n) {
    uint32_t i = 0;
    for (; i + 4u <= n; i += 4u) {
        const float v0 = src[i], v1 = src[i + 1u], v2 = src[i + 2u], v3 = src[i + 3u];
        dst[i] = v0, dst[i + 1u] = v1, dst[i + 2u] = v2, dst[i + 3u] = v3;
    }
    for (; i < n; i++) dst[i] = src[i];
}

/* a += sum over kernel rows ki in `rows` and columns kj of w[ki * kw + kj] * r[ki * rs + kj * dw + i * sw]. */
static void tile_taps(const ws_conv_params *p, float *restrict a, const float *restrict w, const float *restrict r,
                      uint32_t rs, uint32_t rows) {
    const uint32_t kh = p->kh, kw = p->kw, dw = p->dw, sw = p->sw; /* locals: the loops below store to a */
    uint32_t ki, kj, i;
    for (ki = 0; ki < kh; ki++) {
        if (!(rows >> ki & 1u)) continue;
        if (sw == 1u) {
            for (kj = 0; kj < kw; kj++) {
                const float wv = w[ki * kw + kj], *restrict xs = r + ki * rs + kj * dw;
                for (i = 0; i < TILE; i++) a[i] += wv * xs[i];
            }
        } else {
            for (kj = 0; kj < kw; kj++) {
                const float wv = w[ki * kw + kj], *restrict xs = r + ki * rs + kj * dw;
                for (i = 0; i < TILE; i++) a[i] += wv * xs[i * sw];
            }
        }
    }
}

/* Length of a zero-padded input row that holds every read of the output tiles: 0 when the shape is past the
 * buffers (also keeps the arithmetic here and in the callers far from overflow). */
static uint32_t padded_row(const ws_conv_params *p, uint32_t taps, uint32_t max_taps, uint32_t max_len) {
    uint32_t len;
    if (taps > max_taps || p->ow > max_len || p->sw > max_len || p->dw > max_len) return 0;
    len = ((p->ow + TILE - 1u) / TILE * TILE - 1u) * p->sw + (p->kw - 1u) * p->dw + 1u;
    return len <= max_len ? len : 0;
}

/* dst = every row of an input plane, each at stride len after pl zeros (the pads stay zero). */
static void copy_plane(const ws_conv_params *p, float *restrict dst, const float *restrict src, uint32_t len,
                       uint32_t copy) {
    uint32_t iy;
    for (iy = 0; iy < p->h; iy++) copy_row(dst + iy * len + p->pl, src + (size_t)iy * p->w, copy);
}

/*
 * Depthwise (group = C = M) whose zero-padded input plane fits the buffer: per channel, decode its kh x kw
 * weights, copy the plane once into zero-padded rows, then each output row is TILE-column tiles over the kernel
 * rows that fall inside the input (one accumulator tile, no pass over Y).
 */
static int conv_depthwise(const ws_conv_params *p, const float *x, const ws_operand *w, float *y) {
    enum { WB = 32, XB = WS_CONV_BUF - WB };
    const uint32_t taps = p->kh * p->kw, tiles = (p->ow + TILE - 1u) / TILE;
    const size_t in_plane = (size_t)p->h * p->w, out_plane = (size_t)p->oh * p->ow;
    float wb[WB], xb[XB], a1[TILE];
    ws_operand_reader r;
    uint32_t len, copy, c, n, oy, ki, ki0, t, e, rows;
    if (p->group != p->c || p->m != p->c) return 0;
    len = padded_row(p, taps, WB, XB);
    if (!len || p->h > XB / len) return 0;
    copy = len > p->pl ? len - p->pl : 0;
    if (copy > p->w) copy = p->w;
    for (e = 0; e < len * p->h; e++) xb[e] = 0.0f;
    ws_operand_reader_init(&r, w);
    for (c = 0; c < p->c; c++) {
        for (e = 0; e < taps; e++) wb[e] = ws_operand_next(&r); /* channel by channel: storage order */
        for (n = 0; n < p->n; n++) {
            float *yp = y + ((size_t)n * p->c + c) * out_plane;
            copy_plane(p, xb, x + ((size_t)n * p->c + c) * in_plane, len, copy);
            for (oy = 0; oy < p->oh; oy++) {
                int32_t iy0 = 0;
                rows = 0; /* bit ki - ki0: kernel row ki reads input row iy0 + (ki - ki0) * dh */
                for (ki = 0, ki0 = p->kh; ki < p->kh; ki++) {
                    const int32_t iy = (int32_t)(oy * p->sh + ki * p->dh) - (int32_t)p->pt;
                    if (iy < 0 || iy >= (int32_t)p->h) continue;
                    if (ki0 == p->kh) ki0 = ki, iy0 = iy;
                    rows |= 1u << (ki - ki0);
                }
                for (t = 0; t < tiles; t++) { /* no kernel row inside the input: the epilogue of zero */
                    const uint32_t ox0 = t * TILE, count = p->ow - ox0 < TILE ? p->ow - ox0 : TILE;
                    get_tile(a1, NULL, 0, 1);
                    if (rows)
                        tile_taps(p, a1, wb + ki0 * p->kw, xb + (uint32_t)iy0 * len + ox0 * p->sw, p->dh * len,
                                  rows);
                    put_tile(p, c, a1, yp + (size_t)oy * p->ow + ox0, count, 1);
                }
            }
        }
    }
    return 1;
}

/*
 * Any other conv whose kernel has at most WS_CONV_BUF / (2 LANES) taps and whose kh zero-padded input rows fit
 * in the other half of the buffer. For each block, a pass takes `cb` input channels at once (as many as the
 * buffers hold): decode the block's weights for them, then for each output row copy the cb x kh input rows it
 * reads into zero-padded rows (the pads are zeroed once), and accumulate TILE columns at a time into Y (the first
 * pass starts from zero, the last applies the epilogue). Groups of one output channel are blocks of one.
 */
static int conv_blocked(const ws_conv_params *p, const float *x, const ws_operand *w, float *y) {
    enum { HALF = WS_CONV_BUF / 2 };
    const uint32_t cg = p->c / p->group, mg = p->m / p->group, kh = p->kh, taps = kh * p->kw;
    const size_t in_plane = (size_t)p->h * p->w, out_plane = (size_t)p->oh * p->ow;
    float wb[HALF], xb[HALF], a[LANES][TILE], a1[TILE];
    ws_operand_reader r;
    uint32_t tiles, len, copy, cb_max, cb, m0, lanes, j, ci, c, n, oy, ki, t, e, rows, mask;
    len = padded_row(p, taps, HALF / LANES, HALF);
    if (!len || len * kh > HALF) return 0;
    tiles = (p->ow + TILE - 1u) / TILE;
    cb_max = HALF / (LANES * taps); /* channels per pass: weights, rows, and a 32-bit row mask */
    if (cb_max > HALF / (len * kh)) cb_max = HALF / (len * kh);
    if (cb_max > 32u / kh) cb_max = 32u / kh;
    /* Several passes revisit W out of order: Huffman codes stream only. */
    if (WS_HUFFMAN_BUILT && w->code && cb_max < cg) return 0;
    copy = len > p->pl ? len - p->pl : 0; /* input columns a padded row holds */
    if (copy > p->w) copy = p->w;
    for (e = 0; e < len * kh * cb_max; e++) xb[e] = 0.0f;
    ws_operand_reader_init(&r, w);
    for (m0 = 0; m0 < p->m; m0 += lanes) {
        const uint32_t c0 = (m0 / mg) * cg;
        lanes = block_lanes(m0, mg);
        for (ci = 0; ci < cg; ci += cb) {
            const int first = ci == 0;
            int last;
            cb = cg - ci < cb_max ? cg - ci : cb_max;
            last = ci + cb == cg;
            for (j = 0; j < LANES; j++) /* wb[((j * cb + c) * kh + ki) * kw + kj]; zeros past the block */
                for (e = 0; e < cb * taps; e++)
                    wb[j * cb * taps + e] = j >= lanes ? 0.0f
                                            : WS_HUFFMAN_BUILT && w->code
                                                ? ws_operand_next(&r) /* one pass: storage order */
                                                : ws_operand_at(w, ((m0 + j) * cg + ci) * taps + e);
            for (n = 0; n < p->n; n++) {
                const float *xp = x + ((size_t)n * p->c + c0 + ci) * in_plane;
                float *yp = y + ((size_t)n * p->m + m0) * out_plane;
                for (oy = 0; oy < p->oh; oy++) {
                    rows = 0; /* bit ki: kernel row ki reads an input row */
                    for (ki = 0; ki < kh; ki++) {
                        const int32_t iy = (int32_t)(oy * p->sh + ki * p->dh) - (int32_t)p->pt;
                        if (iy < 0 || iy >= (int32_t)p->h) continue;
                        rows |= 1u << ki;
                        for (c = 0; c < cb; c++) /* row (c, ki) at xb + (c * kh + ki) * len */
                            copy_row(xb + (c * kh + ki) * len + p->pl, xp + c * in_plane + (size_t)iy * p->w, copy);
                    }
                    for (mask = 0, c = 0; c < cb; c++) mask |= rows << (c * kh);
                    for (t = 0; t < tiles; t++) {
                        const uint32_t ox0 = t * TILE, count = p->ow - ox0 < TILE ? p->ow - ox0 : TILE;
                        float *yt = yp + (size_t)oy * p->ow + ox0;
                        if (lanes == 1u || p->sw != 1u) { /* depthwise, or strided: one lane at a time */
                            for (j = 0; j < lanes; j++) {
                                get_tile(a1, yt + j * out_plane, count, first);
                                for (c = 0; c < cb; c++)
                                    tile_taps(p, a1, wb + (j * cb + c) * taps, xb + c * kh * len + ox0 * p->sw, len,
                                              rows);
                                put_tile(p, m0 + j, a1, yt + j * out_plane, count, last);
                            }
                            continue;
                        }
                        for (j = 0; j < LANES; j++) /* lanes past the block: zero weights, never stored */
                            get_tile(a[j], j < lanes ? yt + j * out_plane : yt, count, first || j >= lanes);
                        tile4(a, wb, cb * taps, p->kw, xb + ox0, len, p->dw, cb * kh, p->kw, mask);
                        for (j = 0; j < lanes; j++) put_tile(p, m0 + j, a[j], yt + j * out_plane, count, last);
                    }
                }
            }
        }
    }
    return 1;
}
#endif /* WS_SMALL */

void ws_conv2d_f32(const ws_conv_params *p, const float *x, const ws_operand *w, float *y) {
    const uint32_t cg = p->c / p->group, mg = p->m / p->group;
    const size_t in_plane = (size_t)p->h * p->w, out_plane = (size_t)p->oh * p->ow;
    ws_operand_reader r;
    uint32_t m, ci, ki, kj, n, oy, ox, lo, hi, ylo, yhi;

#ifndef WS_SMALL
    if (conv_pointwise(p, x, w, y) || conv_depthwise(p, x, w, y) || conv_blocked(p, x, w, y)) return;
#endif
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
