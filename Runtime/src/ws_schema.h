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
#define WS_VT_TENSOR_OUTLIER_POSITIONS 16u
#define WS_VT_TENSOR_OUTLIER_VALUES 18u

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
#define WS_OPTIONS_CONV 3u
#define WS_OPTIONS_POOL 4u
#define WS_OPTIONS_ACTIVATION 5u
#define WS_OPTIONS_AXIS 6u
#define WS_OPTIONS_TRANSPOSE 7u
#define WS_OPTIONS_PAD 8u
#define WS_OPTIONS_RESIZE 9u

/* table GemmOptions */
#define WS_VT_GEMM_ALPHA 4u
#define WS_VT_GEMM_BETA 6u
#define WS_VT_GEMM_TRANS_A 8u
#define WS_VT_GEMM_TRANS_B 10u

/* table SoftmaxOptions */
#define WS_VT_SOFTMAX_AXIS 4u
#define WS_VT_SOFTMAX_COERCE_2D 6u

/* table ConvOptions */
#define WS_VT_CONV_GROUP 4u
#define WS_VT_CONV_STRIDES 6u
#define WS_VT_CONV_DILATIONS 8u
#define WS_VT_CONV_PADS 10u
#define WS_VT_CONV_OUTPUT_PADDING 12u

/* table PoolOptions */
#define WS_VT_POOL_KERNEL 4u
#define WS_VT_POOL_STRIDES 6u
#define WS_VT_POOL_DILATIONS 8u
#define WS_VT_POOL_PADS 10u
#define WS_VT_POOL_COUNT_INCLUDE_PAD 12u

/* table ActivationOptions */
#define WS_VT_ACTIVATION_ALPHA 4u
#define WS_VT_ACTIVATION_BETA 6u

/* table AxisOptions */
#define WS_VT_AXIS_AXIS 4u

/* table TransposeOptions */
#define WS_VT_TRANSPOSE_PERM 4u

/* table PadOptions */
#define WS_VT_PAD_MODE 4u
#define WS_VT_PAD_PADS 6u
#define WS_VT_PAD_VALUE 8u

/* table ResizeOptions */
#define WS_VT_RESIZE_MODE 4u
#define WS_VT_RESIZE_COORD 6u
#define WS_VT_RESIZE_NEAREST 8u
#define WS_VT_RESIZE_SCALES 10u

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

/* enums PadMode, ResizeMode, CoordinateTransform, NearestMode */
#define WS_PAD_CONSTANT 0u
#define WS_PAD_REFLECT 1u
#define WS_PAD_EDGE 2u
#define WS_RESIZE_NEAREST 0u
#define WS_RESIZE_LINEAR 1u
#define WS_COORD_HALF_PIXEL 0u
#define WS_COORD_ALIGN_CORNERS 1u
#define WS_COORD_ASYMMETRIC 2u
#define WS_COORD_PYTORCH_HALF_PIXEL 3u
#define WS_COORD_TF_HALF_PIXEL_FOR_NEAREST 4u
#define WS_NEAREST_ROUND_PREFER_FLOOR 0u
#define WS_NEAREST_ROUND_PREFER_CEIL 1u
#define WS_NEAREST_FLOOR 2u
#define WS_NEAREST_CEIL 3u

/* enum IndexEncoding */
#define WS_ENCODING_FIXED_WIDTH 0u

#endif /* WS_SCHEMA_H */
