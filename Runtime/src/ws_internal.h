/* Internal model reads and the verifier's second half, shared by ws_model.c, ws_verify*.c and ws_invoke.c. */
#ifndef WS_INTERNAL_H
#define WS_INTERNAL_H

#include "ws_runtime.h"

/* Returns the first error from a sequence of checks. */
#define WS_TRY(expr)                              \
    do {                                          \
        ws_status ws_try_status_ = (expr);        \
        if (ws_try_status_ != WS_OK) return ws_try_status_; \
    } while (0)

/* One operator with its options resolved (schema defaults when the options table is absent). */
typedef struct {
    ws_operator_info info; /* counts are the stored ones; at most 4 inputs / 2 outputs are copied */
    uint32_t options_type; /* WS_OPTIONS_* */
    float alpha;           /* Gemm */
    float beta;
    int trans_a;
    int trans_b;
    uint32_t axis;         /* Softmax */
    int coerce_2d;
} ws_op;

/*
 * Trusted reads of a model whose layout is verified (they are used by ws_verify_graph() before the semantic
 * checks, so they never assume more than the layout): a rank above WS_MAX_RANK is reported as stored with only
 * the first WS_MAX_RANK dimensions copied, and `elements` may wrap for such unchecked shapes.
 */
void ws_read_tensor(const ws_model *m, uint32_t t, ws_tensor_info *info);
void ws_read_operator(const ws_model *m, uint32_t o, ws_op *op);

/* Tensor index of output 0 of operator `o` (every verified operator has exactly one output). */
int32_t ws_read_op_output(const ws_model *m, uint32_t o);

/*
 * Second half of ws_model_load(): codebook, index stream, tensors, operators, shapes, arena and graph checks on
 * a layout-verified model. Fills m->bit_width and m->index_count.
 */
ws_status ws_verify_graph(ws_model *m);

#endif /* WS_INTERNAL_H */
