/*
 * libFuzzer target for the runtime (`make -C Runtime fuzz`): every input is a candidate .wsm file.
 *
 * Most mutated files would stop at the CRC, so for 7 inputs in 8 the harness re-seals it first: it finds
 * Model.crc32 the way a reader would and stores the CRC-32 of the buffer with that field read as zero (the rule of
 * schema/wsm.fbs), so that the fuzzer reaches the layout, the semantic checks and the kernels. The eighth input is
 * loaded as it is.
 *
 * Then: ws_model_load_detailed() (the scan) and ws_model_load_scratch() (linear) must agree exactly; an accepted
 * model goes through every accessor (in range and out of range), the decoding of every constant tensor (and a
 * short output), ws_invoke() on an arena of exactly arena_bytes filled from the input, ws_invoke_partial() with
 * an operator count taken from the input, and a short, a misaligned and a NULL arena, which must be refused.
 * Built with AddressSanitizer and UBSan: any out-of-bounds access, UB or disagreement is a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Largest arena and decoded tensor the harness allocates (files may declare up to 4 GiB). */
#define MAX_ARENA_BYTES (1u << 20)
#define MAX_DECODE (1u << 20)

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (rd16(p + 2) << 16); }

/* Stores the CRC of buf in Model.crc32 (vtable offset 24) when the field can be found; every read is checked. */
static void reseal(uint8_t *buf, size_t len) {
    size_t root, pos;
    long long vtable;
    uint32_t crc;
    if (len < 8) return;
    root = rd32(buf);
    if (root % 4 != 0 || root > len - 4) return;
    vtable = (long long)root - (long long)(int32_t)rd32(buf + root);
    if (len < 26 || vtable < 0 || vtable % 2 != 0 || (unsigned long long)vtable > len - 26) return;
    if (rd16(buf + vtable) <= 24) return;
    pos = root + rd16(buf + vtable + 24);
    if (pos == root || pos % 4 != 0 || pos > len - 4) return;
    memset(buf + pos, 0, 4);
    crc = ws_crc32(0, buf, len);
    buf[pos] = (uint8_t)crc;
    buf[pos + 1] = (uint8_t)(crc >> 8);
    buf[pos + 2] = (uint8_t)(crc >> 16);
    buf[pos + 3] = (uint8_t)(crc >> 24);
}

static void fail(const char *what) {
    fprintf(stderr, "fuzz_runtime: %s\n", what);
    abort();
}

static int same_error(const ws_load_error *a, const ws_load_error *b) {
    return a->status == b->status && a->op == b->op && a->tensor == b->tensor && a->input == b->input &&
           a->op_name == b->op_name && a->tensor_name == b->tensor_name;
}

static volatile float sink;

static void touch_string(const char *s) {
    if (!s) fail("NULL string from an accessor");
    sink += (float)strlen(s);
}

static void accessors(const ws_model *model) {
    ws_tensor_info info;
    ws_operator_info op;
    ws_stream_info stream;
    ws_metadata meta;
    uint32_t i, j, size, index;
    const uint32_t num_tensors = ws_model_num_tensors(model), num_ops = ws_model_num_operators(model);
    const float *codebook = ws_model_codebook(model, &size);

    for (i = 0; i < size; i++) sink += codebook[i];
    ws_model_stream(model, &stream);
    for (i = 0; i < stream.count; i++) {
        if (ws_model_index(model, i, &index) != WS_OK) fail("ws_model_index in range");
        sink += (float)index;
    }
    if (ws_model_index(model, stream.count, &index) != WS_ERR_ARGUMENT) fail("ws_model_index past the end");
    ws_model_metadata(model, &meta);
    touch_string(meta.tool_version);
    touch_string(meta.source_sha256);
    touch_string(meta.source_name);
    touch_string(meta.metric);
    touch_string(meta.solution_json);
    for (i = 0; i < ws_model_num_inputs(model) + 1u; i++) sink += (float)ws_model_input(model, i);
    for (i = 0; i < ws_model_num_outputs(model) + 1u; i++) sink += (float)ws_model_output(model, i);
    for (i = 0; i < num_ops; i++) {
        if (ws_model_operator(model, i, &op) != WS_OK) fail("ws_model_operator in range");
        touch_string(op.name);
        touch_string(ws_opcode_name(op.opcode));
        for (j = 0; j <= op.num_inputs; j++) sink += (float)ws_model_operator_input(model, i, j);
    }
    if (ws_model_operator(model, num_ops, &op) != WS_ERR_ARGUMENT) fail("ws_model_operator past the end");
    if (ws_model_operator_input(model, num_ops, 0) != WS_NO_TENSOR) fail("ws_model_operator_input past the end");
    for (i = 0; i < num_tensors; i++) {
        if (ws_model_tensor(model, (ws_tensor_id)i, &info) != WS_OK) fail("ws_model_tensor in range");
        touch_string(info.name);
        for (j = 0; j < info.num_outliers; j++) sink += (float)info.outlier_positions[j] + info.outlier_values[j];
        if (info.kind == WS_TENSOR_ACTIVATION) {
            float dummy;
            if (ws_tensor_decode(model, (ws_tensor_id)i, &dummy, 1) != WS_ERR_ARGUMENT) fail("decode of an activation");
        }
        if (info.kind == WS_TENSOR_SHARED && info.elements <= MAX_DECODE) {
            /* Indices (fixed width or Huffman-coded), exactly `elements` of them, each inside the codebook. */
            uint32_t *indices = (uint32_t *)malloc((size_t)info.elements * sizeof(uint32_t));
            uint64_t bits = 0;
            if (!indices) fail("malloc");
            if (ws_tensor_indices(model, (ws_tensor_id)i, indices, info.elements, &bits) != WS_OK) fail("indices");
            for (j = 0; j < info.elements; j++)
                if (indices[j] >= size) fail("an index past the codebook");
            if (ws_tensor_indices(model, (ws_tensor_id)i, indices, info.elements - 1u, &bits) != WS_ERR_ARGUMENT)
                fail("indices into a short buffer");
            free(indices);
        }
        if (info.kind != WS_TENSOR_ACTIVATION && info.elements <= MAX_DECODE) {
            /* Exactly `elements` floats: ASan sees a write past them. */
            float *values = (float *)malloc((size_t)info.elements * sizeof(float));
            if (!values) fail("malloc");
            if (ws_tensor_decode(model, (ws_tensor_id)i, values, info.elements) != WS_OK) fail("decode");
            for (j = 0; j < info.elements; j += 1u + info.elements / 64u) sink += values[j];
            if (info.elements > 0 &&
                ws_tensor_decode(model, (ws_tensor_id)i, values, info.elements - 1u) != WS_ERR_ARGUMENT)
                fail("decode into a short buffer");
            free(values);
        }
    }
    if (ws_model_tensor(model, (ws_tensor_id)num_tensors, &info) != WS_ERR_ARGUMENT) fail("tensor past the end");
    if (ws_model_tensor(model, WS_NO_TENSOR, &info) != WS_ERR_ARGUMENT) fail("tensor -1");
}

