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
/** Feature bit: the index stream has a Huffman code table (IndexStream.code_lengths) and some shared tensors store
 *  their indices Huffman-coded (Tensor.index_encoding). Runtimes before it would read the codes as fixed-width
 *  indices; they refuse the file with WS_ERR_FEATURE instead. */
#define WS_FEATURE_HUFFMAN (1u << 2)
/** Feature bit: some raw tensor stores its values as IEEE 754 binary16 (Tensor.raw_half), only as the bias C or the
 *  epilogue scale S of a Gemm, Conv or ConvTranspose. Runtimes before it would find no values; they refuse the file
 *  with WS_ERR_FEATURE instead. */
#define WS_FEATURE_HALF_RAW (1u << 3)
/** Feature bits (Model.required_features) this runtime understands. */
#define WS_KNOWN_FEATURES (WS_FEATURE_OUTLIERS | WS_FEATURE_SCALAR_SCALE | WS_FEATURE_HUFFMAN | WS_FEATURE_HALF_RAW)
/** Huffman-coded indices (WS_FEATURE_HUFFMAN): longest code, and largest codebook a code table may cover. */
#define WS_HUFFMAN_MAX_LENGTH 12u
#define WS_HUFFMAN_MAX_SYMBOLS 256u
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
    X(WS_ERR_GRAPH, -16, "graph inputs/outputs invalid or a tensor is read before written")  \
    X(WS_ERR_OP_NOT_BUILT, -17, "operator not built into this runtime (its op set leaves it out)")

typedef enum {
#define WS_STATUS_ENUM(name, value, text) name = value,
    WS_STATUS_LIST(WS_STATUS_ENUM)
#undef WS_STATUS_ENUM
} ws_status;

/** A static message for a status code ("unknown status" for other values). */
const char *ws_status_string(ws_status status);

/** Tensor kinds, as in the schema. */
typedef enum { WS_TENSOR_ACTIVATION = 0, WS_TENSOR_RAW = 1, WS_TENSOR_SHARED = 2 } ws_tensor_kind;

/*
 * The operator table: one row per opcode, in code order. Everything the C runtime knows about an operator that
 * is not its kernel's arithmetic is here; the opcode enum, ws_opcode_name(), the verifier's arity / options /
 * in-place / shared-weight tables and shape-rule dispatch, and ws_invoke()'s dispatch are all generated from it,
 * and Sources/WSMFlatBuffers/wsm_builder.cpp checks at compile time that every row's code is the schema's
 * (ws.fb.OpCode::<Camel>, Runtime/schema/wsm.fbs). Columns:
 *
 *   name     C suffix: WS_OP_<name>
 *   Camel    the schema's OpCode name; ws_opcode_name() returns it as text
 *   code     the value (never renumbered: codes are the file format)
 *   min,max  input count; inputs min..max-1 are optional (-1 when absent); max 0 = unbounded, none optional
 *   omin,omax  output count, the same way: outputs omin..omax-1 are optional (-1 when absent, or left out at the
 *            end) and are then not written. Every present output is an activation that no other output and no
 *            activation input overlaps (except in place, below). A multi-output operator's outputs are checked
 *            one by one (kind, shape, aliasing, written once); a "workspace" output is arena memory the kernel
 *            uses while it runs (planned by the compiler like any output, contents unspecified afterwards)
 *   options  the OperatorOptions member accepted (NONE, GEMM, SOFTMAX, CONV, POOL, ACTIVATION, AXIS, TRANSPOSE,
 *            PAD, RESIZE, REDUCE, LAYER_NORM, SLICE, GATHER, RECURRENT: WS_OPTIONS_<options> of ws_schema.h)
 *   req      1: the options table is required (WS_ERR_OPERATOR without it)
 *   inplace  1: element-wise; the output may be planned exactly over an activation input of the same size
 *   shared   bitmask of the inputs that may be shared (codebook) tensors, the weight operands [w]
 *   shape    shape rule of the verifier (ws_verify_graph.c, shape_<rule>): SAME (Y has X's shape), BROADCAST
 *            (NumPy), UNIDIRECTIONAL (input 1 broadcast to X), ELEMENTS (same element count), GEMM, MATMUL, SOFTMAX,
 *            CONV, CONV_TRANSPOSE, POOL, GLOBAL_POOL, CHANNEL_AFFINE, CONCAT, TRANSPOSE, PAD, RESIZE, WHERE (A, B
 *            and the condition broadcast together), REDUCE, LAYER_NORM, SLICE, GATHER, TILE, RECURRENT (Lstm, Gru,
 *            Rnn)
 *   kernel   kernel family (ws_invoke.c, WS_RUN_<kernel>): UNARY, ACTIVATION and BINARY are generic element-wise
 *            kernels driven by `fn`; the others name their own kernel
 *   fn       UNARY: y = fn(x) (a float function, e.g. tanhf); ACTIVATION: y = fn(x, alpha, beta) with
 *            ActivationOptions; BINARY: y = fn(a, b) over the broadcast walker; "-" for the other kernels
 *
 * Inputs in the comments: "?" = optional, [w] = may be shared. Most operators have one output Y, an activation;
 * the recurrent ones (Lstm, Gru, Rnn) have several ("->" lists them).
 * NCHW layout; "spatial" ops work on the two trailing dims (1-D data is stored with H = 1). ConvOptions/PoolOptions
 * vectors: absent = defaults (strides 1, dilations 1, pads 0), else exactly 2 entries (pads 4: top, left, bottom,
 * right); strides, dilations, kernel sizes >= 1 and every value <= 65535. Output shapes are recomputed and must
 * match. An element-wise op with no options that applies one libm float function is one row of kernel UNARY: no
 * other C file changes (a function of its own goes next to the ws_f_* of ws_activation.c; see Runtime/README.md,
 * "Adding an operator").
 */
