/* Accessors of a loaded model: tensors, operators, codebook, index stream, metadata, constant decoding. */
#include <stddef.h> /* offsetof */

#include "ws_flatbuf.h"
#include "ws_index_stream.h"
#include "ws_internal.h"
#include "ws_schema.h"

#if defined(WS_SMALL) && !WS_HALF_HARDWARE
float ws_half_to_float(uint32_t h) { return ws_half_to_float_inline(h); }
#endif

/* ws_read_tensor_facts zeroes shape[] by six stores. */
typedef char ws_max_rank_6[WS_MAX_RANK == 6u ? 1 : -1];

/* int32 from its two's-complement bits, without an implementation-defined conversion. */
static int32_t as_i32(uint32_t x) { return x <= 0x7FFFFFFFu ? (int32_t)x : -(int32_t)(~x) - 1; }

/* Tensor t into info: every stored field (every_field), or only what the kernels read for its kind (the name "",
 * arena_offset 0 unless an activation, index_offset 0 and fixed width unless shared). Every field is set here
 * rather than after a memset: this runs for each operand of each operator of every inference (the memset was ~1 %
 * of a digits MLP's Cortex-M4 instructions, the fields a kind does not use ~0.4 %). */
static void read_tensor(const ws_model *m, uint32_t t, ws_tensor_info *info, int every_field) {
    const uint8_t *buf = m->buf;
    uint32_t table = ws_fb_vector_table(buf, m->tensors, t);
    uint32_t rank, shape, raw_count, i;
    info->name = every_field ? ws_fb_string(buf, table, WS_VT_TENSOR_NAME) : "";
    info->kind = (ws_tensor_kind)ws_fb_u8(buf, table, WS_VT_TENSOR_KIND, WS_TENSOR_ACTIVATION);
    shape = ws_fb_vector(buf, table, WS_VT_TENSOR_SHAPE, &rank);
    info->rank = rank;
    info->elements = 1;
    /* Unused dims are 0: stored one by one (a loop from `rank` became a memset call); six of them (ws_max_rank_6) */
    info->shape[0] = info->shape[1] = info->shape[2] = info->shape[3] = info->shape[4] = info->shape[5] = 0;
    for (i = 0; i < rank && i < WS_MAX_RANK; i++) {
        info->shape[i] = ws_ld_u32(buf + shape + 4u * i);
        info->elements *= info->shape[i];
    }
    info->arena_offset = 0;
    info->index_offset = 0;
    info->index_encoding = WS_INDEX_FIXED_WIDTH;
    if (every_field || info->kind == WS_TENSOR_ACTIVATION)
        info->arena_offset = ws_fb_u32(buf, table, WS_VT_TENSOR_ARENA_OFFSET, 0);
    if (every_field || info->kind == WS_TENSOR_SHARED) {
        info->index_offset = (uint32_t)ws_fb_u64(buf, table, WS_VT_TENSOR_INDEX_OFFSET, 0);
        info->index_encoding = ws_fb_u8(buf, table, WS_VT_TENSOR_INDEX_ENCODING, WS_INDEX_FIXED_WIDTH);
    }
    info->raw = NULL;
    info->raw_half = NULL;
    info->num_outliers = 0;
    info->outlier_positions = NULL;
    info->outlier_values = NULL;
    if (info->kind == WS_TENSOR_RAW) {
        uint32_t raw = ws_fb_vector(buf, table, WS_VT_TENSOR_RAW, &raw_count);
        uint32_t half = ws_fb_vector(buf, table, WS_VT_TENSOR_RAW_HALF, &raw_count);
        info->raw = raw ? ws_fb_floats(buf, raw) : NULL;
        info->raw_half = half ? ws_fb_halves(buf, half) : NULL;
    }
    if (info->kind == WS_TENSOR_SHARED) {
        uint32_t values_count, values = ws_fb_vector(buf, table, WS_VT_TENSOR_OUTLIER_VALUES, &values_count);
        uint32_t positions = ws_fb_vector(buf, table, WS_VT_TENSOR_OUTLIER_POSITIONS, &info->num_outliers);
        /* The verifier refuses unequal lengths; the smaller one keeps trusted reads in bounds before it ran. */
        if (values_count < info->num_outliers) info->num_outliers = values_count;
        if (info->num_outliers > 0) {
            info->outlier_positions = (const uint32_t *)(const void *)(buf + positions);
            info->outlier_values = ws_fb_floats(buf, values);
        }
    }
}