static void invoke(const ws_model *model, const uint8_t *data, size_t size) {
    const uint32_t arena_bytes = ws_model_arena_bytes(model), num_ops = ws_model_num_operators(model);
    size_t i;
    float *arena;
    uint32_t partial;
    if (arena_bytes > MAX_ARENA_BYTES) return;
    /* Exactly arena_bytes (malloc's alignment >= 8): ASan sees a kernel that writes one float past the plan. */
    arena = (float *)malloc(arena_bytes ? arena_bytes : 4u);
    if (!arena) fail("malloc");
    /* The input's own bytes as floats (NaN, Inf and denormals included), repeated. */
    memset(arena, 0, arena_bytes);
    for (i = 0; size && i < arena_bytes; i += size)
        memcpy((uint8_t *)arena + i, data, arena_bytes - i < size ? arena_bytes - i : size);
    partial = size ? (uint32_t)data[size - 1] % (num_ops + 1u) : 0u;
    if (ws_invoke_partial(model, arena, arena_bytes, partial) != WS_OK) fail("ws_invoke_partial");
    if (ws_invoke(model, arena, arena_bytes) != WS_OK) fail("ws_invoke");
    if (ws_invoke_partial(model, arena, arena_bytes, num_ops + 7u) != WS_OK) fail("ws_invoke_partial past the end");
    for (i = 0; i < ws_model_num_outputs(model); i++) {
        const float *out = ws_tensor_data(model, ws_model_output(model, (uint32_t)i), arena);
        if (!out) fail("ws_tensor_data of an output");
        sink += out[0];
    }
    if (arena_bytes >= 4u && ws_invoke(model, arena, arena_bytes - 4u) != WS_ERR_ARENA) fail("short arena");
    if (ws_invoke(model, (uint8_t *)arena + 2, arena_bytes) != WS_ERR_ALIGNMENT) fail("misaligned arena");
    if (ws_invoke(model, NULL, arena_bytes) != WS_ERR_ARGUMENT) fail("NULL arena");
    free(arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Exactly `size` bytes (malloc's alignment >= 8): ASan sees any read past the file. */
    uint8_t *buf = (uint8_t *)malloc(size ? size : 1);
    uint8_t *scratch;
    size_t scratch_bytes = WS_VERIFY_SCRATCH_BYTES_FOR_FILE(size);
    ws_model scan_model, fast_model;
    ws_load_error scan, fast;
    ws_status s, f;
    if (!buf) fail("malloc");
    if (size) memcpy(buf, data, size);
    if ((size + (size ? data[0] : 0u)) % 8u != 0) reseal(buf, size);

    scratch = (uint8_t *)malloc(scratch_bytes);
    if (!scratch) fail("malloc");
    memset(scratch, 0xA5, scratch_bytes);
    s = ws_model_load_detailed(&scan_model, buf, size, &scan);
    f = ws_model_load_scratch(&fast_model, buf, size, &fast, scratch, scratch_bytes);
    free(scratch);
    if (s != f || !same_error(&scan, &fast)) fail("the scan and the scratch verifier disagree");
    if (s != scan.status) fail("ws_load_error.status differs from the returned status");
    if (s == WS_OK) {
        if (memcmp(&scan_model, &fast_model, sizeof scan_model) != 0) fail("the two loads give different models");
        accessors(&scan_model);
        invoke(&scan_model, data, size);
    } else {
        if (scan.op_name) touch_string(scan.op_name);
        if (scan.tensor_name) touch_string(scan.tensor_name);
    }
    free(buf);
    return 0;
}
