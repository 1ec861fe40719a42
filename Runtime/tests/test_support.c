/* Helpers shared by the runtime tests (see test_support.h). Tests may use the heap; the runtime may not. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t lcg_next(lcg *g) {
    g->state = g->state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g->state >> 32);
}

uint32_t lcg_below(lcg *g, uint32_t n) { return (uint32_t)(((uint64_t)lcg_next(g) * n) >> 32); }

size_t ref_packed_bytes(size_t n, unsigned width, unsigned pad) { return (n * width + 7) / 8 + pad; }

size_t ref_pack(const uint32_t *indices, size_t n, unsigned width, unsigned pad, uint8_t *out) {
    size_t bytes = ref_packed_bytes(n, width, pad), i;
    unsigned bit;
    memset(out, 0, bytes);
    for (i = 0; i < n; i++) {
        for (bit = 0; bit < width; bit++) {
            size_t j = i * width + bit; /* stream bit j is bit j % 8 of byte j / 8 */
            if ((indices[i] >> bit) & 1u) out[j / 8] |= (uint8_t)(1u << (j % 8));
        }
    }
    return bytes;
}

uint8_t *aligned_copy(const uint8_t *src, size_t len, size_t misalign) {
    /* malloc's alignment (>= 8) is the base. The block is exactly as long as the copy, so AddressSanitizer
     * reports any read past `len`; a zero-length copy still gets a valid pointer. */
    uint8_t *base = (uint8_t *)malloc(len + misalign > 0 ? len + misalign : 1);
    if (!base) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    if (len) memcpy(base + misalign, src, len);
    return base + misalign;
}

void free_copy(uint8_t *copy, size_t misalign) {
    if (copy) free(copy - misalign);
}

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (rd16(p + 2) << 16); }

size_t find_crc_field(const uint8_t *buf, size_t len) {
    size_t root, pos;
    long long vtable;
    uint32_t vsize, voff;
    if (len < 8) return 0;
    root = rd32(buf);
    if (root % 4 != 0 || root + 4 > len) return 0;
    vtable = (long long)root - (long long)(int32_t)rd32(buf + root);
    if (vtable < 0 || vtable % 2 != 0 || (size_t)vtable + 2 > len) return 0;
    vsize = rd16(buf + vtable);
    if (vsize <= 24 || (size_t)vtable + 26 > len) return 0; /* Model.crc32 has vtable offset 24 */
    voff = rd16(buf + vtable + 24);
    pos = root + voff;
    if (voff == 0 || pos % 4 != 0 || pos + 4 > len) return 0;
    return pos;
}

int patch_crc(uint8_t *buf, size_t len) {
    size_t pos = find_crc_field(buf, len);
    uint32_t crc;
    if (pos == 0) return 0;
    memset(buf + pos, 0, 4);
    crc = ws_crc32(0, buf, len);
    buf[pos] = (uint8_t)crc;
    buf[pos + 1] = (uint8_t)(crc >> 8);
    buf[pos + 2] = (uint8_t)(crc >> 16);
    buf[pos + 3] = (uint8_t)(crc >> 24);
    return 1;
}

/* ---- models ------------------------------------------------------------------------------------------- */

static void need(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "test setup failed: %s\n", what);
        exit(2);
    }
}

unsigned long load_both_paths_count;

static int same_error(const ws_load_error *a, const ws_load_error *b) {
    return a->status == b->status && a->op == b->op && a->tensor == b->tensor && a->input == b->input &&
           a->op_name == b->op_name && a->tensor_name == b->tensor_name;
}

ws_status load_both_paths(ws_model *model, const void *buf, size_t len, ws_load_error *error) {
    size_t bytes = WS_VERIFY_SCRATCH_BYTES_FOR_FILE(len);
    uint8_t *scratch = (uint8_t *)malloc(bytes); /* exactly this long: ASan sees a write past it */
    ws_load_error scan, fast;
    ws_model fast_model;
    ws_status s, f;
    need(scratch != NULL, "malloc scratch");
    memset(scratch, 0xA5, bytes); /* the verifier clears what it uses */
    s = ws_model_load_detailed(model, buf, len, &scan);
    f = ws_model_load_scratch(&fast_model, buf, len, &fast, scratch, bytes);
    if (s != f || !same_error(&scan, &fast) || (s == WS_OK && memcmp(model, &fast_model, sizeof fast_model) != 0)) {
        fprintf(stderr, "scan and scratch verification differ: status %d / %d, op %d / %d, tensor %d / %d, "
                        "input %d / %d\n", (int)s, (int)f, (int)scan.op, (int)fast.op, (int)scan.tensor,
                (int)fast.tensor, (int)scan.input, (int)fast.input);
        abort();
    }
    free(scratch);
    if (error) *error = scan;
    load_both_paths_count++;
    return s;
}

