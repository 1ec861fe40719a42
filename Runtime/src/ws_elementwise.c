/* The generic kernel of WS_OP_LIST's BINARY rows (Add, Sub, Mul, Div, PRelu, Pow, Min, Max, the comparisons and
 * logic ops): y = fn(a, b) with NumPy broadcasting (rank <= 6); and Where, its three-input relative. Safe when y is
 * exactly one of the inputs. */
#include <math.h>

#include "ws_kernels.h"

int ws_broadcast_init(ws_broadcast *bc, const uint32_t *a_shape, uint32_t a_rank, const uint32_t *b_shape,
                      uint32_t b_rank) {
    uint32_t rank = a_rank > b_rank ? a_rank : b_rank;
    uint32_t a_step = 1, b_step = 1, i;
    if (rank > WS_MAX_RANK) return 0;
    bc->rank = rank;
    /* Align shapes at their last dimension; a missing leading dimension counts as 1. */
    for (i = 0; i < rank; i++) {
        uint32_t d = rank - 1u - i;
        uint32_t da = i < a_rank ? a_shape[a_rank - 1u - i] : 1u;
        uint32_t db = i < b_rank ? b_shape[b_rank - 1u - i] : 1u;
        if (da != db && da != 1u && db != 1u) return 0;
        bc->shape[d] = da > db ? da : db;
        bc->a_stride[d] = da == 1u ? 0u : a_step;
        bc->b_stride[d] = db == 1u ? 0u : b_step;
        a_step *= da;
        b_step *= db;
    }
    return 1;
}

/* BINARY element functions: y = f(a, b). */
static float ws_f_add(float a, float b) { return a + b; }
static float ws_f_sub(float a, float b) { return a - b; }
static float ws_f_mul(float a, float b) { return a * b; }
static float ws_f_div(float a, float b) { return a / b; }
static float ws_f_prelu(float a, float slope) { return a < 0.0f ? a * slope : a; }
/* NaN in either gives NaN (NumPy minimum/maximum, ONNX Min/Max), unlike fminf/fmaxf. */
static float ws_f_min(float a, float b) { return (a != a || a < b) ? a : b; }
static float ws_f_max(float a, float b) { return (a != a || a > b) ? a : b; }
/* Comparisons and logic give masks: 1.0f true, 0.0f false; a logic input is true when non-zero. */
static float ws_f_equal(float a, float b) { return a == b ? 1.0f : 0.0f; }
static float ws_f_less(float a, float b) { return a < b ? 1.0f : 0.0f; }
static float ws_f_greater(float a, float b) { return a > b ? 1.0f : 0.0f; }
static float ws_f_less_or_equal(float a, float b) { return a <= b ? 1.0f : 0.0f; }
static float ws_f_greater_or_equal(float a, float b) { return a >= b ? 1.0f : 0.0f; }
static float ws_f_and(float a, float b) { return (a != 0.0f && b != 0.0f) ? 1.0f : 0.0f; }
static float ws_f_or(float a, float b) { return (a != 0.0f || b != 0.0f) ? 1.0f : 0.0f; }
static float ws_f_xor(float a, float b) { return ((a != 0.0f) != (b != 0.0f)) ? 1.0f : 0.0f; }

#ifndef WS_SMALL
#define WS_BINARY_UNIT(NAME, A, B)                                                                                  \
    static void NAME(ws_opcode op, A, B, float *y, uint32_t n) {                                                    \
        uint32_t i;                                                                                                 \
        (void)a, (void)b, (void)y, (void)n, (void)i;                                                                \
        switch (op) {                                                                                               \
            WS_OP_LIST(WS_BINARY_UNIT_CASE)                                                                         \
        default:                                                                                                    \
            break;                                                                                                  \
        }                                                                                                           \
    }