/* clang-format off */
#define WS_OP_LIST(X)                                                                                             \
    /* A[w], B[w], C?, S? [N]: Y = alpha·op(A)·op(B)·diag(S) + beta·C (GemmOptions, optional) */                  \
    X(GEMM, Gemm, 0, 2, 4, 1, 1, GEMM, 0, 0, 0x3, GEMM, GEMM, -)                                                        \
    /* A[w] [..., M, K], B[w] [..., K, N] -> Y [..., M, N], NumPy matmul: batch dims broadcast; a rank-1 A is     \
       [1, K], a rank-1 B [K, 1], that 1 left out of Y */                                                         \
    X(MATMUL, MatMul, 1, 2, 2, 1, 1, NONE, 0, 0, 0x3, MATMUL, MATMUL, -)                                                \
    /* A, B, NumPy broadcasting */                                                                                \
    X(ADD, Add, 2, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, ws_f_add)                                              \
    /* X */                                                                                                       \
    X(RELU, Relu, 3, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, ws_f_relu)                                                 \
    /* X, SoftmaxOptions (optional) axis < rank; coerce_2d: pre-opset-13 semantics */                            \
    X(SOFTMAX, Softmax, 4, 1, 1, 1, 1, SOFTMAX, 0, 1, 0, SOFTMAX, SOFTMAX, -)                                           \
    /* X, same element count (also Flatten, Squeeze, Unsqueeze) */                                               \
    X(RESHAPE, Reshape, 5, 1, 1, 1, 1, NONE, 0, 1, 0, ELEMENTS, RESHAPE, -)                                             \
    /* X [N,C,H,W], W[w] [M,C/g,kH,kW], B? [M], S? [M]; ConvOptions; g divides C and M */                         \
    X(CONV, Conv, 6, 2, 4, 1, 1, CONV, 1, 0, 0x2, CONV, CONV, -)                                                        \
    /* X [N,C,H,W], W[w] [C,M/g,kH,kW], B? [M], S? [M]; ConvOptions (output_padding < stride or dilation);        \
       Y [N,M,(H-1)s+(k-1)d+1+op-pb-pe, ...] */                                                                   \
    X(CONV_TRANSPOSE, ConvTranspose, 7, 2, 4, 1, 1, CONV, 1, 0, 0x2, CONV_TRANSPOSE, CONV_TRANSPOSE, -)                 \
    /* X [N,C,H,W]; PoolOptions (kernel required); output = floor or ceil of the formula */                      \
    X(MAX_POOL, MaxPool, 8, 1, 1, 1, 1, POOL, 1, 0, 0, POOL, MAX_POOL, -)                                               \
    /* as MaxPool; count_include_pad divides by the window clipped to the padded input */                         \
    X(AVERAGE_POOL, AveragePool, 9, 1, 1, 1, 1, POOL, 1, 0, 0, POOL, AVERAGE_POOL, -)                                   \
    /* X [N,C,H,W] -> Y [N,C,1,1] (any rank >= 3: trailing dims become 1) */                                      \
    X(GLOBAL_AVERAGE_POOL, GlobalAveragePool, 10, 1, 1, 1, 1, NONE, 0, 0, 0, GLOBAL_POOL, GLOBAL_AVERAGE_POOL, -)       \
    /* A, B, broadcasting */                                                                                      \
    X(SUB, Sub, 11, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, ws_f_sub)                                             \
    X(MUL, Mul, 12, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, ws_f_mul)                                             \
    X(DIV, Div, 13, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, ws_f_div)                                             \
    /* X; ActivationOptions alpha = min, beta = max */                                                            \
    X(CLIP, Clip, 14, 1, 1, 1, 1, ACTIVATION, 1, 1, 0, SAME, ACTIVATION, ws_f_clip)                                     \
    /* X; ActivationOptions alpha */                                                                              \
    X(LEAKY_RELU, LeakyRelu, 15, 1, 1, 1, 1, ACTIVATION, 1, 1, 0, SAME, ACTIVATION, ws_f_leaky_relu)                    \
    /* X, slope unidirectionally broadcast to X (in place over X) */                                              \
    X(PRELU, PRelu, 16, 2, 2, 1, 1, NONE, 0, 1, 0, UNIDIRECTIONAL, BINARY, ws_f_prelu)                                  \
    /* X */                                                                                                       \
    X(SIGMOID, Sigmoid, 17, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, ws_f_sigmoid)                                       \
    X(TANH, Tanh, 18, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, tanhf)                                                    \
    /* X; ActivationOptions alpha, beta: max(0, min(1, alpha·x + beta)) */                                        \
    X(HARD_SIGMOID, HardSigmoid, 19, 1, 1, 1, 1, ACTIVATION, 1, 1, 0, SAME, ACTIVATION, ws_f_hard_sigmoid)              \
    /* X: x·max(0, min(1, x/6 + 1/2)) */                                                                          \
    X(HARD_SWISH, HardSwish, 20, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, ws_f_hard_swish)                               \
    /* X1..Xn (n >= 1, any n: ws_model_operator_input), same rank, equal dims except AxisOptions.axis < rank */   \
    X(CONCAT, Concat, 21, 1, 0, 1, 1, AXIS, 1, 0, 0, CONCAT, CONCAT, -)                                                 \
    /* X; TransposeOptions.perm a permutation of 0..rank-1 */                                                     \
    X(TRANSPOSE, Transpose, 22, 1, 1, 1, 1, TRANSPOSE, 1, 0, 0, TRANSPOSE, TRANSPOSE, -)                                \
    /* X; PadOptions pads (2·rank: begins, then ends), mode constant/reflect/edge; reflect needs pad < dim */     \
    X(PAD, Pad, 23, 1, 1, 1, 1, PAD, 1, 0, 0, PAD, PAD, -)                                                              \
    /* X rank >= 2; ResizeOptions; leading dims unchanged, trailing two resampled; scales absent or one per       \
       dim (> 0) */                                                                                               \
    X(RESIZE, Resize, 24, 1, 1, 1, 1, RESIZE, 1, 0, 0, RESIZE, RESIZE, -)                                               \
    /* X rank >= 2, scale [C], shift [C]: y = x·scale[c] + shift[c] */                                            \
    X(CHANNEL_AFFINE, ChannelAffine, 25, 3, 3, 1, 1, NONE, 0, 1, 0, CHANNEL_AFFINE, CHANNEL_AFFINE, -)                  \
    /* X: sqrt(x) */                                                                                              \
    X(SQRT, Sqrt, 26, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, sqrtf)                                                    \
    /* X: e^x */                                                                                                  \
    X(EXP, Exp, 27, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, expf)                                                       \
    /* X: natural log (NaN below 0, -inf at 0) */                                                                 \
    X(LOG, Log, 28, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, logf)                                                       \
    /* X: -x */                                                                                                   \
    X(NEG, Neg, 29, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, ws_f_neg)                                                   \
    /* X: |x| */                                                                                                  \
    X(ABS, Abs, 30, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, fabsf)                                                      \
    /* X: 1/x */                                                                                                  \
    X(RECIPROCAL, Reciprocal, 31, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, ws_f_reciprocal)                              \
    /* X: erf(x) */                                                                                               \
    X(ERF, Erf, 32, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, erff)                                                       \
    /* X: log(1 + e^x), overflow-free */                                                                          \
    X(SOFTPLUS, Softplus, 33, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, ws_f_softplus)                                    \
    /* X: x / (1 + |x|) */                                                                                        \
    X(SOFTSIGN, Softsign, 34, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, ws_f_softsign)                                    \
    /* X: rounded down, up */                                                                                     \
    X(FLOOR, Floor, 35, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, floorf)                                                 \
    X(CEIL, Ceil, 36, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, ceilf)                                                    \
    /* X; ActivationOptions alpha = a constant exponent: x^alpha (fast for 2, 3, 1, -1, 0.5; else powf) */        \
    X(POW_SCALAR, PowScalar, 37, 1, 1, 1, 1, ACTIVATION, 1, 1, 0, SAME, ACTIVATION, ws_f_pow_scalar)                    \
    /* A, B, broadcasting: powf(a, b) */                                                                          \
    X(POW, Pow, 38, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, powf)                                                 \
    /* A, B, broadcasting: the smaller, the larger (NaN if either is NaN, as NumPy minimum/maximum) */            \
    X(MIN, Min, 39, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, ws_f_min)                                             \
    X(MAX, Max, 40, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, ws_f_max)                                             \
    /* A, B, broadcasting: comparisons give masks, 1.0f (true) or 0.0f (false); false when either is NaN */       \
    X(EQUAL, Equal, 41, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, ws_f_equal)                                       \
    X(LESS, Less, 42, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, ws_f_less)                                          \
    X(GREATER, Greater, 43, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, ws_f_greater)                                 \
    X(LESS_OR_EQUAL, LessOrEqual, 44, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, ws_f_less_or_equal)                 \
    X(GREATER_OR_EQUAL, GreaterOrEqual, 45, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, ws_f_greater_or_equal)        \
    /* X, a mask: 1 where x == 0, else 0 */                                                                       \
    X(NOT, Not, 46, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, ws_f_not)                                                   \
    /* A, B masks (any non-zero is true), broadcasting: a 0/1 mask */                                             \
    X(AND, And, 47, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, ws_f_and)                                             \
    X(OR, Or, 48, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, ws_f_or)                                                \
    X(XOR, Xor, 49, 2, 2, 1, 1, NONE, 0, 1, 0, BROADCAST, BINARY, ws_f_xor)                                             \
    /* Condition (a mask: non-zero is true), A, B; all three broadcast: c ? a : b */                              \
    X(WHERE, Where, 50, 3, 3, 1, 1, NONE, 0, 1, 0, WHERE, WHERE, -)                                                     \
    /* X: x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (ONNX Gelu, approximate = none) */                                       \
    X(GELU, Gelu, 51, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, ws_f_gelu)                                                \
    /* X: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (ONNX Gelu, approximate = tanh) */                           \
    X(GELU_TANH, GeluTanh, 52, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, ws_f_gelu_tanh)                                  \
    /* X: x·sigmoid(x) (SiLU / Swish; no ONNX op: the compiler fuses the pattern x * Sigmoid(x)) */               \
    X(SILU, Silu, 53, 1, 1, 1, 1, NONE, 0, 1, 0, SAME, UNARY, ws_f_silu)                                                \
    /* X rank >= 1; ReduceOptions mode, axes (strictly ascending, < rank, >= 1 of them), keepdims */              \
    X(REDUCE, Reduce, 54, 1, 1, 1, 1, REDUCE, 1, 0, 0, REDUCE, REDUCE, -)                                               \
    /* X, SoftmaxOptions (optional) as Softmax: y = log(softmax(x)) */                                            \
    X(LOG_SOFTMAX, LogSoftmax, 55, 1, 1, 1, 1, SOFTMAX, 0, 1, 0, SOFTMAX, LOG_SOFTMAX, -)                               \
    /* X, scale, B? (both of X's dims from axis on); LayerNormOptions axis < rank, epsilon finite >= 0 */          \
    X(LAYER_NORMALIZATION, LayerNormalization, 56, 2, 3, 1, 1, LAYER_NORM, 1, 1, 0, LAYER_NORM, LAYER_NORM, -) \
    /* X; SliceOptions starts (one per dim, < dim), steps (one per dim, non-zero, |step| < 2^31; absent = 1):      \
       Y[i] = X[start + i·step], Y has X's rank, every index read lies in X (Slice, Split, Gather of a range) */   \
    X(SLICE, Slice, 57, 1, 1, 1, 1, SLICE, 1, 0, 0, SLICE, SLICE, -)                                                    \
    /* X; GatherOptions axis < rank, indices (>= 1 of them, each < X's dim axis): Y is X with that dim            \
       replaced by the picked entries */                                                                          \
    X(GATHER, Gather, 58, 1, 1, 1, 1, GATHER, 1, 0, 0, GATHER, GATHER, -)                                               \
    /* X, rank <= Y's, aligned to Y's trailing dims; every Y dim a multiple of X's: Y[i] = X[i mod shape(X)]       \
       (ONNX Tile, and Expand: a dim of 1 repeated) */                                                            \
    X(TILE, Tile, 59, 1, 1, 1, 1, NONE, 0, 0, 0, TILE, TILE, -)                                            \
    /* X [T,B,I] ([B,T,I] layout 1), W[w] [D,4H,I], R[w] [D,4H,H] (gates i,o,f,c), B? [D,8H], H0? C0? (Y_h's      \
       shape), P? [D,3H] -> Y_h, Y_c [D,B,H] ([B,D,H] layout 1; the running state), workspace [B,4H],             \
       Y? [T,D,B,H] ([B,T,D,H] layout 1); RecurrentOptions; D = 2 when bidirectional, else 1 */                  \
    X(LSTM, Lstm, 60, 3, 7, 3, 4, RECURRENT, 1, 0, 0x6, RECURRENT, RECURRENT, -)                                   \
    /* X, W[w] [D,3H,I], R[w] [D,3H,H] (gates z,r,h), B? [D,6H], H0? -> Y_h, workspace [B,7H], Y?;                \
       RecurrentOptions incl. linear_before_reset */                                                              \
    X(GRU, Gru, 61, 3, 5, 2, 3, RECURRENT, 1, 0, 0x6, RECURRENT, RECURRENT, -)                                     \
    /* X, W[w] [D,H,I], R[w] [D,H,H], B? [D,2H], H0? -> Y_h, workspace [B,H], Y?; RecurrentOptions */             \
    X(RNN, Rnn, 62, 3, 5, 2, 3, RECURRENT, 1, 0, 0x6, RECURRENT, RECURRENT, -)
