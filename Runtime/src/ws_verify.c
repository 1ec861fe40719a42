/*
 * ws_model_load(), first half: header, CRC-32, version and features, then the FlatBuffers layout of every
 * table, vector and string the schema defines. The semantic checks follow in ws_verify_graph.c.
 */
#include "ws_flatbuf.h"
#include "ws_internal.h"
#include "ws_opset.h"
#include "ws_schema.h"

#define WS_MAX_LEN 0x80000000u /* buffers must be smaller than 2^31 bytes */

/* Root offset, identifier and the root table. */
static ws_status check_header(ws_fbv *v, ws_fbv_table *root) {
    uint32_t off;
    if (v->len < 8u) return WS_ERR_TRUNCATED;
    if (memcmp(v->buf + 4, "WSM1", 4) != 0) return WS_ERR_IDENTIFIER;
    off = ws_ld_u32(v->buf);
    if (off == 0 || off >= v->len) return WS_ERR_TRUNCATED;
    return ws_fbv_table_at(v, off, root);
}

/* CRC-32 of the whole buffer with the crc32 field's own four bytes read as zero. */
static ws_status check_crc(const ws_fbv *v, const ws_fbv_table *root) {
    static const uint8_t zero[4] = {0, 0, 0, 0};
    uint32_t pos, crc;
    WS_TRY(ws_fbv_scalar(v, root, WS_VT_MODEL_CRC32, 4, &pos));
    if (pos == 0) return WS_ERR_CRC; /* the writer always stores it: a file without it cannot be trusted */
    crc = ws_crc32(0, v->buf, pos);
    crc = ws_crc32(crc, zero, sizeof zero);
    crc = ws_crc32(crc, v->buf + pos + 4, v->len - pos - 4u);
    return crc == ws_ld_u32(v->buf + pos) ? WS_OK : WS_ERR_CRC;
}

static ws_status check_version(const ws_fbv *v, const ws_fbv_table *root, ws_model *m) {
    uint32_t pos;
    uint32_t version;
    uint64_t features;
    WS_TRY(ws_fbv_scalar(v, root, WS_VT_MODEL_FORMAT_VERSION, 4, &pos));
    version = pos ? ws_ld_u32(v->buf + pos) : 0u;
    if (version == 0 || version > WS_FORMAT_VERSION) return WS_ERR_VERSION;
    WS_TRY(ws_fbv_scalar(v, root, WS_VT_MODEL_REQUIRED_FEATURES, 8, &pos));
    features = pos ? ws_ld_u64(v->buf + pos) : 0u;
    m->features = features;
    /* A build without the Huffman decoder (ws_opset.h) does not know the feature. */
    if (!WS_HUFFMAN_BUILT && (features & WS_FEATURE_HUFFMAN)) return WS_ERR_FEATURE;
    return (features & ~(uint64_t)WS_KNOWN_FEATURES) ? WS_ERR_FEATURE : WS_OK;
}

static ws_status check_stream_layout(ws_fbv *v, const ws_fbv_table *root, ws_model *m) {
    ws_fbv_table t;
    int present;
    uint32_t pos, n;
    WS_TRY(ws_fbv_subtable(v, root, WS_VT_MODEL_INDICES, &t, &present));
    if (!present) return WS_OK;
    WS_TRY(ws_fbv_scalar(v, &t, WS_VT_INDEX_STREAM_ENCODING, 1, &pos));
    WS_TRY(ws_fbv_scalar(v, &t, WS_VT_INDEX_STREAM_BIT_WIDTH, 1, &pos));
    WS_TRY(ws_fbv_scalar(v, &t, WS_VT_INDEX_STREAM_COUNT, 8, &pos));
    WS_TRY(ws_fbv_vector(v, &t, WS_VT_INDEX_STREAM_CODE_LENGTHS, 1, &pos, &n));
    m->code_lengths = n > 0 ? pos : 0u; /* its contents: ws_verify_graph() */
    return ws_fbv_vector(v, &t, WS_VT_INDEX_STREAM_DATA, 1, &m->stream, &m->stream_bytes);
}

