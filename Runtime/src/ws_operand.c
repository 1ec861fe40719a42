/* The rare paths of shared operands: exact outliers, random access into Huffman-coded operands, codes longer than
 * the lookup. Kept out of line so that every kernel inlines only the common case (one compare per weight). Also
 * the sequential reader's start (once per kernel call) and the Huffman decode table's construction. */
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

void ws_huffman_build(ws_huffman *h, const uint8_t *lengths, uint32_t n) {
    uint32_t offset[WS_HUFFMAN_MAX_LENGTH + 2u], s, len, i, k, code, fill;
    memset(h, 0, sizeof *h);
    if (n > WS_HUFFMAN_MAX_SYMBOLS) n = WS_HUFFMAN_MAX_SYMBOLS;
    for (s = 0; s < n; s++)
        if (lengths[s] <= WS_HUFFMAN_MAX_LENGTH) h->count[lengths[s]]++;
    offset[1] = 0;
    for (len = 1; len <= WS_HUFFMAN_MAX_LENGTH; len++) offset[len + 1u] = offset[len] + h->count[len];
    for (s = 0; s < n; s++) /* counting sort by length, stable: canonical order */
        if (lengths[s] >= 1u && lengths[s] <= WS_HUFFMAN_MAX_LENGTH) h->sorted[offset[lengths[s]]++] = (uint8_t)s;
    /* Codes of at most WS_HUFFMAN_LUT_BITS bits: every lookup index whose low `len` bits are the reversed code. */
    for (code = 0, k = 0, len = 1; len <= WS_HUFFMAN_LUT_BITS; len++, code <<= 1) {
        for (i = 0; i < h->count[len]; i++, code++, k++) {
            uint32_t rev = 0, b;
            if (code >> len) return; /* over-subscribed: refused by the verifier, stop before overflowing */
            for (b = 0; b < len; b++) rev |= ((code >> b) & 1u) << (len - 1u - b);
            for (fill = rev; fill < (1u << WS_HUFFMAN_LUT_BITS); fill += 1u << len)
                h->lut[fill] = (uint16_t)(h->sorted[k] << 6 | len);
        }
    }
}

uint32_t ws_huffman_slow(ws_index_reader *r, const ws_huffman *h) {
    uint32_t code = 0, first = 0, index = 0, len, acc = r->acc;
    for (len = 1; len <= WS_HUFFMAN_MAX_LENGTH; len++, acc >>= 1) {
        const uint32_t count = h->count[len];
        code |= acc & 1u;
        if (code >= first && code - first < count) { /* a code of this length (canonical: puff.c's walk) */
            if (index + (code - first) >= WS_HUFFMAN_MAX_SYMBOLS) break;
            r->acc >>= len;
            r->bits -= len;
            return h->sorted[index + (code - first)];
        }
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return WS_HUFFMAN_INVALID;
}

#ifdef WS_SMALL
uint32_t ws_operand_coded_index(ws_operand_reader *r) { return ws_huffman_next(&r->indices, r->code); }
#endif

float ws_operand_take_outlier(ws_operand_reader *r) {
    const float v = *r->outlier_values++;
    r->next_outlier = r->outlier_positions < r->outliers_end ? *r->outlier_positions++ : UINT32_MAX;
    return v;
}

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
    if (x->values) {
        r->values = x->values + e;
    } else if (WS_HUFFMAN_BUILT && x->code) { /* codes have no positions: decode the e before */
        uint32_t i;
        r->code = x->code;
        ws_index_reader_init(&r->indices, x->stream, 1, x->first);
        for (i = 0; i < e; i++) (void)ws_huffman_next(&r->indices, x->code);
    } else {
        ws_index_reader_init(&r->indices, x->stream, x->bit_width, x->first + e);
    }
    while (r->next_outlier < e) (void)ws_operand_take_outlier(r);
}