/* clang-format on */

/** Operator codes, as in the schema (generated from WS_OP_LIST). */
typedef enum {
#define WS_OP_ENUM(name, Camel, code, ...) WS_OP_##name = code,
    WS_OP_LIST(WS_OP_ENUM)
#undef WS_OP_ENUM
} ws_opcode;

/** Number of opcodes: they are 0 .. WS_OP_COUNT - 1 (the runtime checks at compile time that the codes of
 *  WS_OP_LIST are exactly these). */
#define WS_OP_COUNT_ROW(...) +1
enum { WS_OP_COUNT = 0 WS_OP_LIST(WS_OP_COUNT_ROW) };
#undef WS_OP_COUNT_ROW

/** The schema's name of an opcode ("Conv"), or "unknown" for a value that is not one. */
const char *ws_opcode_name(ws_opcode opcode);

/** The table's C name of an opcode ("CONV", as in WS_OP_CONV and WS_OP_ENABLE_CONV), or "" for a value that is not
 *  one. */
const char *ws_opcode_symbol(ws_opcode opcode);

/**
 * 1 when this build of the runtime has the operator's kernel, 0 otherwise (and for a value that is not an opcode).
 * Every operator by default. A runtime compiled for one model's op set (-DWS_OPS_HEADER='"model_data.h"', the
 * header `wsc compile` writes with one `#define WS_OP_ENABLE_<name> 1` per operator the model uses; see
 * Runtime/README.md, "Op set") has only those: the linker drops the other kernels, and ws_model_load() refuses a
 * file that uses one of them with WS_ERR_OP_NOT_BUILT (ws_load_error.op names the operator).
 */
