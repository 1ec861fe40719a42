/* ws_invoke(): runs the verified operators in order, each through its kernel. */
#include "ws_flatbuf.h"
#include "ws_internal.h"
#include "ws_kernels.h"
#include "ws_schema.h"

/* Where the kernels find tensor `t`'s values; `code` is the model's Huffman decode table (NULL without one). */
static void bind(const ws_model *m, const ws_tensor_info *t, uint8_t *arena, ws_operand *x, const ws_huffman *code) {
    /* Each field set (no memset: this runs per operand per inference) */
    x->values = NULL;
    x->half = NULL;
    x->stream = NULL;
    x->codebook = NULL;
    x->codebook_size = x->first = x->bit_width = x->num_outliers = 0;
    x->outlier_positions = NULL;
    x->outlier_values = NULL;
    x->code = NULL;
    if (!t) return; /* an absent input */
    switch (t->kind) {
    case WS_TENSOR_ACTIVATION:
        x->values = (const float *)(const void *)(arena + t->arena_offset);
        break;
    case WS_TENSOR_RAW:
        x->values = t->raw;
        x->half = t->raw_half;
        break;
    case WS_TENSOR_SHARED:
        x->stream = m->buf + m->stream;
        x->codebook = ws_fb_floats(m->buf, m->codebook);
        x->codebook_size = m->codebook_size;
        x->first = t->index_offset;
        x->bit_width = m->bit_width;
        x->num_outliers = t->num_outliers;
        x->outlier_positions = t->outlier_positions;
        x->outlier_values = t->outlier_values;
        if (t->index_encoding == WS_INDEX_HUFFMAN) x->code = code;
        break;
    }
}

void ws_op_conv_params(const ws_op *op, const ws_tensor_info *x, const ws_tensor_info *y, uint32_t kh, uint32_t kw,
                       ws_conv_params *p) {
    memset(p, 0, sizeof *p);
    p->n = x->shape[0];
    p->c = x->shape[1];
    p->h = x->shape[2];
    p->w = x->shape[3];
    p->m = y->shape[1];
    p->oh = y->shape[2];
    p->ow = y->shape[3];
    p->kh = kh;
    p->kw = kw;
    p->sh = op->n_strides ? op->strides[0] : 1u;
    p->sw = op->n_strides ? op->strides[1] : 1u;
    p->dh = op->n_dilations ? op->dilations[0] : 1u;
    p->dw = op->n_dilations ? op->dilations[1] : 1u;
    if (op->n_pads) {
        p->pt = op->pads[0];
        p->pl = op->pads[1];
        p->pb = op->pads[2];
        p->pr = op->pads[3];
    }
    p->group = op->group;
}

/* A bias or epilogue scale operand (absent: both NULL). */
static ws_values constant_values(const ws_operand *x) {
    ws_values v;
    v.f32 = x->values;
    v.f16 = x->half;
    return v;
}

static void run_gemm(const ws_op *op, const ws_operand *in, const ws_tensor_info *info, const ws_tensor_info *y,
                     float *out) {
    ws_gemm_params p;
    memset(&p, 0, sizeof p);
    p.m = y->shape[0];
    p.n = y->shape[1];
    p.k = op->trans_a ? info[0].shape[0] : info[0].shape[1];
    p.trans_a = op->trans_a;
    p.trans_b = op->trans_b;
    p.alpha = op->alpha;
    p.beta = op->beta;
    p.s = constant_values(&in[3]);
    p.s_step = info[3].elements == 1u ? 0u : 1u; /* S [1] scales every column */
    p.c = constant_values(&in[2]);
    if (ws_values_present(&p.c)) {
        /* Broadcast C ([], [1], [N], [1, N], [M, 1], [M, N]) through zero strides. */
        const ws_tensor_info *c = &info[2];
        if (c->rank >= 1u) p.c_stride_n = c->shape[c->rank - 1u] == 1u ? 0u : 1u;
        if (c->rank == 2u) p.c_stride_m = c->shape[0] == 1u ? 0u : c->shape[1];
    }
    ws_gemm_f32(&p, &in[0], &in[1], out);
}

