/*
 * Gemm and MatMul. B (usually the shared weight matrix) is read exactly once per call, in storage order, so
 * each weight index is decoded once and no tensor is ever expanded: Y is the only accumulator. A batched MatMul
 * is one such call per batch slice, the operands offset to the slice (a B slice is read once per output batch).
 */
#include <string.h>

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

#ifndef WS_SMALL
/* y[j] = x · B[j, :] for B stored [cols, depth]: weights decoded 64 at a time, four partial sums (host builds). */
static void dense_row(const float *x, ws_operand_reader *w, uint32_t depth, uint32_t cols, float *y) {
    float buf[64];
    uint32_t j, k0, t, n;
    for (j = 0; j < cols; j++) {
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        for (k0 = 0; k0 < depth; k0 += n) {
            const float *xs = x + k0;
            n = depth - k0 < 64u ? depth - k0 : 64u;
            ws_operand_read(w, buf, n);
            for (t = 0; t + 4u <= n; t += 4u) {
                s0 += xs[t] * buf[t];
                s1 += xs[t + 1u] * buf[t + 1u];
                s2 += xs[t + 2u] * buf[t + 2u];
                s3 += xs[t + 3u] * buf[t + 3u];
            }
            for (; t < n; t++) s0 += xs[t] * buf[t];
        }
        y[j] = (s0 + s1) + (s2 + s3);
    }
}
#endif

void ws_gemm_f32(const ws_gemm_params *p, const ws_operand *a, const ws_operand *b, float *y) {
    const uint32_t rows = p->m, depth = p->k, cols = p->n;
    const uint32_t a_sm = p->trans_a ? 1u : depth; /* storage strides of op(A) along m and k */
    const uint32_t a_sk = p->trans_a ? rows : 1u;
    ws_operand_reader w;
    uint32_t i, j, k;

    ws_operand_reader_start(&w, b, p->b_off);
    if (p->trans_b && rows == 1u && a->values) {
        /* The common dense layer (batch 1, weights [N, K]): one dot product per output, in a register. */
        const float *x = a->values + p->a_off; /* one row: contiguous */
#ifndef WS_SMALL
        dense_row(x, &w, depth, cols, y);
#else
        for (j = 0; j < cols; j++) {
            float acc = 0.0f;
            for (k = 0; k < depth; k++) acc += x[k] * ws_operand_next(&w);
            y[j] = acc;
        }
#endif
    } else {
        for (i = 0; i < rows * cols; i++) y[i] = 0.0f;
        /* (k, j) walk B in storage order: [N, K] (for j, for k) when trans_b, else [K, N] (for k, for j); one
         * loop for both orders, 78 bytes smaller on Cortex-M4 than two
         * (make cortex-m4, measured at commit e79e755). */
        for (k = j = 0; k < depth && j < cols;) {
            add_scaled_column(a, a_sm, p->a_off + k * a_sk, ws_operand_next(&w), y + j, cols, rows);
            if (p->trans_b) {
                if (++k == depth) {
                    k = 0;
                    j++;
                }
            } else if (++j == cols) {
                j = 0;
                k++;
            }
        }
    }

    /* Epilogue, one pass over Y (exact when alpha is 1 and C and S are absent: cheap next to the products, at most
     * 1/depth of them; a guard that skips it costs 36 bytes on Cortex-M4,
     * make cortex-m4 at commit e79e755). */
    for (i = 0; i < rows; i++) {
        for (j = 0; j < cols; j++) {
            float v = p->alpha * y[i * cols + j];
            if (p->s) v *= p->s[j * p->s_step];
            if (p->c) v += p->beta * p->c[i * p->c_stride_m + j * p->c_stride_n];
            y[i * cols + j] = v;
        }
    }
}

uint32_t ws_matmul_dims(ws_broadcast *bc, ws_gemm_params *p, const uint32_t *a_shape, uint32_t a_rank,
                        const uint32_t *b_shape, uint32_t b_rank) {
    uint32_t r;
    if (a_rank < 1u || b_rank < 1u) return 0;
    p->m = a_rank >= 2u ? a_shape[a_rank - 2u] : 1u;
    p->k = a_shape[a_rank - 1u];
    p->n = b_rank >= 2u ? b_shape[b_rank - 1u] : 1u;
    if (p->k != b_shape[b_rank >= 2u ? b_rank - 2u : 0u]) return 0;
    if (!ws_broadcast_init(bc, a_shape, a_rank > 2u ? a_rank - 2u : 0u, b_shape, b_rank > 2u ? b_rank - 2u : 0u))
        return 0;
    r = bc->rank;
    if (a_rank >= 2u) bc->shape[r++] = p->m;
    if (b_rank >= 2u) bc->shape[r++] = p->n;
    return r + 1u;
}

void ws_matmul_f32(const ws_operand *a, const uint32_t *a_shape, uint32_t a_rank, const ws_operand *b,
                   const uint32_t *b_shape, uint32_t b_rank, float *y) {
    ws_gemm_params p;
    ws_broadcast bc;
    uint32_t batches = 1, b_batched = 0, t, r, i, d;
    memset(&p, 0, sizeof p);
    p.alpha = 1.0f;
    (void)ws_matmul_dims(&bc, &p, a_shape, a_rank, b_shape, b_rank);
    for (d = 0; d < bc.rank; d++) {
        batches *= bc.shape[d];
        b_batched |= bc.b_stride[d];
    }
    if (!b_batched) { /* one B for every batch: A's batch dims are rows */
        p.m *= batches;
        batches = 1;
    }
    for (t = 0; t < batches; t++) {
        p.a_off = p.b_off = 0;
        for (r = t, d = bc.rank; d-- > 0; r /= bc.shape[d]) { /* batch index t, last dim fastest */
            i = r % bc.shape[d];
            p.a_off += i * bc.a_stride[d];
            p.b_off += i * bc.b_stride[d];
        }
        p.a_off *= p.m * p.k;
        p.b_off *= p.k * p.n;
        ws_gemm_f32(&p, a, b, y + t * p.m * p.n);
    }
}