int ws_opcode_built(ws_opcode opcode);

/**
 * A tensor id: the index of a tensor in the model (0 .. ws_model_num_tensors() - 1), as the file stores it
 * (Operator.inputs/outputs, Model.inputs/outputs are int32). WS_NO_TENSOR (-1) marks an absent optional input,
 * and is what the accessors return for an index out of range. Functions that take a tensor id refuse a negative or
 * too large one (WS_ERR_ARGUMENT, or NULL).
 */
typedef int32_t ws_tensor_id;
#define WS_NO_TENSOR (-1)

/** Number of operator inputs copied into ws_operator_info. An operator may have more (Concat takes any number):
 *  ws_model_operator_input() reads every one of them. */
#define WS_OPERATOR_INFO_INPUTS 8u
/** Number of operator outputs copied into ws_operator_info: every operator of WS_OP_LIST has at most this many
 *  (ws_model_operator_output() reads them as well). */
#define WS_OPERATOR_INFO_OUTPUTS 4u

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
    uint32_t code_lengths;   /* offset of the first byte of IndexStream.code_lengths, 0 without WS_FEATURE_HUFFMAN */
} ws_model;

/**
 * Verifies `buf` as a .wsm model and fills `model`.
 * @param buf  the file's bytes, aligned to WS_ALIGNMENT; must stay valid and unchanged while `model` is used.
 * @param len  byte length; must be < 2^31.
 * @return WS_OK, or the first problem found (any WS_ERR_*). On error `model` is zeroed.
 */
