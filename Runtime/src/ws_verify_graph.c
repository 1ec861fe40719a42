/*
 * ws_model_load(), second half: what the layout cannot express. Codebook, index stream, tensors, every index,
 * operator arity/kinds/shapes, arena bounds and aliasing, and the data flow of the graph. Runs on a buffer whose
 * layout is verified, so it reads through the trusted accessors.
 *
 * Data flow ("read before written", "written twice", graph inputs and outputs): with the caller's scratch
 * (ws_model_load_scratch(), two bits per tensor) each question is one lookup, so the whole verification is linear
 * in the file. Without it (no heap) they scan the earlier operators and the graph inputs, which is quadratic in
 * the operator count (fine for the few hundred operators of a microcontroller model). Both give the same results:
 * a tensor is marked written only once its operator has passed every check, which is what the scan sees.
 */
#include "ws_flatbuf.h"
#include "ws_index_stream.h"
#include "ws_internal.h"
#include "ws_kernels.h"
#include "ws_schema.h"

/* Largest element count: the tensor's bytes must stay below 2^31. */
#define WS_MAX_ELEMENTS 0x1FFFFFFFu

static int is_finite(const uint8_t *p) { return (ws_ld_u32(p) & 0x7F800000u) != 0x7F800000u; }

static int has_shared_tensor(const ws_model *m) {
    uint32_t t;
    for (t = 0; t < m->num_tensors; t++) {
        uint32_t table = ws_fb_vector_table(m->buf, m->tensors, t);
        if (ws_fb_u8(m->buf, table, WS_VT_TENSOR_KIND, WS_TENSOR_ACTIVATION) == WS_TENSOR_SHARED) return 1;
    }
    return 0;
}

static ws_status check_codebook(const ws_model *m, int has_shared) {
    const float *values = ws_fb_floats(m->buf, m->codebook);
    uint32_t i;
    if (has_shared && m->codebook_size == 0) return WS_ERR_CODEBOOK;
    for (i = 0; i < m->codebook_size; i++) {
        if (!is_finite(m->buf + m->codebook + 4u * i)) return WS_ERR_CODEBOOK;
        if (i > 0 && !(values[i - 1u] <= values[i])) return WS_ERR_CODEBOOK;
    }
    return WS_OK;
}

static ws_status check_stream(ws_model *m, int has_shared) {
    uint32_t table = ws_fb_ref(m->buf, m->root, WS_VT_MODEL_INDICES);
    uint32_t width;
    uint64_t count;
    if (table == 0) return has_shared ? WS_ERR_STREAM : WS_OK; /* no stream: bit width and count stay 0 */
    width = ws_fb_u8(m->buf, table, WS_VT_INDEX_STREAM_BIT_WIDTH, 0);
    count = ws_fb_u64(m->buf, table, WS_VT_INDEX_STREAM_COUNT, 0);
    if (ws_fb_u8(m->buf, table, WS_VT_INDEX_STREAM_ENCODING, WS_INDEX_ENCODING_FIXED_WIDTH) !=
        WS_INDEX_ENCODING_FIXED_WIDTH)
        return WS_ERR_STREAM;
    if (width < 1u || width > 16u || count > 0xFFFFFFFFu) return WS_ERR_STREAM;
    /* Packed bits plus 4 bytes of padding, which lets decoders load past the last index. */
    if ((uint64_t)m->stream_bytes < (count * width + 7u) / 8u + 4u) return WS_ERR_STREAM;
    m->bit_width = width;
    m->index_count = (uint32_t)count;
    return WS_OK;
}

/* The Huffman code table (WS_FEATURE_HUFFMAN): one length per codebook entry (at most WS_HUFFMAN_MAX_SYMBOLS), each
 * at most WS_HUFFMAN_MAX_LENGTH, forming a complete prefix code (Kraft sum exactly 1) or one code of length 1 alone.
 * Without the feature there is no table. Builds the decode table into `h` (when there is a table). */
static ws_status check_code(ws_model *m, ws_huffman *h) {
    uint32_t table = ws_fb_ref(m->buf, m->root, WS_VT_MODEL_INDICES), n = 0, i, used = 0, kraft = 0;
    const uint8_t *lengths = m->buf + m->code_lengths;
    if (table) (void)ws_fb_vector(m->buf, table, WS_VT_INDEX_STREAM_CODE_LENGTHS, &n);
    if (n == 0) return WS_OK; /* no table (a file may declare the feature and code no tensor) */
    if (!WS_HUFFMAN_BUILT || !(m->features & WS_FEATURE_HUFFMAN)) return WS_ERR_STREAM;
    if (n != m->codebook_size || n > WS_HUFFMAN_MAX_SYMBOLS) return WS_ERR_STREAM;
    for (i = 0; i < n; i++) {
        if (lengths[i] == 0) continue;
        if (lengths[i] > WS_HUFFMAN_MAX_LENGTH) return WS_ERR_STREAM;
        kraft += 1u << (WS_HUFFMAN_MAX_LENGTH - lengths[i]); /* at most 256 * 2^11: no overflow */
        used++;
    }
    if (kraft != 1u << WS_HUFFMAN_MAX_LENGTH && !(used == 1u && kraft == 1u << (WS_HUFFMAN_MAX_LENGTH - 1u)))
        return WS_ERR_STREAM;
    ws_huffman_build(h, lengths, n);
    return WS_OK;
}

/* A Huffman-coded tensor: it starts after the fixed-width part, and its `elements` codes are valid and end before
 * the stream's 4 bytes of padding (so kernels, which refill at most 3 bytes ahead, stay inside the stream). Linear
 * in the tensor; the decode table is the caller's. */
static ws_status check_coded(const ws_model *m, const ws_huffman *h, uint64_t first, uint32_t elements) {
    const uint8_t *data = m->buf + m->stream;
    const uint64_t fixed_end = ((uint64_t)m->index_count * m->bit_width + 7u) / 8u * 8u;
    const uint64_t limit = ((uint64_t)m->stream_bytes - 4u) * 8u; /* check_stream: stream_bytes >= 4 */
    ws_index_reader r;
    uint32_t e;
    if (first < fixed_end || first >= limit || first > 0xFFFFFFFFu) return WS_ERR_STREAM;
    ws_index_reader_init(&r, data, 1, (uint32_t)first);
    for (e = 0; e < elements; e++) {
        if (ws_huffman_next(&r, h) == WS_HUFFMAN_INVALID) return WS_ERR_STREAM;
        if ((uint64_t)(r.next - data) * 8u - r.bits > limit) return WS_ERR_STREAM;
    }
    return WS_OK;
}

