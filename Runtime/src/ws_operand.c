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
    const uint32_t width = r->indices.width, start = r->first + r->position;
    uint32_t i, at;
    if (r->values) {
        memcpy(out, r->values, (size_t)n * sizeof(float));
        r->values += n;
        return;
    }
    /* Widths that divide 8 (1, 2, 4, 8 bits) a whole byte at a time (measured: the digits MLP with 4-bit indices
     * runs in 23 us per sample instead of 38 us with per-index loads); other widths, and the ends of a chunk, by
     * random access. No index waits for the previous one; the sequential reader restarts after the chunk. */
    i = 0;
    if (8u % width == 0) {
        const uint32_t per_byte = 8u / width;
        for (; i < n && (start + i) % per_byte != 0; i++)
            out[i] = r->codebook[ws_index_at(r->stream, width, start + i)];
        for (; i + per_byte <= n; i += per_byte) {
            uint32_t byte = r->stream[(start + i) / per_byte], j;
            for (j = 0; j < per_byte; j++, byte >>= width) out[i + j] = r->codebook[byte & r->indices.mask];
        }
    }
    for (; i < n; i++) out[i] = r->codebook[ws_index_at(r->stream, width, start + i)];
    ws_index_reader_init(&r->indices, r->stream, width, start + n);
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