ws_status ws_model_load(ws_model *model, const void *buf, size_t len);

/**
 * Where ws_model_load_detailed() found the first problem; -1 in a field that does not apply.
 * - `op`: the operator being checked (its layout, opcode, arity, options, input/output tensors, shapes, aliasing).
 * - `tensor`: the tensor at fault: the one being checked (layout, rank, shape, kind, data, arena placement), the
 *   input/output of `op` that is bad (unknown id, kind, overlap, read before written, written twice), or the graph
 *   input/output. -1 when an operator's shapes do not agree (WS_ERR_SHAPE: the rule involves several tensors), for
 *   bad option values, and for file-level problems (header, CRC, codebook, stream).
 * - `input`: the input slot of `op` that `tensor` fills, when the problem is with an input.
 * - `op_name`, `tensor_name`: the names of `op` and `tensor` as the file stores them ("" when absent), pointing into
 *   the buffer; NULL when the field does not apply, and for problems found before the file's layout was verified
 *   (where no string of it can be trusted yet).
 */
typedef struct {
    ws_status status; /* what ws_model_load_detailed() returned */
    int32_t op;
    ws_tensor_id tensor;
    int32_t input;
    const char *op_name;
    const char *tensor_name;
} ws_load_error;

/** As ws_model_load(); also fills `error` (when not NULL) with where verification failed (all -1 on success). */
ws_status ws_model_load_detailed(ws_model *model, const void *buf, size_t len, ws_load_error *error);

