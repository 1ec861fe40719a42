/*
 * Minimal FlatBuffers reader for the .wsm container (internal).
 *
 * Two halves:
 * - ws_fbv_*: verifying reads used once by ws_model_load(). Every offset, vtable, field, vector and string is
 *   bounds-checked with the same rules as the official flatbuffers::Verifier (2.0.8), so any buffer the official
 *   Verifier rejects is rejected here too. Out-of-bounds -> WS_ERR_TRUNCATED, other malformations -> WS_ERR_LAYOUT.
 * - ws_fb_*: trusted reads for a buffer that passed verification (no checks, no failure paths).
 *
 * All loads are byte-wise little-endian: no unaligned pointer casts. Float and binary16 vectors are the exceptions
 * (ws_fb_floats, ws_fb_halves): FlatBuffers aligns vector bodies to 4 and the buffer itself must be 4-aligned.
 */
#ifndef WS_FLATBUF_H
#define WS_FLATBUF_H

#include <stdint.h>
#include <string.h>

#include "ws_runtime.h"

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the WeightShare runtime supports little-endian targets only"
#endif
#endif

/* ---- byte-wise loads ---------------------------------------------------------------------------------- */

/* GCC at -Os calls a copy of these instead of inlining the one load they compile to (a 32-bit window in a
 * decode loop cost a call and a return per load). */
#if defined(__GNUC__)
#define WS_LOAD_INLINE inline __attribute__((always_inline))
#else
#define WS_LOAD_INLINE inline
#endif

static WS_LOAD_INLINE uint32_t ws_ld_u16(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }

static WS_LOAD_INLINE uint32_t ws_ld_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t ws_ld_u64(const uint8_t *p) {
    return (uint64_t)ws_ld_u32(p) | ((uint64_t)ws_ld_u32(p + 4) << 32);
}