static ws_status check_tensor_layout(ws_fbv *v, uint32_t first, uint32_t i) {
    ws_fbv_table t;
    uint32_t pos, n;
    WS_TRY(ws_fbv_vector_table(v, first, i, &t));
    WS_TRY(ws_fbv_string(v, &t, WS_VT_TENSOR_NAME));
    WS_TRY(ws_fbv_vector(v, &t, WS_VT_TENSOR_SHAPE, 4, &pos, &n));
    WS_TRY(ws_fbv_scalar(v, &t, WS_VT_TENSOR_KIND, 1, &pos));
    WS_TRY(ws_fbv_vector(v, &t, WS_VT_TENSOR_RAW, 4, &pos, &n));
    WS_TRY(ws_fbv_scalar(v, &t, WS_VT_TENSOR_INDEX_OFFSET, 8, &pos));
    WS_TRY(ws_fbv_scalar(v, &t, WS_VT_TENSOR_ARENA_OFFSET, 4, &pos));
    WS_TRY(ws_fbv_vector(v, &t, WS_VT_TENSOR_OUTLIER_POSITIONS, 4, &pos, &n));
    WS_TRY(ws_fbv_vector(v, &t, WS_VT_TENSOR_OUTLIER_VALUES, 4, &pos, &n));
    WS_TRY(ws_fbv_vector(v, &t, WS_VT_TENSOR_RAW_HALF, 2, &pos, &n));
    return ws_fbv_scalar(v, &t, WS_VT_TENSOR_INDEX_ENCODING, 1, &pos);
}

/* Fields of each options table (indexed by union type): pairs of vtable offset and kind, 0-terminated. */
static const uint8_t options_fields[WS_OPTIONS_MAX + 1u][12] = {
    {0},
    {WS_VT_GEMM_ALPHA, 4, WS_VT_GEMM_BETA, 4, WS_VT_GEMM_TRANS_A, 1, WS_VT_GEMM_TRANS_B, 1, 0},
    {WS_VT_SOFTMAX_AXIS, 4, WS_VT_SOFTMAX_COERCE_2D, 1, 0},
    {WS_VT_CONV_GROUP, 4, WS_VT_CONV_STRIDES, 'v', WS_VT_CONV_DILATIONS, 'v', WS_VT_CONV_PADS, 'v',
     WS_VT_CONV_OUTPUT_PADDING, 'v', 0},
    {WS_VT_POOL_KERNEL, 'v', WS_VT_POOL_STRIDES, 'v', WS_VT_POOL_DILATIONS, 'v', WS_VT_POOL_PADS, 'v',
     WS_VT_POOL_COUNT_INCLUDE_PAD, 1, 0},
    {WS_VT_ACTIVATION_ALPHA, 4, WS_VT_ACTIVATION_BETA, 4, 0},
    {WS_VT_AXIS_AXIS, 4, 0},
    {WS_VT_TRANSPOSE_PERM, 'v', 0},
    {WS_VT_PAD_MODE, 1, WS_VT_PAD_PADS, 'v', WS_VT_PAD_VALUE, 4, 0},
    {WS_VT_RESIZE_MODE, 1, WS_VT_RESIZE_COORDINATE_TRANSFORM, 1, WS_VT_RESIZE_NEAREST_MODE, 1, WS_VT_RESIZE_SCALES,
     'v', 0},
    {WS_VT_REDUCE_MODE, 1, WS_VT_REDUCE_AXES, 'v', WS_VT_REDUCE_KEEPDIMS, 1, 0},
    {WS_VT_LAYER_NORM_AXIS, 4, WS_VT_LAYER_NORM_EPSILON, 4, 0},
    {WS_VT_SLICE_STARTS, 'v', WS_VT_SLICE_STEPS, 'v', 0},
    {WS_VT_GATHER_AXIS, 4, WS_VT_GATHER_INDICES, 'v', 0},
    {WS_VT_RECURRENT_DIRECTION, 1, WS_VT_RECURRENT_LAYOUT, 1, WS_VT_RECURRENT_LINEAR_BEFORE_RESET, 1, 0},
};