/** Scratch bytes that let ws_model_load_scratch() verify a model of `num_tensors` tensors in linear time: two bits
 *  per tensor. */
#define WS_VERIFY_SCRATCH_BYTES(num_tensors) (((size_t)(num_tensors) + 3u) / 4u)
/** Scratch bytes that are enough for any file of `len` bytes (its tensor vector holds at most len / 4 offsets). */
#define WS_VERIFY_SCRATCH_BYTES_FOR_FILE(len) ((size_t)(len) / 16u + 1u)

/**
 * As ws_model_load_detailed(), with memory of the caller's for the verifier's per-tensor bookkeeping. With at least
 * WS_VERIFY_SCRATCH_BYTES(tensors) bytes (any alignment; WS_VERIFY_SCRATCH_BYTES_FOR_FILE(len) always suffices) the
 * data-flow checks (read before written, written twice, graph inputs and outputs) are one lookup each and the whole
 * verification takes time linear in the file size. With less, or NULL, they scan the earlier operators as
 * ws_model_load_detailed() does, which is quadratic in the operator count. The status and `error` are the same
 * either way. The scratch must not overlap `buf`, `model` or `error`; it is overwritten and not used after the call.
 */
ws_status ws_model_load_scratch(ws_model *model, const void *buf, size_t len, ws_load_error *error, void *scratch,
                                size_t scratch_len);

