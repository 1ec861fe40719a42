/* Gemm and MatMul by a constant B: the samples' rows of A stacked into one product. */
#include <cblas.h>
#include <string.h>

#include "ws_host_internal.h"

/* Y = alpha · acc · diag(S) + beta · C for one sample; acc rows are p->n apart (acc == y works). */
static void epilogue(const ws_gemm_params *p, const float *acc, float *y) {
    uint32_t i, j;
    if (p->alpha == 1.0f && !ws_values_present(&p->s) && !ws_values_present(&p->c)) {
        if (acc != y) memcpy(y, acc, (size_t)p->m * p->n * sizeof *y);
        return;
    }
    for (i = 0; i < p->m; i++)
        for (j = 0; j < p->n; j++) {
            float v = p->alpha * acc[(size_t)i * p->n + j];
            if (ws_values_present(&p->s)) v *= ws_values_at(&p->s, j * p->s_step);
            if (ws_values_present(&p->c)) v += p->beta * ws_values_at(&p->c, i * p->c_stride_m + j * p->c_stride_n);
            y[(size_t)i * p->n + j] = v;
        }
}

void ws_host_gemm(const ws_gemm_params *p, const ws_host_rows *samples, uint32_t count, const float *b,
                  uint32_t batch, float *work) {
    const size_t a_size = (size_t)p->m * p->k, y_size = (size_t)p->m * p->n;
    const enum CBLAS_TRANSPOSE tb = p->trans_b ? CblasTrans : CblasNoTrans;
    const int ldb = p->trans_b ? (int)p->k : (int)p->n;
    uint32_t first, n, i;
    if (batch == 0u || p->trans_a) batch = 1u; /* a transposed A's rows are not contiguous */
    for (first = 0; first < count; first += n) {
        n = count - first < batch ? count - first : batch;
        if (n == 1u) {
            cblas_sgemm(CblasRowMajor, p->trans_a ? CblasTrans : CblasNoTrans, tb, (int)p->m, (int)p->n, (int)p->k,
                        1.0f, samples[first].a, p->trans_a ? (int)p->m : (int)p->k, b, ldb, 0.0f, samples[first].y,
                        (int)p->n);
            epilogue(p, samples[first].y, samples[first].y);
            continue;
        }
        for (i = 0; i < n; i++) memcpy(work + i * a_size, samples[first + i].a, a_size * sizeof *work);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, tb, (int)(n * p->m), (int)p->n, (int)p->k, 1.0f, work, (int)p->k, b,
                    ldb, 0.0f, work + (size_t)n * a_size, (int)p->n);
        for (i = 0; i < n; i++) epilogue(p, work + (size_t)n * a_size + i * y_size, samples[first + i].y);
    }
}
