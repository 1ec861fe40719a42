/*
 * Kernel prototypes (internal). Kernels trust their arguments: ws_model_load() has checked shapes, sizes and
 * aliasing. Element-wise kernels (binary, unary, channel affine, softmax, reshape) are correct when the output is
 * exactly an input (same pointer, same size); no kernel supports any other overlap. No kernel allocates.
 */
#ifndef WS_KERNELS_H
#define WS_KERNELS_H

#include "ws_flatbuf.h"
#include "ws_index_stream.h"
#include "ws_opset.h"
#include "ws_runtime.h"

/*
 * WS_IF_KERNEL(kernel, FAMILY)(tokens) gives the tokens when a WS_OP_LIST row's `kernel` column is FAMILY (UNARY,
 * ACTIVATION or BINARY) and nothing otherwise, so that a kernel file can expand the table into cases for its own
 * rows only. How: WS_KERNEL_IS_<FAMILY>_<kernel> is defined as "~, 1" only for a match, so the second of
 * (that, 0, ~) is 1 for a match and 0 otherwise; WS_IF_1 keeps its arguments, WS_IF_0 drops them (ws_opset.h).
 */
#define WS_KERNEL_IS_UNARY_UNARY ~, 1
#define WS_KERNEL_IS_ACTIVATION_ACTIVATION ~, 1
#define WS_KERNEL_IS_BINARY_BINARY ~, 1
#define WS_IF_KERNEL(kernel, family) WS_IF_(WS_SECOND_(WS_KERNEL_IS_##family##_##kernel, 0, ~))

/* A bias or epilogue scale: float32 values, or binary16 ones (WS_FEATURE_HALF_RAW); both NULL when absent. Kernels
 * read it once per output channel or element, so the conversion costs nothing that shows. */
typedef struct {
    const float *f32;
    const uint16_t *f16;
} ws_values;

static inline int ws_values_present(const ws_values *v) { return v->f32 != NULL || v->f16 != NULL; }

/* Element i of a present vector (always inlined: a call per output element showed at -Os). */
static WS_LOAD_INLINE float ws_values_at(const ws_values *v, uint32_t i) {
    return v->f32 ? v->f32[i] : ws_half_to_float(v->f16[i]);
}

/* An operand read by a kernel: float values (activation or raw), or indices into the codebook (shared) with
 * the tensor's exact outliers, which replace the codebook value at their positions. */
typedef struct {
    const float *values;     /* NULL for a shared tensor (and for a binary16 raw one) */
    const uint16_t *half;    /* raw tensor stored as binary16 (only a bias or epilogue scale), else NULL */
    const uint8_t *stream;   /* shared: IndexStream.data */
    const float *codebook;   /* shared */
    uint32_t codebook_size;  /* shared: every index is below it (verified at load) */
    uint32_t first;          /* shared: stream position of element 0 */
    uint32_t bit_width;      /* shared */
    uint32_t num_outliers;   /* shared: exact elements, positions strictly ascending */
    const uint32_t *outlier_positions;
    const float *outlier_values;
    const ws_huffman *code;  /* shared, Huffman-coded: the decode table (first is then a bit position); else NULL */
} ws_operand; /* bind() in ws_invoke.c sets every field */

/* Element `e` of a fixed-width shared operand with outliers (out of line: outliers are rare and code size counts).
 * Random access: never for a Huffman-coded operand (x->code), which kernels read only in order through
 * ws_operand_reader; the verifier allows coded tensors only in the input slots that do. */
float ws_operand_shared_at(const ws_operand *x, uint32_t e);

/* Element `e` in storage order (random access; decodes one index for a shared operand). On host builds a file
 * without outliers pays nothing for them (one inline index decode); WS_SMALL keeps the decode out of line. */
static inline float ws_operand_at(const ws_operand *x, uint32_t e) {
    if (x->values) return x->values[e];
#ifndef WS_SMALL
    if (!x->num_outliers && !x->code) return x->codebook[ws_index_at(x->stream, x->bit_width, x->first + e)];
#endif
    return ws_operand_shared_at(x, e);
}

/* Reads an operand once, in storage order: what lets kernels decode shared weights on the fly. Outliers cost
 * one compare per weight: `next_outlier` is the position of the next one (UINT32_MAX when none is left). */
typedef struct {
    const float *values;
    const float *codebook;
    ws_index_reader indices;
    uint32_t position;       /* element number of the next weight */
    uint32_t next_outlier;
    const uint32_t *outlier_positions; /* after the next outlier */
    const float *outlier_values;       /* the next outlier's value */
    const uint32_t *outliers_end;
    const ws_huffman *code;  /* Huffman-coded operand: its decode table, else NULL */
} ws_operand_reader;