static void run_concat(const ws_model *m, uint32_t o, const ws_op *op, uint8_t *arena, const ws_tensor_info *y,
                       float *out) {
    uint32_t outer = 1, inner = 1, offset = 0, i;
    ws_tensor_info x;
    ws_operand v;
    for (i = 0; i < op->axis; i++) outer *= y->shape[i];
    for (i = op->axis + 1u; i < y->rank; i++) inner *= y->shape[i];
    for (i = 0; i < op->info.num_inputs; i++) {
        ws_read_tensor_facts(m, (uint32_t)ws_read_op_input(m, o, i), &x);
        bind(m, &x, arena, &v, NULL);
        ws_concat_f32(v.values, outer, x.shape[op->axis] * inner, y->shape[op->axis] * inner, offset, out);
        offset += x.shape[op->axis] * inner;
    }
}

static void run_resize(const ws_op *op, const ws_tensor_info *x, const ws_tensor_info *y, const float *in,
                       float *out) {
    ws_resize_params p;
    const uint32_t r = x->rank;
    p.h = x->shape[r - 2u];
    p.w = x->shape[r - 1u];
    p.oh = y->shape[r - 2u];
    p.ow = y->shape[r - 1u];
    p.planes = x->elements / (p.h * p.w);
    /* The model's scales when given, else output / input (ONNX: scales derived from sizes). */
    p.scale_h = op->n_vec ? op->scales[r - 2u] : (float)p.oh / (float)p.h;
    p.scale_w = op->n_vec ? op->scales[r - 1u] : (float)p.ow / (float)p.w;
    p.mode = op->mode;
    p.coord = op->coord;
    p.nearest = op->nearest;
    ws_resize_f32(&p, in, out);
}

void ws_recurrent_dims(const ws_op *op, const uint32_t *x_shape, const uint32_t *r_shape, ws_recurrent_params *p) {
    memset(p, 0, sizeof *p);
    p->cell = op->info.opcode == WS_OP_LSTM ? WS_CELL_LSTM : op->info.opcode == WS_OP_GRU ? WS_CELL_GRU : WS_CELL_RNN;
    p->layout = op->layout;
    p->seq = op->layout ? x_shape[1] : x_shape[0];
    p->batch = op->layout ? x_shape[0] : x_shape[1];
    p->input = x_shape[2];
    p->hidden = r_shape[2];
    p->directions = op->direction == WS_RECURRENT_DIRECTION_BIDIRECTIONAL ? 2u : 1u;
    p->reverse = op->direction == WS_RECURRENT_DIRECTION_REVERSE;
    p->linear_before_reset = op->linear_before_reset;
}

/* Values of input tensor t (activation or raw), NULL when absent (-1). */
static const float *input_values(const ws_model *m, ws_tensor_id t, uint8_t *arena) {
    ws_tensor_info info;
    ws_operand x;
    if (t < 0) return NULL;
    ws_read_tensor_facts(m, (uint32_t)t, &info);
    bind(m, &info, arena, &x, NULL);
    return x.values;
}

/* Arena memory of output tensor t (an activation), NULL when absent (-1). */
static float *output_values(const ws_model *m, ws_tensor_id t, uint8_t *arena) {
    ws_tensor_info info;
    if (t < 0) return NULL;
    ws_read_tensor_facts(m, (uint32_t)t, &info);
    return (float *)(void *)(arena + info.arena_offset);
}

/* Lstm: X, W, R, B?, H0?, C0?, P? -> Y_h, Y_c, workspace, Y?; Gru, Rnn: X, W, R, B?, H0? -> Y_h, workspace, Y?. */
static void run_recurrent(const ws_model *m, uint32_t o, const ws_op *op, const ws_operand *in,
                          const ws_tensor_info *info, uint8_t *arena) {
    ws_recurrent_params p;
    const uint32_t states = op->info.opcode == WS_OP_LSTM ? 2u : 1u;
    ws_recurrent_dims(op, info[0].shape, info[2].shape, &p);
    p.x = in[0].values;
    p.b = in[3].values;
    p.h0 = input_values(m, ws_read_op_input(m, o, 4), arena);
    if (states == 2u) {
        p.c0 = input_values(m, ws_read_op_input(m, o, 5), arena);
        p.p = input_values(m, ws_read_op_input(m, o, 6), arena);
        p.y_c = output_values(m, op->info.outputs[1], arena);
    }
    p.y_h = output_values(m, op->info.outputs[0], arena);
    p.work = output_values(m, op->info.outputs[states], arena);
    p.y = output_values(m, op->info.outputs[states + 1u], arena);
    ws_recurrent_f32(&p, &in[1], &in[2]);
}

