/* Conv as im2col + sgemm per group, several images side by side in one product when their planes are small. */
#include <cblas.h>
#include <string.h>

#include "ws_host_internal.h"

/* Valid output columns [*lo, *hi): 0 <= o * s + off < n_in. */
static void valid_columns(int64_t off, uint32_t s, uint32_t n_in, uint32_t n_out, uint32_t *lo, uint32_t *hi) {
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

/* Columns col0 .. col0 + OH·OW of the K × ld matrix `cols` from one group's input planes x (C/group × H × W). */
static void im2col(const ws_conv_params *p, const float *x, float *cols, size_t ld, size_t col0) {
    const uint32_t cg = p->c / p->group;
    uint32_t c, i, j, oy, ox;
    for (c = 0; c < cg; c++)
        for (i = 0; i < p->kh; i++)
            for (j = 0; j < p->kw; j++) {
                float *row = cols + ((size_t)(c * p->kh + i) * p->kw + j) * ld + col0;
                const int64_t off_x = (int64_t)j * p->dw - p->pl;
                uint32_t lo, hi;
                valid_columns(off_x, p->sw, p->w, p->ow, &lo, &hi);
                for (oy = 0; oy < p->oh; oy++) {
                    const int64_t iy = (int64_t)oy * p->sh - p->pt + (int64_t)i * p->dh;
                    float *dst = row + (size_t)oy * p->ow;
                    const float *src;
                    if (iy < 0 || iy >= (int64_t)p->h) {
                        memset(dst, 0, (size_t)p->ow * sizeof *dst);
                        continue;
                    }
                    src = x + ((size_t)c * p->h + (size_t)iy) * p->w;
                    for (ox = 0; ox < lo; ox++) dst[ox] = 0.0f;
                    if (p->sw == 1u) {
                        memcpy(dst + lo, src + (int64_t)lo + off_x, (size_t)(hi - lo) * sizeof *dst);
                    } else {
                        for (ox = lo; ox < hi; ox++) dst[ox] = src[(int64_t)ox * p->sw + off_x];
                    }
                    for (ox = hi; ox < p->ow; ox++) dst[ox] = 0.0f;
                }
            }
}

/* y[m] = scale[m] · acc[m] + bias[m] over one image's planes; acc rows are `ld` apart (acc == y works). */
static void epilogue(const ws_conv_params *p, const float *acc, size_t ld, float *y) {
    const size_t plane = (size_t)p->oh * p->ow;
    uint32_t m;
    size_t i;
    for (m = 0; m < p->m; m++) {
        const float s = p->scale ? p->scale[m * p->scale_step] : 1.0f, b = p->bias ? p->bias[m] : 0.0f;
        const float *a = acc + m * ld;
        float *row = y + m * plane;
        if (!p->scale && !p->bias) {
            if (a != row) memcpy(row, a, plane * sizeof *row);
        } else {
            for (i = 0; i < plane; i++) row[i] = s * a[i] + b;
        }
    }
}

void ws_host_conv(const ws_conv_params *p, const ws_host_image *images, uint32_t count, const float *w,
                  uint32_t batch, float *work) {
    const uint32_t cg = p->c / p->group, mg = p->m / p->group;
    const size_t k = (size_t)cg * p->kh * p->kw, plane = (size_t)p->oh * p->ow, in_plane = (size_t)p->h * p->w;
    const int pointwise = p->kh == 1u && p->kw == 1u && p->sh == 1u && p->sw == 1u && !p->pt && !p->pl &&
                          !p->pb && !p->pr;
    uint32_t first, b, g, i;
    if (batch == 0u) batch = 1u;
    for (first = 0; first < count; first += b) {
        size_t ncols;
        float *cols = work, *acc;
        b = count - first < batch ? count - first : batch;
        ncols = (size_t)b * plane;
        acc = work + k * ncols;
        for (g = 0; g < p->group; g++) {
            const float *bmat = cols;
            size_t ldb = ncols, ldc = ncols;
            float *c = acc + (size_t)g * mg * ncols;
            if (pointwise && b == 1u) {
                bmat = images[first].x + (size_t)g * cg * in_plane;
            } else {
                for (i = 0; i < b; i++) im2col(p, images[first + i].x + (size_t)g * cg * in_plane, cols, ncols,
                                               (size_t)i * plane);
            }
            if (b == 1u) { /* straight into the output planes */
                c = images[first].y + (size_t)g * mg * plane;
                ldc = plane;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)mg, (int)ncols, (int)k, 1.0f,
                        w + (size_t)g * mg * k, (int)k, bmat, (int)ldb, 0.0f, c, (int)ldc);
        }
        if (b == 1u) {
            epilogue(p, images[first].y, plane, images[first].y);
        } else {
            for (i = 0; i < b; i++) epilogue(p, acc + (size_t)i * plane, ncols, images[first + i].y);
        }
    }
}