void ws_read_tensor(const ws_model *m, uint32_t t, ws_tensor_info *info) { read_tensor(m, t, info, 1); }

void ws_read_tensor_facts(const ws_model *m, uint32_t t, ws_tensor_info *info) { read_tensor(m, t, info, 0); }

/* Up to `cap` entries of a uint32 vector field into `out`, 0 after the stored ones; returns the stored length (0
 * when absent). */
static uint32_t read_u32s(const uint8_t *buf, uint32_t table, uint32_t field, uint32_t *out, uint32_t cap) {
    uint32_t count, i, first = ws_fb_vector(buf, table, field, &count);
    for (i = 0; i < cap; i++) out[i] = i < count ? ws_ld_u32(buf + first + 4u * i) : 0u;
    return count;
}

/* Operator o into op, its name too when `named` (ws_invoke does not read it: "" then). */
static void read_operator(const ws_model *m, uint32_t o, ws_op *op, int named) {
    const uint8_t *buf = m->buf;
    uint32_t table = ws_fb_vector_table(buf, m->operators, o);
    uint32_t first, count, i, options;
    /* op->info is set field by field below; the options' scalars start from zero, their vectors are written by
     * their options type (ws_op) */
    memset(&op->options_type, 0, offsetof(ws_op, kernel) - offsetof(ws_op, options_type));
    op->info.opcode = (ws_opcode)ws_fb_u8(buf, table, WS_VT_OPERATOR_OPCODE, 0);
    op->info.name = named ? ws_fb_string(buf, table, WS_VT_OPERATOR_NAME) : "";
    first = ws_fb_vector(buf, table, WS_VT_OPERATOR_INPUTS, &count);
    op->info.num_inputs = count;
    for (i = 0; i < WS_OPERATOR_INFO_INPUTS; i++)
        op->info.inputs[i] = i < count ? as_i32(ws_ld_u32(buf + first + 4u * i)) : -1;
    first = ws_fb_vector(buf, table, WS_VT_OPERATOR_OUTPUTS, &count);
    op->info.num_outputs = count;
    for (i = 0; i < WS_OPERATOR_INFO_OUTPUTS; i++)
        op->info.outputs[i] = i < count ? as_i32(ws_ld_u32(buf + first + 4u * i)) : -1;

    /* Schema defaults, overridden by the options table when present. */
    op->alpha = 1.0f;
    op->beta = 1.0f;
    op->group = 1;
    op->keepdims = 1;
    op->epsilon = 1e-5f;
    for (i = 0; i < WS_MAX_RANK; i++) op->steps[i] = 1;
    op->options_type = ws_fb_u8(buf, table, WS_VT_OPERATOR_OPTIONS_TYPE, WS_OPTIONS_NONE);
    options = ws_fb_ref(buf, table, WS_VT_OPERATOR_OPTIONS);
    op->has_options = options != 0;
    if (options == 0) return;
    switch (op->options_type) {
    case WS_OPTIONS_GEMM:
        op->alpha = ws_fb_f32(buf, options, WS_VT_GEMM_ALPHA, 1.0f);
        op->beta = ws_fb_f32(buf, options, WS_VT_GEMM_BETA, 1.0f);
        op->trans_a = ws_fb_u8(buf, options, WS_VT_GEMM_TRANS_A, 0) != 0;
        op->trans_b = ws_fb_u8(buf, options, WS_VT_GEMM_TRANS_B, 0) != 0;
        break;
    case WS_OPTIONS_SOFTMAX:
        op->axis = ws_fb_u32(buf, options, WS_VT_SOFTMAX_AXIS, 0);
        op->coerce_2d = ws_fb_u8(buf, options, WS_VT_SOFTMAX_COERCE_2D, 0) != 0;
        break;
    case WS_OPTIONS_CONV:
        op->group = ws_fb_u32(buf, options, WS_VT_CONV_GROUP, 1);
        op->n_strides = read_u32s(buf, options, WS_VT_CONV_STRIDES, op->strides, 2);
        op->n_dilations = read_u32s(buf, options, WS_VT_CONV_DILATIONS, op->dilations, 2);
        op->n_pads = read_u32s(buf, options, WS_VT_CONV_PADS, op->pads, 4);
        op->n_output_padding = read_u32s(buf, options, WS_VT_CONV_OUTPUT_PADDING, op->output_padding, 2);
        break;
    case WS_OPTIONS_POOL:
        op->n_kernel = read_u32s(buf, options, WS_VT_POOL_KERNEL, op->kernel, 2);
        op->n_strides = read_u32s(buf, options, WS_VT_POOL_STRIDES, op->strides, 2);
        op->n_dilations = read_u32s(buf, options, WS_VT_POOL_DILATIONS, op->dilations, 2);
        op->n_pads = read_u32s(buf, options, WS_VT_POOL_PADS, op->pads, 4);
        op->count_include_pad = ws_fb_u8(buf, options, WS_VT_POOL_COUNT_INCLUDE_PAD, 0) != 0;
        break;
    case WS_OPTIONS_ACTIVATION:
        op->alpha = ws_fb_f32(buf, options, WS_VT_ACTIVATION_ALPHA, 0.0f);
        op->beta = ws_fb_f32(buf, options, WS_VT_ACTIVATION_BETA, 0.0f);
        break;
    case WS_OPTIONS_AXIS:
        op->axis = ws_fb_u32(buf, options, WS_VT_AXIS_AXIS, 0);
        break;
    case WS_OPTIONS_TRANSPOSE:
        op->n_vec = read_u32s(buf, options, WS_VT_TRANSPOSE_PERM, op->vec, 2u * WS_MAX_RANK);
        break;
    case WS_OPTIONS_PAD:
        op->mode = ws_fb_u8(buf, options, WS_VT_PAD_MODE, WS_PAD_MODE_CONSTANT);
        op->n_vec = read_u32s(buf, options, WS_VT_PAD_PADS, op->vec, 2u * WS_MAX_RANK);
        op->value = ws_fb_f32(buf, options, WS_VT_PAD_VALUE, 0.0f);
        break;
    case WS_OPTIONS_RESIZE:
        op->mode = ws_fb_u8(buf, options, WS_VT_RESIZE_MODE, WS_RESIZE_MODE_NEAREST);
        op->coord = ws_fb_u8(buf, options, WS_VT_RESIZE_COORDINATE_TRANSFORM, WS_COORDINATE_TRANSFORM_HALF_PIXEL);
        op->nearest = ws_fb_u8(buf, options, WS_VT_RESIZE_NEAREST_MODE, WS_NEAREST_MODE_ROUND_PREFER_FLOOR);
        first = ws_fb_vector(buf, options, WS_VT_RESIZE_SCALES, &count);
        op->n_vec = count;
        for (i = 0; i < WS_MAX_RANK; i++) op->scales[i] = i < count ? ws_ld_f32(buf + first + 4u * i) : 0.0f;
        break;
    case WS_OPTIONS_REDUCE:
        op->mode = ws_fb_u8(buf, options, WS_VT_REDUCE_MODE, WS_REDUCE_MODE_MEAN);
        op->n_vec = read_u32s(buf, options, WS_VT_REDUCE_AXES, op->vec, 2u * WS_MAX_RANK);
        op->keepdims = ws_fb_u8(buf, options, WS_VT_REDUCE_KEEPDIMS, 1) != 0;
        break;
    case WS_OPTIONS_LAYER_NORM:
        op->axis = ws_fb_u32(buf, options, WS_VT_LAYER_NORM_AXIS, 0);
        op->epsilon = ws_fb_f32(buf, options, WS_VT_LAYER_NORM_EPSILON, 1e-5f);
        break;
    case WS_OPTIONS_SLICE:
        op->n_vec = read_u32s(buf, options, WS_VT_SLICE_STARTS, op->vec, WS_MAX_RANK);
        first = ws_fb_vector(buf, options, WS_VT_SLICE_STEPS, &count);
        op->n_steps = count;
        for (i = 0; i < count && i < WS_MAX_RANK; i++) op->steps[i] = as_i32(ws_ld_u32(buf + first + 4u * i));
        break;
    case WS_OPTIONS_GATHER:
        op->axis = ws_fb_u32(buf, options, WS_VT_GATHER_AXIS, 0);
        first = ws_fb_vector(buf, options, WS_VT_GATHER_INDICES, &count);
        op->n_indices = count;
        op->indices = count ? (const uint32_t *)(const void *)(buf + first) : NULL;
        break;
    case WS_OPTIONS_RECURRENT:
        op->direction = ws_fb_u8(buf, options, WS_VT_RECURRENT_DIRECTION, WS_RECURRENT_DIRECTION_FORWARD);
        op->layout = ws_fb_u8(buf, options, WS_VT_RECURRENT_LAYOUT, 0);
        op->linear_before_reset = ws_fb_u8(buf, options, WS_VT_RECURRENT_LINEAR_BEFORE_RESET, 0) != 0;
        break;
    default:
        break;
    }
}

