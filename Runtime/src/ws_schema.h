/*
 * Vtable offsets of the fields of Runtime/schema/wsm.fbs (4 + 2 * field id; a union takes two ids: type, value).
 * Keep in step with the schema; tests compare against files written by the official FlatBuffers builder.
 */
#ifndef WS_SCHEMA_H
#define WS_SCHEMA_H

/* table Model */
#define WS_VT_MODEL_FORMAT_VERSION 4u
#define WS_VT_MODEL_REQUIRED_FEATURES 6u
#define WS_VT_MODEL_CODEBOOK 8u
#define WS_VT_MODEL_INDICES 10u
#define WS_VT_MODEL_TENSORS 12u
#define WS_VT_MODEL_OPERATORS 14u
#define WS_VT_MODEL_INPUTS 16u
#define WS_VT_MODEL_OUTPUTS 18u
#define WS_VT_MODEL_ARENA_BYTES 20u
#define WS_VT_MODEL_METADATA 22u
#define WS_VT_MODEL_CRC32 24u

/* table IndexStream */
#define WS_VT_STREAM_ENCODING 4u
#define WS_VT_STREAM_BIT_WIDTH 6u
#define WS_VT_STREAM_COUNT 8u
#define WS_VT_STREAM_DATA 10u

/* table Tensor */
#define WS_VT_TENSOR_NAME 4u
#define WS_VT_TENSOR_SHAPE 6u
#define WS_VT_TENSOR_KIND 8u
#define WS_VT_TENSOR_RAW 10u
#define WS_VT_TENSOR_INDEX_OFFSET 12u
#define WS_VT_TENSOR_ARENA_OFFSET 14u

/* table Operator */
#define WS_VT_OPERATOR_OPCODE 4u
#define WS_VT_OPERATOR_INPUTS 6u
#define WS_VT_OPERATOR_OUTPUTS 8u
#define WS_VT_OPERATOR_OPTIONS_TYPE 10u
#define WS_VT_OPERATOR_OPTIONS 12u
#define WS_VT_OPERATOR_NAME 14u

/* union OperatorOptions: type tags */
#define WS_OPTIONS_NONE 0u
#define WS_OPTIONS_GEMM 1u
#define WS_OPTIONS_SOFTMAX 2u

/* table GemmOptions */
#define WS_VT_GEMM_ALPHA 4u
#define WS_VT_GEMM_BETA 6u
#define WS_VT_GEMM_TRANS_A 8u
#define WS_VT_GEMM_TRANS_B 10u

/* table SoftmaxOptions */
#define WS_VT_SOFTMAX_AXIS 4u
#define WS_VT_SOFTMAX_COERCE_2D 6u

/* table Metadata */
#define WS_VT_META_TOOL_VERSION 4u
#define WS_VT_META_SOURCE_SHA256 6u
#define WS_VT_META_SOURCE_NAME 8u
#define WS_VT_META_K 10u
#define WS_VT_META_M 12u
#define WS_VT_META_SEED 14u
#define WS_VT_META_METRIC 16u
#define WS_VT_META_SCORE 18u
#define WS_VT_META_FLOAT_SCORE 20u
#define WS_VT_META_SOLUTION_JSON 22u

/* enum IndexEncoding */
#define WS_ENCODING_FIXED_WIDTH 0u

#endif /* WS_SCHEMA_H */