uint8_t *chain_model(uint32_t n, int variant, size_t *len) {
    wsm_builder *b = wsm_builder_create();
    const uint8_t *data;
    uint8_t *copy;
    char name[32];
    int32_t out;
    uint32_t k;
    need(b != NULL && n >= 4, "chain builder");
    for (k = 0; k <= n; k++) { /* t_k: [1, 4] in slot k % 3 */
        sprintf(name, "t%u", (unsigned)k);
        need(wsm_builder_add_activation(b, name, DIMS(1, 4), (k % 3u) * 16u) == (int32_t)k, "chain tensor");
    }
    for (k = 0; k < n; k++) {
        int32_t in[2];
        uint32_t nin = 1;
        uint8_t opcode = WS_OP_RELU;
        in[0] = (int32_t)k;
        out = (int32_t)k + 1;
        if (k % 2u == 1u) {
            opcode = WS_OP_ADD;
            in[1] = (int32_t)k - 1;
            nin = 2;
        }
        if (variant == CHAIN_READ_BEFORE_WRITE && k == n - 2u) {
            opcode = WS_OP_RELU; /* reads t_n, which operator n-1 writes */
            in[0] = (int32_t)n;
            nin = 1;
        }
        if (variant == CHAIN_WRITE_TWICE && k == n - 1u) out = (int32_t)n - 3; /* operator n-4 wrote it */
        sprintf(name, "op%u", (unsigned)k);
        need(wsm_builder_add_operator(b, opcode, name, in, nin, &out, 1) == 0, "chain operator");
    }
    out = (int32_t)n;
    need(wsm_builder_set_graph_io(b, TENSORS(0), &out, 1) == 0, "chain graph io");
    wsm_builder_set_arena_bytes(b, 48);
    need(wsm_builder_finish(b, WS_FORMAT_VERSION, 0) == 0, "chain finish");
    data = wsm_builder_data(b, len);
    need(data != NULL, "chain data");
    copy = aligned_copy(data, *len, 0);
    wsm_builder_destroy(b);
    return copy;
}

static uint32_t elements(const uint32_t *shape, uint32_t rank) {
    uint32_t e = 1, i;
    for (i = 0; i < rank; i++) e *= shape[i];
    return e;
}

void tm_init(tm *m) {
    memset(m, 0, sizeof *m);
    m->b = wsm_builder_create();
    need(m->b != NULL, "wsm_builder_create");
    m->arena_bytes = -1;
    m->bit_width = -1;
    m->pad = 4;
    m->stream_count = -1;
    m->version = WS_FORMAT_VERSION;
    m->coded_after = -1;
}

void tm_free(tm *m) {
    if (m->b) wsm_builder_destroy(m->b);
    free_copy(m->mem, 0);
    free(m->arena);
    memset(m, 0, sizeof *m);
}

int32_t tm_act_at(tm *m, const uint32_t *shape, uint32_t rank, uint32_t arena_offset) {
    uint32_t end = arena_offset + 4 * elements(shape, rank);
    int32_t t = wsm_builder_add_activation(m->b, NULL, shape, rank, arena_offset);
    need(t >= 0, "add_activation");
    if (end > m->arena_next) m->arena_next = (end + 15u) & ~15u;
    return t;
}

int32_t tm_act(tm *m, const uint32_t *shape, uint32_t rank) { return tm_act_at(m, shape, rank, m->arena_next); }

int32_t tm_raw(tm *m, const uint32_t *shape, uint32_t rank, const float *values) {
    int32_t t = wsm_builder_add_raw(m->b, NULL, shape, rank, values, elements(shape, rank));
    need(t >= 0, "add_raw");
    return t;
}

void tm_init_with(tm *m, const float *values, uint32_t n, uint64_t features) {
    tm_init(m);
    tm_codebook(m, values, n);
    m->features = features;
}

int32_t tm_raw_half(tm *m, const uint32_t *shape, uint32_t rank, const uint16_t *values) {
    int32_t t = wsm_builder_add_raw_half(m->b, NULL, shape, rank, values, elements(shape, rank));
    need(t >= 0, "add_raw_half");
    return t;
}

void tm_codebook(tm *m, const float *values, uint32_t n) {
    need(n <= TM_MAX_CODEBOOK, "codebook size");
    memcpy(m->codebook, values, n * sizeof(float));
    m->codebook_size = n;
    m->codebook_set = 1;
}

int32_t tm_shared_indices(tm *m, const uint32_t *shape, uint32_t rank, const uint32_t *indices) {
    uint32_t n = elements(shape, rank);
    int32_t t;
    need(m->count + n <= TM_MAX_INDICES, "index capacity");
    t = wsm_builder_add_shared(m->b, NULL, shape, rank, m->count);
    need(t >= 0, "add_shared");
    memcpy(m->indices + m->count, indices, n * sizeof(uint32_t));
    m->count += n;
    return t;
}

