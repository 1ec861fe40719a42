/*
 * ws_model_load(), second half: what the layout cannot express. Codebook, index stream, tensors, every index,
 * operator arity/kinds/shapes, arena bounds and aliasing, and the data flow of the graph. Runs on a buffer whose
 * layout is verified, so it reads through the trusted accessors.
 *
 * No heap means no per-tensor bookkeeping: "written before" questions scan the earlier operators, which is
 * quadratic in the operator count (fine for the few hundred operators of a microcontroller model).
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
    width = ws_fb_u8(m->buf, table, WS_VT_STREAM_BIT_WIDTH, 0);
    count = ws_fb_u64(m->buf, table, WS_VT_STREAM_COUNT, 0);
    if (ws_fb_u8(m->buf, table, WS_VT_STREAM_ENCODING, WS_ENCODING_FIXED_WIDTH) != WS_ENCODING_FIXED_WIDTH)
        return WS_ERR_STREAM;
    if (width < 1u || width > 16u || count > 0xFFFFFFFFu) return WS_ERR_STREAM;
    /* Packed bits plus 4 bytes of padding, which lets decoders load past the last index. */
    if ((uint64_t)m->stream_bytes < (count * width + 7u) / 8u + 4u) return WS_ERR_STREAM;
    m->bit_width = width;
    m->index_count = (uint32_t)count;
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