/* One statement per kernel family of WS_OP_LIST's `kernel` column, run by run_operator() with: op (ws_op), info[4]
 * and in[4] (the first four inputs: tensor facts and bound operands), y and out (the output), m, o, arena. */
#define WS_RUN_GEMM run_gemm(&op, in, info, &y, out)
#define WS_RUN_MATMUL ws_matmul_f32(&in[0], info[0].shape, info[0].rank, &in[1], info[1].shape, info[1].rank, out)
#define WS_RUN_BINARY run_binary(&op, in, info, out)
#define WS_RUN_UNARY ws_unary_f32(op.info.opcode, op.alpha, op.beta, in[0].values, out, y.elements)
#define WS_RUN_ACTIVATION WS_RUN_UNARY
#define WS_RUN_SOFTMAX run_softmax(&op, &y, in[0].values, out, 0)
#define WS_RUN_LOG_SOFTMAX run_softmax(&op, &y, in[0].values, out, 1)
#define WS_RUN_REDUCE ws_reduce_f32(in[0].values, info[0].shape, info[0].rank, op.vec, op.n_vec, op.mode, out)
#define WS_RUN_LAYER_NORM                                                                                        \
    ws_layer_norm_f32(in[0].values, in[1].values, in[2].values, out, y.elements / info[1].elements,              \
                      info[1].elements, op.epsilon)
#define WS_RUN_RESHAPE ws_reshape_f32(in[0].values, out, y.elements)
#define WS_RUN_CONV run_conv(&op, in, info, &y, out, 0)
#define WS_RUN_CONV_TRANSPOSE run_conv(&op, in, info, &y, out, 1)
#define WS_RUN_MAX_POOL run_pool(&op, &info[0], &y, in[0].values, out, 0)
#define WS_RUN_AVERAGE_POOL run_pool(&op, &info[0], &y, in[0].values, out, 1)
#define WS_RUN_GLOBAL_AVERAGE_POOL ws_global_avgpool_f32(in[0].values, y.elements, info[0].elements / y.elements, out)
#define WS_RUN_CHANNEL_AFFINE                                                                                    \
    ws_channel_affine_f32(in[0].values, in[1].values, in[2].values, y.shape[0], y.shape[1],                     \
                          y.elements / (y.shape[0] * y.shape[1]), out)
#define WS_RUN_CONCAT run_concat(m, o, &op, arena, &y, out)
#define WS_RUN_TRANSPOSE ws_transpose_f32(in[0].values, info[0].shape, info[0].rank, op.vec, out)
#define WS_RUN_PAD ws_pad_f32(in[0].values, info[0].shape, info[0].rank, op.vec, op.mode, op.value, out)
#define WS_RUN_RESIZE run_resize(&op, &info[0], &y, in[0].values, out)
#define WS_RUN_WHERE run_where(in, info, &y, out)
#define WS_RUN_SLICE ws_slice_f32(in[0].values, info[0].shape, info[0].rank, op.vec, op.steps, y.shape, out)
#define WS_RUN_GATHER run_gather(&op, &info[0], in[0].values, out)
#define WS_RUN_TILE run_tile(&info[0], &y, in[0].values, out)

static void run_gather(const ws_op *op, const ws_tensor_info *x, const float *in, float *out) {
    uint32_t outer = 1, inner = 1, i;
    for (i = 0; i < op->axis; i++) outer *= x->shape[i];
    for (i = op->axis + 1u; i < x->rank; i++) inner *= x->shape[i];
    ws_gather_f32(in, outer, x->shape[op->axis], inner, op->indices, op->n_indices, out);
}

static void run_tile(const ws_tensor_info *x, const ws_tensor_info *y, const float *in, float *out) {
    /* X's dims aligned to Y's trailing ones, 1 in front. */
    uint32_t x_shape[WS_MAX_RANK], i, lead = y->rank - x->rank;
    for (i = 0; i < y->rank; i++) x_shape[i] = i < lead ? 1u : x->shape[i - lead];
    ws_tile_f32(in, x_shape, y->shape, y->rank, out);
}
#define WS_RUN_RECURRENT run_recurrent(m, o, &op, in, info, arena)

