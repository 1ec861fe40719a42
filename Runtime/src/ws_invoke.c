/* ws_invoke(): runs the verified operators in order, each through its kernel. */
#include "ws_flatbuf.h"
#include "ws_internal.h"
#include "ws_kernels.h"
#include "ws_schema.h"

/* Where the kernels find tensor `t`'s values. */
static void bind(const ws_model *m, const ws_tensor_info *t, uint8_t *arena, ws_operand *x) {
    memset(x, 0, sizeof *x);
    switch (t->kind) {
    case WS_TENSOR_ACTIVATION:
        x->values = (const float *)(const void *)(arena + t->arena_offset);
        break;
    case WS_TENSOR_RAW:
        x->values = t->raw;
        break;
    case WS_TENSOR_SHARED:
        x->stream = m->buf + m->stream;
        x->codebook = ws_fb_floats(m->buf, m->codebook);
        x->first = t->index_offset;
        x->bit_width = m->bit_width;
        x->num_outliers = t->num_outliers;
        x->outlier_positions = t->outlier_positions;
        x->outlier_values = t->outlier_values;
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
    p.s = in[3].values; /* NULL when absent */
    p.s_step = info[3].elements == 1u ? 0u : 1u; /* S [1] scales every column */
    if (in[2].values) {
        /* Broadcast C ([], [1], [N], [1, N], [M, 1], [M, N]) through zero strides. */
        const ws_tensor_info *c = &info[2];
        p.c = in[2].values;
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
        ws_read_tensor(m, (uint32_t)ws_read_op_input(m, o, i), &x);
        bind(m, &x, arena, &v);
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

static ws_binary_op binary_op(ws_opcode opcode) {
    switch (opcode) {
    case WS_OP_SUB:
        return WS_BIN_SUB;
    case WS_OP_MUL:
        return WS_BIN_MUL;
    case WS_OP_DIV:
        return WS_BIN_DIV;
    case WS_OP_PRELU:
        return WS_BIN_PRELU;
    default:
        return WS_BIN_ADD;
    }
}

static void run_operator(const ws_model *m, uint32_t o, uint8_t *arena) {
    ws_op op;
    ws_tensor_info info[4], y;
    ws_operand in[4];
    ws_broadcast bc;
    ws_conv_params cp;
    uint32_t i, outer, inner, axis;
    float *out;

    ws_read_operator(m, o, &op);
    memset(info, 0, sizeof info);
    memset(in, 0, sizeof in);
    for (i = 0; i < op.info.num_inputs && i < 4u; i++) {
        if (op.info.inputs[i] < 0) continue; /* absent optional input */
        ws_read_tensor(m, (uint32_t)op.info.inputs[i], &info[i]);
        bind(m, &info[i], arena, &in[i]);
    }
    ws_read_tensor(m, (uint32_t)op.info.outputs[0], &y);
    out = (float *)(void *)(arena + y.arena_offset);

    switch (op.info.opcode) {
    case WS_OP_GEMM:
        run_gemm(&op, in, info, &y, out);
        break;
    case WS_OP_MATMUL:
        ws_matmul_f32(&in[0], info[0].shape, info[0].rank, &in[1], info[1].shape, info[1].rank, out);
        break;
    case WS_OP_ADD:
    case WS_OP_SUB:
    case WS_OP_MUL:
    case WS_OP_DIV:
    case WS_OP_PRELU:
        ws_broadcast_init(&bc, info[0].shape, info[0].rank, info[1].shape, info[1].rank);
        ws_binary_f32(binary_op(op.info.opcode), in[0].values, in[1].values, &bc, out);
        break;
    case WS_OP_RELU:
        ws_relu_f32(in[0].values, out, y.elements);
        break;
    case WS_OP_CLIP:
    case WS_OP_LEAKY_RELU:
    case WS_OP_SIGMOID:
    case WS_OP_TANH:
    case WS_OP_HARD_SIGMOID:
    case WS_OP_HARD_SWISH:
        ws_activation_f32(op.info.opcode, op.alpha, op.beta, in[0].values, out, y.elements);
        break;
    case WS_OP_SOFTMAX:
        /* outer = prod(dims[:axis]); the softmax runs over dims[axis] (or all of dims[axis:] when coerced). */
        axis = op.axis;
        outer = 1;
        inner = 1;
        for (i = 0; i < axis; i++) outer *= y.shape[i];
        if (!op.coerce_2d)
            for (i = axis + 1u; i < y.rank; i++) inner *= y.shape[i];
        ws_softmax_f32(in[0].values, out, outer, y.elements / outer / inner, inner);
        break;
    case WS_OP_RESHAPE:
        ws_reshape_f32(in[0].values, out, y.elements);
        break;
    case WS_OP_CONV:
    case WS_OP_CONV_TRANSPOSE:
        ws_op_conv_params(&op, &info[0], &y, info[1].shape[2], info[1].shape[3], &cp);
        cp.bias = in[2].values;
        cp.scale = in[3].values;
        cp.scale_step = info[3].elements == 1u ? 0u : 1u; /* S [1] scales every channel */
        if (op.info.opcode == WS_OP_CONV) ws_conv2d_f32(&cp, in[0].values, &in[1], out);
        else ws_conv_transpose2d_f32(&cp, in[0].values, &in[1], out);
        break;
    case WS_OP_MAX_POOL:
    case WS_OP_AVERAGE_POOL:
        ws_op_conv_params(&op, &info[0], &y, op.kernel[0], op.kernel[1], &cp);
        if (op.info.opcode == WS_OP_MAX_POOL) ws_maxpool2d_f32(&cp, in[0].values, out);
        else ws_avgpool2d_f32(&cp, op.count_include_pad, in[0].values, out);
        break;
    case WS_OP_GLOBAL_AVERAGE_POOL:
        ws_global_avgpool_f32(in[0].values, y.elements, info[0].elements / y.elements, out);
        break;
    case WS_OP_CHANNEL_AFFINE:
        ws_channel_affine_f32(in[0].values, in[1].values, in[2].values, y.shape[0], y.shape[1],
                              y.elements / (y.shape[0] * y.shape[1]), out);
        break;
    case WS_OP_CONCAT:
        run_concat(m, o, &op, arena, &y, out);
        break;
    case WS_OP_TRANSPOSE:
        ws_transpose_f32(in[0].values, info[0].shape, info[0].rank, op.vec, out);
        break;
    case WS_OP_PAD:
        ws_pad_f32(in[0].values, info[0].shape, info[0].rank, op.vec, op.mode, op.value, out);
        break;
    case WS_OP_RESIZE:
        run_resize(&op, &info[0], &y, in[0].values, out);
        break;
    }
}

ws_status ws_invoke_partial(const ws_model *model, void *arena, size_t arena_len, uint32_t num_operators) {
    uint32_t o;
    if (!model || !model->buf || !arena) return WS_ERR_ARGUMENT;
    if ((uintptr_t)arena % WS_ALIGNMENT != 0) return WS_ERR_ALIGNMENT;
    if (arena_len < model->arena_bytes) return WS_ERR_ARENA;
    if (num_operators > model->num_operators) num_operators = model->num_operators;
    for (o = 0; o < num_operators; o++) run_operator(model, o, (uint8_t *)arena);
    return WS_OK;
}

ws_status ws_invoke(const ws_model *model, void *arena, size_t arena_len) {
    return ws_invoke_partial(model, arena, arena_len, 0xFFFFFFFFu);
}