void ws_read_operator(const ws_model *m, uint32_t o, ws_op *op) { read_operator(m, o, op, 1); }

void ws_read_operator_facts(const ws_model *m, uint32_t o, ws_op *op) { read_operator(m, o, op, 0); }

ws_opcode ws_read_opcode(const ws_model *m, uint32_t o) {
    return (ws_opcode)ws_fb_u8(m->buf, ws_fb_vector_table(m->buf, m->operators, o), WS_VT_OPERATOR_OPCODE, 0);
}

uint32_t ws_read_arena_offset(const ws_model *m, uint32_t t) {
    return ws_fb_u32(m->buf, ws_fb_vector_table(m->buf, m->tensors, t), WS_VT_TENSOR_ARENA_OFFSET, 0);
}

ws_tensor_id ws_read_op_input(const ws_model *m, uint32_t o, uint32_t i) {
    uint32_t table = ws_fb_vector_table(m->buf, m->operators, o);
    uint32_t count, first = ws_fb_vector(m->buf, table, WS_VT_OPERATOR_INPUTS, &count);
    return i < count ? as_i32(ws_ld_u32(m->buf + first + 4u * i)) : -1;
}

ws_tensor_id ws_read_op_output(const ws_model *m, uint32_t o, uint32_t i) {
    uint32_t table = ws_fb_vector_table(m->buf, m->operators, o);
    uint32_t count, first = ws_fb_vector(m->buf, table, WS_VT_OPERATOR_OUTPUTS, &count);
    return i < count ? as_i32(ws_ld_u32(m->buf + first + 4u * i)) : -1;
}

