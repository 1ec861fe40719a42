/* Internal model reads and the verifier's second half, shared by ws_model.c, ws_verify*.c and ws_invoke.c. */
#ifndef WS_INTERNAL_H
#define WS_INTERNAL_H

#include "ws_kernels.h"
#include "ws_runtime.h"

/* Returns the first error from a sequence of checks. */
#define WS_TRY(expr)                              \
    do {                                          \
        ws_status ws_try_status_ = (expr);        \
        if (ws_try_status_ != WS_OK) return ws_try_status_; \
    } while (0)

/* One operator with its options resolved (schema defaults when the options table is absent). Option vectors
 * keep their stored length in n_*; only the first entries (as many as fit) are copied, the verifier refuses
 * other lengths. Absent vectors have length 0. */
typedef struct {
    ws_operator_info info; /* counts are the stored ones; the first inputs / outputs are copied */
    uint32_t options_type; /* WS_OPTIONS_*; follows info: ws_read_operator zeroes from here up to `kernel` */
    int has_options;       /* an options table is present */
    float alpha;           /* Gemm; ActivationOptions */
    float beta;
    int trans_a;
    int trans_b;
    uint32_t axis;         /* Softmax, LogSoftmax, Concat, LayerNormalization, Gather */
    int coerce_2d;
    /* Conv, ConvTranspose, MaxPool, AveragePool (their vectors below) */
    uint32_t group;
    int count_include_pad;
    uint32_t n_kernel, n_strides, n_dilations, n_pads, n_output_padding;
    /* Transpose (perm), Pad (mode, pads: begins then ends, value), Resize (mode, coord, nearest, scales), Reduce
     * (mode, axes), Slice (starts): n_vec entries of vec (scales for Resize) */
    uint32_t n_vec;
    uint32_t mode;
    uint32_t coord;
    uint32_t nearest;
    float value;
    int keepdims;          /* Reduce */
    float epsilon;         /* LayerNormalization */
    uint32_t n_steps;      /* Slice: steps stored (every entry of steps is 1 when absent) */
    /* Gather: axis in axis; the stored indices (4-aligned uint32 in the model buffer), NULL when absent */
    uint32_t n_indices;
    const uint32_t *indices;
    uint32_t direction;    /* Lstm, Gru, Rnn: WS_RECURRENT_DIRECTION_*, layout 0/1, linear_before_reset */
    uint32_t layout;
    int linear_before_reset;
    /* The vectors, last: each is written whole (entries past the stored count 0) by the options type that has it,
     * and left unset otherwise — none is read without its options (every reader goes by the counts above, and the
     * verifier refuses an options table of another type): not zeroing them saved ~65 Cortex-M4 instructions per
     * operator per inference (267 on the 3-bit digits MLP). steps is always set. */
    uint32_t kernel[2], strides[2], dilations[2], pads[4], output_padding[2];
    uint32_t vec[2u * WS_MAX_RANK];
    float scales[WS_MAX_RANK];
    int32_t steps[WS_MAX_RANK];
} ws_op;

/*
 * Trusted reads of a model whose layout is verified (they are used by ws_verify_graph() before the semantic
 * checks, so they never assume more than the layout): a rank above WS_MAX_RANK is reported as stored with only
 * the first WS_MAX_RANK dimensions copied, and `elements` may wrap for such unchecked shapes.
 */
void ws_read_tensor(const ws_model *m, uint32_t t, ws_tensor_info *info);
/* As ws_read_tensor, only what the kernels read for the tensor's kind (no name; see read_tensor in ws_model.c):
 * what ws_invoke reads for every operand of every inference. */
void ws_read_tensor_facts(const ws_model *m, uint32_t t, ws_tensor_info *info);
void ws_read_operator(const ws_model *m, uint32_t o, ws_op *op);
/* As ws_read_operator without the name (""): what ws_invoke reads for every operator of every inference. */
void ws_read_operator_facts(const ws_model *m, uint32_t o, ws_op *op);

/* Opcode of operator `o`; arena offset of tensor `t` (an activation's). */
ws_opcode ws_read_opcode(const ws_model *m, uint32_t o);
uint32_t ws_read_arena_offset(const ws_model *m, uint32_t t);

/* Tensor index of input `i` (< stored count) of operator `o`. */
ws_tensor_id ws_read_op_input(const ws_model *m, uint32_t o, uint32_t i);

/* Tensor index of output `i` of operator `o` (-1 when absent or i >= the stored count). */
ws_tensor_id ws_read_op_output(const ws_model *m, uint32_t o, uint32_t i);

/* Geometry of a verified Conv/ConvTranspose/pool: X [N,C,H,W], Y [N,M,OH,OW], kernel kh x kw, options with
 * their defaults (strides and dilations 1, pads 0, group 1). bias and scale are left NULL. */
void ws_op_conv_params(const ws_op *op, const ws_tensor_info *x, const ws_tensor_info *y, uint32_t kh, uint32_t kw,
                       ws_conv_params *p);

/* Sizes of a Lstm/Gru/Rnn from its options, X's shape and R's shape [D, gates·H, H] (cell, seq, batch, input,
 * hidden, directions, reverse, layout, linear_before_reset; the pointers are left NULL). */
void ws_recurrent_dims(const ws_op *op, const uint32_t *x_shape, const uint32_t *r_shape, ws_recurrent_params *p);

/*
 * Second half of ws_model_load(): codebook, index stream, tensors, operators, shapes, arena and graph checks on
 * a layout-verified model. Fills m->bit_width and m->index_count, and on failure the fields of `err` (not NULL)
 * that apply (the caller sets them all to -1 first). `scratch` (may be NULL) is used for linear-time data-flow
 * checks when it holds WS_VERIFY_SCRATCH_BYTES(m->num_tensors) bytes; the results are the same either way.
 */
ws_status ws_verify_graph(ws_model *m, void *scratch, size_t scratch_len, ws_load_error *err);

#endif /* WS_INTERNAL_H */
