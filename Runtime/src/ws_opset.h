/*
 * The op set of this build (internal): which rows of WS_OP_LIST have their kernel compiled in.
 *
 * By default every row (the host library, the Swift reader, `make -C Runtime`). A firmware built for one model
 * defines WS_OPS_HEADER as a header in quotes (-DWS_OPS_HEADER='"model_data.h"', what boards/firmware/Makefile
 * does) that `wsc compile` writes: it defines WS_MODEL_OPS_DEFINED and `#define WS_OP_ENABLE_<name> 1` for every
 * operator the model uses. Then ws_invoke() has no case for the other operators, the generic kernels (UNARY,
 * ACTIVATION, BINARY rows) no case for their functions, the verifier no call to their shape rules, so nothing
 * references their code and the linker's --gc-sections drops it (like TFLite Micro's MicroMutableOpResolver). A
 * file that uses an operator the build leaves out is refused at load with WS_ERR_OP_NOT_BUILT, naming the
 * operator (ws_load_error.op): no call can reach a missing kernel.
 *
 * WS_OP_BUILT(name) is 1 or 0 for a row's `name` (a preprocessor constant: usable in X-macro expansions);
 * WS_IF_BUILT(name)(tokens) gives the tokens only for a built row.
 */
#ifndef WS_OPSET_H
#define WS_OPSET_H

#include "ws_runtime.h"

/* Generic helpers: WS_SECOND_(a, b, ...) is b; WS_IF_(1)(tokens) gives the tokens, WS_IF_(0)(tokens) nothing. */
#define WS_SECOND_(...) WS_SECOND_I_(__VA_ARGS__)
#define WS_SECOND_I_(a, b, ...) b
#define WS_IF_(c) WS_IF_I_(c)
#define WS_IF_I_(c) WS_IF_##c
#define WS_IF_0(...)
#define WS_IF_1(...) __VA_ARGS__

#ifdef WS_OPS_HEADER
#include WS_OPS_HEADER
#ifndef WS_MODEL_OPS_DEFINED
#error "WS_OPS_HEADER names a header without an op set (no WS_MODEL_OPS_DEFINED): regenerate model_data.h with wsc compile, or build the full op set (boards/firmware: OPS=all)"
#endif
/* WS_OP_ENABLE_<name> expands to 1 for a built row, so WS_OP_ON_1 pastes to "~, 1" and the second item is 1; an
 * undefined (or 0) WS_OP_ENABLE_<name> pastes to an unknown identifier and the second item is the 0 after it. */
#define WS_OP_ON_1 ~, 1
#define WS_OP_BUILT_II_(v) WS_SECOND_(WS_OP_ON_##v, 0, ~)
#define WS_OP_BUILT_I_(v) WS_OP_BUILT_II_(v)
#define WS_OP_BUILT(name) WS_OP_BUILT_I_(WS_OP_ENABLE_##name)
/* Helpers of left-out kernels are static functions nothing calls: expected in an op-set build (the default build
 * keeps the warning, so a helper that is unused everywhere is still caught). */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#else
#define WS_OP_BUILT(name) 1
#endif

#define WS_IF_BUILT(name) WS_IF_(WS_OP_BUILT(name))

/*
 * The Huffman decoder is chosen the same way: model_data.h states whether the model stores Huffman-coded indices
 * (WS_MODEL_HUFFMAN, 0 or 1). With 0 the decoder, its decode table and its checks are left out and a coded file is
 * refused at load (WS_ERR_FEATURE: the build does not know the feature). A header that does not state it (an older
 * wsc) and the default build keep the decoder.
 */
#if defined(WS_OPS_HEADER) && defined(WS_MODEL_HUFFMAN)
#define WS_HUFFMAN_BUILT WS_MODEL_HUFFMAN
#else
#define WS_HUFFMAN_BUILT 1
#endif

/*
 * And the dense layers' fast paths for one index width: model_data.h states the model's bit width
 * (WS_MODEL_BIT_WIDTH; one for the whole file, whose weights share one codebook). A firmware built for it compiles
 * only that width's table and window loops (ws_dense.c); the generic loops still read every width, so no file is
 * refused for its width, it only runs slower. A header that does not state it and the default build keep all.
 */
#if defined(WS_OPS_HEADER) && defined(WS_MODEL_BIT_WIDTH)
#define WS_WIDTH_BUILT(w) (WS_MODEL_BIT_WIDTH == (w))
#else
#define WS_WIDTH_BUILT(w) 1
#endif

/* And whether rows that start at a bit shift get a fast loop of their own (WS_MODEL_MID_BYTE_TENSORS: some
 * fixed-width tensor of the model starts inside a byte); without, such rows take the generic loop. */
#if defined(WS_OPS_HEADER) && defined(WS_MODEL_MID_BYTE_TENSORS)
#define WS_MID_BYTE_BUILT WS_MODEL_MID_BYTE_TENSORS
#else
#define WS_MID_BYTE_BUILT 1
#endif

#endif /* WS_OPSET_H */
