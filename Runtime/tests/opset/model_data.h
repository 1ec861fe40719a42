/* The op set test_opset.c's runtime is built with (-DWS_OPS_HEADER='"model_data.h"'), as wsc compile writes it for
 * a model of Gemm and Relu operators with fixed-width indices (no Huffman decoder). */
#ifndef MODEL_DATA_H
#define MODEL_DATA_H
#define WS_MODEL_OPS_DEFINED 1
#define WS_OP_ENABLE_GEMM 1
#define WS_OP_ENABLE_RELU 1
#define WS_MODEL_HUFFMAN 0
#endif