static ws_status check_operator_layout(ws_fbv *v, uint32_t first, uint32_t i) {
    ws_fbv_table t, opt;
    uint32_t pos, n, type, options;
    WS_TRY(ws_fbv_vector_table(v, first, i, &t));
    WS_TRY(ws_fbv_scalar(v, &t, WS_VT_OPERATOR_OPCODE, 1, &pos));
    WS_TRY(ws_fbv_vector(v, &t, WS_VT_OPERATOR_INPUTS, 4, &pos, &n));
    WS_TRY(ws_fbv_vector(v, &t, WS_VT_OPERATOR_OUTPUTS, 4, &pos, &n));
    WS_TRY(ws_fbv_scalar(v, &t, WS_VT_OPERATOR_OPTIONS_TYPE, 1, &pos));
    type = pos ? v->buf[pos] : WS_OPTIONS_NONE;
    WS_TRY(ws_fbv_offset(v, &t, WS_VT_OPERATOR_OPTIONS, &options));
    /* A union's type and value come together or not at all. */
    if ((type == WS_OPTIONS_NONE) != (options == 0)) return WS_ERR_LAYOUT;
    if (type != WS_OPTIONS_NONE && type <= WS_OPTIONS_MAX) {
        const uint8_t *f = options_fields[type];
        WS_TRY(ws_fbv_table_at(v, options, &opt));
        /* Each field: its vtable offset (4 + 2 * id) and kind: 1/4 = scalar bytes, 'v' = vector of 4-byte. */
        for (; f[0] != 0; f += 2) {
            if (f[1] == 'v') WS_TRY(ws_fbv_vector(v, &opt, f[0], 4, &pos, &n));
            else WS_TRY(ws_fbv_scalar(v, &opt, f[0], f[1], &pos));
        }
    }
    /* Unknown option types are left to ws_verify_graph(), which refuses them for every opcode. */
    return ws_fbv_string(v, &t, WS_VT_OPERATOR_NAME);
}

static ws_status check_metadata_layout(ws_fbv *v, const ws_fbv_table *root, ws_model *m) {
    ws_fbv_table t;
    int present;
    uint32_t pos;
    WS_TRY(ws_fbv_subtable(v, root, WS_VT_MODEL_METADATA, &t, &present));
    if (!present) return WS_OK;
    WS_TRY(ws_fbv_string(v, &t, WS_VT_METADATA_TOOL_VERSION));
    WS_TRY(ws_fbv_string(v, &t, WS_VT_METADATA_SOURCE_SHA256));
    WS_TRY(ws_fbv_string(v, &t, WS_VT_METADATA_SOURCE_NAME));
    WS_TRY(ws_fbv_scalar(v, &t, WS_VT_METADATA_K, 4, &pos));
    WS_TRY(ws_fbv_scalar(v, &t, WS_VT_METADATA_M, 4, &pos));
    WS_TRY(ws_fbv_scalar(v, &t, WS_VT_METADATA_SEED, 8, &pos));
    WS_TRY(ws_fbv_string(v, &t, WS_VT_METADATA_METRIC));
    WS_TRY(ws_fbv_scalar(v, &t, WS_VT_METADATA_SCORE, 8, &pos));
    WS_TRY(ws_fbv_scalar(v, &t, WS_VT_METADATA_FLOAT_SCORE, 8, &pos));
    WS_TRY(ws_fbv_string(v, &t, WS_VT_METADATA_SOLUTION_JSON));
    m->metadata = t.pos;
    return WS_OK;
}