/* ---- public accessors; a NULL or unloaded model reads as empty -------------------------------------- */

uint32_t ws_model_arena_bytes(const ws_model *model) { return model ? model->arena_bytes : 0u; }
uint32_t ws_model_num_tensors(const ws_model *model) { return model ? model->num_tensors : 0u; }
uint32_t ws_model_num_operators(const ws_model *model) { return model ? model->num_operators : 0u; }
uint32_t ws_model_num_inputs(const ws_model *model) { return model ? model->num_inputs : 0u; }
uint32_t ws_model_num_outputs(const ws_model *model) { return model ? model->num_outputs : 0u; }

/* A tensor id that names a tensor of the model. */
static int valid_id(const ws_model *model, ws_tensor_id t) { return t >= 0 && (uint32_t)t < model->num_tensors; }

ws_tensor_id ws_model_input(const ws_model *model, uint32_t i) {
    if (!model || i >= model->num_inputs) return -1;
    return as_i32(ws_ld_u32(model->buf + model->inputs + 4u * i));
}

ws_tensor_id ws_model_output(const ws_model *model, uint32_t i) {
    if (!model || i >= model->num_outputs) return -1;
    return as_i32(ws_ld_u32(model->buf + model->outputs + 4u * i));
}

ws_status ws_model_tensor(const ws_model *model, ws_tensor_id t, ws_tensor_info *info) {
    if (!model || !info || !valid_id(model, t)) return WS_ERR_ARGUMENT;
    ws_read_tensor(model, (uint32_t)t, info);
    return WS_OK;
}