static void run_binary(const ws_op *op, const ws_operand *in, const ws_tensor_info *info, float *out) {
    ws_broadcast bc;
    ws_broadcast_init(&bc, info[0].shape, info[0].rank, info[1].shape, info[1].rank);
    ws_binary_f32(op->info.opcode, in[0].values, in[1].values, &bc, out);
}

static void run_where(const ws_operand *in, const ws_tensor_info *info, const ws_tensor_info *y, float *out) {
    uint32_t strides[3][WS_MAX_RANK];
    uint32_t k, i;
    /* Input k's dims align with Y's last ones; a missing or size-1 dim has step 0. */
    for (k = 0; k < 3u; k++) {
        uint32_t step = 1;
        for (i = 0; i < y->rank; i++) {
            const uint32_t d = y->rank - 1u - i;
            const uint32_t dim = i < info[k].rank ? info[k].shape[info[k].rank - 1u - i] : 1u;
            strides[k][d] = dim == 1u ? 0u : step;
            step *= dim;
        }
    }
    ws_where_f32(in[0].values, in[1].values, in[2].values, y->shape, y->rank, (const uint32_t(*)[WS_MAX_RANK])strides,
                 out);
}

static void run_softmax(const ws_op *op, const ws_tensor_info *y, const float *x, float *out, int log_softmax) {
    /* outer = prod(dims[:axis]); the softmax runs over dims[axis] (or all of dims[axis:] when coerced). */
    uint32_t outer = 1, inner = 1, i;
    for (i = 0; i < op->axis; i++) outer *= y->shape[i];
    if (!op->coerce_2d)
        for (i = op->axis + 1u; i < y->rank; i++) inner *= y->shape[i];
    ws_softmax_f32(x, out, outer, y->elements / outer / inner, inner, log_softmax);
}

static void run_conv(const ws_op *op, const ws_operand *in, const ws_tensor_info *info, const ws_tensor_info *y,
                     float *out, int transposed) {
    ws_conv_params cp;
    ws_op_conv_params(op, &info[0], y, info[1].shape[2], info[1].shape[3], &cp);
    cp.bias = constant_values(&in[2]);
    cp.scale = constant_values(&in[3]);
    cp.scale_step = info[3].elements == 1u ? 0u : 1u; /* S [1] scales every channel */
    if (transposed) ws_conv_transpose2d_f32(&cp, in[0].values, &in[1], out);
    else ws_conv2d_f32(&cp, in[0].values, &in[1], out);
}

static void run_pool(const ws_op *op, const ws_tensor_info *x, const ws_tensor_info *y, const float *in, float *out,
                     int average) {
    ws_conv_params cp;
    ws_op_conv_params(op, x, y, op->kernel[0], op->kernel[1], &cp);
    if (average) ws_avgpool2d_f32(&cp, op->count_include_pad, in, out);
    else ws_maxpool2d_f32(&cp, in, out);
}

/* How many of info[] / in[] an operator's kernel reads: its most inputs (table column max_in), at most 4 (the
 * kernels of operators with more read the others themselves); slots past it are left unset. Built rows only. */
