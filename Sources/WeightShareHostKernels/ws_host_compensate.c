/* GPTQ's row sweep over many rows at once, tile by tile (exactly the per-row arithmetic). */
#include "ws_host_kernels.h"

enum { TILE_ROWS = 32 };

/* Index of the codebook value nearest to x; ties go to the lower one (as ErrorCompensation.swift's nearest). */
static uint32_t nearest(double x, const float *codebook, uint32_t m) {
    uint32_t lo = 0, hi = m;
    while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2u;
        if ((double)codebook[mid] < x) lo = mid + 1u;
        else hi = mid;
    }
    if (lo == 0u) return 0u;
    if (lo == m) return m - 1u;
    return x - (double)codebook[lo - 1u] <= (double)codebook[lo] - x ? lo - 1u : lo;
}

void ws_host_compensate_rows(const double *upper, uint32_t d, double *w, uint32_t rows, size_t ld,
                             const float *codebook, uint32_t m, const uint8_t *fixed, const float *fixed_values,
                             uint32_t *indices) {
    double error[TILE_ROWS];
    uint32_t r0, j, k, r;
    if (!upper || !w || !codebook || m == 0u || !fixed || !fixed_values || !indices || ld < rows) return;
    for (r0 = 0; r0 < rows; r0 += TILE_ROWS) {
        const uint32_t n = rows - r0 < TILE_ROWS ? rows - r0 : TILE_ROWS;
        for (j = 0; j < d; j++) {
            const double ujj = upper[(size_t)j * d + j];
            const size_t col = (size_t)j * ld + r0;
            int any = 0;
            for (r = 0; r < n; r++) {
                double q;
                if (fixed[col + r]) {
                    q = (double)fixed_values[col + r];
                } else {
                    const uint32_t i = nearest(w[col + r], codebook, m);
                    indices[col + r] = i;
                    q = (double)codebook[i];
                }
                error[r] = (w[col + r] - q) / ujj;
                any |= error[r] != 0.0;
            }
            if (!any) continue;
            for (k = j + 1u; k < d; k++) {
                const double u = upper[(size_t)j * d + k];
                double *wk = w + (size_t)k * ld + r0;
                for (r = 0; r < n; r++)
                    if (error[r] != 0.0) wk[r] -= error[r] * u;
            }
        }
    }
}

void ws_host_gram_add(const double *v, uint32_t d, uint32_t *nonzero, double *h) {
    uint32_t n = 0, a, b, i;
    if (!v || !nonzero || !h) return;
    for (i = 0; i < d; i++)
        if (v[i] != 0.0) nonzero[n++] = i;
    for (a = 0; a < n; a++) {
        const double xi = v[nonzero[a]];
        double *row = h + (size_t)nonzero[a] * d;
        for (b = a; b < n; b++) row[nonzero[b]] += xi * v[nonzero[b]];
    }
}
