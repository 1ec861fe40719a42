/*
 * Gemm and MatMul. B (usually the shared weight matrix) is read exactly once per call, in storage order, so
 * each weight index is decoded once and no tensor is ever expanded: Y is the only accumulator.
 */
#include "ws_kernels.h"

/* y[m * ldy] += op(A)[m, k] * w for every row m; op(A)[m, k] is stored at m * a_sm + k * a_sk. */
static void add_scaled_column(const ws_operand *a, uint32_t a_sm, uint32_t a_k, float w, float *y, uint32_t ldy,
                              uint32_t rows) {
    uint32_t m;
    if (a->values) {
        const float *x = a->values + a_k;
        for (m = 0; m < rows; m++) y[m * ldy] += x[m * a_sm] * w;
    } else {
        /* Shared A is rare (a constant left operand): random access is good enough there. */
        for (m = 0; m < rows; m++) y[m * ldy] += ws_operand_at(a, m * a_sm + a_k) * w;
    }
}

void ws_gemm_f32(const ws_gemm_params *p, const ws_operand *a, const ws_operand *b, float *y) {
    const uint32_t rows = p->m, depth = p->k, cols = p->n;
    const uint32_t a_sm = p->trans_a ? 1u : depth; /* storage strides of op(A) along m and k */
    const uint32_t a_sk = p->trans_a ? rows : 1u;
    ws_operand_reader w;
    uint32_t i, j, k;

    ws_operand_reader_init(&w, b);
    if (p->trans_b && rows == 1u && a->values) {
        /* The common dense layer (batch 1, weights [N, K]): one dot product per output, in a register. */
        for (j = 0; j < cols; j++) {
            float acc = 0.0f;
            for (k = 0; k < depth; k++) acc += a->values[k] * ws_operand_next(&w); /* one row: contiguous */
            y[j] = acc;
        }
    } else {
        for (i = 0; i < rows * cols; i++) y[i] = 0.0f;
        if (p->trans_b) { /* B stored [N, K] */
            for (j = 0; j < cols; j++)
                for (k = 0; k < depth; k++)
                    add_scaled_column(a, a_sm, k * a_sk, ws_operand_next(&w), y + j, cols, rows);
        } else { /* B stored [K, N] */
            for (k = 0; k < depth; k++)
                for (j = 0; j < cols; j++)
                    add_scaled_column(a, a_sm, k * a_sk, ws_operand_next(&w), y + j, cols, rows);
        }
    }

    if (p->c || p->s || p->alpha != 1.0f) {
        for (i = 0; i < rows; i++) {
            for (j = 0; j < cols; j++) {
                float v = p->alpha * y[i * cols + j];
                if (p->s) v *= p->s[j * p->s_step];
                if (p->c) v += p->beta * p->c[i * p->c_stride_m + j * p->c_stride_n];
                y[i * cols + j] = v;
            }
        }
    }
}

void ws_matmul_f32(const ws_operand *a, const ws_operand *b, uint32_t rows, uint32_t k, uint32_t n, float *y) {
    ws_gemm_params p;
    p.m = rows;
    p.k = k;
    p.n = n;
    p.trans_a = 0;
    p.trans_b = 0;
    p.alpha = 1.0f;
    p.beta = 0.0f;
    p.c = NULL;
    p.c_stride_m = 0;
    p.c_stride_n = 0;
    p.s = NULL;
    p.s_step = 0;
    ws_gemm_f32(&p, a, b, y);
}
