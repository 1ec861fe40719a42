/*
 * WeightShare runtime — the whole public API.
 *
 * Portable C99. No heap, no printf, no global state: the caller owns the model buffer (usually in flash)
 * and the activation arena. Phases: ws_model_load() verifies the buffer once (layout, bounds, operator
 * arity, shapes, arena fit, every index < codebook size, CRC); afterwards every other function trusts it.
 * A loaded ws_model is read-only, so several threads may call ws_invoke() on one model with separate arenas.
 *
 * Format: Runtime/schema/wsm.fbs. Little-endian targets only (checked at compile time where possible).
 */
#ifndef WS_RUNTIME_H
#define WS_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Highest container layout version this runtime reads. */
#define WS_FORMAT_VERSION 1u
/** Feature bit: some shared tensor carries an exact-outlier table (Tensor.outlier_positions/values). Runtimes
 *  before it would ignore the table and compute with the codebook value instead. */
#define WS_FEATURE_OUTLIERS (1u << 0)
/** Feature bit: some Conv/ConvTranspose/Gemm epilogue scale S has one element that scales every output channel
 *  (per-tensor weight normalisation). Runtimes before it reject such an S as a shape error. */
#define WS_FEATURE_SCALAR_SCALE (1u << 1)
/** Feature bits (Model.required_features) this runtime understands. */
#define WS_KNOWN_FEATURES (WS_FEATURE_OUTLIERS | WS_FEATURE_SCALAR_SCALE)
/** Largest tensor rank. */
#define WS_MAX_RANK 6u
/** Alignment the model buffer and the arena must have, in bytes. */
#define WS_ALIGNMENT 4u

/* Status codes: 0 is success, negative values are errors. One list yields the enum and the strings. */
#define WS_STATUS_LIST(X)                                                                     \
    X(WS_OK, 0, "ok")                                                                         \
    X(WS_ERR_ARGUMENT, -1, "invalid argument (null pointer or out-of-range index)")           \
    X(WS_ERR_ALIGNMENT, -2, "buffer or arena not aligned to WS_ALIGNMENT")                    \
    X(WS_ERR_TRUNCATED, -3, "buffer too small or an offset points outside it")                \
    X(WS_ERR_IDENTIFIER, -4, "file identifier is not WSM1")                                   \
    X(WS_ERR_VERSION, -5, "format version newer than this runtime")                           \
    X(WS_ERR_FEATURE, -6, "file requires a feature this runtime does not know")               \
    X(WS_ERR_CRC, -7, "CRC-32 mismatch: the file is corrupted")                              \
    X(WS_ERR_LAYOUT, -8, "malformed FlatBuffer table, vector or string")                      \
    X(WS_ERR_CODEBOOK, -9, "codebook empty, not finite or not sorted ascending")              \
    X(WS_ERR_STREAM, -10, "index stream malformed (encoding, bit width, size or padding)")   \
    X(WS_ERR_INDEX_RANGE, -11, "an index is not smaller than the codebook size")              \
    X(WS_ERR_TENSOR, -12, "tensor malformed (rank, shape, kind or data size)")                \
    X(WS_ERR_OPERATOR, -13, "operator malformed (opcode, arity, tensor kinds or options)")   \
    X(WS_ERR_SHAPE, -14, "operator shapes do not agree")                                      \
    X(WS_ERR_ARENA, -15, "activation outside the arena, misaligned, or arena too small")     \
    X(WS_ERR_GRAPH, -16, "graph inputs/outputs invalid or a tensor is read before written")

typedef enum {
#define WS_STATUS_ENUM(name, value, text) name = value,
    WS_STATUS_LIST(WS_STATUS_ENUM)
#undef WS_STATUS_ENUM
} ws_status;

/** A static message for a status code ("unknown status" for other values). */
const char *ws_status_string(ws_status status);

/** Tensor kinds, as in the schema. */
typedef enum { WS_TENSOR_ACTIVATION = 0, WS_TENSOR_RAW = 1, WS_TENSOR_SHARED = 2 } ws_tensor_kind;

/**
 * Operator codes, as in the schema. Inputs in order ("?" = optional, -1 when absent); every operator has one
 * output Y, an activation. NCHW layout; "spatial" ops work on the two trailing dims (1-D data is stored with H = 1).
 * Shared (codebook) tensors may only be the weight inputs marked [w]; everything else is activation or raw.
 * Ops marked (in place) may write exactly over an input of the same size; no other overlap is accepted.
 * The options table named for ops 6..25 is required (WS_ERR_OPERATOR otherwise). ConvOptions/PoolOptions vectors:
 * absent = defaults (strides 1, dilations 1, pads 0), else exactly 2 entries (pads 4: top, left, bottom, right);
 * strides, dilations, kernel sizes >= 1 and every value <= 65535. Output shapes are recomputed and must match.
 */
