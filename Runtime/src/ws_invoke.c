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
        break;
    }
}

static void run_gemm(const ws_op *op, const ws_operand *in, const ws_tensor_info *info, const ws_tensor_info *y,
                     float *out) {
    ws_gemm_params p;
    p.m = y->shape[0];
    p.n = y->shape[1];
    p.k = op->trans_a ? info[0].shape[0] : info[0].shape[1];
    p.trans_a = op->trans_a;
    p.trans_b = op->trans_b;
    p.alpha = op->alpha;
    p.beta = op->beta;
    p.c = NULL;
    p.c_stride_m = 0;
    p.c_stride_n = 0;
    if (op->info.num_inputs == 3u && op->info.inputs[2] >= 0) {
        /* Broadcast C ([], [1], [N], [1, N], [M, 1], [M, N]) through zero strides. */
        const ws_tensor_info *c = &info[2];
        p.c = in[2].values;
        if (c->rank >= 1u) p.c_stride_n = c->shape[c->rank - 1u] == 1u ? 0u : 1u;
        if (c->rank == 2u) p.c_stride_m = c->shape[0] == 1u ? 0u : c->shape[1];
    }
    ws_gemm_f32(&p, &in[0], &in[1], out);
}

static void run_operator(const ws_model *m, uint32_t o, uint8_t *arena) {
    ws_op op;
    ws_tensor_info info[3], y;
    ws_operand in[3];
    ws_broadcast bc;
    uint32_t i, outer, inner, axis;
    float *out;

    ws_read_operator(m, o, &op);
    memset(info, 0, sizeof info);
    memset(in, 0, sizeof in);
    for (i = 0; i < op.info.num_inputs && i < 3u; i++) {
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
        ws_matmul_f32(&in[0], &in[1], info[0].elements / info[1].shape[0], info[1].shape[0], info[1].shape[1], out);
        break;
    case WS_OP_ADD:
        ws_broadcast_init(&bc, info[0].shape, info[0].rank, info[1].shape, info[1].rank);
        ws_add_f32(in[0].values, in[1].values, &bc, out);
        break;
    case WS_OP_RELU:
        ws_relu_f32(in[0].values, out, y.elements);
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
    }
}

ws_status ws_invoke(const ws_model *model, void *arena, size_t arena_len) {
    uint32_t o;
    if (!model || !model->buf || !arena) return WS_ERR_ARGUMENT;
    if ((uintptr_t)arena % WS_ALIGNMENT != 0) return WS_ERR_ALIGNMENT;
    if (arena_len < model->arena_bytes) return WS_ERR_ARENA;
    for (o = 0; o < model->num_operators; o++) run_operator(model, o, (uint8_t *)arena);
    return WS_OK;
}