ws_status ws_model_operator(const ws_model *model, uint32_t o, ws_operator_info *info) {
    ws_op op;
    if (!model || !info || o >= model->num_operators) return WS_ERR_ARGUMENT;
    ws_read_operator(model, o, &op);
    *info = op.info;
    return WS_OK;
}

ws_tensor_id ws_model_operator_input(const ws_model *model, uint32_t o, uint32_t i) {
    if (!model || o >= model->num_operators) return WS_NO_TENSOR;
    return ws_read_op_input(model, o, i);
}

ws_tensor_id ws_model_operator_output(const ws_model *model, uint32_t o, uint32_t i) {
    if (!model || o >= model->num_operators) return WS_NO_TENSOR;
    return ws_read_op_output(model, o, i);
}

const float *ws_model_codebook(const ws_model *model, uint32_t *size) {
    if (size) *size = (model && model->codebook) ? model->codebook_size : 0u;
    return (model && model->codebook) ? ws_fb_floats(model->buf, model->codebook) : NULL;
}

void ws_model_stream(const ws_model *model, ws_stream_info *info) {
    if (!info) return;
    memset(info, 0, sizeof *info);
    if (!model) return;
    info->encoding = WS_INDEX_ENCODING_FIXED_WIDTH; /* the only encoding ws_model_load() accepts */
    info->bit_width = model->bit_width;
    info->count = model->index_count;
    info->bytes = model->stream_bytes;
    if (model->code_lengths) {
        info->code_lengths = model->buf + model->code_lengths;
        info->num_code_lengths = model->codebook_size;
    }
}

void ws_model_metadata(const ws_model *model, ws_metadata *meta) {
    const uint8_t *buf;
    uint32_t t;
    if (!meta) return;
    memset(meta, 0, sizeof *meta);
    meta->tool_version = meta->source_sha256 = meta->source_name = meta->metric = meta->solution_json = "";
    if (!model || !model->buf) return;
    buf = model->buf;
    meta->format_version = ws_fb_u32(buf, model->root, WS_VT_MODEL_FORMAT_VERSION, 0);
    meta->required_features = model->features;
    t = model->metadata;
    if (t == 0) return;
    meta->tool_version = ws_fb_string(buf, t, WS_VT_METADATA_TOOL_VERSION);
    meta->source_sha256 = ws_fb_string(buf, t, WS_VT_METADATA_SOURCE_SHA256);
    meta->source_name = ws_fb_string(buf, t, WS_VT_METADATA_SOURCE_NAME);
    meta->metric = ws_fb_string(buf, t, WS_VT_METADATA_METRIC);
    meta->solution_json = ws_fb_string(buf, t, WS_VT_METADATA_SOLUTION_JSON);
    meta->k = ws_fb_u32(buf, t, WS_VT_METADATA_K, 0);
    meta->m = ws_fb_u32(buf, t, WS_VT_METADATA_M, 0);
    meta->seed = ws_fb_u64(buf, t, WS_VT_METADATA_SEED, 0);
    meta->score = ws_fb_f64(buf, t, WS_VT_METADATA_SCORE, 0.0);
    meta->float_score = ws_fb_f64(buf, t, WS_VT_METADATA_FLOAT_SCORE, 0.0);
}