static inline float ws_ld_f32(const uint8_t *p) {
    uint32_t bits = ws_ld_u32(p);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline double ws_ld_f64(const uint8_t *p) {
    uint64_t bits = ws_ld_u64(p);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* ---- trusted reads (verified buffers only) ------------------------------------------------------------ */

/* Absolute position of a table's field, 0 when absent. `field` is the vtable offset (4 + 2 * field id). */
static inline uint32_t ws_fb_field(const uint8_t *buf, uint32_t table, uint32_t field) {
    /* vtable = table - soffset; unsigned wrap-around gives the right position for either sign. */
    uint32_t vtable = table - ws_ld_u32(buf + table);
    uint32_t voff = field < ws_ld_u16(buf + vtable) ? ws_ld_u16(buf + vtable + field) : 0u;
    return voff ? table + voff : 0u;
}

static inline uint32_t ws_fb_u8(const uint8_t *buf, uint32_t table, uint32_t field, uint32_t dflt) {
    uint32_t pos = ws_fb_field(buf, table, field);
    return pos ? buf[pos] : dflt;
}

static inline uint32_t ws_fb_u32(const uint8_t *buf, uint32_t table, uint32_t field, uint32_t dflt) {
    uint32_t pos = ws_fb_field(buf, table, field);
    return pos ? ws_ld_u32(buf + pos) : dflt;
}

static inline uint64_t ws_fb_u64(const uint8_t *buf, uint32_t table, uint32_t field, uint64_t dflt) {
    uint32_t pos = ws_fb_field(buf, table, field);
    return pos ? ws_ld_u64(buf + pos) : dflt;
}

static inline float ws_fb_f32(const uint8_t *buf, uint32_t table, uint32_t field, float dflt) {
    uint32_t pos = ws_fb_field(buf, table, field);
    return pos ? ws_ld_f32(buf + pos) : dflt;
}

static inline double ws_fb_f64(const uint8_t *buf, uint32_t table, uint32_t field, double dflt) {
    uint32_t pos = ws_fb_field(buf, table, field);
    return pos ? ws_ld_f64(buf + pos) : dflt;
}

/* Target of an offset field (table, vector or string), 0 when absent. */
static inline uint32_t ws_fb_ref(const uint8_t *buf, uint32_t table, uint32_t field) {
    uint32_t pos = ws_fb_field(buf, table, field);
    return pos ? pos + ws_ld_u32(buf + pos) : 0u;
}

/* First element of a vector field and its length; 0 and 0 when absent. */
static inline uint32_t ws_fb_vector(const uint8_t *buf, uint32_t table, uint32_t field, uint32_t *count) {
    uint32_t vec = ws_fb_ref(buf, table, field);
    *count = vec ? ws_ld_u32(buf + vec) : 0u;
    return vec ? vec + 4u : 0u;
}

/* Table referenced by element `i` of a vector of tables starting at `first`. */
static inline uint32_t ws_fb_vector_table(const uint8_t *buf, uint32_t first, uint32_t i) {
    uint32_t pos = first + 4u * i;
    return pos + ws_ld_u32(buf + pos);
}

/* A string field's characters (NUL-terminated, verified), "" when absent. */
static inline const char *ws_fb_string(const uint8_t *buf, uint32_t table, uint32_t field) {
    uint32_t str = ws_fb_ref(buf, table, field);
    return str ? (const char *)(buf + str + 4u) : "";
}

/* A float vector's body (4-aligned in a 4-aligned buffer, see the header comment). */
static inline const float *ws_fb_floats(const uint8_t *buf, uint32_t first) {
    return (const float *)(const void *)(buf + first);
}

/* A binary16 vector's body (ushort values; aligned like ws_fb_floats). */
static inline const uint16_t *ws_fb_halves(const uint8_t *buf, uint32_t first) {
    return (const uint16_t *)(const void *)(buf + first);
}

/* IEEE 754 binary16 to float32, exactly (every binary16 value is a float32 value): normal numbers re-biased,
 * subnormals as mantissa * 2^-24, infinities and NaNs kept. Call it as ws_half_to_float. A 32-bit Arm FPU with the
 * half-precision conversions does it in one instruction: ACLE's __ARM_FP bit 1 says so (Cortex-M7's FPv5), and so
 * does VFPv4 (Cortex-M4F's FPv4, whose fused multiply-add GCC announces while it keeps that bit for
 * -mfp16-format). */
#if defined(__GNUC__) && defined(__arm__) && defined(__ARM_FP) && \
    ((__ARM_FP & 2) || ((__ARM_FP & 4) && defined(__ARM_FEATURE_FMA)))
#define WS_HALF_HARDWARE 1
static inline float ws_half_to_float_inline(uint32_t h) {
    float f;
    __asm__("vmov %0, %1\n\tvcvtb.f32.f16 %0, %0" : "=t"(f) : "r"(h));
    return f;
}
#else
#define WS_HALF_HARDWARE 0
static inline float ws_half_to_float_inline(uint32_t h) {
    const uint32_t sign = (h & 0x8000u) << 16, exponent = (h >> 10) & 0x1Fu, mantissa = h & 0x3FFu;
    uint32_t bits;
    float f;
    if (exponent == 0u) {
        f = (float)mantissa * 5.9604644775390625e-8f; /* 2^-24 */
        return sign ? -f : f;
    }
    bits = sign | (exponent == 0x1Fu ? 0x7F800000u : (exponent + 112u) << 23) | (mantissa << 13);
    memcpy(&f, &bits, sizeof f);
    return f;
}
#endif

#if defined(WS_SMALL) && !WS_HALF_HARDWARE
/* One out-of-line copy (ws_model.c) where code size counts: it runs once per output channel, never per weight. */
float ws_half_to_float(uint32_t h);
#else
#define ws_half_to_float ws_half_to_float_inline
#endif

/* ---- verifying reads ------------------------------------------------------------------------------------ */

typedef struct {
    const uint8_t *buf;
    uint32_t len;
    uint32_t tables; /* tables visited; the official Verifier refuses more than WS_FB_MAX_TABLES */
} ws_fbv;

#define WS_FB_MAX_TABLES 1000000u

/* A verified table: its position, its vtable and the vtable's size in bytes. */
typedef struct {
    uint32_t pos;
    uint32_t vtable;
    uint32_t vsize;
} ws_fbv_table;

/* Checks the table at `pos`: soffset in bounds, vtable in bounds, vtable size even and >= 4. */
ws_status ws_fbv_table_at(ws_fbv *v, uint32_t pos, ws_fbv_table *t);

/* Position of a scalar field of `size` bytes (alignment = size, as the Verifier checks), 0 when absent. */
ws_status ws_fbv_scalar(const ws_fbv *v, const ws_fbv_table *t, uint32_t field, uint32_t size, uint32_t *pos);

/* Follows an offset field: `*target` = referenced position, 0 when absent. */
ws_status ws_fbv_offset(const ws_fbv *v, const ws_fbv_table *t, uint32_t field, uint32_t *target);

/* A vector field of `elem_size`-byte elements: `*first` = first element, 0 and count 0 when absent. */
ws_status ws_fbv_vector(const ws_fbv *v, const ws_fbv_table *t, uint32_t field, uint32_t elem_size,
                        uint32_t *first, uint32_t *count);

/* A string field: length, body and NUL terminator inside the buffer. */
ws_status ws_fbv_string(const ws_fbv *v, const ws_fbv_table *t, uint32_t field);

/* A sub-table field; `*present` = 0 when absent. */
ws_status ws_fbv_subtable(ws_fbv *v, const ws_fbv_table *t, uint32_t field, ws_fbv_table *sub, int *present);

/* Element `i` of a vector of tables starting at `first` (the vector itself already verified). */
ws_status ws_fbv_vector_table(ws_fbv *v, uint32_t first, uint32_t i, ws_fbv_table *t);

#endif /* WS_FLATBUF_H */