static const uint8_t input_slots[WS_OP_COUNT] = {
#define WS_SLOTS_ROW(name, Camel, code, min_in, max_in, min_out, max_out, options, req, inplace, shared, shape, kernel, \
                     fn)                                                                                             \
    WS_IF_BUILT(name)([WS_OP_##name] = (max_in) == 0 || (max_in) > 4 ? 4u : (max_in),)
    WS_OP_LIST(WS_SLOTS_ROW)
#undef WS_SLOTS_ROW
};

/*
 * Whether operator o + 1 (< end) is a Relu on tensor `y` (operator o's first output, at arena offset y_offset) that
 * writes its output in place (on the same arena bytes). Operator o then applies the ReLU to its output itself and
 * o + 1 is not run: the arena afterwards holds the same bits (the Relu would have overwritten y's bytes with the
 * same values, and nothing runs in between), and a Relu's operator and tensor reads and dispatch are saved (the
 * digits MLP's two Relus: ~1,440 of its Cortex-M4 instructions). A call whose last operator is o (ws_invoke_partial)
 * still sees operator o's own output.
 */
static int relu_in_place_next(const ws_model *m, uint32_t o, uint32_t end, ws_tensor_id y, uint32_t y_offset) {
    ws_tensor_id r;
    if (!WS_OP_BUILT(RELU) || o + 1u >= end || ws_read_opcode(m, o + 1u) != WS_OP_RELU) return 0;
    if (ws_read_op_input(m, o + 1u, 0) != y) return 0;
    r = ws_read_op_output(m, o + 1u, 0);
    return r >= 0 && ws_read_arena_offset(m, (uint32_t)r) == y_offset;
}

/* Runs operator o (and a Relu after it, relu_in_place_next); returns how many operators ran. */
static uint32_t run_operator(const ws_model *m, uint32_t o, uint32_t end, uint8_t *arena, const ws_huffman *code) {
    ws_op op;
    ws_tensor_info info[4], y;
    ws_operand in[4];
    uint32_t i, slots;
    float *out;

    ws_read_operator_facts(m, o, &op);
    slots = input_slots[op.info.opcode]; /* a verified opcode */
    for (i = 0; i < slots; i++) {
        if (i < op.info.num_inputs && op.info.inputs[i] >= 0) {
            ws_read_tensor_facts(m, (uint32_t)op.info.inputs[i], &info[i]);
            bind(m, &info[i], arena, &in[i], code);
        } else { /* absent (optional) input: zero facts, no values */
            memset(&info[i], 0, sizeof info[i]);
            bind(m, NULL, arena, &in[i], code);
        }
    }
    ws_read_tensor_facts(m, (uint32_t)op.info.outputs[0], &y);
    out = (float *)(void *)(arena + y.arena_offset);

    switch (op.info.opcode) {
/* Only the built rows have a case (ws_opset.h); the verifier refused every other opcode at load. */
#define WS_RUN_CASE(name, Camel, code, min_in, max_in, min_out, max_out, options, req, inplace, shared, shape, kernel, \
                    fn)                                                                                             \
    WS_IF_BUILT(name)(case WS_OP_##name: WS_RUN_##kernel; break;)
        WS_OP_LIST(WS_RUN_CASE)
#undef WS_RUN_CASE
    default:
        break;
    }
    if (!relu_in_place_next(m, o, end, op.info.outputs[0], y.arena_offset)) return 1u;
    ws_unary_f32(WS_OP_RELU, 0.0f, 0.0f, out, out, y.elements);
    return 2u;
}

/* A model with Huffman-coded weights: the decode table is built once per call, on this function's stack (kept out
 * of ws_invoke_partial so that fixed-width models do not reserve it). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void run_coded(const ws_model *m, uint8_t *arena, uint32_t first, uint32_t end) {
    ws_huffman code;
    uint32_t o;
    ws_huffman_build(&code, m->buf + m->code_lengths, m->codebook_size);
    for (o = first; o < end;) o += run_operator(m, o, end, arena, &code);
}

ws_status ws_invoke_operators(const ws_model *model, void *arena, size_t arena_len, uint32_t first, uint32_t count) {
    uint32_t o, end;
    if (!model || !model->buf || !arena) return WS_ERR_ARGUMENT;
    if ((uintptr_t)arena % WS_ALIGNMENT != 0) return WS_ERR_ALIGNMENT;
    if (arena_len < model->arena_bytes) return WS_ERR_ARENA;
    if (first > model->num_operators) first = model->num_operators;
    end = count > model->num_operators - first ? model->num_operators : first + count;
    if (WS_HUFFMAN_BUILT && model->code_lengths) {
        run_coded(model, (uint8_t *)arena, first, end);
        return WS_OK;
    }
    for (o = first; o < end;) o += run_operator(model, o, end, (uint8_t *)arena, NULL);
    return WS_OK;
}

ws_status ws_invoke_partial(const ws_model *model, void *arena, size_t arena_len, uint32_t num_operators) {
    return ws_invoke_operators(model, arena, arena_len, 0, num_operators);
}

ws_status ws_invoke(const ws_model *model, void *arena, size_t arena_len) {
    return ws_invoke_partial(model, arena, arena_len, 0xFFFFFFFFu);
}