static ws_status check_tensor(const ws_model *m, uint32_t t) {
    uint32_t table = ws_fb_vector_table(m->buf, m->tensors, t);
    ws_tensor_info info;
    uint64_t elements = 1, first;
    uint32_t i, raw_count;
    ws_read_tensor(m, t, &info);
    if (info.rank > WS_MAX_RANK) return WS_ERR_TENSOR;
    for (i = 0; i < info.rank; i++) {
        if (info.shape[i] == 0) return WS_ERR_TENSOR;
        elements *= info.shape[i];
        if (elements > WS_MAX_ELEMENTS) return WS_ERR_TENSOR;
    }
    switch (info.kind) {
    case WS_TENSOR_ACTIVATION:
        if (info.arena_offset % 4u != 0) return WS_ERR_ARENA;
        if ((uint64_t)info.arena_offset + 4u * elements > m->arena_bytes) return WS_ERR_ARENA;
        return WS_OK;
    case WS_TENSOR_RAW:
        ws_fb_vector(m->buf, table, WS_VT_TENSOR_RAW, &raw_count);
        return raw_count == elements ? WS_OK : WS_ERR_TENSOR;
    case WS_TENSOR_SHARED:
        first = ws_fb_u64(m->buf, table, WS_VT_TENSOR_INDEX_OFFSET, 0);
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

static ws_status check_gemm_shapes(const ws_op *op, const ws_tensor_info *in, const ws_tensor_info *y) {
    uint32_t m, k, kb, n;
    if (in[0].rank != 2u || in[1].rank != 2u) return WS_ERR_SHAPE;
    m = op->trans_a ? in[0].shape[1] : in[0].shape[0];
    k = op->trans_a ? in[0].shape[0] : in[0].shape[1];
    kb = op->trans_b ? in[1].shape[1] : in[1].shape[0];
    n = op->trans_b ? in[1].shape[0] : in[1].shape[1];
    if (k != kb || y->rank != 2u || y->shape[0] != m || y->shape[1] != n) return WS_ERR_SHAPE;
    if (op->info.num_inputs == 3u && op->info.inputs[2] >= 0) {
        /* C is unidirectionally broadcast to [M, N]. */
        const ws_tensor_info *c = &in[2];
        if (c->rank > 2u) return WS_ERR_SHAPE;
        if (c->rank >= 1u && c->shape[c->rank - 1u] != 1u && c->shape[c->rank - 1u] != n) return WS_ERR_SHAPE;
        if (c->rank == 2u && c->shape[0] != 1u && c->shape[0] != m) return WS_ERR_SHAPE;
    }
    return WS_OK;
}

static ws_status check_matmul_shapes(const ws_tensor_info *a, const ws_tensor_info *b, const ws_tensor_info *y) {
    uint32_t i;
    if (a->rank < 1u || b->rank != 2u || a->shape[a->rank - 1u] != b->shape[0]) return WS_ERR_SHAPE;
    if (y->rank != a->rank || y->shape[y->rank - 1u] != b->shape[1]) return WS_ERR_SHAPE;
    for (i = 0; i + 1u < a->rank; i++)
        if (y->shape[i] != a->shape[i]) return WS_ERR_SHAPE;
    return WS_OK;
}

static ws_status check_shapes(const ws_op *op, const ws_tensor_info *in, const ws_tensor_info *y) {
    ws_broadcast bc;
    switch (op->info.opcode) {
    case WS_OP_GEMM:
        return check_gemm_shapes(op, in, y);
    case WS_OP_MATMUL:
        return check_matmul_shapes(&in[0], &in[1], y);
    case WS_OP_ADD:
        if (!ws_broadcast_init(&bc, in[0].shape, in[0].rank, in[1].shape, in[1].rank)) return WS_ERR_SHAPE;
        if (bc.rank != y->rank || memcmp(bc.shape, y->shape, bc.rank * sizeof(uint32_t)) != 0) return WS_ERR_SHAPE;
        return WS_OK;
    case WS_OP_RELU:
        return same_shape(&in[0], y) ? WS_OK : WS_ERR_SHAPE;
    case WS_OP_SOFTMAX:
        return same_shape(&in[0], y) && op->axis < y->rank ? WS_OK : WS_ERR_SHAPE;
    case WS_OP_RESHAPE:
        return in[0].elements == y->elements ? WS_OK : WS_ERR_SHAPE;
    }
    return WS_ERR_OPERATOR;
}

/* Arity and accepted options type of each opcode; 0 for an unknown opcode. */
static int op_signature(uint32_t opcode, uint32_t *min_in, uint32_t *max_in, uint32_t *options) {
    *min_in = 1;
    *max_in = 1;
    *options = WS_OPTIONS_NONE;
    switch (opcode) {
    case WS_OP_GEMM:
        *min_in = 2;
        *max_in = 3;
        *options = WS_OPTIONS_GEMM;
        return 1;
    case WS_OP_MATMUL:
    case WS_OP_ADD:
        *min_in = 2;
        *max_in = 2;
        return 1;
    case WS_OP_SOFTMAX:
        *options = WS_OPTIONS_SOFTMAX;
        return 1;
    case WS_OP_RELU:
    case WS_OP_RESHAPE:
        return 1;
    }
    return 0;
}

static int is_graph_input(const ws_model *m, int32_t t) {
    uint32_t i;
    for (i = 0; i < m->num_inputs; i++)
        if (ws_model_input(m, i) == t) return 1;
    return 0;
}

/* Whether one of operators [0, end) writes tensor t. */
static int written_before(const ws_model *m, int32_t t, uint32_t end) {
    uint32_t o;
    for (o = 0; o < end; o++)
        if (ws_read_op_output(m, o) == t) return 1;
    return 0;
}

/* Byte ranges of two activations overlap. */
static int overlaps(const ws_tensor_info *a, const ws_tensor_info *b) {
    uint64_t a0 = a->arena_offset, a1 = a0 + 4u * (uint64_t)a->elements;
    uint64_t b0 = b->arena_offset, b1 = b0 + 4u * (uint64_t)b->elements;
    return a0 < b1 && b0 < a1;
}

static int is_dense(uint32_t opcode) { return opcode == WS_OP_GEMM || opcode == WS_OP_MATMUL; }

static int allows_in_place(uint32_t opcode) {
    return opcode == WS_OP_RELU || opcode == WS_OP_ADD || opcode == WS_OP_SOFTMAX || opcode == WS_OP_RESHAPE;
}

static ws_status check_operator(const ws_model *m, uint32_t o) {
    ws_op op;
    ws_tensor_info in[3], y;
    uint32_t min_in, max_in, options, i;
    int32_t out;
    ws_read_operator(m, o, &op);
    if (!op_signature(op.info.opcode, &min_in, &max_in, &options)) return WS_ERR_OPERATOR;
    if (op.info.num_inputs < min_in || op.info.num_inputs > max_in || op.info.num_outputs != 1u)
        return WS_ERR_OPERATOR;
    if (op.options_type != WS_OPTIONS_NONE && op.options_type != options) return WS_ERR_OPERATOR;

    out = op.info.outputs[0];
    if (out < 0 || (uint32_t)out >= m->num_tensors) return WS_ERR_OPERATOR;
    ws_read_tensor(m, (uint32_t)out, &y);
    if (y.kind != WS_TENSOR_ACTIVATION) return WS_ERR_OPERATOR;

    memset(in, 0, sizeof in);
    for (i = 0; i < op.info.num_inputs; i++) {
        int32_t t = op.info.inputs[i];
        if (t == -1 && op.info.opcode == WS_OP_GEMM && i == 2u) continue; /* absent C */
        if (t < 0 || (uint32_t)t >= m->num_tensors) return WS_ERR_OPERATOR;
        ws_read_tensor(m, (uint32_t)t, &in[i]);
        /* Only the dense kernels decode shared weights, and only as their A or B operand. */
        if (in[i].kind == WS_TENSOR_SHARED && !(is_dense(op.info.opcode) && i < 2u)) return WS_ERR_OPERATOR;
    }

    WS_TRY(check_shapes(&op, in, &y));

    for (i = 0; i < op.info.num_inputs; i++) {
        int32_t t = op.info.inputs[i];
        if (t < 0 || in[i].kind != WS_TENSOR_ACTIVATION) continue;
        /* The planner may put an element-wise output exactly on its input; any other overlap is refused. */
        if (overlaps(&in[i], &y) && !(allows_in_place(op.info.opcode) && in[i].arena_offset == y.arena_offset &&
                                      in[i].elements == y.elements))
            return WS_ERR_ARENA;
        if (!is_graph_input(m, t) && !written_before(m, t, o)) return WS_ERR_GRAPH;
    }
    if (written_before(m, out, o)) return WS_ERR_GRAPH;
    return WS_OK;
}

static ws_status check_graph_io(const ws_model *m) {
    ws_tensor_info info;
    uint32_t i;
    if (m->num_outputs == 0) return WS_ERR_GRAPH;
    for (i = 0; i < m->num_inputs; i++) {
        int32_t t = ws_model_input(m, i);
        if (t < 0 || (uint32_t)t >= m->num_tensors) return WS_ERR_GRAPH;
        ws_read_tensor(m, (uint32_t)t, &info);
        if (info.kind != WS_TENSOR_ACTIVATION || written_before(m, t, m->num_operators)) return WS_ERR_GRAPH;
    }
    for (i = 0; i < m->num_outputs; i++) {
        int32_t t = ws_model_output(m, i);
        if (t < 0 || (uint32_t)t >= m->num_tensors) return WS_ERR_GRAPH;
        ws_read_tensor(m, (uint32_t)t, &info);
        if (info.kind != WS_TENSOR_ACTIVATION) return WS_ERR_GRAPH;
        if (!written_before(m, t, m->num_operators) && !is_graph_input(m, t)) return WS_ERR_GRAPH;
    }
    return WS_OK;
}

ws_status ws_verify_graph(ws_model *m) {
    int has_shared = has_shared_tensor(m);
    uint32_t i;
    WS_TRY(check_codebook(m, has_shared));
    WS_TRY(check_stream(m, has_shared));
    WS_TRY(check_indices(m));
    for (i = 0; i < m->num_tensors; i++) WS_TRY(check_tensor(m, i));
    for (i = 0; i < m->num_operators; i++) WS_TRY(check_operator(m, i));
    return check_graph_io(m);
}