/* Starts reading at element `e` (outliers before it skipped: their positions count from element 0). Out of
 * line: it runs once per kernel call, and code size counts. */
void ws_operand_reader_start(ws_operand_reader *r, const ws_operand *x, uint32_t e);

static inline void ws_operand_reader_init(ws_operand_reader *r, const ws_operand *x) {
    ws_operand_reader_start(r, x, 0);
}

/* The next outlier's value; advances to the one after it (out of line, see ws_operand_shared_at). */
float ws_operand_take_outlier(ws_operand_reader *r);

#ifdef WS_SMALL
/* The next index of a Huffman-coded operand: out of line in WS_SMALL builds, where code size counts (one call per
 * weight; inlined into every kernel that streams weights it would cost ~70 bytes each on Cortex-M4). */
uint32_t ws_operand_coded_index(ws_operand_reader *r);
#define WS_CODED_INDEX(r) ws_operand_coded_index(r)
#else
#define WS_CODED_INDEX(r) ws_huffman_next(&(r)->indices, (r)->code)
#endif

static inline float ws_operand_next(ws_operand_reader *r) {
    const float v = r->values ? *r->values++
                              : r->codebook[WS_HUFFMAN_BUILT && r->code ? WS_CODED_INDEX(r)
                                                                        : ws_index_next(&r->indices)];
    if (r->values || r->position++ != r->next_outlier) return v;
    return ws_operand_take_outlier(r);
}

/* ---- dense: ws_dense.c --------------------------------------------------------------------------------- */

typedef struct {
    uint32_t m, k, n;          /* Y is [m, n]; op(A) is [m, k]; op(B) is [k, n] */
    int trans_a;               /* A stored [k, m] instead of [m, k] */
    int trans_b;               /* B stored [n, k] instead of [k, n] */
    float alpha, beta;
    ws_values c;               /* absent: no C */
    uint32_t c_stride_m;       /* C element strides along m and n; 0 where C is broadcast */
    uint32_t c_stride_n;
    ws_values s;               /* epilogue scale, absent or [n], or [1] for all columns */
    uint32_t s_step;           /* 1: s[j] scales column j; 0: s[0] scales every column */
    uint32_t a_off, b_off;     /* element offsets of op(A) in A and op(B) in B (MatMul batch slices), else 0 */
} ws_gemm_params;

/* Y = alpha * op(A) op(B) diag(S) + beta * C, op(A) and op(B) starting at elements a_off and b_off of A and B.
 * B is read once in storage order; Y must not overlap A, B or C. */
void ws_gemm_f32(const ws_gemm_params *p, const ws_operand *a, const ws_operand *b, float *y);

/* y[j] += x · W[j, :] for j < rows, W's rows of `depth` elements starting at element w_off (a batch-1 dense layer
 * with weights [rows, depth], or a recurrent cell's gates); y must not overlap x. */
void ws_dense_rows(const float *x, const ws_operand *w, uint32_t w_off, uint32_t depth, uint32_t rows, float *y);

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

/* NumPy matmul: A [..., M, K] B [..., K, N] -> Y [broadcast(...), M, N]; a rank-1 A is [1, K] and a rank-1 B
 * [K, 1], that 1 left out of Y. Fills `bc` with the broadcast batch dims (strides in matrices), p->m, k, n, and
 * Y's shape (batch dims, then M unless A is rank 1, N unless B is) into bc->shape. Returns Y's rank + 1, or 0
 * when the shapes do not match (a scalar, K differs or the batch dims do not broadcast). */
uint32_t ws_matmul_dims(ws_broadcast *bc, ws_gemm_params *p, const uint32_t *a_shape, uint32_t a_rank,
                        const uint32_t *b_shape, uint32_t b_rank);

/* One gemm per batch slice on offset operands (when B has no batch, A's batch dims are rows and B is read once).
 * Shapes as accepted by ws_matmul_dims. */
void ws_matmul_f32(const ws_operand *a, const uint32_t *a_shape, uint32_t a_rank, const ws_operand *b,
                   const uint32_t *b_shape, uint32_t b_rank, float *y);

/* The BINARY rows of WS_OP_LIST (Add, Sub, Mul, Div, PRelu, Pow, Min, Max, comparisons, logic): y = fn(a, b)
 * through one broadcasting walker. */
void ws_binary_f32(ws_opcode op, const float *a, const float *b, const ws_broadcast *bc, float *y);