typedef enum {
    WS_OP_GEMM = 0,      /* A[w], B[w], C?, S? [N]: Y = alpha·op(A)·op(B)·diag(S) + beta·C (GemmOptions) */
    WS_OP_MATMUL = 1,    /* A[w] [..., M, K], B[w] [..., K, N] -> Y [..., M, N], NumPy matmul: batch dims broadcast;
                            a rank-1 A is [1, K], a rank-1 B [K, 1], that 1 left out of Y */
    WS_OP_ADD = 2,       /* A, B, NumPy broadcasting (in place) */
    WS_OP_RELU = 3,      /* X (in place) */
    WS_OP_SOFTMAX = 4,   /* X, SoftmaxOptions axis < rank (in place) */
    WS_OP_RESHAPE = 5,   /* X, same element count (in place) */
    WS_OP_CONV = 6,      /* X [N,C,H,W], W[w] [M,C/g,kH,kW], B? [M], S? [M]; ConvOptions; g divides C and M */
    WS_OP_CONV_TRANSPOSE = 7, /* X [N,C,H,W], W[w] [C,M/g,kH,kW], B? [M], S? [M]; ConvOptions (output_padding <
                                 stride or dilation); Y [N,M,(H-1)s+(k-1)d+1+op-pb-pe, ...] */
    WS_OP_MAX_POOL = 8,  /* X [N,C,H,W]; PoolOptions (kernel required); output = floor or ceil of the formula */
    WS_OP_AVERAGE_POOL = 9, /* as MaxPool; count_include_pad divides by the window clipped to the padded input */
    WS_OP_GLOBAL_AVERAGE_POOL = 10, /* X [N,C,H,W] -> Y [N,C,1,1] (any rank >= 3: trailing dims become 1) */
    WS_OP_SUB = 11,      /* A, B, broadcasting (in place) */
    WS_OP_MUL = 12,      /* A, B, broadcasting (in place) */
    WS_OP_DIV = 13,      /* A, B, broadcasting (in place) */
    WS_OP_CLIP = 14,     /* X; ActivationOptions alpha = min, beta = max (required) (in place) */
    WS_OP_LEAKY_RELU = 15, /* X; ActivationOptions alpha (required) (in place) */
    WS_OP_PRELU = 16,    /* X, slope unidirectionally broadcast to X (in place over X) */
    WS_OP_SIGMOID = 17,  /* X (in place) */
    WS_OP_TANH = 18,     /* X (in place) */
    WS_OP_HARD_SIGMOID = 19, /* X; ActivationOptions alpha, beta (required) (in place) */
    WS_OP_HARD_SWISH = 20,   /* X (in place) */
    WS_OP_CONCAT = 21,   /* X1..Xn (n >= 1), same rank, equal dims except AxisOptions.axis < rank */
    WS_OP_TRANSPOSE = 22, /* X; TransposeOptions.perm a permutation of 0..rank-1 */
    WS_OP_PAD = 23,      /* X; PadOptions pads (2·rank: begins, then ends), mode constant/reflect/edge;
                            reflect needs pad < dim on each side */
    WS_OP_RESIZE = 24,   /* X rank >= 2; ResizeOptions; leading dims unchanged, trailing two resampled;
                            scales: absent or one per dim (> 0) */
    WS_OP_CHANNEL_AFFINE = 25 /* X rank >= 2, scale [C], shift [C]: y = x·scale[c] + shift[c] (in place) */
} ws_opcode;

/** Number of operator inputs copied into ws_operator_info (Concat may have more: ws_model_operator_input). */
#define WS_OPERATOR_INFO_INPUTS 8u

/**
 * A verified model. Filled by ws_model_load(); treat the fields as private. It points into the caller's
 * buffer, which must outlive it and stay unchanged.
 */
typedef struct {
    const uint8_t *buf;
    uint32_t len;
    uint32_t root;           /* offset of the Model table */
    uint32_t tensors;        /* offset of the first element of Model.tensors (a vector of uoffsets) */
    uint32_t num_tensors;
    uint32_t operators;      /* offset of the first element of Model.operators */
    uint32_t num_operators;
    uint32_t inputs;         /* offset of the first element of Model.inputs (int32) */
    uint32_t num_inputs;
    uint32_t outputs;        /* offset of the first element of Model.outputs (int32) */
    uint32_t num_outputs;
    uint32_t codebook;       /* offset of the first float of Model.codebook */
    uint32_t codebook_size;
    uint32_t stream;         /* offset of the first byte of IndexStream.data */
    uint32_t stream_bytes;
    uint32_t index_count;
    uint32_t bit_width;
    uint32_t arena_bytes;
    uint32_t metadata;       /* offset of the Metadata table, 0 when absent */
    uint64_t features;       /* Model.required_features */
} ws_model;

/**
 * Verifies `buf` as a .wsm model and fills `model`.
 * @param buf  the file's bytes, aligned to WS_ALIGNMENT; must stay valid and unchanged while `model` is used.
 * @param len  byte length; must be < 2^31.
 * @return WS_OK, or the first problem found (any WS_ERR_*). On error `model` is zeroed.
 */
ws_status ws_model_load(ws_model *model, const void *buf, size_t len);

/** Arena bytes ws_invoke() needs. */
uint32_t ws_model_arena_bytes(const ws_model *model);

