/* A runtime built for a 3-bit model's dense layers (-DWS_OPS_HEADER='"width3.h"', `make width-test`): Gemm only,
 * the Huffman decoder kept, and the dense fast paths of 3-bit indices alone (WS_MODEL_BIT_WIDTH 3, as wsc compile
 * writes it for such a model), for a model whose tensors all start on a byte (WS_MODEL_MID_BYTE_TENSORS 0: the
 * 3-bit loop for rows at a bit shift left out). test_dense.c then checks that every other width, and 3-bit rows that
 * start inside a byte, still compute right through the generic loops. */
#ifndef WIDTH3_H
#define WIDTH3_H
#define WS_MODEL_OPS_DEFINED 1
#define WS_OP_ENABLE_GEMM 1
#define WS_MODEL_HUFFMAN 1
#define WS_MODEL_BIT_WIDTH 3u
#define WS_MODEL_MID_BYTE_TENSORS 0
#endif