/* Where: y = c != 0 ? a : b over Y's `shape` (rank <= WS_MAX_RANK, every dim >= 1); strides[k][d] is input k's
 * (c, a, b) element step along Y's dim d (0 where it broadcasts). Safe when y is exactly one of the inputs. */
void ws_where_f32(const float *c, const float *a, const float *b, const uint32_t *shape, uint32_t rank,
                  const uint32_t (*strides)[WS_MAX_RANK], float *y);

/* ---- activations: ws_activation.c ------------------------------------------------------------------------ */

/* The UNARY rows of WS_OP_LIST (y = fn(x)) and the ACTIVATION rows (y = fn(x, alpha, beta), alpha and beta as in
 * ActivationOptions), element by element. */
void ws_unary_f32(ws_opcode op, float alpha, float beta, const float *x, float *y, uint32_t n);

/* y[o, c, i] = x[o, c, i] * scale[c] + shift[c] for x [outer, channels, inner]. */
void ws_channel_affine_f32(const float *x, const float *scale, const float *shift, uint32_t outer,
                           uint32_t channels, uint32_t inner, float *y);

/* ---- convolution: ws_conv.c ------------------------------------------------------------------------------ */

/* Geometry of a 2-D (transposed) convolution or pooling over NCHW; 1-D data has h = 1. */
typedef struct {
    uint32_t n, c, h, w;       /* input */
    uint32_t m, oh, ow;        /* output channels (conv) and spatial size */
    uint32_t kh, kw;           /* kernel */
    uint32_t sh, sw, dh, dw;   /* strides, dilations */
    uint32_t pt, pl, pb, pr;   /* pads: top, left, bottom, right */
    uint32_t group;
    ws_values bias;            /* [m] or absent */
    ws_values scale;           /* absent, [m] or [1]: Y[m] = scale[m * scale_step] * acc + bias[m] */
    uint32_t scale_step;       /* 1: one scale per output channel; 0: scale[0] for every channel */
} ws_conv_params;

/* Output channel m's epilogue: Y[m] = ws_conv_scale(p, m) * acc + ws_conv_bias(p, m). */
static inline float ws_conv_scale(const ws_conv_params *p, uint32_t m) {
    return ws_values_present(&p->scale) ? ws_values_at(&p->scale, m * p->scale_step) : 1.0f;
}
static inline float ws_conv_bias(const ws_conv_params *p, uint32_t m) {
    return ws_values_present(&p->bias) ? ws_values_at(&p->bias, m) : 0.0f;
}
static inline int ws_conv_has_epilogue(const ws_conv_params *p) {
    return ws_values_present(&p->scale) || ws_values_present(&p->bias);
}

/* W [m, c/group, kh, kw] read once in storage order (weight-stationary). Y must not overlap X or W. */
void ws_conv2d_f32(const ws_conv_params *p, const float *x, const ws_operand *w, float *y);
/* W [c, m/group, kh, kw] read once in storage order; Y must not overlap X or W. */
void ws_conv_transpose2d_f32(const ws_conv_params *p, const float *x, const ws_operand *w, float *y);

/* ---- pooling: ws_pool.c ---------------------------------------------------------------------------------- */

/* Windows clipped to the padded input; max ignores padding (a window with no input element gives -FLT_MAX). */
void ws_maxpool2d_f32(const ws_conv_params *p, const float *x, float *y);
/* count_include_pad: divide by the window clipped to the padded input, else by its input elements. */
void ws_avgpool2d_f32(const ws_conv_params *p, int count_include_pad, const float *x, float *y);
/* y[i] = mean of x[i * size .. (i + 1) * size). */
void ws_global_avgpool_f32(const float *x, uint32_t planes, uint32_t size, float *y);

/* ---- data movement: ws_layout.c -------------------------------------------------------------------------- */

/* One Concat input: `outer` chunks of `chunk` elements, written at y + offset with row length `row`. */
void ws_concat_f32(const float *x, uint32_t outer, uint32_t chunk, uint32_t row, uint32_t offset, float *y);
/* Y = X with dims permuted: Y dim j is X dim perm[j]. */
void ws_transpose_f32(const float *x, const uint32_t *shape, uint32_t rank, const uint32_t *perm, float *y);
/* pads: rank begins then rank ends; mode WS_PAD_*; reflect needs pads < dim. */
void ws_pad_f32(const float *x, const uint32_t *shape, uint32_t rank, const uint32_t *pads, uint32_t mode,
                float value, float *y);

/* ---- index copies: ws_slice.c --------------------------------------------------------------------------- */
/* Y [out_shape] = X [shape] at starts[d] + i·steps[d] along every dim d (every index read inside X). */
void ws_slice_f32(const float *x, const uint32_t *shape, uint32_t rank, const uint32_t *starts, const int32_t *steps,
                  const uint32_t *out_shape, float *y);
