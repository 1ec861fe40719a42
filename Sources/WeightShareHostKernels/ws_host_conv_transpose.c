/* ConvTranspose (one group) as a product per image: the M·kh·kw × H·W matrix Wᵀ X on the BLAS, each of its
 * columns then added at its output position (the scatter the runtime's kernel does weight by weight). */
#include <cblas.h>
#include <string.h>

#include "ws_host_internal.h"

void ws_host_conv_transpose(const ws_conv_params *p, const ws_host_image *images, uint32_t count, const float *w,
                            float *work) {
    const size_t in_plane = (size_t)p->h * p->w, out_plane = (size_t)p->oh * p->ow;
    const uint32_t rows = p->m * p->kh * p->kw;
    uint32_t i, m, ki, kj, iy, ix;
    for (i = 0; i < count; i++) {
        float *y = images[i].y;
        /* work[(m·kh + ki)·kw + kj][iy·W + ix] = Σ_c w[c][m][ki][kj] · x[c][iy][ix] */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)rows, (int)in_plane, (int)p->c, 1.0f, w, (int)rows,
                    images[i].x, (int)in_plane, 0.0f, work, (int)in_plane);
        memset(y, 0, (size_t)p->m * out_plane * sizeof *y);
        for (m = 0; m < p->m; m++)
            for (ki = 0; ki < p->kh; ki++) {
                const int64_t off_y = (int64_t)ki * p->dh - p->pt;
                uint32_t y0, y1;
                ws_host_valid_range(off_y, p->sh, p->oh, p->h, &y0, &y1);
                for (kj = 0; kj < p->kw; kj++) {
                    const float *col = work + ((size_t)(m * p->kh + ki) * p->kw + kj) * in_plane;
                    const int64_t off_x = (int64_t)kj * p->dw - p->pl;
                    uint32_t x0, x1;
                    ws_host_valid_range(off_x, p->sw, p->ow, p->w, &x0, &x1);
                    for (iy = y0; iy < y1; iy++) {
                        float *yr = y + m * out_plane + (size_t)((int64_t)iy * p->sh + off_y) * p->ow;
                        const float *cr = col + (size_t)iy * p->w;
                        for (ix = x0; ix < x1; ix++) yr[(int64_t)ix * p->sw + off_x] += cr[ix];
                    }
                }
            }
        for (m = 0; m < p->m && ws_conv_has_epilogue(p); m++) {
            const float s = ws_conv_scale(p, m), b = ws_conv_bias(p, m);
            float *row = y + m * out_plane;
            size_t e;
            for (e = 0; e < out_plane; e++) row[e] = s * row[e] + b;
        }
    }
}