int32_t tm_shared_outliers(tm *m, const uint32_t *shape, uint32_t rank, const uint32_t *indices,
                           const uint32_t *positions, const float *values, uint32_t num_outliers) {
    uint32_t n = elements(shape, rank);
    int32_t t;
    need(m->count + n <= TM_MAX_INDICES, "index capacity");
    t = wsm_builder_add_shared_with_outliers(m->b, NULL, shape, rank, m->count, positions, values, num_outliers);
    need(t >= 0, "add_shared_with_outliers");
    memcpy(m->indices + m->count, indices, n * sizeof(uint32_t));
    m->count += n;
    return t;
}

int32_t tm_shared(tm *m, const uint32_t *shape, uint32_t rank, const float *values) {
    uint32_t n = elements(shape, rank), e, c;
    uint32_t *idx = (uint32_t *)malloc((n + 1) * sizeof(uint32_t));
    int32_t t;
    need(idx != NULL, "malloc");
    for (e = 0; e < n; e++) {
        for (c = 0; c < m->codebook_size && m->codebook[c] != values[e]; c++) {
        }
        need(c < m->codebook_size, "shared value missing from the codebook");
        idx[e] = c;
    }
    t = tm_shared_indices(m, shape, rank, idx);
    free(idx);
    return t;
}

void ref_huffman_codes(const uint8_t *lengths, uint32_t n, uint32_t *codes) {
    uint32_t bl_count[33] = {0}, next_code[33] = {0}, code = 0, bits, s;
    for (s = 0; s < n; s++) bl_count[lengths[s]]++;
    bl_count[0] = 0;
    for (bits = 1; bits <= 32; bits++) {
        code = (code + bl_count[bits - 1]) << 1;
        next_code[bits] = code;
    }
    for (s = 0; s < n; s++) codes[s] = lengths[s] ? next_code[lengths[s]]++ : 0;
}

void ref_put_code(uint8_t *out, uint32_t *bit, uint32_t code, uint32_t len) {
    uint32_t i;
    for (i = 0; i < len; i++, (*bit)++) {
        const uint32_t b = (code >> (len - 1u - i)) & 1u;
        if (b) out[*bit / 8u] |= (uint8_t)(1u << (*bit % 8u));
    }
}

void tm_code(tm *m, const uint8_t *lengths, uint32_t n) {
    need(n <= TM_MAX_CODEBOOK, "code table capacity");
    memcpy(m->code_lengths, lengths, n);
    m->num_code_lengths = n;
    m->features |= WS_FEATURE_HUFFMAN;
}

static unsigned smallest_width(uint32_t codebook_size);

static uint64_t coded_base(tm *m) {
    unsigned width = m->bit_width >= 0 ? (unsigned)m->bit_width : smallest_width(m->codebook_size);
    if (m->coded_after < 0) m->coded_after = m->count;
    need(m->coded_after == (int64_t)m->count, "fixed-width tensors come before coded ones");
    return ((uint64_t)m->count * width + 7u) / 8u * 8u;
}

int32_t tm_shared_coded_at(tm *m, const uint32_t *shape, uint32_t rank, uint64_t rel_bit) {
    int32_t t = wsm_builder_add_shared_encoded(m->b, NULL, shape, rank, coded_base(m) + rel_bit, 1, NULL, NULL, 0);
    need(t >= 0, "add_shared_encoded");
    return t;
}

int32_t tm_shared_coded_outliers(tm *m, const uint32_t *shape, uint32_t rank, const uint32_t *indices,
                                 const uint32_t *positions, const float *values, uint32_t num_outliers) {
    uint32_t codes[TM_MAX_CODEBOOK], n = elements(shape, rank), e;
    int32_t t = wsm_builder_add_shared_encoded(m->b, NULL, shape, rank, coded_base(m) + m->coded_bits, 1, positions,
                                               values, num_outliers);
    need(t >= 0, "add_shared_encoded");
    ref_huffman_codes(m->code_lengths, m->num_code_lengths, codes);
    for (e = 0; e < n; e++) {
        need(indices[e] < m->num_code_lengths && m->code_lengths[indices[e]] > 0, "index has a code");
        need(m->coded_bits + 32u < 8u * TM_MAX_CODED, "coded capacity");
        ref_put_code(m->coded, &m->coded_bits, codes[indices[e]], m->code_lengths[indices[e]]);
    }
    return t;
}

int32_t tm_shared_coded(tm *m, const uint32_t *shape, uint32_t rank, const uint32_t *indices) {
    return tm_shared_coded_outliers(m, shape, rank, indices, NULL, NULL, 0);
}

