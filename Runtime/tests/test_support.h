/* Shared helpers for the runtime tests: an LCG, a bit-by-bit reference packer, and small models built with the
 * official FlatBuffers writer (wsm_builder) and loaded into aligned memory. */
#ifndef TEST_SUPPORT_H
#define TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ws_runtime.h"
#include "wsm_builder.h"

/* Array arguments written inline: DIMS(2, 3) expands to a pointer and a count. */
#define DIMS(...) \
    (const uint32_t[]){__VA_ARGS__}, (uint32_t)(sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))
#define TENSORS(...) \
    (const int32_t[]){__VA_ARGS__}, (uint32_t)(sizeof((const int32_t[]){__VA_ARGS__}) / sizeof(int32_t))
#define FLOATS(...) ((const float[]){__VA_ARGS__})

/* Deterministic pseudo-random numbers (Knuth's MMIX LCG, high bits). */
typedef struct {
    uint64_t state;
} lcg;
uint32_t lcg_next(lcg *g);
uint32_t lcg_below(lcg *g, uint32_t n);

/* Packs n indices of `width` bits (1..32) LSB-first, one bit at a time, then `pad` zero bytes. `out` must hold
 * ref_packed_bytes(n, width, pad) bytes. Returns that size. */
size_t ref_packed_bytes(size_t n, unsigned width, unsigned pad);
size_t ref_pack(const uint32_t *indices, size_t n, unsigned width, unsigned pad, uint8_t *out);

/* A copy of `len` bytes at an address that is 8-aligned plus `misalign`; free with free_copy(). */
uint8_t *aligned_copy(const uint8_t *src, size_t len, size_t misalign);
void free_copy(uint8_t *copy, size_t misalign);

/* Position of Model.crc32 found the way a reader would, with every read bounds-checked; 0 when not found. */
size_t find_crc_field(const uint8_t *buf, size_t len);
/* Recomputes the CRC field in place when it can be found; returns 1 when patched. */
int patch_crc(uint8_t *buf, size_t len);

/* ws_model_load_detailed() (the scan) and ws_model_load_scratch() (linear, with scratch) on the same buffer: aborts
 * the test program unless both give the same status, ws_load_error and model. Returns the status; fills `model` and
 * `error` (may be NULL) from the scan. tm_finish() loads through it; load_both_paths_count counts the calls. */
ws_status load_both_paths(ws_model *model, const void *buf, size_t len, ws_load_error *error);
extern unsigned long load_both_paths_count;

/* A chain of n >= 4 operators over n + 1 activations t_k [1, 4] (named "t<k>", in arena slot k % 3): operator k
 * ("op<k>") writes t_(k+1), Relu(t_k) for even k and Add(t_k, t_(k-1)) for odd k; graph input t_0, output t_n.
 * CHAIN_READ_BEFORE_WRITE makes operator n-2 Relu(t_n) (t_n is written later), CHAIN_WRITE_TWICE makes operator n-1
 * write t_(n-3) again. Returns an aligned copy of the file (free_copy(p, 0)) and its length. */
enum { CHAIN_VALID, CHAIN_READ_BEFORE_WRITE, CHAIN_WRITE_TWICE };
uint8_t *chain_model(uint32_t n, int variant, size_t *len);

#define TM_MAX_INDICES 8192
#define TM_MAX_CODEBOOK 512
#define TM_MAX_CODED 8192

/* Canonical Huffman codes as RFC 1951 (3.2.2) assigns them from code lengths: codes[s] is symbol s's code, most
 * significant bit first (0 where lengths[s] is 0). Independent of the runtime's decoder. */
void ref_huffman_codes(const uint8_t *lengths, uint32_t n, uint32_t *codes);
/* Appends `len` bits of `code`, its most significant bit first, at bit `*bit` of `out` (LSB-first stream). */
void ref_put_code(uint8_t *out, uint32_t *bit, uint32_t code, uint32_t len);

