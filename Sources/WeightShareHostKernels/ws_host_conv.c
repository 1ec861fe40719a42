/* Conv as im2col + sgemm per group, several images side by side in one product when their planes are small. */
#include <cblas.h>
#include <string.h>

#include "ws_host_internal.h"

void ws_host_valid_range(int64_t off, uint32_t s, uint32_t n_in, uint32_t n_out, uint32_t *lo, uint32_t *hi) {
    int64_t first = 0, last;
    if (off < 0) first = (-off + (int64_t)s - 1) / (int64_t)s;
    last = ((int64_t)n_in - 1 - off);
    if (last < 0) {
        *lo = *hi = 0;
        return;
    }
    last = last / (int64_t)s + 1;
    if (last > (int64_t)n_out) last = n_out;
    if (first > last) first = last;
    *lo = (uint32_t)first;
    *hi = (uint32_t)last;
}

/* Columns col0 .. col0 + count of the K × ld matrix `cols` from output positions pos0 .. pos0 + count (row-major
 * over OH × OW) of one group's input planes x (C/group × H × W). */
static void im2col(const ws_conv_params *p, const float *x, float *cols, size_t ld, size_t col0, size_t pos0,
                   size_t count) {
    const uint32_t cg = p->c / p->group;
    uint32_t c, i, j, ox;
    for (c = 0; c < cg; c++)
        for (i = 0; i < p->kh; i++)
            for (j = 0; j < p->kw; j++) {
                float *row = cols + ((size_t)(c * p->kh + i) * p->kw + j) * ld + col0;
                const int64_t off_x = (int64_t)j * p->dw - p->pl;
                uint32_t lo, hi;
                size_t pos = pos0, end = pos0 + count;
                ws_host_valid_range(off_x, p->sw, p->w, p->ow, &lo, &hi);
                while (pos < end) { /* one output row's stretch at a time */
                    const uint32_t oy = (uint32_t)(pos / p->ow), ox0 = (uint32_t)(pos % p->ow);
                    const uint32_t ox1 = end - pos < (size_t)(p->ow - ox0) ? ox0 + (uint32_t)(end - pos) : p->ow;
                    const int64_t iy = (int64_t)oy * p->sh - p->pt + (int64_t)i * p->dh;
                    float *dst = row + (pos - pos0); /* dst[ox - ox0] */
                    if (iy < 0 || iy >= (int64_t)p->h) {
                        for (ox = ox0; ox < ox1; ox++) dst[ox - ox0] = 0.0f;
                    } else {
                        const float *src = x + ((size_t)c * p->h + (size_t)iy) * p->w;
                        const uint32_t a = lo > ox0 ? (lo < ox1 ? lo : ox1) : ox0;
                        const uint32_t b = hi < ox1 ? (hi > a ? hi : a) : ox1;
                        for (ox = ox0; ox < a; ox++) dst[ox - ox0] = 0.0f;
                        if (p->sw == 1u) {
                            if (b > a) memcpy(dst + (a - ox0), src + (int64_t)a + off_x, (size_t)(b - a) * sizeof *dst);
                        } else {
                            for (ox = a; ox < b; ox++) dst[ox - ox0] = src[(int64_t)ox * p->sw + off_x];
                        }
                        for (ox = b; ox < ox1; ox++) dst[ox - ox0] = 0.0f;
                    }
                    pos += ox1 - ox0;
                }
            }
}

/* y[m] = scale[m] · acc[m] + bias[m] over one image's planes; acc rows are `ld` apart (acc == y works). */
static void epilogue(const ws_conv_params *p, const float *acc, size_t ld, float *y) {
    const size_t plane = (size_t)p->oh * p->ow;
    uint32_t m;
    size_t i;
    for (m = 0; m < p->m; m++) {
        const float s = ws_conv_scale(p, m), b = ws_conv_bias(p, m);
        const float *a = acc + m * ld;
        float *row = y + m * plane;
        if (!ws_conv_has_epilogue(p)) {
            if (a != row) memcpy(row, a, plane * sizeof *row);
        } else {
            for (i = 0; i < plane; i++) row[i] = s * a[i] + b;
        }
    }
}

/* Columns per product when one image is a product of its own: its im2col tile then stays in cache (512 KiB). */
static size_t column_tile(size_t k, size_t plane) {
    size_t t = ((size_t)1 << 17) / (k ? k : 1u);
    if (t < 256u) t = 256u;
    return t < plane ? t : plane;
}

void ws_host_conv(const ws_conv_params *p, const ws_host_image *images, uint32_t count, const float *w,
                  uint32_t batch, float *work) {
    const uint32_t cg = p->c / p->group, mg = p->m / p->group;
    const size_t k = (size_t)cg * p->kh * p->kw, plane = (size_t)p->oh * p->ow, in_plane = (size_t)p->h * p->w;
    const int pointwise = p->kh == 1u && p->kw == 1u && p->sh == 1u && p->sw == 1u && !p->pt && !p->pl &&
                          !p->pb && !p->pr;
    uint32_t first, b, g, i;
    /* Images side by side only while planes are small; a large plane is a product of its own, in column tiles. */
    if (batch == 0u || plane >= 1024u) batch = 1u;
    for (first = 0; first < count; first += b) {
        b = count - first < batch ? count - first : batch;
        if (b == 1u) { /* one image: column tiles straight into its output planes */
            const size_t tile = column_tile(k, plane);
            size_t c0;
            for (g = 0; g < p->group; g++) {
                const float *xg = images[first].x + (size_t)g * cg * in_plane;
                for (c0 = 0; c0 < plane; c0 += tile) {
                    const size_t n = plane - c0 < tile ? plane - c0 : tile;
                    const float *bmat = work;
                    size_t ldb = n;
                    if (pointwise) {
                        bmat = xg + c0;
                        ldb = plane;
                    } else {
                        im2col(p, xg, work, n, 0, c0, n);
                    }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)mg, (int)n, (int)k, 1.0f,
                                w + (size_t)g * mg * k, (int)k, bmat, (int)ldb, 0.0f,
                                images[first].y + (size_t)g * mg * plane + c0, (int)plane);
                }
            }
            epilogue(p, images[first].y, plane, images[first].y);
            continue;
        }
        {
            const size_t ncols = (size_t)b * plane;
            float *cols = work, *acc = work + k * ncols;
            for (g = 0; g < p->group; g++) {
                for (i = 0; i < b; i++)
                    im2col(p, images[first + i].x + (size_t)g * cg * in_plane, cols, ncols, (size_t)i * plane, 0,
                           plane);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)mg, (int)ncols, (int)k, 1.0f,
                            w + (size_t)g * mg * k, (int)k, cols, (int)ncols, 0.0f, acc + (size_t)g * mg * ncols,
                            (int)ncols);
            }
            for (i = 0; i < b; i++) epilogue(p, acc + (size_t)i * plane, ncols, images[first + i].y);
        }
    }
}