/** Arena bytes ws_invoke() needs. */
uint32_t ws_model_arena_bytes(const ws_model *model);

uint32_t ws_model_num_tensors(const ws_model *model);
uint32_t ws_model_num_operators(const ws_model *model);
uint32_t ws_model_num_inputs(const ws_model *model);
uint32_t ws_model_num_outputs(const ws_model *model);
/** Tensor id of graph input/output `i`, or WS_NO_TENSOR when `i` is out of range. */
ws_tensor_id ws_model_input(const ws_model *model, uint32_t i);
ws_tensor_id ws_model_output(const ws_model *model, uint32_t i);

/** Everything known about one tensor. Strings point into the model buffer and are NUL-terminated. */
typedef struct {
    const char *name;       /* "" when absent */
    ws_tensor_kind kind;
    uint32_t rank;
    uint32_t shape[WS_MAX_RANK];
    uint32_t elements;      /* product of shape (1 for rank 0) */
    uint32_t arena_offset;  /* activations */
    uint32_t index_offset;  /* shared constants: first element in the index stream (fixed width), or the stream
                               bit where the first code starts (Huffman) */
    uint32_t index_encoding; /* shared constants: WS_INDEX_FIXED_WIDTH (0) or WS_INDEX_HUFFMAN (1) */
    const float *raw;       /* raw constants stored as float32, NULL otherwise */
    /* Shared constants: elements stored exactly (positions strictly ascending, < elements); 0 / NULL if none. */
    uint32_t num_outliers;
    const uint32_t *outlier_positions;
    const float *outlier_values;
    /* Raw constants stored as IEEE 754 binary16 (WS_FEATURE_HALF_RAW), little-endian, NULL otherwise: exactly one of
       raw and raw_half is set for a raw tensor of a verified model (ws_tensor_decode gives float32 either way). */
    const uint16_t *raw_half;
} ws_tensor_info;

/** Fills `info` for tensor `t`. Returns WS_ERR_ARGUMENT for a bad id (negative or >= num_tensors) or null pointer. */
ws_status ws_model_tensor(const ws_model *model, ws_tensor_id t, ws_tensor_info *info);

/** Operator `o`: its code, name ("" when absent), input/output counts and tensor ids (WS_NO_TENSOR = absent optional
 * input or output, or beyond the counts). Only the first WS_OPERATOR_INFO_INPUTS inputs are copied: read input i of any
 * operator with ws_model_operator_input(), which takes every i < num_inputs. */