/* Every index of the stream against the codebook size, once. Skipped when no index can be out of range. */
static ws_status check_indices(const ws_model *m) {
    ws_index_reader r;
    uint32_t i;
    if (m->index_count == 0 || m->codebook_size >= (1u << m->bit_width)) return WS_OK;
    ws_index_reader_init(&r, m->buf + m->stream, m->bit_width, 0);
    for (i = 0; i < m->index_count; i++)
        if (ws_index_next(&r) >= m->codebook_size) return WS_ERR_INDEX_RANGE;
    return WS_OK;
}

/* An exact-outlier table: only on shared tensors of a file that declares the feature; both vectors of one
 * length, positions strictly ascending and inside the tensor, values finite. */
static ws_status check_outliers(const ws_model *m, uint32_t table, const ws_tensor_info *info, uint32_t elements) {
    uint32_t n_pos, n_val, i;
    ws_fb_vector(m->buf, table, WS_VT_TENSOR_OUTLIER_POSITIONS, &n_pos);
    ws_fb_vector(m->buf, table, WS_VT_TENSOR_OUTLIER_VALUES, &n_val);
    if (n_pos == 0 && n_val == 0) return WS_OK; /* no table (empty vectors are the same as none) */
    if (!(m->features & WS_FEATURE_OUTLIERS) || info->kind != WS_TENSOR_SHARED) return WS_ERR_TENSOR;
    if (n_pos != n_val) return WS_ERR_TENSOR;
    for (i = 0; i < n_pos; i++) {
        if (info->outlier_positions[i] >= elements) return WS_ERR_TENSOR;
        if (i > 0 && info->outlier_positions[i - 1u] >= info->outlier_positions[i]) return WS_ERR_TENSOR;
        if (!is_finite((const uint8_t *)(info->outlier_values + i))) return WS_ERR_TENSOR;
    }
    return WS_OK;
}

static ws_status check_tensor(const ws_model *m, uint32_t t, const ws_huffman *h) {
    uint32_t table = ws_fb_vector_table(m->buf, m->tensors, t);
    ws_tensor_info info;
    uint64_t elements = 1, first;
    uint32_t i, raw_count, half_count, raw, half;
    ws_read_tensor(m, t, &info);
    if (info.rank > WS_MAX_RANK) return WS_ERR_TENSOR;
    for (i = 0; i < info.rank; i++) {
        if (info.shape[i] == 0) return WS_ERR_TENSOR;
        elements *= info.shape[i];
        if (elements > WS_MAX_ELEMENTS) return WS_ERR_TENSOR;
    }
    WS_TRY(check_outliers(m, table, &info, (uint32_t)elements));
    if (info.index_encoding != WS_INDEX_FIXED_WIDTH && info.kind != WS_TENSOR_SHARED) return WS_ERR_TENSOR;
    raw = ws_fb_vector(m->buf, table, WS_VT_TENSOR_RAW, &raw_count);
    half = ws_fb_vector(m->buf, table, WS_VT_TENSOR_RAW_HALF, &half_count);
    /* binary16 values: only for raw tensors of a file that declares the feature, and never next to float32 ones. */
    if (half && (info.kind != WS_TENSOR_RAW || !(m->features & WS_FEATURE_HALF_RAW) || raw)) return WS_ERR_TENSOR;
    switch (info.kind) {
    case WS_TENSOR_ACTIVATION:
        if (info.arena_offset % 4u != 0) return WS_ERR_ARENA;
        if ((uint64_t)info.arena_offset + 4u * elements > m->arena_bytes) return WS_ERR_ARENA;
        return WS_OK;
    case WS_TENSOR_RAW:
        return (half ? half_count : raw_count) == elements ? WS_OK : WS_ERR_TENSOR;
    case WS_TENSOR_SHARED:
        first = ws_fb_u64(m->buf, table, WS_VT_TENSOR_INDEX_OFFSET, 0);
        if (info.index_encoding == WS_INDEX_HUFFMAN) {
            if (!WS_HUFFMAN_BUILT || !(m->features & WS_FEATURE_HUFFMAN) || !m->code_lengths) return WS_ERR_TENSOR;
            return check_coded(m, h, first, (uint32_t)elements);
        }
        if (info.index_encoding != WS_INDEX_FIXED_WIDTH) return WS_ERR_TENSOR;
        /* Both terms are checked so that the sum cannot wrap around. */
        return first <= m->index_count && first + elements <= m->index_count ? WS_OK : WS_ERR_TENSOR;
    }
    return WS_ERR_TENSOR; /* unknown kind */
}

