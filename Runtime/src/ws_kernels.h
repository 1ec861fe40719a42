/*
 * Kernel prototypes (internal). Kernels trust their arguments: ws_model_load() has checked shapes, sizes and
 * aliasing. Element-wise kernels (add, relu, softmax, reshape) are correct when the output is exactly the
 * input (same pointer, same size); no kernel supports any other overlap.
 */
#ifndef WS_KERNELS_H
#define WS_KERNELS_H

#include "ws_index_stream.h"
#include "ws_runtime.h"

/* An operand read by a kernel: float values (activation or raw), or indices into the codebook (shared). */
typedef struct {
    const float *values;     /* NULL for a shared tensor */
    const uint8_t *stream;   /* shared: IndexStream.data */
    const float *codebook;   /* shared */
    uint32_t first;          /* shared: stream position of element 0 */
    uint32_t bit_width;      /* shared */
} ws_operand;

/* Element `e` in storage order (random access; decodes one index for a shared operand). */
static inline float ws_operand_at(const ws_operand *x, uint32_t e) {
    if (x->values) return x->values[e];
    return x->codebook[ws_index_at(x->stream, x->bit_width, x->first + e)];
}

/* Reads an operand once, in storage order: what lets kernels decode shared weights on the fly. */
typedef struct {
    const float *values;
    const float *codebook;
    ws_index_reader indices;
} ws_operand_reader;

static inline void ws_operand_reader_init(ws_operand_reader *r, const ws_operand *x) {
    static const ws_index_reader unused = {NULL, 0, 0, 0, 0};
    r->values = x->values;
    r->codebook = x->codebook;
    r->indices = unused;
    if (!x->values) ws_index_reader_init(&r->indices, x->stream, x->bit_width, x->first);
}

static inline float ws_operand_next(ws_operand_reader *r) {
    if (r->values) return *r->values++;
    return r->codebook[ws_index_next(&r->indices)];
}

/* ---- dense: ws_dense.c --------------------------------------------------------------------------------- */

typedef struct {
    uint32_t m, k, n;          /* Y is [m, n]; op(A) is [m, k]; op(B) is [k, n] */
    int trans_a;               /* A stored [k, m] instead of [m, k] */
    int trans_b;               /* B stored [n, k] instead of [k, n] */
    float alpha, beta;
    const float *c;            /* NULL when absent */
    uint32_t c_stride_m;       /* C element strides along m and n; 0 where C is broadcast */
    uint32_t c_stride_n;
} ws_gemm_params;

/* Y = alpha * op(A) op(B) + beta * C. B is read once in storage order; Y must not overlap A, B or C. */
void ws_gemm_f32(const ws_gemm_params *p, const ws_operand *a, const ws_operand *b, float *y);

/* Y[rows, n] = A[rows, k] B[k, n] (leading dimensions of A flattened into rows). */
void ws_matmul_f32(const ws_operand *a, const ws_operand *b, uint32_t rows, uint32_t k, uint32_t n, float *y);

/* ---- element-wise: ws_elementwise.c -------------------------------------------------------------------- */

/* Output shape and per-input element strides (0 along broadcast dimensions), NumPy rules, rank <= 6. */
typedef struct {
    uint32_t rank;
    uint32_t shape[WS_MAX_RANK];
    uint32_t a_stride[WS_MAX_RANK];
    uint32_t b_stride[WS_MAX_RANK];
} ws_broadcast;

/* Fills `bc` for inputs of the given shapes; 0 when they do not broadcast. */
int ws_broadcast_init(ws_broadcast *bc, const uint32_t *a_shape, uint32_t a_rank, const uint32_t *b_shape,
                      uint32_t b_rank);

void ws_add_f32(const float *a, const float *b, const ws_broadcast *bc, float *y);
void ws_relu_f32(const float *x, float *y, uint32_t n);

/* ---- ws_softmax.c, ws_reshape.c --------------------------------------------------------------------- */

/* Softmax over n elements at stride `inner`, for each of outer * inner lines. */
void ws_softmax_f32(const float *x, float *y, uint32_t outer, uint32_t n, uint32_t inner);

void ws_reshape_f32(const float *x, float *y, uint32_t n);

#endif /* WS_KERNELS_H */