typedef struct {
    ws_opcode opcode;
    const char *name;
    uint32_t num_inputs;
    uint32_t num_outputs;
    ws_tensor_id inputs[WS_OPERATOR_INFO_INPUTS]; /* the first WS_OPERATOR_INFO_INPUTS inputs only */
    ws_tensor_id outputs[WS_OPERATOR_INFO_OUTPUTS]; /* WS_NO_TENSOR: an absent optional output, or beyond the count */
} ws_operator_info;
ws_status ws_model_operator(const ws_model *model, uint32_t o, ws_operator_info *info);

/** Tensor id of input `i` of operator `o`, for every i < num_inputs (WS_NO_TENSOR when absent, or when `o` or `i` is
 *  out of range). */
ws_tensor_id ws_model_operator_input(const ws_model *model, uint32_t o, uint32_t i);

/** Tensor id of output `i` of operator `o` (WS_NO_TENSOR when that optional output is absent, or when `o` or `i` is
 *  out of range). */
ws_tensor_id ws_model_operator_output(const ws_model *model, uint32_t o, uint32_t i);

/** The codebook (sorted ascending) and its size. */
const float *ws_model_codebook(const ws_model *model, uint32_t *size);

/** Index encodings of a shared tensor (ws_tensor_info.index_encoding), as in the schema's IndexEncoding. */
#define WS_INDEX_FIXED_WIDTH 0u
#define WS_INDEX_HUFFMAN 1u

/** Index stream facts: bit width (0 when the model has no shared tensors), count, packed bytes. */
typedef struct {
    uint32_t encoding;      /* of the fixed-width part: always WS_INDEX_FIXED_WIDTH */
    uint32_t bit_width;
    uint32_t count;         /* fixed-width indices */
    uint32_t bytes;         /* length of IndexStream.data, padding included */
    /* WS_FEATURE_HUFFMAN: the code length of each codebook entry (0: unused), num_code_lengths = codebook size;
     * NULL and 0 without a code table. */
    const uint8_t *code_lengths;
    uint32_t num_code_lengths;
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

/**
 * The codebook indices of shared tensor `t`, in element order (decoded from fixed-width or Huffman-coded storage;
 * an exact outlier's element holds the index the stream stores there). `*bits` (may be NULL) receives the stream
 * bits they take: elements x bit width, or the sum of the code lengths.
 * @return WS_OK, or WS_ERR_ARGUMENT (bad id, not a shared tensor, null or short `out`).
 */
ws_status ws_tensor_indices(const ws_model *model, ws_tensor_id t, uint32_t *out, uint32_t capacity, uint64_t *bits);

/** Decodes index `i` of the fixed-width part of the stream into `*index` (Huffman-coded tensors: ws_tensor_indices).
 *  Returns WS_ERR_ARGUMENT (and leaves `*index` alone) for i >= count
 *  or a null pointer. */
ws_status ws_model_index(const ws_model *model, uint32_t i, uint32_t *index);

/**
 * Writes the values of constant tensor `t` (raw or shared, decoded through the codebook) to `out`.
 * @param capacity number of floats `out` holds; must be >= the tensor's elements.
 * @return WS_OK, WS_ERR_ARGUMENT (bad id, activation tensor, null or short `out`).
 */
ws_status ws_tensor_decode(const ws_model *model, ws_tensor_id t, float *out, uint32_t capacity);

/** Pointer to activation tensor `t` inside `arena`, NULL for a non-activation or bad id (WS_NO_TENSOR included). */
float *ws_tensor_data(const ws_model *model, ws_tensor_id t, void *arena);

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

/**
 * Runs operators first .. first + count - 1 (clipped to the model's operators), in order. The arena must hold what
 * the operators before `first` wrote (as after ws_invoke_partial(model, arena, arena_len, first)); the arena is
 * then as after ws_invoke_partial(…, first + count). For host tools that run a model operator by operator over
 * many samples (the compiler's batched search evaluator); a board calls ws_invoke().
 * @return as ws_invoke_partial().
 */
ws_status ws_invoke_operators(const ws_model *model, void *arena, size_t arena_len, uint32_t first, uint32_t count);

/** CRC-32 (IEEE, reflected) of `len` bytes, continuing from `crc` (start with 0). */
uint32_t ws_crc32(uint32_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* WS_RUNTIME_H */