#define WS_BINARY_UNIT_CASE(name, Camel, code, min_in, max_in, min_out, max_out, options, req, inplace, shared,    \
                            shape, kernel, fn)                                                                      \
    WS_IF_BUILT(name)(WS_IF_KERNEL(kernel, BINARY)(                                                                 \
        case WS_OP_##name: for (i = 0; i < n; i++) y[i] = fn(A_AT(i), B_AT(i)); break;))
#define A_AT(i) a[i]
#define B_AT(i) b[i]
WS_BINARY_UNIT(binary_unit, const float *a, const float *b)
#undef B_AT
#define B_AT(i) b
WS_BINARY_UNIT(binary_scalar_b, const float *a, float b)
#undef A_AT
#undef B_AT
#define A_AT(i) a
#define B_AT(i) b[i]
WS_BINARY_UNIT(binary_scalar_a, float a, const float *b)
#undef A_AT
#undef B_AT
#undef WS_BINARY_UNIT_CASE
#undef WS_BINARY_UNIT
#endif

/* One line of the output; the op is chosen once per line so the inner loops stay simple. */
static void binary_line(ws_opcode op, const float *a, uint32_t sa, const float *b, uint32_t sb, float *y,
                        uint32_t n) {
    uint32_t i;
    /* Output element i reads only a[i * sa] / b[i * sb], never an element written before: in-place safe. */
    (void)a, (void)sa, (void)b, (void)sb, (void)y, (void)n, (void)i; /* unused when no BINARY row is built */
#ifndef WS_SMALL
    /* Contiguous operands, or one of them a scalar (the common Add/Mul of a bias or a gate): loops with constant
     * strides that compilers vectorise; the same arithmetic per element. */
    if (sa <= 1u && sb <= 1u && (sa | sb)) {
        if (sa == 1u && sb == 1u) binary_unit(op, a, b, y, n);
        else if (sa == 1u) binary_scalar_b(op, a, b[0], y, n);
        else binary_scalar_a(op, a[0], b, y, n);
        return;
    }
#endif
    switch (op) {
#define WS_BINARY_CASE(name, Camel, code, min_in, max_in, min_out, max_out, options, req, inplace, shared, shape, \
                       kernel, fn)                                                                            \
    WS_IF_BUILT(name)(WS_IF_KERNEL(kernel, BINARY)(                                                     \
        case WS_OP_##name: for (i = 0; i < n; i++) y[i] = fn(a[i * sa], b[i * sb]); break;))
        WS_OP_LIST(WS_BINARY_CASE)
#undef WS_BINARY_CASE
    default:
        break;
    }
}

void ws_binary_f32(ws_opcode op, const float *a, const float *b, const ws_broadcast *bc, float *y) {
    uint32_t idx[WS_MAX_RANK] = {0};
    uint32_t inner, sa, sb, outer = 1, o, i, ao = 0, bo = 0;
    int d;
    if (bc->rank == 0) {
        binary_line(op, a, 0, b, 0, y, 1);
        return;
    }
    inner = bc->shape[bc->rank - 1u];
    sa = bc->a_stride[bc->rank - 1u];
    sb = bc->b_stride[bc->rank - 1u];
    for (i = 0; i + 1u < bc->rank; i++) outer *= bc->shape[i];
    for (o = 0; o < outer; o++) {
        binary_line(op, a + ao, sa, b + bo, sb, y, inner);
        y += inner;
        /* Odometer over the outer dimensions. */
        for (d = (int)bc->rank - 2; d >= 0; d--) {
            ao += bc->a_stride[d];
            bo += bc->b_stride[d];
            if (++idx[d] < bc->shape[d]) break;
            ao -= bc->a_stride[d] * bc->shape[d];
            bo -= bc->b_stride[d] * bc->shape[d];
            idx[d] = 0;
        }
    }
}

void ws_where_f32(const float *c, const float *a, const float *b, const uint32_t *shape, uint32_t rank,
                  const uint32_t (*strides)[WS_MAX_RANK], float *y) {
    uint32_t idx[WS_MAX_RANK] = {0};
    uint32_t co = 0, ao = 0, bo = 0, n = 1, e, i;
    int d;
    for (i = 0; i < rank; i++) n *= shape[i];
    /* Element e reads c/a/b at offsets that are e itself for an input of Y's shape: in-place safe. */
    for (e = 0; e < n; e++) {
        y[e] = c[co] != 0.0f ? a[ao] : b[bo];
        for (d = (int)rank - 1; d >= 0; d--) {
            co += strides[0][d];
            ao += strides[1][d];
            bo += strides[2][d];
            if (++idx[d] < shape[d]) break;
            co -= strides[0][d] * shape[d];
            ao -= strides[1][d] * shape[d];
            bo -= strides[2][d] * shape[d];
            idx[d] = 0;
        }
    }
}
