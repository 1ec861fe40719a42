/* The rare paths of shared operands: exact outliers. Kept out of line so that every kernel inlines only the
 * common case (one compare per weight). Also the sequential reader's start (once per kernel call). */
#include <string.h>

#include "ws_kernels.h"

float ws_operand_shared_at(const ws_operand *x, uint32_t e) {
    uint32_t lo = 0, hi = x->num_outliers; /* binary search for the first outlier position >= e */
    while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2u;
        if (x->outlier_positions[mid] < e) lo = mid + 1u;
        else hi = mid;
    }
    if (lo < x->num_outliers && x->outlier_positions[lo] == e) return x->outlier_values[lo];
    return x->codebook[ws_index_at(x->stream, x->bit_width, x->first + e)];
}

float ws_operand_take_outlier(ws_operand_reader *r) {
    const float v = *r->outlier_values++;
    r->next_outlier = r->outlier_positions < r->outliers_end ? *r->outlier_positions++ : UINT32_MAX;
    return v;
}

#ifndef WS_SMALL
void ws_operand_read(ws_operand_reader *r, float *out, uint32_t n) {
    uint32_t i, at;
    if (r->values) {
        memcpy(out, r->values, (size_t)n * sizeof(float));
        r->values += n;
        return;
    }
    /* Widths that divide 8 (1, 2, 4, 8 bits) from whole bytes; other widths each index from one 4-byte
     * little-endian load at its first byte (the stream's 4 padding bytes keep every load inside it). Either way
     * no index waits for the previous one; the sequential reader restarts after the chunk. */
    i = 0;
    if (8u % r->indices.width == 0) {
        const uint32_t width = r->indices.width, per_byte = 8u / width, mask = r->indices.mask;
        const uint32_t start = r->first + r->position;
        /* Indices up to the next byte boundary one by one, then a byte at a time. */
        for (; i < n && (start + i) % per_byte != 0; i++)
            out[i] = r->codebook[ws_index_at(r->stream, width, start + i)];
        for (; i + per_byte <= n; i += per_byte) {
            uint32_t byte = r->stream[(start + i) / per_byte], j;
            for (j = 0; j < per_byte; j++, byte >>= width) out[i + j] = r->codebook[byte & mask];
        }
    }
    for (; i < n; i++) {
        uint32_t shift;
        const uint8_t *p = r->stream + ws_index_byte(r->first + r->position + i, r->indices.width, &shift);
        const uint32_t word = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
        out[i] = r->codebook[(word >> shift) & r->indices.mask];
    }
    ws_index_reader_init(&r->indices, r->stream, r->indices.width, r->first + r->position + n);
    while ((at = r->next_outlier - r->position) < n) out[at] = ws_operand_take_outlier(r); /* index first */
    r->position += n;
}
#endif

void ws_operand_reader_start(ws_operand_reader *r, const ws_operand *x, uint32_t e) {
    memset(r, 0, sizeof *r);
    r->codebook = x->codebook;
    r->position = e;
    r->next_outlier = UINT32_MAX;
    r->outlier_values = x->outlier_values;
    if (x->num_outliers > 0) {
        r->next_outlier = x->outlier_positions[0];
        r->outlier_positions = x->outlier_positions + 1;
        r->outliers_end = x->outlier_positions + x->num_outliers;
    }
    if (x->values) r->values = x->values + e;
    else ws_index_reader_init(&r->indices, x->stream, x->bit_width, x->first + e);
#ifndef WS_SMALL
    r->stream = x->stream;
    r->first = x->first;
#endif
    while (r->next_outlier < e) (void)ws_operand_take_outlier(r);
}