static int same_shape(const ws_tensor_info *a, const ws_tensor_info *b) {
    uint32_t i;
    if (a->rank != b->rank) return 0;
    for (i = 0; i < a->rank; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

/* Largest stride, dilation, pad or kernel size: keeps every index computation of the kernels in int32. */
#define WS_MAX_WINDOW 0xFFFFu

static int is_vector_of(const ws_tensor_info *t, uint32_t n) { return t->rank == 1u && t->shape[0] == n; }

/* An epilogue scale S: one per output channel [n], or one for all [1] when the file declares that feature. */
static int is_epilogue_scale(const ws_tensor_info *t, uint32_t n, uint64_t features) {
    return is_vector_of(t, n) || ((features & WS_FEATURE_SCALAR_SCALE) && is_vector_of(t, 1u));
}

/* An optional input `i` that is present. */
static int present(const ws_op *op, uint32_t i) { return op->info.num_inputs > i && op->info.inputs[i] >= 0; }

static ws_status check_gemm_shapes(const ws_op *op, const ws_tensor_info *in, const ws_tensor_info *y,
                                   uint64_t features) {
    uint32_t m, k, kb, n;
    if (in[0].rank != 2u || in[1].rank != 2u) return WS_ERR_SHAPE;
    m = op->trans_a ? in[0].shape[1] : in[0].shape[0];
    k = op->trans_a ? in[0].shape[0] : in[0].shape[1];
    kb = op->trans_b ? in[1].shape[1] : in[1].shape[0];
    n = op->trans_b ? in[1].shape[0] : in[1].shape[1];
    if (k != kb || y->rank != 2u || y->shape[0] != m || y->shape[1] != n) return WS_ERR_SHAPE;
    if (present(op, 2)) {
        /* C is unidirectionally broadcast to [M, N]. */
        const ws_tensor_info *c = &in[2];
        if (c->rank > 2u) return WS_ERR_SHAPE;
        if (c->rank >= 1u && c->shape[c->rank - 1u] != 1u && c->shape[c->rank - 1u] != n) return WS_ERR_SHAPE;
        if (c->rank == 2u && c->shape[0] != 1u && c->shape[0] != m) return WS_ERR_SHAPE;
    }
    if (present(op, 3) && !is_epilogue_scale(&in[3], n, features)) return WS_ERR_SHAPE; /* S [N] or [1] */
    return WS_OK;
}

/* Options of Conv/ConvTranspose/pools: vector lengths (absent or one per spatial dim, pads 4) and ranges. */
static ws_status check_window_options(const ws_op *op) {
    uint32_t i;
    if ((op->n_strides != 0u && op->n_strides != 2u) || (op->n_dilations != 0u && op->n_dilations != 2u) ||
        (op->n_pads != 0u && op->n_pads != 4u))
        return WS_ERR_OPERATOR;
    for (i = 0; i < 2u; i++) {
        if (op->n_strides && (op->strides[i] < 1u || op->strides[i] > WS_MAX_WINDOW)) return WS_ERR_OPERATOR;
        if (op->n_dilations && (op->dilations[i] < 1u || op->dilations[i] > WS_MAX_WINDOW)) return WS_ERR_OPERATOR;
    }
    for (i = 0; i < 4u; i++)
        if (op->n_pads && op->pads[i] > WS_MAX_WINDOW) return WS_ERR_OPERATOR;
    return WS_OK;
}

static ws_status check_conv_shapes(const ws_op *op, const ws_tensor_info *in, const ws_tensor_info *y,
                                   uint64_t features, int transposed) {
    const ws_tensor_info *x = &in[0], *w = &in[1];
    uint32_t m, d;
    ws_conv_params p;
    WS_TRY(check_window_options(op));
    if (op->group < 1u || op->n_output_padding != (transposed && op->n_output_padding ? 2u : 0u))
        return WS_ERR_OPERATOR;
    if (x->rank != 4u || w->rank != 4u || y->rank != 4u) return WS_ERR_SHAPE;
    if (w->shape[2] > WS_MAX_WINDOW || w->shape[3] > WS_MAX_WINDOW) return WS_ERR_SHAPE;
    if (x->shape[1] % op->group != 0) return WS_ERR_SHAPE;
    if (transposed) { /* W [C, M/g, kH, kW] */
        if (w->shape[0] != x->shape[1]) return WS_ERR_SHAPE;
        m = w->shape[1] * op->group;
    } else { /* W [M, C/g, kH, kW] */
        if (w->shape[1] * op->group != x->shape[1] || w->shape[0] % op->group != 0) return WS_ERR_SHAPE;
        m = w->shape[0];
    }
    if (y->shape[0] != x->shape[0] || y->shape[1] != m) return WS_ERR_SHAPE;
    if (present(op, 2) && !is_vector_of(&in[2], m)) return WS_ERR_SHAPE; /* B [M] */
    if (present(op, 3) && !is_epilogue_scale(&in[3], m, features)) return WS_ERR_SHAPE; /* S [M] or [1] */
    ws_op_conv_params(op, x, y, w->shape[2], w->shape[3], &p);
    for (d = 0; d < 2u; d++) {
        const uint64_t in_n = d ? p.w : p.h, out_n = d ? p.ow : p.oh, k = d ? p.kw : p.kh;
        const uint64_t s = d ? p.sw : p.sh, dil = d ? p.dw : p.dh;
        const uint64_t pb = d ? p.pl : p.pt, pe = d ? p.pr : p.pb;
        const uint64_t extent = (k - 1u) * dil + 1u;
        if (transposed) {
            const uint64_t op_pad = op->n_output_padding ? op->output_padding[d] : 0u;
            const uint64_t full = s * (in_n - 1u) + op_pad + extent;
            if (op_pad >= s && op_pad >= dil) return WS_ERR_OPERATOR;
            if (full <= pb + pe || full - pb - pe != out_n) return WS_ERR_SHAPE;
        } else {
            if (in_n + pb + pe < extent || (in_n + pb + pe - extent) / s + 1u != out_n) return WS_ERR_SHAPE;
        }
    }
    return WS_OK;
}

static ws_status check_pool_shapes(const ws_op *op, const ws_tensor_info *x, const ws_tensor_info *y) {
    ws_conv_params p;
    uint32_t d;
    WS_TRY(check_window_options(op));
    if (op->n_kernel != 2u || op->kernel[0] < 1u || op->kernel[1] < 1u || op->kernel[0] > WS_MAX_WINDOW ||
        op->kernel[1] > WS_MAX_WINDOW)
        return WS_ERR_OPERATOR;
    if (x->rank != 4u || y->rank != 4u || y->shape[0] != x->shape[0] || y->shape[1] != x->shape[1])
        return WS_ERR_SHAPE;
    ws_op_conv_params(op, x, y, op->kernel[0], op->kernel[1], &p);
    for (d = 0; d < 2u; d++) {
        const uint64_t in_n = d ? p.w : p.h, out_n = d ? p.ow : p.oh, k = d ? p.kw : p.kh;
        const uint64_t s = d ? p.sw : p.sh, dil = d ? p.dw : p.dh;
        const uint64_t padded = in_n + (d ? p.pl + p.pr : p.pt + p.pb);
        const uint64_t extent = (k - 1u) * dil + 1u;
        if (padded < extent) return WS_ERR_SHAPE;
        /* floor (ceil_mode = 0) or ceil (ceil_mode = 1) of the formula */
        if (out_n != (padded - extent) / s + 1u && out_n != (padded - extent + s - 1u) / s + 1u) return WS_ERR_SHAPE;
    }
    return WS_OK;
}

/* Y's shape is the first `rank` entries of bc->shape. */
static ws_status check_y_shape(const ws_broadcast *bc, uint32_t rank, const ws_tensor_info *y) {
    return rank == y->rank && memcmp(bc->shape, y->shape, rank * sizeof(uint32_t)) == 0 ? WS_OK : WS_ERR_SHAPE;
}

static ws_status check_broadcast(const ws_tensor_info *a, const ws_tensor_info *b, const ws_tensor_info *y) {
    ws_broadcast bc;
    if (!ws_broadcast_init(&bc, a->shape, a->rank, b->shape, b->rank)) return WS_ERR_SHAPE;
    return check_y_shape(&bc, bc.rank, y);
}

/* NumPy matmul (see ws_matmul_dims): the batch dims broadcast, and Y is exactly [batch..., M?, N?]. */
static ws_status check_matmul_shapes(const ws_tensor_info *a, const ws_tensor_info *b, const ws_tensor_info *y) {
    ws_broadcast bc;
    ws_gemm_params p;
    uint32_t r = ws_matmul_dims(&bc, &p, a->shape, a->rank, b->shape, b->rank);
    return r ? check_y_shape(&bc, r - 1u, y) : WS_ERR_SHAPE;
}

static ws_status check_concat_shapes(const ws_model *m, uint32_t o, const ws_op *op, const ws_tensor_info *y) {
    ws_tensor_info x;
    uint64_t sum = 0;
    uint32_t i, d;
    if (op->axis >= y->rank) return WS_ERR_OPERATOR;
    for (i = 0; i < op->info.num_inputs; i++) {
        ws_read_tensor(m, (uint32_t)ws_read_op_input(m, o, i), &x);
        if (x.rank != y->rank) return WS_ERR_SHAPE;
        for (d = 0; d < y->rank; d++)
            if (d != op->axis && x.shape[d] != y->shape[d]) return WS_ERR_SHAPE;
        sum += x.shape[op->axis];
    }
    return sum == y->shape[op->axis] ? WS_OK : WS_ERR_SHAPE;
}

static ws_status check_transpose_shapes(const ws_op *op, const ws_tensor_info *x, const ws_tensor_info *y) {
    uint32_t seen = 0, i;
    if (op->n_vec != x->rank) return WS_ERR_OPERATOR;
    for (i = 0; i < x->rank; i++) {
        if (op->vec[i] >= x->rank || (seen & (1u << op->vec[i]))) return WS_ERR_OPERATOR;
        seen |= 1u << op->vec[i];
    }
    if (y->rank != x->rank) return WS_ERR_SHAPE;
    for (i = 0; i < x->rank; i++)
        if (y->shape[i] != x->shape[op->vec[i]]) return WS_ERR_SHAPE;
    return WS_OK;
}

static ws_status check_pad_shapes(const ws_op *op, const ws_tensor_info *x, const ws_tensor_info *y) {
    uint32_t i;
    if (op->mode > WS_PAD_MODE_EDGE || op->n_vec != 2u * x->rank) return WS_ERR_OPERATOR;
    if (y->rank != x->rank) return WS_ERR_SHAPE;
    for (i = 0; i < x->rank; i++) {
        const uint32_t b = op->vec[i], e = op->vec[x->rank + i];
        if (op->mode == WS_PAD_MODE_REFLECT && (b >= x->shape[i] || e >= x->shape[i])) return WS_ERR_OPERATOR;
        if ((uint64_t)x->shape[i] + b + e != y->shape[i]) return WS_ERR_SHAPE;
    }
    return WS_OK;
}

static ws_status check_resize_shapes(const ws_op *op, const ws_tensor_info *x, const ws_tensor_info *y) {
    uint32_t i;
    if (op->mode > WS_RESIZE_MODE_LINEAR || op->coord > WS_COORDINATE_TRANSFORM_TF_HALF_PIXEL_FOR_NEAREST ||
        op->nearest > WS_NEAREST_MODE_CEIL)
        return WS_ERR_OPERATOR;
    if (op->n_vec != 0u && op->n_vec != x->rank) return WS_ERR_OPERATOR;
    for (i = 0; i < op->n_vec && i < WS_MAX_RANK; i++)
        if (!(op->scales[i] > 0.0f) || op->scales[i] > 3.0e38f) return WS_ERR_OPERATOR; /* finite, > 0 */
    if (x->rank < 2u || y->rank != x->rank) return WS_ERR_SHAPE;
    for (i = 0; i + 2u < x->rank; i++)
        if (y->shape[i] != x->shape[i]) return WS_ERR_SHAPE;
    return WS_OK;
}

/* Reduce: mode known, axes strictly ascending and < rank (at least one); Y drops them or keeps them as 1. */
static ws_status check_reduce_shapes(const ws_op *op, const ws_tensor_info *x, const ws_tensor_info *y) {
    uint32_t i, a = 0, r = 0;
    if (op->mode > WS_REDUCE_MODE_MAX || op->n_vec < 1u || op->n_vec > x->rank) return WS_ERR_OPERATOR;
    for (i = 0; i < op->n_vec; i++)
        if (op->vec[i] >= x->rank || (i > 0 && op->vec[i - 1u] >= op->vec[i])) return WS_ERR_OPERATOR;
    if (y->rank != (op->keepdims ? x->rank : x->rank - op->n_vec)) return WS_ERR_SHAPE;
    for (i = 0; i < x->rank; i++) {
        if (a < op->n_vec && op->vec[a] == i) {
            a++;
            if (op->keepdims && y->shape[r++] != 1u) return WS_ERR_SHAPE;
        } else if (y->shape[r++] != x->shape[i]) {
            return WS_ERR_SHAPE;
        }
    }
    return WS_OK;
}

/* t has exactly the dims axis..rank-1 of x. */
static int is_trailing_of(const ws_tensor_info *t, const ws_tensor_info *x, uint32_t axis) {
    return t->rank == x->rank - axis && memcmp(t->shape, x->shape + axis, t->rank * sizeof(uint32_t)) == 0;
}

/* LayerNormalization: axis < rank, epsilon finite and >= 0; Y as X; scale and B the normalised dims. */
static ws_status check_layer_norm_shapes(const ws_op *op, const ws_tensor_info *in, const ws_tensor_info *y) {
    if (op->axis >= in[0].rank || !(op->epsilon >= 0.0f) || op->epsilon > 3.0e38f) return WS_ERR_OPERATOR;
    if (!same_shape(&in[0], y) || !is_trailing_of(&in[1], &in[0], op->axis)) return WS_ERR_SHAPE;
    return !present(op, 2) || is_trailing_of(&in[2], &in[0], op->axis) ? WS_OK : WS_ERR_SHAPE;
}

/* Slice: one start (< dim) and one non-zero step per dim (steps absent = 1), |step| < 2^31; Y has X's rank and
 * its last element along every dim, start + (count - 1)·step, lies inside X. */
static ws_status check_slice_shapes(const ws_op *op, const ws_tensor_info *x, const ws_tensor_info *y) {
    uint32_t d;
    if (op->n_vec != x->rank || (op->n_steps != 0u && op->n_steps != x->rank)) return WS_ERR_OPERATOR;
    for (d = 0; d < x->rank; d++)
        if (op->vec[d] >= x->shape[d] || op->steps[d] == 0 || op->steps[d] < -0x7FFFFFFF) return WS_ERR_OPERATOR;
    if (y->rank != x->rank) return WS_ERR_SHAPE;
    for (d = 0; d < x->rank; d++) {
        const int64_t last = (int64_t)op->vec[d] + (int64_t)(y->shape[d] - 1u) * op->steps[d];
        if (last < 0 || last >= (int64_t)x->shape[d]) return WS_ERR_SHAPE;
    }
    return WS_OK;
}

/* An optional output `i` that is present. */
static int present_out(const ws_op *op, uint32_t i) { return op->info.num_outputs > i && op->info.outputs[i] >= 0; }

/* t has exactly the dims `dims` (rank n). */
static int has_shape(const ws_tensor_info *t, uint32_t n, const uint32_t *dims) {
    return t->rank == n && memcmp(t->shape, dims, n * sizeof(uint32_t)) == 0;
}

/* Lstm, Gru, Rnn (see ws_recurrent_dims): X, W, R, B?, initial_h? (and for Lstm initial_c?, P?); outputs Y_h
 * (Y_c) and the workspace, then Y?. Options: direction and layout known, linear_before_reset on Gru only. */
static ws_status check_recurrent_shapes(const ws_model *m, uint32_t o, const ws_op *op, const ws_tensor_info *in,
                                        const ws_tensor_info *y) {
    const uint32_t lstm = op->info.opcode == WS_OP_LSTM;
    const uint32_t gates = lstm ? 4u : op->info.opcode == WS_OP_GRU ? 3u : 1u;
    ws_recurrent_params p;
    ws_tensor_info t;
    uint32_t state[3], full[4], i, n_state = lstm ? 2u : 1u;
    if (op->direction > WS_RECURRENT_DIRECTION_BIDIRECTIONAL || op->layout > 1u ||
        (op->linear_before_reset && op->info.opcode != WS_OP_GRU))
        return WS_ERR_OPERATOR;
    if (in[0].rank != 3u || in[1].rank != 3u || in[2].rank != 3u) return WS_ERR_SHAPE;
    ws_recurrent_dims(op, in[0].shape, in[2].shape, &p);
    if (in[1].shape[0] != p.directions || in[1].shape[1] % gates != 0 || in[1].shape[2] != p.input)
        return WS_ERR_SHAPE;
    if (in[2].shape[0] != p.directions || in[2].shape[1] != gates * p.hidden || in[2].shape[2] != p.hidden ||
        in[1].shape[1] != in[2].shape[1])
        return WS_ERR_SHAPE;
    if ((uint64_t)p.batch * p.hidden * (gates == 3u ? 7u : gates) > 0x1FFFFFFFu) return WS_ERR_SHAPE;
    if (present(op, 3) && !(in[3].rank == 2u && in[3].shape[0] == p.directions && in[3].shape[1] == 2u * gates * p.hidden))
        return WS_ERR_SHAPE;
    /* States: [D, B, H], or [B, D, H] in layout 1. */
    state[0] = op->layout ? p.batch : p.directions;
    state[1] = op->layout ? p.directions : p.batch;
    state[2] = p.hidden;
    for (i = 4; i < 4u + n_state && i < op->info.num_inputs; i++) {
        ws_tensor_id id = ws_read_op_input(m, o, i);
        if (id < 0) continue;
        ws_read_tensor(m, (uint32_t)id, &t);
        if (!has_shape(&t, 3u, state)) return WS_ERR_SHAPE;
    }
    if (lstm && op->info.num_inputs > 6u && ws_read_op_input(m, o, 6) >= 0) { /* P [D, 3H] */
        ws_read_tensor(m, (uint32_t)ws_read_op_input(m, o, 6), &t);
        if (!(t.rank == 2u && t.shape[0] == p.directions && t.shape[1] == 3u * p.hidden)) return WS_ERR_SHAPE;
    }
    for (i = 0; i < n_state; i++)
        if (!has_shape(&y[i], 3u, state)) return WS_ERR_SHAPE;
    full[0] = p.batch; /* the workspace [B, kH] */
    full[1] = (gates == 3u ? 7u : gates) * p.hidden;
    if (!has_shape(&y[n_state], 2u, full)) return WS_ERR_SHAPE;
    if (present_out(op, n_state + 1u)) { /* Y [T, D, B, H], or [B, T, D, H] in layout 1 */
        full[0] = op->layout ? p.batch : p.seq;
        full[1] = op->layout ? p.seq : p.directions;
        full[2] = op->layout ? p.directions : p.batch;
        full[3] = p.hidden;
        if (!has_shape(&y[n_state + 1u], 4u, full)) return WS_ERR_SHAPE;
    }
    return WS_OK;
}

/* Gather: axis < rank, at least one index, each < X's dim axis; Y is X with that dim = the number of indices. */
static ws_status check_gather_shapes(const ws_op *op, const ws_tensor_info *x, const ws_tensor_info *y) {
    uint32_t i;
    if (op->axis >= x->rank || op->n_indices == 0u) return WS_ERR_OPERATOR;
    for (i = 0; i < op->n_indices; i++)
        if (op->indices[i] >= x->shape[op->axis]) return WS_ERR_OPERATOR;
    if (y->rank != x->rank) return WS_ERR_SHAPE;
    for (i = 0; i < x->rank; i++)
        if (y->shape[i] != (i == op->axis ? op->n_indices : x->shape[i])) return WS_ERR_SHAPE;
    return WS_OK;
}

/* Tile: X's rank <= Y's, X aligned to Y's trailing dims; every Y dim a multiple of X's (a missing X dim is 1). */
static ws_status check_tile_shapes(const ws_tensor_info *x, const ws_tensor_info *y) {
    uint32_t i;
    if (x->rank > y->rank) return WS_ERR_SHAPE;
    for (i = 0; i < x->rank; i++)
        if (y->shape[y->rank - x->rank + i] % x->shape[i] != 0u) return WS_ERR_SHAPE;
    return WS_OK;
}

/* The shape rules of WS_OP_LIST's `shape` column: in[0..3] are the first four inputs (zeroed when absent), y the
 * outputs (y[0], or *y, is output 0; y[i] for i < WS_OPERATOR_INFO_OUTPUTS, zeroed when absent). Each returns
 * WS_OK, WS_ERR_SHAPE, or WS_ERR_OPERATOR for invalid option values. */
#define WS_SHAPE_RULE(rule)                                                                                  \
    static ws_status shape_##rule(const ws_model *m, uint32_t o, const ws_op *op, const ws_tensor_info *in, \
                                  const ws_tensor_info *y)
#define WS_UNUSED_SHAPE_ARGS ((void)m, (void)o, (void)op, (void)in, (void)y)

WS_SHAPE_RULE(SAME) { /* Y has X's shape */
    WS_UNUSED_SHAPE_ARGS;
    return same_shape(&in[0], y) ? WS_OK : WS_ERR_SHAPE;
}
WS_SHAPE_RULE(BROADCAST) { /* NumPy (multidirectional) broadcasting of A and B */
    WS_UNUSED_SHAPE_ARGS;
    return check_broadcast(&in[0], &in[1], y);
}
WS_SHAPE_RULE(WHERE) { /* condition, A and B broadcast together (NumPy) to Y */
    ws_broadcast ab, all;
    WS_UNUSED_SHAPE_ARGS;
    if (!ws_broadcast_init(&ab, in[1].shape, in[1].rank, in[2].shape, in[2].rank)) return WS_ERR_SHAPE;
    if (!ws_broadcast_init(&all, in[0].shape, in[0].rank, ab.shape, ab.rank)) return WS_ERR_SHAPE;
    return check_y_shape(&all, all.rank, y);
}
WS_SHAPE_RULE(UNIDIRECTIONAL) { /* input 1 broadcast to X: the broadcast shape is X's */
    WS_UNUSED_SHAPE_ARGS;
    WS_TRY(check_broadcast(&in[0], &in[1], y));
    return same_shape(&in[0], y) ? WS_OK : WS_ERR_SHAPE;
}
WS_SHAPE_RULE(ELEMENTS) { /* same element count */
    WS_UNUSED_SHAPE_ARGS;
    return in[0].elements == y->elements ? WS_OK : WS_ERR_SHAPE;
}
WS_SHAPE_RULE(SOFTMAX) {
    WS_UNUSED_SHAPE_ARGS;
    return same_shape(&in[0], y) && op->axis < y->rank ? WS_OK : WS_ERR_SHAPE;
}
WS_SHAPE_RULE(GEMM) {
    WS_UNUSED_SHAPE_ARGS;
    return check_gemm_shapes(op, in, y, m->features);
}
WS_SHAPE_RULE(MATMUL) {
    WS_UNUSED_SHAPE_ARGS;
    return check_matmul_shapes(&in[0], &in[1], y);
}
WS_SHAPE_RULE(CONV) {
    WS_UNUSED_SHAPE_ARGS;
    return check_conv_shapes(op, in, y, m->features, 0);
}
WS_SHAPE_RULE(CONV_TRANSPOSE) {
    WS_UNUSED_SHAPE_ARGS;
    return check_conv_shapes(op, in, y, m->features, 1);
}
WS_SHAPE_RULE(POOL) {
    WS_UNUSED_SHAPE_ARGS;
    return check_pool_shapes(op, &in[0], y);
}
WS_SHAPE_RULE(GLOBAL_POOL) { /* [N, C, ...] -> [N, C, 1, ...] */
    WS_UNUSED_SHAPE_ARGS;
    if (in[0].rank < 3u || y->rank != in[0].rank || y->shape[0] != in[0].shape[0] || y->shape[1] != in[0].shape[1] ||
        y->elements != in[0].shape[0] * in[0].shape[1])
        return WS_ERR_SHAPE;
    return WS_OK;
}
WS_SHAPE_RULE(CHANNEL_AFFINE) { /* X rank >= 2, scale [C], shift [C] */
    WS_UNUSED_SHAPE_ARGS;
    if (in[0].rank < 2u || !same_shape(&in[0], y)) return WS_ERR_SHAPE;
    return is_vector_of(&in[1], y->shape[1]) && is_vector_of(&in[2], y->shape[1]) ? WS_OK : WS_ERR_SHAPE;
}
WS_SHAPE_RULE(CONCAT) {
    WS_UNUSED_SHAPE_ARGS;
    return check_concat_shapes(m, o, op, y);
}
WS_SHAPE_RULE(TRANSPOSE) {
    WS_UNUSED_SHAPE_ARGS;
    return check_transpose_shapes(op, &in[0], y);
}
WS_SHAPE_RULE(PAD) {
    WS_UNUSED_SHAPE_ARGS;
    return check_pad_shapes(op, &in[0], y);
}
WS_SHAPE_RULE(RESIZE) {
    WS_UNUSED_SHAPE_ARGS;
    return check_resize_shapes(op, &in[0], y);
}

WS_SHAPE_RULE(REDUCE) {
    WS_UNUSED_SHAPE_ARGS;
    return check_reduce_shapes(op, &in[0], y);
}
WS_SHAPE_RULE(LAYER_NORM) {
    WS_UNUSED_SHAPE_ARGS;
    return check_layer_norm_shapes(op, in, y);
}
WS_SHAPE_RULE(SLICE) {
    WS_UNUSED_SHAPE_ARGS;
    return check_slice_shapes(op, &in[0], y);
}
WS_SHAPE_RULE(GATHER) {
    WS_UNUSED_SHAPE_ARGS;
    return check_gather_shapes(op, &in[0], y);
}
WS_SHAPE_RULE(TILE) {
    WS_UNUSED_SHAPE_ARGS;
    return check_tile_shapes(&in[0], y);
}

WS_SHAPE_RULE(RECURRENT) {
    WS_UNUSED_SHAPE_ARGS;
    return check_recurrent_shapes(m, o, op, in, y);
}

static ws_status check_shapes(const ws_model *m, uint32_t o, const ws_op *op, const ws_tensor_info *in,
                              const ws_tensor_info *y) {
    switch (op->info.opcode) {
#define WS_SHAPE_CASE(name, Camel, code, min_in, max_in, min_out, max_out, options, req, inplace, shared, shape, kernel, \
                      fn)                                                                                             \
    WS_IF_BUILT(name)(case WS_OP_##name: return shape_##shape(m, o, op, in, y);)
        WS_OP_LIST(WS_SHAPE_CASE)
#undef WS_SHAPE_CASE
    default:
        break;
    }
    return WS_ERR_OPERATOR;
}

/* Arity, options, in-place and shared inputs of each opcode, from WS_OP_LIST. Inputs min_in..max_in-1 are optional
 * (-1 when absent); max_in 0 = unbounded (Concat), none optional. */
typedef struct {
    uint8_t min_in, max_in;
    uint8_t min_out, max_out; /* outputs min_out..max_out-1 are optional */
    uint8_t options;  /* WS_OPTIONS_* accepted */
    uint8_t required; /* the options table must be present */
    uint8_t in_place; /* the output may lie exactly on an activation input of the same size */
    uint8_t shared;   /* bit i: input i may be a shared (codebook) tensor */
} ws_signature;

static const ws_signature signatures[WS_OP_COUNT] = {
#define WS_SIGNATURE(name, Camel, code, min_in, max_in, min_out, max_out, options, req, inplace, shared, shape, kernel, \
                     fn)                                                                                             \
    [WS_OP_##name] = {min_in, max_in, min_out, max_out, WS_OPTIONS_##options, req, inplace, shared},
    WS_OP_LIST(WS_SIGNATURE)
#undef WS_SIGNATURE
};

/* 1 for the operators whose kernels this build has (ws_opset.h: every one, unless built for a model's op set). */
static const uint8_t built[WS_OP_COUNT] = {
#define WS_BUILT_ROW(name, ...) [WS_OP_##name] = WS_OP_BUILT(name),
    WS_OP_LIST(WS_BUILT_ROW)
#undef WS_BUILT_ROW
};

int ws_opcode_built(ws_opcode opcode) { return (uint32_t)opcode < WS_OP_COUNT && built[opcode]; }

/* Per-tensor marks in the caller's scratch: two bits per tensor, NULL when the verifier scans instead. */
#define WS_MARK_INPUT 1u   /* a graph input */
#define WS_MARK_WRITTEN 2u /* the output of an operator that passed its checks */

static int marked(const uint8_t *marks, ws_tensor_id t, unsigned bit) {
    return ((marks[(uint32_t)t >> 2] >> (((uint32_t)t & 3u) * 2u)) & bit) != 0;
}

static void mark(uint8_t *marks, ws_tensor_id t, unsigned bit) {
    marks[(uint32_t)t >> 2] |= (uint8_t)(bit << (((uint32_t)t & 3u) * 2u));
}

/* Whether valid tensor id t is a graph input. */
static int is_graph_input(const ws_model *m, const uint8_t *marks, ws_tensor_id t) {
    uint32_t i;
    if (marks) return marked(marks, t, WS_MARK_INPUT);
    for (i = 0; i < m->num_inputs; i++)
        if (ws_model_input(m, i) == t) return 1;
    return 0;
}

/* Whether one of operators [0, end) writes valid tensor id t; with marks, `end` is the operator being checked (or
 * all of them), whose predecessors have all passed and marked their outputs. */
static int written_before(const ws_model *m, const uint8_t *marks, ws_tensor_id t, uint32_t end) {
    uint32_t o, i;
    if (marks) return marked(marks, t, WS_MARK_WRITTEN);
    for (o = 0; o < end; o++) {
        ws_op op;
        ws_read_operator(m, o, &op);
        for (i = 0; i < op.info.num_outputs; i++)
            if (ws_read_op_output(m, o, i) == t) return 1;
    }
    return 0;
}

/* Byte ranges of two activations overlap. */
static int overlaps(const ws_tensor_info *a, const ws_tensor_info *b) {
    uint64_t a0 = a->arena_offset, a1 = a0 + 4u * (uint64_t)a->elements;
    uint64_t b0 = b->arena_offset, b1 = b0 + 4u * (uint64_t)b->elements;
    return a0 < b1 && b0 < a1;
}

/* Records the tensor at fault (and the input slot it fills, or -1) and returns `status`. */
static ws_status fail_at(ws_load_error *err, ws_tensor_id t, int32_t input, ws_status status) {
    err->tensor = t;
    err->input = input;
    return status;
}

/* Output `i` of operator `o` (present: a valid id, an activation) into *info. */
static ws_status check_output(const ws_model *m, const ws_op *op, uint32_t i, ws_tensor_info *info,
                              ws_load_error *err) {
    ws_tensor_id out = op->info.outputs[i];
    if (out < 0 || (uint32_t)out >= m->num_tensors) return fail_at(err, out, -1, WS_ERR_OPERATOR);
    ws_read_tensor(m, (uint32_t)out, info);
    if (info->kind != WS_TENSOR_ACTIVATION) return fail_at(err, out, -1, WS_ERR_OPERATOR);
    return WS_OK;
}

/* The inputs whose kernels read binary16 constants (ws_values): the bias and the epilogue scale of Gemm, Conv and
 * ConvTranspose, read once per output element or channel. */
static int takes_half(ws_opcode opcode, uint32_t input) {
    return (opcode == WS_OP_GEMM || opcode == WS_OP_CONV || opcode == WS_OP_CONV_TRANSPOSE) &&
           (input == 2u || input == 3u);
}

static ws_status check_operator(const ws_model *m, uint32_t o, const uint8_t *marks, ws_load_error *err) {
    ws_op op;
    ws_tensor_info in[4], x, y[WS_OPERATOR_INFO_OUTPUTS];
    const ws_signature *sig;
    uint32_t i, j;
    ws_read_operator(m, o, &op);
    if ((uint32_t)op.info.opcode >= WS_OP_COUNT) return WS_ERR_OPERATOR;
    if (!built[op.info.opcode]) return WS_ERR_OP_NOT_BUILT;
    sig = &signatures[op.info.opcode];
    if (op.info.num_inputs < sig->min_in || (sig->max_in && op.info.num_inputs > sig->max_in) ||
        op.info.num_outputs < sig->min_out || op.info.num_outputs > sig->max_out)
        return WS_ERR_OPERATOR;
    if (op.options_type != WS_OPTIONS_NONE && op.options_type != sig->options) return WS_ERR_OPERATOR;
    if (sig->required && !op.has_options) return WS_ERR_OPERATOR;

    /* Outputs: required ones present; every present one a valid activation (absent optional ones are -1). */
    memset(y, 0, sizeof y);
    for (i = 0; i < op.info.num_outputs; i++) {
        if (op.info.outputs[i] == WS_NO_TENSOR && i >= sig->min_out) continue;
        WS_TRY(check_output(m, &op, i, &y[i], err));
    }

    memset(in, 0, sizeof in);
    for (i = 0; i < op.info.num_inputs; i++) {
        ws_tensor_id t = ws_read_op_input(m, o, i);
        if (t == WS_NO_TENSOR && i >= sig->min_in && i < sig->max_in) continue; /* absent optional input */
        if (t < 0 || (uint32_t)t >= m->num_tensors) return fail_at(err, t, (int32_t)i, WS_ERR_OPERATOR);
        ws_read_tensor(m, (uint32_t)t, &x);
        /* Only weight operands are decoded from the codebook. */
        if (x.kind == WS_TENSOR_SHARED && !(i < 8u && ((sig->shared >> i) & 1u)))
            return fail_at(err, t, (int32_t)i, WS_ERR_OPERATOR);
        /* Huffman codes are read in order only: never input 0 (Gemm/MatMul's A, read by random access). */
        if (x.kind == WS_TENSOR_SHARED && x.index_encoding == WS_INDEX_HUFFMAN && i == 0)
            return fail_at(err, t, (int32_t)i, WS_ERR_OPERATOR);
        if (x.raw_half && !takes_half(op.info.opcode, i)) return fail_at(err, t, (int32_t)i, WS_ERR_OPERATOR);
        if (i < 4u) in[i] = x;
    }

    WS_TRY(check_shapes(m, o, &op, in, y));

    for (i = 0; i < op.info.num_inputs; i++) {
        ws_tensor_id t = ws_read_op_input(m, o, i);
        if (t < 0) continue;
        ws_read_tensor(m, (uint32_t)t, &x);
        if (x.kind != WS_TENSOR_ACTIVATION) continue;
        /* The planner may put an element-wise output exactly on its input; any other overlap is refused. */
        for (j = 0; j < op.info.num_outputs; j++) {
            if (op.info.outputs[j] < 0 || !overlaps(&x, &y[j])) continue;
            if (!(j == 0 && sig->in_place && x.arena_offset == y[j].arena_offset && x.elements == y[j].elements))
                return fail_at(err, t, (int32_t)i, WS_ERR_ARENA);
        }
        if (!is_graph_input(m, marks, t) && !written_before(m, marks, t, o))
            return fail_at(err, t, (int32_t)i, WS_ERR_GRAPH);
    }
    for (i = 0; i < op.info.num_outputs; i++) {
        ws_tensor_id out = op.info.outputs[i];
        if (out < 0) continue;
        for (j = 0; j < i; j++) /* outputs are written together: no two may share bytes */
            if (op.info.outputs[j] >= 0 && overlaps(&y[j], &y[i])) return fail_at(err, out, -1, WS_ERR_ARENA);
        if (written_before(m, marks, out, o)) return fail_at(err, out, -1, WS_ERR_GRAPH);
    }
    return WS_OK;
}

/* Graph inputs: activations that no operator writes. Graph outputs: activations written by an operator or inputs.
 * A bad one is reported as err->tensor. */
static ws_status check_graph_io(const ws_model *m, const uint8_t *marks, ws_load_error *err) {
    ws_tensor_info info;
    uint32_t i;
    if (m->num_outputs == 0) return WS_ERR_GRAPH;
    for (i = 0; i < m->num_inputs; i++) {
        ws_tensor_id t = ws_model_input(m, i);
        err->tensor = t;
        if (t < 0 || (uint32_t)t >= m->num_tensors) return WS_ERR_GRAPH;
        ws_read_tensor(m, (uint32_t)t, &info);
        if (info.kind != WS_TENSOR_ACTIVATION || written_before(m, marks, t, m->num_operators)) return WS_ERR_GRAPH;
    }
    for (i = 0; i < m->num_outputs; i++) {
        ws_tensor_id t = ws_model_output(m, i);
        err->tensor = t;
        if (t < 0 || (uint32_t)t >= m->num_tensors) return WS_ERR_GRAPH;
        ws_read_tensor(m, (uint32_t)t, &info);
        if (info.kind != WS_TENSOR_ACTIVATION) return WS_ERR_GRAPH;
        if (!written_before(m, marks, t, m->num_operators) && !is_graph_input(m, marks, t)) return WS_ERR_GRAPH;
    }
    err->tensor = WS_NO_TENSOR;
    return WS_OK;
}

static ws_status verify_graph(ws_model *m, uint8_t *marks, ws_load_error *err) {
    int has_shared = has_shared_tensor(m);
    uint32_t i;
    ws_status s;
    ws_huffman h;
    WS_TRY(check_codebook(m, has_shared));
    WS_TRY(check_stream(m, has_shared));
    WS_TRY(check_code(m, &h));
    WS_TRY(check_indices(m));
    for (i = 0; i < m->num_tensors; i++) {
        s = check_tensor(m, i, &h);
        if (s != WS_OK) return fail_at(err, (ws_tensor_id)i, -1, s);
    }
    if (marks) {
        memset(marks, 0, WS_VERIFY_SCRATCH_BYTES(m->num_tensors));
        for (i = 0; i < m->num_inputs; i++) { /* ids out of range match no tensor: check_graph_io refuses them */
            ws_tensor_id t = ws_model_input(m, i);
            if (t >= 0 && (uint32_t)t < m->num_tensors) mark(marks, t, WS_MARK_INPUT);
        }
    }
    for (i = 0; i < m->num_operators; i++) {
        err->op = (int32_t)i;
        WS_TRY(check_operator(m, i, marks, err));
        if (marks) { /* valid ids: the operator passed */
            uint32_t j;
            for (j = 0; j < WS_OPERATOR_INFO_OUTPUTS; j++) {
                ws_tensor_id out = ws_read_op_output(m, i, j);
                if (out >= 0) mark(marks, out, WS_MARK_WRITTEN);
            }
        }
    }
    err->op = -1;
    return check_graph_io(m, marks, err);
}

ws_status ws_verify_graph(ws_model *m, void *scratch, size_t scratch_len, ws_load_error *err) {
    uint8_t *marks = scratch && scratch_len >= WS_VERIFY_SCRATCH_BYTES(m->num_tensors) ? (uint8_t *)scratch : NULL;
    ws_status s = verify_graph(m, marks, err);
    /* The layout is verified: the names of the operator and tensor at fault can be read. */
    if (err->op >= 0)
        err->op_name = ws_fb_string(m->buf, ws_fb_vector_table(m->buf, m->operators, (uint32_t)err->op),
                                    WS_VT_OPERATOR_NAME);
    if (err->tensor >= 0 && (uint32_t)err->tensor < m->num_tensors)
        err->tensor_name = ws_fb_string(m->buf, ws_fb_vector_table(m->buf, m->tensors, (uint32_t)err->tensor),
                                        WS_VT_TENSOR_NAME);
    return s;
}
