/* Which operators have a batched kernel, their workspace, and the dispatch over the samples' arenas. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "ws_host_internal.h"

/* OpenBLAS's thread control (declared by its cblas.h, not by the reference CBLAS one). */
extern void openblas_set_num_threads(int threads);

void ws_host_set_threads(int threads) {
    /* Only on a change: candidates scored side by side each ask for one thread while the other's products run. */
    if (threads > 0 && threads != openblas_get_num_threads()) openblas_set_num_threads(threads);
}

static int is_constant(const ws_tensor_info *t) {
    return t->kind == WS_TENSOR_RAW || t->kind == WS_TENSOR_SHARED;
}

/* Input i of operator o: 0 when absent (info zeroed), 1 when present. */
static int input(const ws_model *m, const ws_op *op, uint32_t i, ws_tensor_info *info) {
    memset(info, 0, sizeof *info);
    if (i >= op->info.num_inputs || op->info.inputs[i] < 0) return 0;
    ws_read_tensor(m, (uint32_t)op->info.inputs[i], info);
    return 1;
}

/* An optional input a kernel reads as plain floats: absent, or a raw constant. */
static int raw_or_absent(const ws_model *m, const ws_op *op, uint32_t i) {
    ws_tensor_info t;
    return !input(m, op, i, &t) || t.kind == WS_TENSOR_RAW;
}

int ws_host_plan_operator(const ws_model *model, uint32_t o, ws_host_plan *plan) {
    ws_op op;
    ws_tensor_info x, w, y;
    if (!model || !plan || o >= ws_model_num_operators(model)) return 0;
    memset(plan, 0, sizeof *plan);
    ws_read_operator(model, o, &op);
    if (op.info.num_outputs < 1u || op.info.outputs[0] < 0) return 0;
    if (op.info.opcode == WS_OP_MAX_POOL) {
        if (!input(model, &op, 0, &x) || x.kind != WS_TENSOR_ACTIVATION || x.rank != 4u) return 0;
        plan->kernel = WS_HOST_MAX_POOL;
        plan->weight = WS_NO_TENSOR;
        plan->images = 1;
        return 1;
    }
    if (!input(model, &op, 0, &x) || !input(model, &op, 1, &w) || x.kind != WS_TENSOR_ACTIVATION ||
        !is_constant(&w) || !raw_or_absent(model, &op, 2) || !raw_or_absent(model, &op, 3))
        return 0;
    ws_read_tensor(model, (uint32_t)op.info.outputs[0], &y);
    plan->weight = op.info.inputs[1];
    plan->weight_elements = w.elements;
    plan->images = 1;
    switch (op.info.opcode) {
    case WS_OP_CONV: {
        ws_conv_params p;
        if (x.rank != 4u || w.rank != 4u || y.rank != 4u) return 0;
        ws_op_conv_params(&op, &x, &y, w.shape[2], w.shape[3], &p);
        if (p.group > 1u && p.group == p.c && p.m == p.c) { /* depthwise: direct loops, no workspace */
            plan->kernel = WS_HOST_DEPTHWISE;
            plan->images = p.n;
            return 1;
        }
        if (p.group == 0u || p.m / p.group < 4u) return 0; /* thin groups: the runtime's kernel */
        plan->kernel = WS_HOST_CONV;
        plan->images = p.n;
        plan->work_per_image = ((size_t)(p.c / p.group) * p.kh * p.kw + p.m) * p.oh * p.ow;
        return 1;
    }
    case WS_OP_CONV_TRANSPOSE: {
        ws_conv_params p;
        if (x.rank != 4u || w.rank != 4u || y.rank != 4u) return 0;
        ws_op_conv_params(&op, &x, &y, w.shape[2], w.shape[3], &p);
        if (p.group != 1u) return 0;
        plan->kernel = WS_HOST_CONV_TRANSPOSE;
        plan->images = p.n;
        plan->work_fixed = (size_t)p.m * p.kh * p.kw * p.h * p.w; /* one image at a time */
        return 1;
    }
    case WS_OP_GEMM:
        if (x.rank != 2u || w.rank != 2u || y.rank != 2u) return 0;
        plan->kernel = WS_HOST_GEMM;
        plan->work_per_image = (size_t)x.elements + y.elements;
        return 1;
    case WS_OP_MATMUL:
        if (x.rank < 1u || w.rank != 2u || x.shape[x.rank - 1u] != w.shape[0]) return 0;
        plan->kernel = WS_HOST_MATMUL;
        plan->work_per_image = (size_t)x.elements + y.elements;
        return 1;
    default:
        return 0;
    }
}

size_t ws_host_workspace(const ws_host_plan *plan, uint32_t batch) {
    if (!plan) return 0;
    return plan->work_fixed + (size_t)(batch ? batch : 1u) * plan->work_per_image;
}

static float *tensor_in(const ws_model *m, ws_tensor_id t, void *arena) {
    ws_tensor_info info;
    ws_read_tensor(m, (uint32_t)t, &info);
    return (float *)(void *)((uint8_t *)arena + info.arena_offset);
}

/* A bias or epilogue scale input (float32 or binary16), absent when the input is. */
static ws_values constant(const ws_model *m, const ws_op *op, uint32_t i) {
    ws_tensor_info t;
    ws_values v = {NULL, NULL};
    if (input(m, op, i, &t)) {
        v.f32 = t.raw;
        v.f16 = t.raw_half;
    }
    return v;
}