void tm_op(tm *m, ws_opcode op, const int32_t *in, uint32_t nin, const int32_t *out, uint32_t nout) {
    need(wsm_builder_add_operator(m->b, (uint8_t)op, NULL, in, nin, out, nout) == 0, "add_operator");
}

void tm_gemm(tm *m, const int32_t *in, uint32_t nin, int32_t out, float alpha, float beta, int ta, int tb) {
    need(wsm_builder_add_gemm(m->b, "gemm", in, nin, &out, 1, alpha, beta, ta, tb) == 0, "add_gemm");
}

void tm_softmax(tm *m, int32_t in, int32_t out, uint32_t axis, int coerce_2d) {
    need(wsm_builder_add_softmax(m->b, "softmax", &in, 1, &out, 1, axis, coerce_2d) == 0, "add_softmax");
}

static unsigned smallest_width(uint32_t codebook_size) {
    unsigned b = 1;
    while (b < 32 && (1ull << b) < codebook_size) b++;
    return b;
}

ws_status tm_finish(tm *m, const int32_t *in, uint32_t nin, const int32_t *out, uint32_t nout) {
    const uint8_t *data;
    size_t len;
    ws_status s;
    if (m->codebook_set) need(wsm_builder_set_codebook(m->b, m->codebook, m->codebook_size) == 0, "codebook");
    if ((m->count > 0 || m->coded_after >= 0 || m->num_code_lengths > 0) && !m->no_stream) {
        unsigned width = m->bit_width >= 0 ? (unsigned)m->bit_width : smallest_width(m->codebook_size);
        size_t fixed = ref_packed_bytes(m->count, width, 0), coded = (m->coded_bits + 7u) / 8u;
        size_t bytes = fixed + coded + (size_t)m->pad;
        uint8_t *packed = (uint8_t *)calloc(bytes + 1, 1);
        uint64_t count = m->stream_count >= 0 ? (uint64_t)m->stream_count : m->count;
        need(packed != NULL, "malloc");
        ref_pack(m->indices, m->count, width, 0, packed);
        memcpy(packed + fixed, m->coded, coded);
        need(wsm_builder_set_coded_index_stream(m->b, (uint8_t)m->encoding, (uint8_t)width, count, packed, bytes,
                                                m->num_code_lengths ? m->code_lengths : NULL,
                                                m->num_code_lengths) == 0,
             "index stream");
        free(packed);
    }
    need(wsm_builder_set_graph_io(m->b, in, nin, out, nout) == 0, "graph io");
    wsm_builder_set_arena_bytes(m->b, m->arena_bytes >= 0 ? (uint32_t)m->arena_bytes : m->arena_next);
    if (m->metadata) need(wsm_builder_set_metadata(m->b, m->metadata) == 0, "metadata");
    need(wsm_builder_finish(m->b, m->version, m->features) == 0, "finish");
    data = wsm_builder_data(m->b, &len);
    need(data != NULL, "builder data");
    m->mem = aligned_copy(data, len, 0);
    m->len = len;
    s = load_both_paths(&m->model, m->mem, m->len, &m->error);
    need(m->error.status == s, "ws_load_error.status is the returned status");
    if (s == WS_OK) {
        uint32_t n = ws_model_arena_bytes(&m->model) / 4 + 1, i;
        m->arena = (float *)malloc(n * sizeof(float));
        need(m->arena != NULL, "arena");
        for (i = 0; i < n; i++) m->arena[i] = NAN; /* unwritten outputs show up as NaN */
    }
    return s;
}

void tm_set(tm *m, int32_t t, const float *values) {
    ws_tensor_info info;
    float *dst = ws_tensor_data(&m->model, t, m->arena);
    need(dst != NULL && ws_model_tensor(&m->model, t, &info) == WS_OK, "tm_set on a non-activation");
    memcpy(dst, values, info.elements * sizeof(float));
}

ws_status tm_run(tm *m) { return ws_invoke(&m->model, m->arena, ws_model_arena_bytes(&m->model)); }

const float *tm_get(tm *m, int32_t t) {
    float *p = ws_tensor_data(&m->model, t, m->arena);
    need(p != NULL, "tm_get on a non-activation");
    return p;
}

void h_init(harness *h, const float *codebook, uint32_t codebook_size) {
    memset(h, 0, sizeof *h);
    tm_init(&h->m);
    if (codebook) tm_codebook(&h->m, codebook, codebook_size);
}

int32_t operand(harness *h, int kind, const uint32_t *shape, uint32_t rank, const float *values) {
    int32_t t;
    if (kind == RAW) return tm_raw(&h->m, shape, rank, values);
    if (kind == SHARED) return tm_shared(&h->m, shape, rank, values);
    t = tm_act(&h->m, shape, rank);
    h->inputs[h->num_inputs] = t;
    h->values[h->num_inputs++] = values;
    return t;
}