/* Every table, vector and string reachable from the root; fills the offsets of `m`. */
static ws_status check_layout(ws_fbv *v, const ws_fbv_table *root, ws_model *m, ws_load_error *err) {
    uint32_t pos, i;
    WS_TRY(ws_fbv_vector(v, root, WS_VT_MODEL_CODEBOOK, 4, &m->codebook, &m->codebook_size));
    WS_TRY(check_stream_layout(v, root, m));
    WS_TRY(ws_fbv_vector(v, root, WS_VT_MODEL_TENSORS, 4, &m->tensors, &m->num_tensors));
    for (i = 0; i < m->num_tensors; i++) {
        err->tensor = (ws_tensor_id)i;
        WS_TRY(check_tensor_layout(v, m->tensors, i));
    }
    err->tensor = WS_NO_TENSOR;
    WS_TRY(ws_fbv_vector(v, root, WS_VT_MODEL_OPERATORS, 4, &m->operators, &m->num_operators));
    for (i = 0; i < m->num_operators; i++) {
        err->op = (int32_t)i;
        WS_TRY(check_operator_layout(v, m->operators, i));
    }
    err->op = -1;
    WS_TRY(ws_fbv_vector(v, root, WS_VT_MODEL_INPUTS, 4, &m->inputs, &m->num_inputs));
    WS_TRY(ws_fbv_vector(v, root, WS_VT_MODEL_OUTPUTS, 4, &m->outputs, &m->num_outputs));
    WS_TRY(ws_fbv_scalar(v, root, WS_VT_MODEL_ARENA_BYTES, 4, &pos));
    m->arena_bytes = pos ? ws_ld_u32(v->buf + pos) : 0u;
    return check_metadata_layout(v, root, m);
}

static ws_status load(ws_model *m, const void *buf, size_t len, void *scratch, size_t scratch_len,
                      ws_load_error *err) {
    ws_fbv v;
    ws_fbv_table root;
    if ((uintptr_t)buf % WS_ALIGNMENT != 0) return WS_ERR_ALIGNMENT;
    if (len >= WS_MAX_LEN) return WS_ERR_ARGUMENT;
    v.buf = (const uint8_t *)buf;
    v.len = (uint32_t)len;
    v.tables = 0;
    WS_TRY(check_header(&v, &root));
    WS_TRY(check_crc(&v, &root)); /* early: corrupted bytes are reported as corruption, not as whatever broke */
    WS_TRY(check_version(&v, &root, m));
    m->buf = v.buf;
    m->len = v.len;
    m->root = root.pos;
    WS_TRY(check_layout(&v, &root, m, err));
    return ws_verify_graph(m, scratch, scratch_len, err);
}

ws_status ws_model_load_scratch(ws_model *model, const void *buf, size_t len, ws_load_error *error, void *scratch,
                                size_t scratch_len) {
    ws_model m;
    ws_load_error local;
    ws_load_error *err = error ? error : &local;
    err->op = -1;
    err->tensor = WS_NO_TENSOR;
    err->input = -1;
    err->op_name = err->tensor_name = NULL;
    err->status = WS_ERR_ARGUMENT;
    if (model) memset(model, 0, sizeof *model);
    if (!model || !buf) return WS_ERR_ARGUMENT;
    memset(&m, 0, sizeof m);
    err->status = load(&m, buf, len, scratch, scratch_len, err);
    if (err->status == WS_OK) {
        *model = m;
        err->op = err->tensor = err->input = -1;
        err->op_name = err->tensor_name = NULL;
    }
    return err->status;
}

ws_status ws_model_load_detailed(ws_model *model, const void *buf, size_t len, ws_load_error *error) {
    return ws_model_load_scratch(model, buf, len, error, NULL, 0);
}

ws_status ws_model_load(ws_model *model, const void *buf, size_t len) {
    return ws_model_load_scratch(model, buf, len, NULL, NULL, 0);
}