/* A model under construction. Fields after `b` are options read by tm_finish(). */
typedef struct {
    wsm_builder *b;
    uint32_t arena_next;            /* next free arena offset (16-aligned slots) */
    float codebook[TM_MAX_CODEBOOK];
    uint32_t codebook_size;
    int codebook_set;
    uint32_t indices[TM_MAX_INDICES];
    uint32_t count;
    /* Huffman-coded tensors (tm_code, tm_shared_coded): the code table and the coded part of the stream, which
     * tm_finish() appends after the fixed-width part (whose size must not change after the first coded tensor). */
    uint8_t code_lengths[TM_MAX_CODEBOOK];
    uint32_t num_code_lengths;
    uint8_t coded[TM_MAX_CODED];
    uint32_t coded_bits;
    int64_t coded_after;            /* fixed-width index count when the first coded tensor was added, or -1 */

    int64_t arena_bytes;            /* -1: arena_next */
    int bit_width;                  /* -1: smallest width for the codebook */
    int encoding;                   /* IndexStream.encoding */
    int pad;                        /* padding bytes after the packed bits (default 4) */
    int64_t stream_count;           /* -1: the number of indices added */
    int no_stream;                  /* leave the index stream out even if indices were added */
    uint32_t version;               /* format_version (default WS_FORMAT_VERSION) */
    uint64_t features;
    const wsm_metadata *metadata;   /* NULL: none */

    uint8_t *mem;                   /* finished, aligned copy of the file */
    size_t len;
    ws_model model;
    ws_load_error error;            /* where tm_finish()'s ws_model_load_detailed() failed */
    float *arena;
} tm;

void tm_init(tm *m);
void tm_free(tm *m);
int32_t tm_act(tm *m, const uint32_t *shape, uint32_t rank);
int32_t tm_act_at(tm *m, const uint32_t *shape, uint32_t rank, uint32_t arena_offset);
int32_t tm_raw(tm *m, const uint32_t *shape, uint32_t rank, const float *values);
/* Raw values as binary16 bit patterns (set WS_FEATURE_HALF_RAW in m->features). */
int32_t tm_raw_half(tm *m, const uint32_t *shape, uint32_t rank, const uint16_t *values);
void tm_codebook(tm *m, const float *values, uint32_t n);
/* tm_init, then the codebook `values` and the file's feature bits. */
void tm_init_with(tm *m, const float *values, uint32_t n, uint64_t features);
/* A shared tensor whose values must all be codebook entries (stored as their codebook indices). */
int32_t tm_shared(tm *m, const uint32_t *shape, uint32_t rank, const float *values);
/* A shared tensor given by raw indices (which may be out of range on purpose). */
int32_t tm_shared_indices(tm *m, const uint32_t *shape, uint32_t rank, const uint32_t *indices);
/* A shared tensor by indices with an exact-outlier table (positions and values as given, even invalid ones). */
int32_t tm_shared_outliers(tm *m, const uint32_t *shape, uint32_t rank, const uint32_t *indices,
                           const uint32_t *positions, const float *values, uint32_t num_outliers);
/* The Huffman code table (`n` lengths, stored as given) and feature HUFFMAN. */
void tm_code(tm *m, const uint8_t *lengths, uint32_t n);
/* A shared tensor whose indices are Huffman-coded with the table of tm_code (reference encoder), appended to the
 * coded part. Add fixed-width shared tensors before coded ones. */
int32_t tm_shared_coded(tm *m, const uint32_t *shape, uint32_t rank, const uint32_t *indices);
/* The same with an exact-outlier table (feature OUTLIERS is the caller's). */
int32_t tm_shared_coded_outliers(tm *m, const uint32_t *shape, uint32_t rank, const uint32_t *indices,
                                 const uint32_t *positions, const float *values, uint32_t num_outliers);
/* A Huffman-coded tensor whose first code is at bit `rel_bit` of the coded part (hand-written bits in m->coded). */
int32_t tm_shared_coded_at(tm *m, const uint32_t *shape, uint32_t rank, uint64_t rel_bit);
void tm_op(tm *m, ws_opcode op, const int32_t *in, uint32_t nin, const int32_t *out, uint32_t nout);
void tm_gemm(tm *m, const int32_t *in, uint32_t nin, int32_t out, float alpha, float beta, int ta, int tb);
void tm_softmax(tm *m, int32_t in, int32_t out, uint32_t axis, int coerce_2d);
/* Builds the file, copies it to aligned memory and loads it; returns ws_model_load()'s status. */
ws_status tm_finish(tm *m, const int32_t *in, uint32_t nin, const int32_t *out, uint32_t nout);
/* After a successful tm_finish(): a NaN-filled arena, graph input `t` set from `values`, run, tensor data. */
void tm_set(tm *m, int32_t t, const float *values);
ws_status tm_run(tm *m);
const float *tm_get(tm *m, int32_t t);


/* Operand kinds for harness_operand(). */
enum { ACT, RAW, SHARED };

/* A model under construction plus the graph inputs to fill before running it. */
typedef struct {
    tm m;
    int32_t inputs[8];
    const float *values[8];
    uint32_t num_inputs;
} harness;

void h_init(harness *h, const float *codebook, uint32_t codebook_size);
/* A tensor of the given kind holding `values`; activations become graph inputs. */
int32_t operand(harness *h, int kind, const uint32_t *shape, uint32_t rank, const float *values);

#endif /* TEST_SUPPORT_H */
