/*
 * Batched host kernels for the compiler's search evaluator: one operator of a verified model run over the arenas
 * of many samples at once, its weight decoded once (by the caller, ws_tensor_decode) and its products on an
 * optimised BLAS (im2col + sgemm for Conv, Wᵀ·X for ConvTranspose; stacked rows for Gemm and MatMul; direct row
 * loops for depthwise Conv). Host only: they use the heap-backed workspace the caller passes and OpenBLAS; the
 * board runtime (Runtime/) never links them. The C
 * runtime's kernels stay the reference: results agree with them to float rounding, not bit for bit.
 */
#ifndef WS_HOST_KERNELS_H
#define WS_HOST_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "ws_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a batched kernel needs before it runs: the constant weight tensor to decode and workspace sizes. */
/** The batched kernel of a planned operator. */
typedef enum {
    WS_HOST_CONV = 1,
    WS_HOST_GEMM = 2,
    WS_HOST_MATMUL = 3,
    WS_HOST_MAX_POOL = 4,
    WS_HOST_DEPTHWISE = 5,
    WS_HOST_CONV_TRANSPOSE = 6
} ws_host_kernel;

typedef struct {
    ws_host_kernel kernel;
    ws_tensor_id weight;     /* the operator's constant weight (decode it once per model with ws_tensor_decode);
                                WS_NO_TENSOR for a kernel without one (MaxPool) */
    uint32_t weight_elements;
    uint32_t images;         /* images (or row blocks) per sample: the model's batch dimension for Conv, 1 otherwise */
    size_t work_per_image;   /* workspace floats per image batched into one product */
    size_t work_fixed;       /* workspace floats needed whatever the batch */
} ws_host_plan;

/**
 * Fills `plan` and returns 1 when operator `o` of the verified `model` has a batched kernel here: a Conv whose
 * groups have at least 4 output channels each, a depthwise Conv (one output channel per input channel), a
 * ConvTranspose with one group, a Gemm with an activation A and constant B (and C, S constant or
 * absent), a MatMul of an activation by a constant 2-D B, or a 2-D MaxPool (exactly the runtime's results: windows
 * found once per row and column). Returns 0 otherwise (the caller runs the operator with ws_invoke_operators on
 * each arena).
 */
int ws_host_plan_operator(const ws_model *model, uint32_t o, ws_host_plan *plan);

/** Workspace floats ws_host_run_operator needs to batch `batch` images (at least 1) of a planned operator. */
size_t ws_host_workspace(const ws_host_plan *plan, uint32_t batch);

/**
 * Runs planned operator `o` on each of the `count` arenas (each WS_ALIGNMENT-aligned, of ws_model_arena_bytes(),
 * holding the operator's inputs), `batch` images per product. `weight` holds the decoded weight
 * (plan->weight_elements floats; may be NULL without one); `work` at least ws_host_workspace(plan, batch) floats.
 * @return WS_OK, or WS_ERR_ARGUMENT for a null pointer, an operator without a plan or a short workspace.
 */
ws_status ws_host_run_operator(const ws_model *model, uint32_t o, const ws_host_plan *plan, void *const *arenas,
                               uint32_t count, const float *weight, uint32_t batch, float *work, size_t work_floats);

/**
 * Error-compensated assignment (GPTQ's sweep, see the compiler's ErrorCompensation.swift) of `rows` rows that share
 * one factor. `w` holds their targets column-major (w[j * ld + r]: column j of row r, ld >= rows; `fixed`,
 * `fixed_values` and `indices` are laid out alike) and is overwritten; `upper`
 * is the d × d upper factor, row-major; `codebook` holds `m` ascending values. Where fixed[j * ld + r] is nonzero
 * the weight is exact (fixed_values[j * ld + r]) and its entry of `indices` is left as it is; every other entry
 * of `indices` gets its codebook index. Column after column, each error (w − q) / upper[j][j] is spread over the
 * later columns as w[k] −= error · upper[j][k]: inside blocks of 64 columns one column at a time, and from a block to
 * the columns after it in one dgemm (GPTQ's lazy batch updates), so a later column receives the same terms summed
 * in another order (float rounding; the indices match the one-row sweep's unless a value lies on a tie).
 */
void ws_host_compensate_rows(const double *upper, uint32_t d, double *w, uint32_t rows, size_t ld,
                             const float *codebook, uint32_t m, const uint8_t *fixed, const float *fixed_values,
                             uint32_t *indices);

/**
 * h += v vᵀ, upper triangle only (h is d × d, row-major), over the nonzero entries of v (activations after ReLU are
 * mostly zero); `nonzero` is scratch for d indices. The products are added in the order of the compiler's Swift
 * definition (row i ascending, then column j >= i ascending), so the sums are the same.
 */
void ws_host_gram_add(const double *v, uint32_t d, uint32_t *nonzero, double *h);

/** Threads the BLAS may use (0: its default, every core). */
void ws_host_set_threads(int threads);

#ifdef __cplusplus
}
#endif

#endif /* WS_HOST_KERNELS_H */
