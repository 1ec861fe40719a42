/* GPTQ's row sweep over many rows at once, in column blocks whose errors reach the later columns through dgemm. */
#include <cblas.h>
#include <stdlib.h>

#include "ws_host_kernels.h"

/* Columns per block: inside a block the sweep runs column by column; the errors then reach the later columns in
 * one matrix product (GPTQ's lazy batch updates, Frantar et al. 2022, §3). */
enum { BLOCK = 64 };

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
    double *error;
    uint32_t j0, j, k, r;
    if (!upper || !w || !codebook || m == 0u || !fixed || !fixed_values || !indices || ld < rows || !rows) return;
    error = (double *)malloc((size_t)BLOCK * rows * sizeof *error);
    if (!error) return;
    for (j0 = 0; j0 < d; j0 += BLOCK) {
        const uint32_t j1 = d - j0 < BLOCK ? d : j0 + BLOCK;
        /* Inside the block, column after column as the definition does. */
        for (j = j0; j < j1; j++) {
            const double ujj = upper[(size_t)j * d + j];
            const size_t col = (size_t)j * ld;
            double *e = error + (size_t)(j - j0) * rows;
            for (r = 0; r < rows; r++) {
                double q;
                if (fixed[col + r]) {
                    q = (double)fixed_values[col + r];
                } else {
                    const uint32_t i = nearest(w[col + r], codebook, m);
                    indices[col + r] = i;
                    q = (double)codebook[i];
                }
                e[r] = (w[col + r] - q) / ujj;
            }
            for (k = j + 1u; k < j1; k++) {
                const double u = upper[(size_t)j * d + k];
                double *wk = w + (size_t)k * ld;
                for (r = 0; r < rows; r++) wk[r] -= e[r] * u;
            }
        }
        /* The later columns take the block's errors in one product: W[j1:, :] -= U[j0:j1, j1:]^T E. */
        if (j1 < d)
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(d - j1), (int)rows, (int)(j1 - j0), -1.0,
                        upper + (size_t)j0 * d + j1, (int)d, error, (int)rows, 1.0, w + (size_t)j1 * ld, (int)ld);
    }
    free(error);
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