uint32_t ws_model_num_tensors(const ws_model *model);
uint32_t ws_model_num_operators(const ws_model *model);
uint32_t ws_model_num_inputs(const ws_model *model);
uint32_t ws_model_num_outputs(const ws_model *model);
/** Tensor index of graph input/output `i`, or -1 when `i` is out of range. */
int32_t ws_model_input(const ws_model *model, uint32_t i);
int32_t ws_model_output(const ws_model *model, uint32_t i);

/** Everything known about one tensor. Strings point into the model buffer and are NUL-terminated. */
typedef struct {
    const char *name;       /* "" when absent */
    ws_tensor_kind kind;
    uint32_t rank;
    uint32_t shape[WS_MAX_RANK];
    uint32_t elements;      /* product of shape (1 for rank 0) */
    uint32_t arena_offset;  /* activations */
    uint32_t index_offset;  /* shared constants: first element in the index stream */
    const float *raw;       /* raw constants, NULL otherwise */
    /* Shared constants: elements stored exactly (positions strictly ascending, < elements); 0 / NULL if none. */
    uint32_t num_outliers;
    const uint32_t *outlier_positions;
    const float *outlier_values;
} ws_tensor_info;

/** Fills `info` for tensor `t`. Returns WS_ERR_ARGUMENT for a bad index or null pointer. */
ws_status ws_model_tensor(const ws_model *model, uint32_t t, ws_tensor_info *info);

/** Operator `o`: its code, its input/output counts and tensor indices (-1 = absent optional input or beyond the
 * counts). */
typedef struct {
    ws_opcode opcode;
    const char *name;
    uint32_t num_inputs;
    uint32_t num_outputs;
    int32_t inputs[WS_OPERATOR_INFO_INPUTS]; /* the first WS_OPERATOR_INFO_INPUTS inputs */
    int32_t outputs[2];
} ws_operator_info;
ws_status ws_model_operator(const ws_model *model, uint32_t o, ws_operator_info *info);

/** Tensor index of input `i` of operator `o` (any i < num_inputs; -1 when absent or out of range). */
int32_t ws_model_operator_input(const ws_model *model, uint32_t o, uint32_t i);

/** The codebook (sorted ascending) and its size. */
const float *ws_model_codebook(const ws_model *model, uint32_t *size);

/** Index stream facts: bit width (0 when the model has no shared tensors), count, packed bytes. */
typedef struct {
    uint32_t encoding;
    uint32_t bit_width;
    uint32_t count;
    uint32_t bytes;         /* length of IndexStream.data, padding included */
} ws_stream_info;
void ws_model_stream(const ws_model *model, ws_stream_info *info);

/** Metadata; strings are "" and numbers 0 when absent. */
typedef struct {
    uint32_t format_version;
    uint64_t required_features; /* WS_FEATURE_* bits the file declares */
    const char *tool_version;
    const char *source_sha256;
    const char *source_name;
    const char *metric;
    const char *solution_json;
    uint32_t k;
    uint32_t m;
    uint64_t seed;
    double score;
    double float_score;
} ws_metadata;
void ws_model_metadata(const ws_model *model, ws_metadata *meta);

/** Index `i` of the stream (i < count); decodes fixed-width indices. */
uint32_t ws_model_index(const ws_model *model, uint32_t i);

/**
 * Writes the values of constant tensor `t` (raw or shared, decoded through the codebook) to `out`.
 * @param capacity number of floats `out` holds; must be >= the tensor's elements.
 * @return WS_OK, WS_ERR_ARGUMENT (bad index, activation tensor, null or short `out`).
 */
ws_status ws_tensor_decode(const ws_model *model, uint32_t t, float *out, uint32_t capacity);

/** Pointer to activation tensor `t` inside `arena`, NULL for a non-activation or bad index. */
float *ws_tensor_data(const ws_model *model, uint32_t t, void *arena);

/**
 * Runs every operator in order. The caller has written the graph inputs into the arena
 * (ws_tensor_data(model, ws_model_input(model, i), arena)) and reads the outputs the same way.
 * @param arena      WS_ALIGNMENT-aligned memory of at least ws_model_arena_bytes() bytes.
 * @param arena_len  its size in bytes.
 * @return WS_OK, WS_ERR_ARGUMENT, WS_ERR_ALIGNMENT or WS_ERR_ARENA (too small). Never fails otherwise.
 */
ws_status ws_invoke(const ws_model *model, void *arena, size_t arena_len);

/**
 * As ws_invoke(), but runs only the first `num_operators` operators (all of them when it is larger). Every tensor
 * still live after them (what they wrote, the inputs of operator num_operators) can then be read with
 * ws_tensor_data(); later tensors are not written. For host tools that look at intermediate values (the compiler's
 * bias calibration and error compensation); a board calls ws_invoke().
 */
ws_status ws_invoke_partial(const ws_model *model, void *arena, size_t arena_len, uint32_t num_operators);

/** CRC-32 (IEEE, reflected) of `len` bytes, continuing from `crc` (start with 0). */
uint32_t ws_crc32(uint32_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* WS_RUNTIME_H */
