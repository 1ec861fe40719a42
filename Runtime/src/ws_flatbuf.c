/* Verifying FlatBuffers reads: the official Verifier's rules (flatbuffers 2.0.8 verifier.h), a little stricter. */
#include "ws_flatbuf.h"

/* Largest buffer FlatBuffers allows (2^31 - 1); vectors are limited so that their byte size cannot overflow. */
#define WS_FB_MAX_SIZE 0x7FFFFFFFu

/* [off, off + n) inside the buffer. Same test as Verifier::Verify, including its strict n < len. */
static int in_bounds(const ws_fbv *v, uint64_t off, uint64_t n) { return n < v->len && off <= v->len - n; }

/* A uint32 read as the signed soffset it encodes, without implementation-defined conversions. */
static int64_t as_soffset(uint32_t x) { return (x & 0x80000000u) ? (int64_t)x - 0x100000000 : (int64_t)x; }

ws_status ws_fbv_table_at(ws_fbv *v, uint32_t pos, ws_fbv_table *t) {
    int64_t vtable;
    uint32_t vsize;
    if (!in_bounds(v, pos, 4)) return WS_ERR_TRUNCATED;
    if (pos % 4u != 0) return WS_ERR_LAYOUT;
    if (++v->tables > WS_FB_MAX_TABLES) return WS_ERR_LAYOUT;
    vtable = (int64_t)pos - as_soffset(ws_ld_u32(v->buf + pos));
    if (vtable < 0 || !in_bounds(v, (uint64_t)vtable, 2)) return WS_ERR_TRUNCATED;
    if (vtable % 2 != 0) return WS_ERR_LAYOUT;
    vsize = ws_ld_u16(v->buf + vtable);
    /* The Verifier only wants an even size; >= 4 (room for both size entries) is required here too. */
    if (vsize % 2u != 0 || vsize < 4u) return WS_ERR_LAYOUT;
    if (!in_bounds(v, (uint64_t)vtable, vsize)) return WS_ERR_TRUNCATED;
    t->pos = pos;
    t->vtable = (uint32_t)vtable;
    t->vsize = vsize;
    return WS_OK;
}

/* The field's vtable entry (0 = absent). Fields past the vtable's end are absent (older writer). */
static uint32_t field_voffset(const ws_fbv *v, const ws_fbv_table *t, uint32_t field) {
    return field < t->vsize ? ws_ld_u16(v->buf + t->vtable + field) : 0u;
}

ws_status ws_fbv_scalar(const ws_fbv *v, const ws_fbv_table *t, uint32_t field, uint32_t size, uint32_t *pos) {
    uint32_t voff = field_voffset(v, t, field);
    uint64_t p = (uint64_t)t->pos + voff;
    *pos = 0;
    if (voff == 0) return WS_OK;
    if (p % size != 0) return WS_ERR_LAYOUT;
    if (!in_bounds(v, p, size)) return WS_ERR_TRUNCATED;
    *pos = (uint32_t)p;
    return WS_OK;
}

ws_status ws_fbv_offset(const ws_fbv *v, const ws_fbv_table *t, uint32_t field, uint32_t *target) {
    uint32_t pos, off;
    ws_status s = ws_fbv_scalar(v, t, field, 4, &pos);
    *target = 0;
    if (s != WS_OK || pos == 0) return s;
    off = ws_ld_u32(v->buf + pos);
    /* Offsets point forward (never to themselves) and stay below 2^31. */
    if (off == 0 || off > WS_FB_MAX_SIZE) return WS_ERR_LAYOUT;
    if (!in_bounds(v, (uint64_t)pos + off, 1)) return WS_ERR_TRUNCATED;
    *target = pos + off;
    return WS_OK;
}

/* The vector at `vec`: length prefix aligned and inside, body (count * elem_size, overflow-guarded) inside. */
static ws_status check_vector_at(const ws_fbv *v, uint32_t vec, uint32_t elem_size, uint32_t *count) {
    uint32_t n;
    if (!in_bounds(v, vec, 4)) return WS_ERR_TRUNCATED;
    if (vec % 4u != 0) return WS_ERR_LAYOUT;
    n = ws_ld_u32(v->buf + vec);
    if (n >= WS_FB_MAX_SIZE / elem_size) return WS_ERR_TRUNCATED;
    if (!in_bounds(v, vec, 4u + (uint64_t)n * elem_size)) return WS_ERR_TRUNCATED;
    *count = n;
    return WS_OK;
}

ws_status ws_fbv_vector(const ws_fbv *v, const ws_fbv_table *t, uint32_t field, uint32_t elem_size,
                        uint32_t *first, uint32_t *count) {
    uint32_t vec;
    ws_status s = ws_fbv_offset(v, t, field, &vec);
    *first = 0;
    *count = 0;
    if (s != WS_OK || vec == 0) return s;
    s = check_vector_at(v, vec, elem_size, count);
    if (s != WS_OK) return s;
    *first = vec + 4u;
    return WS_OK;
}

ws_status ws_fbv_string(const ws_fbv *v, const ws_fbv_table *t, uint32_t field) {
    uint32_t str, n, end;
    ws_status s = ws_fbv_offset(v, t, field, &str);
    if (s != WS_OK || str == 0) return s;
    s = check_vector_at(v, str, 1, &n);
    if (s != WS_OK) return s;
    end = str + 4u + n;
    if (!in_bounds(v, end, 1)) return WS_ERR_TRUNCATED;
    return v->buf[end] == 0 ? WS_OK : WS_ERR_LAYOUT;
}

ws_status ws_fbv_subtable(ws_fbv *v, const ws_fbv_table *t, uint32_t field, ws_fbv_table *sub, int *present) {
    uint32_t target;
    ws_status s = ws_fbv_offset(v, t, field, &target);
    *present = 0;
    if (s != WS_OK || target == 0) return s;
    *present = 1;
    return ws_fbv_table_at(v, target, sub);
}

ws_status ws_fbv_vector_table(ws_fbv *v, uint32_t first, uint32_t i, ws_fbv_table *t) {
    uint64_t pos = (uint64_t)first + 4u * (uint64_t)i;
    uint64_t target = pos + ws_ld_u32(v->buf + pos);
    if (target > WS_FB_MAX_SIZE) return WS_ERR_TRUNCATED;
    return ws_fbv_table_at(v, (uint32_t)target, t);
}