ws_status ws_model_index(const ws_model *model, uint32_t i, uint32_t *index) {
    if (!model || !index || i >= model->index_count) return WS_ERR_ARGUMENT;
    *index = ws_index_at(model->buf + model->stream, model->bit_width, i);
    return WS_OK;
}

/* The indices of shared tensor `info` into `indices` and/or their codebook values into `values` (either may be NULL);
 * returns the stream bits they take. Huffman-coded tensors through a decode table on the stack. */
static uint64_t read_shared(const ws_model *model, const ws_tensor_info *info, uint32_t *indices, float *values) {
    const float *codebook = ws_fb_floats(model->buf, model->codebook);
    const uint8_t *lengths = model->buf + model->code_lengths;
    const int coded = info->index_encoding == WS_INDEX_HUFFMAN;
    ws_huffman h;
    ws_index_reader r;
    uint64_t bits = 0;
    uint32_t e, s;
    if (coded) ws_huffman_build(&h, lengths, model->codebook_size);
    ws_index_reader_init(&r, model->buf + model->stream, coded ? 1u : model->bit_width, info->index_offset);
    for (e = 0; e < info->elements; e++) {
        s = coded ? ws_huffman_next(&r, &h) : ws_index_next(&r);
        bits += coded ? lengths[s] : model->bit_width;
        if (indices) indices[e] = s;
        if (values) values[e] = codebook[s];
    }
    return bits;
}

ws_status ws_tensor_indices(const ws_model *model, ws_tensor_id t, uint32_t *out, uint32_t capacity, uint64_t *bits) {
    ws_tensor_info info;
    uint64_t n;
    if (!model || !out || !valid_id(model, t)) return WS_ERR_ARGUMENT;
    ws_read_tensor(model, (uint32_t)t, &info);
    if (info.kind != WS_TENSOR_SHARED || capacity < info.elements) return WS_ERR_ARGUMENT;
    n = read_shared(model, &info, out, NULL);
    if (bits) *bits = n;
    return WS_OK;
}

ws_status ws_tensor_decode(const ws_model *model, ws_tensor_id t, float *out, uint32_t capacity) {
    ws_tensor_info info;
    uint32_t e;
    if (!model || !out || !valid_id(model, t)) return WS_ERR_ARGUMENT;
    ws_read_tensor(model, (uint32_t)t, &info);
    if (info.kind == WS_TENSOR_ACTIVATION || capacity < info.elements) return WS_ERR_ARGUMENT;
    if (info.kind == WS_TENSOR_RAW && info.raw) {
        memcpy(out, info.raw, (size_t)info.elements * sizeof(float));
    } else if (info.kind == WS_TENSOR_RAW) {
        for (e = 0; e < info.elements; e++) out[e] = ws_half_to_float(info.raw_half[e]);
    } else {
        (void)read_shared(model, &info, NULL, out);
        for (e = 0; e < info.num_outliers; e++) out[info.outlier_positions[e]] = info.outlier_values[e];
    }
    return WS_OK;
}

float *ws_tensor_data(const ws_model *model, ws_tensor_id t, void *arena) {
    ws_tensor_info info;
    if (!model || !arena || !valid_id(model, t)) return NULL;
    ws_read_tensor(model, (uint32_t)t, &info);
    if (info.kind != WS_TENSOR_ACTIVATION) return NULL;
    return (float *)(void *)((uint8_t *)arena + info.arena_offset);
}