/* X seen as [outer, n, inner]: Y [outer, count, inner] takes entry indices[j] (< n) of the middle dim. */
void ws_gather_f32(const float *x, uint32_t outer, uint32_t n, uint32_t inner, const uint32_t *indices,
                   uint32_t count, float *y);
/* Y [shape] = X [x_shape] (same rank; each shape[d] a multiple of x_shape[d]) at index i mod x_shape. */
void ws_tile_f32(const float *x, const uint32_t *x_shape, const uint32_t *shape, uint32_t rank, float *y);
/* ---- resize: ws_resize.c --------------------------------------------------------------------------------- */

typedef struct {
    uint32_t planes, h, w, oh, ow;
    float scale_h, scale_w;    /* output / input, or the model's scales */
    uint32_t mode, coord, nearest; /* WS_RESIZE_*, WS_COORDINATE_TRANSFORM_*, WS_NEAREST_* */
} ws_resize_params;

void ws_resize_f32(const ws_resize_params *p, const float *x, float *y);

/* ---- ws_softmax.c, ws_reshape.c --------------------------------------------------------------------- */

/* Softmax (log_softmax: its logarithm, x - max - log(sum exp(x - max))) over n elements at stride `inner`, for
 * each of outer * inner lines. y == x works. */
void ws_softmax_f32(const float *x, float *y, uint32_t outer, uint32_t n, uint32_t inner, int log_softmax);

/* ---- ws_reduce.c ---------------------------------------------------------------------------------------- */

/* Reduces x (`shape`, rank 1..WS_MAX_RANK) over `axes` (n_axes >= 1, strictly ascending, < rank) with `mode`
 * (WS_REDUCE_MODE_*) into y, whose elements are the kept dims in row-major order (keepdims does not change the
 * order). No scratch: each output element folds its sub-box. y must not overlap x. */
void ws_reduce_f32(const float *x, const uint32_t *shape, uint32_t rank, const uint32_t *axes, uint32_t n_axes,
                   uint32_t mode, float *y);

/* LayerNormalization of `outer` rows of n elements: y = (x - mean) / sqrt(var + epsilon) · scale[j] + bias[j]
 * (bias may be NULL), mean and variance in two passes. y == x works. */
void ws_layer_norm_f32(const float *x, const float *scale, const float *bias, float *y, uint32_t outer, uint32_t n,
                       float epsilon);

void ws_reshape_f32(const float *x, float *y, uint32_t n);

/* ---- recurrent: ws_recurrent.c -------------------------------------------------------------------------- */

/* Cells of ws_recurrent_f32 (ONNX LSTM, GRU, RNN with their default activations). */
#define WS_CELL_LSTM 0u
#define WS_CELL_GRU 1u
#define WS_CELL_RNN 2u

/* One recurrent layer. layout 0: x [seq, batch, input], states [directions, batch, hidden], y [seq, directions,
 * batch, hidden]; layout 1: x [batch, seq, input], states [batch, directions, hidden], y [batch, seq, directions,
 * hidden]. Optional pointers are NULL when absent. */
typedef struct {
    uint32_t cell;                     /* WS_CELL_* */
    uint32_t seq, batch, input, hidden;
    uint32_t directions;               /* 1 or 2 */
    uint32_t reverse;                  /* directions == 1: 1 runs the sequence backwards */
    uint32_t layout;                   /* 0 or 1 */
    int linear_before_reset;           /* GRU */
    const float *x;
    const float *b;                    /* [directions, 2·gates·hidden]: Wb then Rb, or NULL */
    const float *h0, *c0;              /* initial states (state layout), or NULL for zeros */
    const float *p;                    /* LSTM peepholes [directions, 3·hidden] (i, o, f), or NULL */
    float *y_h;                        /* final hidden state, also the running one: written every step */
    float *y_c;                        /* LSTM: final cell state, also the running one */
    float *work;                       /* [batch, k·hidden]: k = 4 (LSTM), 7 (GRU), 1 (RNN) */
    float *y;                          /* every step's hidden state, or NULL */
} ws_recurrent_params;

/* Runs the layer. W [directions, gates·hidden, input] and R [directions, gates·hidden, hidden] are read once per
 * step and direction, in storage order (decoded on the fly when shared). No output may overlap an input or another
 * output. */
void ws_recurrent_f32(const ws_recurrent_params *p, const ws_operand *w, const ws_operand *r);

#endif /* WS_KERNELS_H */