static ws_status run_conv(const ws_model *m, const ws_op *op, ws_host_kernel kernel, void *const *arenas,
                          uint32_t count, const float *w, uint32_t batch, float *work) {
    ws_tensor_info x, wi, y, s;
    ws_conv_params p;
    ws_host_image *images;
    uint32_t a, n;
    input(m, op, 0, &x);
    input(m, op, 1, &wi);
    ws_read_tensor(m, (uint32_t)op->info.outputs[0], &y);
    ws_op_conv_params(op, &x, &y, wi.shape[2], wi.shape[3], &p);
    p.bias = constant(m, op, 2);
    p.scale = constant(m, op, 3);
    p.scale_step = input(m, op, 3, &s) && s.elements == 1u ? 0u : 1u;
    images = (ws_host_image *)malloc((size_t)count * p.n * sizeof *images);
    if (!images) return WS_ERR_ARGUMENT;
    for (a = 0; a < count; a++) {
        const float *xa = tensor_in(m, op->info.inputs[0], arenas[a]);
        float *ya = tensor_in(m, op->info.outputs[0], arenas[a]);
        for (n = 0; n < p.n; n++) {
            images[(size_t)a * p.n + n].x = xa + (size_t)n * p.c * p.h * p.w;
            images[(size_t)a * p.n + n].y = ya + (size_t)n * p.m * p.oh * p.ow;
        }
    }
    if (kernel == WS_HOST_DEPTHWISE) ws_host_depthwise(&p, images, count * p.n, w);
    else if (kernel == WS_HOST_CONV_TRANSPOSE) ws_host_conv_transpose(&p, images, count * p.n, w, work);
    else ws_host_conv(&p, images, count * p.n, w, batch, work);
    free(images);
    return WS_OK;
}

static ws_status run_max_pool(const ws_model *m, const ws_op *op, void *const *arenas, uint32_t count) {
    ws_tensor_info x, y;
    ws_conv_params p;
    uint32_t a;
    input(m, op, 0, &x);
    ws_read_tensor(m, (uint32_t)op->info.outputs[0], &y);
    ws_op_conv_params(op, &x, &y, op->kernel[0], op->kernel[1], &p);
    for (a = 0; a < count; a++)
        if (!ws_host_maxpool(&p, tensor_in(m, op->info.inputs[0], arenas[a]),
                             tensor_in(m, op->info.outputs[0], arenas[a]), p.n * p.c))
            return WS_ERR_ARGUMENT;
    return WS_OK;
}

static ws_status run_dense(const ws_model *m, const ws_op *op, int matmul, void *const *arenas, uint32_t count,
                           const float *w, uint32_t batch, float *work) {
    ws_tensor_info x, wi, y, c, s;
    ws_gemm_params p;
    ws_host_rows *rows;
    uint32_t a;
    input(m, op, 0, &x);
    input(m, op, 1, &wi);
    ws_read_tensor(m, (uint32_t)op->info.outputs[0], &y);
    memset(&p, 0, sizeof p);
    if (matmul) {
        p.k = wi.shape[0];
        p.n = wi.shape[1];
        p.m = x.elements / p.k;
        p.alpha = 1.0f;
    } else {
        p.m = y.shape[0];
        p.n = y.shape[1];
        p.k = op->trans_a ? x.shape[0] : x.shape[1];
        p.trans_a = op->trans_a;
        p.trans_b = op->trans_b;
        p.alpha = op->alpha;
        p.beta = op->beta;
        p.s = constant(m, op, 3);
        p.s_step = input(m, op, 3, &s) && s.elements == 1u ? 0u : 1u;
        if (input(m, op, 2, &c)) { /* C broadcast ([], [1], [N], [1, N], [M, 1], [M, N]) through zero strides */
            p.c = constant(m, op, 2);
            if (c.rank >= 1u) p.c_stride_n = c.shape[c.rank - 1u] == 1u ? 0u : 1u;
            if (c.rank == 2u) p.c_stride_m = c.shape[0] == 1u ? 0u : c.shape[1];
        }
    }
    rows = (ws_host_rows *)malloc((size_t)count * sizeof *rows);
    if (!rows) return WS_ERR_ARGUMENT;
    for (a = 0; a < count; a++) {
        rows[a].a = tensor_in(m, op->info.inputs[0], arenas[a]);
        rows[a].y = tensor_in(m, op->info.outputs[0], arenas[a]);
    }
    ws_host_gemm(&p, rows, count, w, batch, work);
    free(rows);
    return WS_OK;
}

ws_status ws_host_run_operator(const ws_model *model, uint32_t o, const ws_host_plan *plan, void *const *arenas,
                               uint32_t count, const float *weight, uint32_t batch, float *work, size_t work_floats) {
    ws_op op;
    ws_host_plan check;
    uint32_t a;
    if (!model || !plan || !arenas || (!weight && plan->weight >= 0) || !work ||
        !ws_host_plan_operator(model, o, &check) || check.kernel != plan->kernel ||
        work_floats < ws_host_workspace(plan, batch))
        return WS_ERR_ARGUMENT;
    for (a = 0; a < count; a++)
        if (!arenas[a] || (uintptr_t)arenas[a] % WS_ALIGNMENT != 0) return WS_ERR_ARGUMENT;
    ws_read_operator(model, o, &op);
    switch (plan->kernel) {
    case WS_HOST_CONV:
    case WS_HOST_DEPTHWISE:
    case WS_HOST_CONV_TRANSPOSE: return run_conv(model, &op, plan->kernel, arenas, count, weight, batch ? batch : 1u, work);
    case WS_HOST_GEMM: return run_dense(model, &op, 0, arenas, count, weight, batch ? batch : 1u, work);
    case WS_HOST_MATMUL: return run_dense(model, &op, 1, arenas, count, weight, batch ? batch : 1u, work);
    case WS_HOST_MAX_POOL: return run_max_pool(model, &op, arenas, count);
    }
    return WS_ERR_ARGUMENT;
}
