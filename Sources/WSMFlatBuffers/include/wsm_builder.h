/*
 * Writes and checks .wsm containers through the official FlatBuffers C++ library (Debian libflatbuffers-dev).
 * Plain C interface so that Swift and C test programs can use it; the C++ lives in wsm_builder.cpp.
 *
 * Build order is free: add tensors and operators, set the codebook, stream, graph I/O, arena and metadata,
 * then wsm_builder_finish() writes the root table and the CRC-32. After finishing, only wsm_builder_data()
 * and wsm_builder_destroy() may be called.
 */
#ifndef WSM_BUILDER_H
#define WSM_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wsm_builder wsm_builder;

/** Metadata to store; NULL strings are left out. */
typedef struct {
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
} wsm_metadata;

/** A new, empty builder, or NULL when out of memory. */
wsm_builder *wsm_builder_create(void);
void wsm_builder_destroy(wsm_builder *builder);

/* Tensors. Each returns the new tensor's index (0, 1, ...) or -1 after an allocation failure. */
int32_t wsm_builder_add_activation(wsm_builder *builder, const char *name, const uint32_t *shape, uint32_t rank,
                                   uint32_t arena_offset);
int32_t wsm_builder_add_raw(wsm_builder *builder, const char *name, const uint32_t *shape, uint32_t rank,
                            const float *values, uint32_t count);
/* A raw tensor stored as IEEE 754 binary16 bit patterns (the file then needs the HALF_RAW feature bit, and the
 * tensor may only be the bias or epilogue scale of a Gemm, Conv or ConvTranspose). */
int32_t wsm_builder_add_raw_half(wsm_builder *builder, const char *name, const uint32_t *shape, uint32_t rank,
                                 const uint16_t *values, uint32_t count);
int32_t wsm_builder_add_shared(wsm_builder *builder, const char *name, const uint32_t *shape, uint32_t rank,
                               uint64_t index_offset);
/* A shared tensor with an exact-outlier table (positions strictly ascending; the file then needs the OUTLIERS
 * feature bit in wsm_builder_finish). num_outliers = 0 is the same as wsm_builder_add_shared. */
int32_t wsm_builder_add_shared_with_outliers(wsm_builder *builder, const char *name, const uint32_t *shape,
                                             uint32_t rank, uint64_t index_offset, const uint32_t *positions,
                                             const float *values, uint32_t num_outliers);

/* A shared tensor whose indices are stored with `encoding` (an IndexEncoding: 0 fixed width, `index_offset` counts
 * elements; 1 Huffman, `index_offset` is the stream bit of its first code; the file then needs the HUFFMAN feature
 * bit and a code table), with an exact-outlier table when num_outliers > 0. Encoding 0 without outliers is the same
 * as wsm_builder_add_shared. */
int32_t wsm_builder_add_shared_encoded(wsm_builder *builder, const char *name, const uint32_t *shape,
                                       uint32_t rank, uint64_t index_offset, uint8_t encoding,
                                       const uint32_t *positions, const float *values, uint32_t num_outliers);

/* Operators, in execution order. `opcode` is a ws_opcode. Each returns 0, or -1 after an allocation failure. */
int wsm_builder_add_operator(wsm_builder *builder, uint8_t opcode, const char *name, const int32_t *inputs,
                             uint32_t num_inputs, const int32_t *outputs, uint32_t num_outputs);
int wsm_builder_add_gemm(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                         const int32_t *outputs, uint32_t num_outputs, float alpha, float beta, int trans_a,
                         int trans_b);
int wsm_builder_add_softmax(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                            const int32_t *outputs, uint32_t num_outputs, uint32_t axis, int coerce_2d);

/* Operators with options of the CNN op set (schema: ConvOptions, PoolOptions, ActivationOptions, AxisOptions,
 * TransposeOptions, PadOptions, ResizeOptions). Arrays of spatial values hold `spatial` entries (2), pads
 * 2·spatial ([top, left, bottom, right]); NULL stores an absent vector. Each returns 0, or -1 after an
 * allocation failure. */
/** Conv or ConvTranspose (`opcode`); `output_padding` is NULL for Conv. */
int wsm_builder_add_conv(wsm_builder *builder, uint8_t opcode, const char *name, const int32_t *inputs,
                         uint32_t num_inputs, const int32_t *outputs, uint32_t num_outputs, uint32_t group,
                         const uint32_t *strides, const uint32_t *dilations, const uint32_t *pads,
                         const uint32_t *output_padding, uint32_t spatial);
/** MaxPool or AveragePool (`opcode`). */
int wsm_builder_add_pool(wsm_builder *builder, uint8_t opcode, const char *name, const int32_t *inputs,
                         uint32_t num_inputs, const int32_t *outputs, uint32_t num_outputs, const uint32_t *kernel,
                         const uint32_t *strides, const uint32_t *dilations, const uint32_t *pads, uint32_t spatial,
                         int count_include_pad);
/** Clip, LeakyRelu or HardSigmoid (`opcode`) with ActivationOptions. */
int wsm_builder_add_activation_op(wsm_builder *builder, uint8_t opcode, const char *name, const int32_t *inputs,
                                  uint32_t num_inputs, const int32_t *outputs, uint32_t num_outputs, float alpha,
                                  float beta);
int wsm_builder_add_concat(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                           const int32_t *outputs, uint32_t num_outputs, uint32_t axis);
int wsm_builder_add_transpose(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                              const int32_t *outputs, uint32_t num_outputs, const uint32_t *perm, uint32_t rank);
/** `pads` holds `count` values: every axis' begin, then every axis' end. */
int wsm_builder_add_pad(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                        const int32_t *outputs, uint32_t num_outputs, uint8_t mode, const uint32_t *pads,
                        uint32_t count, float value);
int wsm_builder_add_resize(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                           const int32_t *outputs, uint32_t num_outputs, uint8_t mode,
                           uint8_t coordinate_transform, uint8_t nearest_mode, const float *scales,
                           uint32_t count);
/** LogSoftmax with SoftmaxOptions (as wsm_builder_add_softmax). */
int wsm_builder_add_log_softmax(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                                const int32_t *outputs, uint32_t num_outputs, uint32_t axis, int coerce_2d);
/** Reduce with ReduceOptions: `mode` a ReduceMode, `axes` (NULL or num_axes 0 stores none), keepdims. */
int wsm_builder_add_reduce(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                           const int32_t *outputs, uint32_t num_outputs, uint8_t mode, const uint32_t *axes,
                           uint32_t num_axes, int keepdims);
/** LayerNormalization with LayerNormOptions. */
int wsm_builder_add_layer_norm(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                               const int32_t *outputs, uint32_t num_outputs, uint32_t axis, float epsilon);
/* Lstm, Gru or Rnn (opcode) with RecurrentOptions: direction (0 forward, 1 reverse, 2 bidirectional), layout 0/1,
 * linear_before_reset (Gru). */
int wsm_builder_add_recurrent(wsm_builder *builder, uint8_t opcode, const char *name, const int32_t *inputs,
                              uint32_t num_inputs, const int32_t *outputs, uint32_t num_outputs, uint8_t direction,
                              uint8_t layout, int linear_before_reset);

/** Slice with SliceOptions: `starts` and `steps` hold `rank` values each (NULL stores an absent vector). */
int wsm_builder_add_slice(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                          const int32_t *outputs, uint32_t num_outputs, const uint32_t *starts, const int32_t *steps,
                          uint32_t rank);
/** Gather with GatherOptions: `axis` and `count` indices (NULL or count 0 stores none). */
int wsm_builder_add_gather(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                           const int32_t *outputs, uint32_t num_outputs, uint32_t axis, const uint32_t *indices,
                           uint32_t count);

/* Whole-model parts. Each returns 0, or -1 after an allocation failure. */
int wsm_builder_set_codebook(wsm_builder *builder, const float *values, uint32_t count);
/** `data` holds the packed bits and the padding (at least 4 zero bytes). */
int wsm_builder_set_index_stream(wsm_builder *builder, uint8_t encoding, uint8_t bit_width, uint64_t count,
                                 const uint8_t *data, size_t bytes);
/** As wsm_builder_set_index_stream, plus the Huffman code table: `num_code_lengths` code lengths, one per codebook
 *  entry (NULL stores none). */
int wsm_builder_set_coded_index_stream(wsm_builder *builder, uint8_t encoding, uint8_t bit_width, uint64_t count,
                                       const uint8_t *data, size_t bytes, const uint8_t *code_lengths,
                                       uint32_t num_code_lengths);
int wsm_builder_set_graph_io(wsm_builder *builder, const int32_t *inputs, uint32_t num_inputs,
                             const int32_t *outputs, uint32_t num_outputs);
void wsm_builder_set_arena_bytes(wsm_builder *builder, uint32_t arena_bytes);
int wsm_builder_set_metadata(wsm_builder *builder, const wsm_metadata *metadata);

/** Writes the root table with `format_version` and `required_features`, then the CRC-32. 0 or -1. */
int wsm_builder_finish(wsm_builder *builder, uint32_t format_version, uint64_t required_features);

/** The finished buffer (owned by the builder), or NULL before finishing. */
const uint8_t *wsm_builder_data(const wsm_builder *builder, size_t *length);

/** 1 when the official flatbuffers::Verifier accepts `buf` as a Model with identifier WSM1, else 0. */
int wsm_flatbuffers_verify(const uint8_t *buf, size_t length);

#ifdef __cplusplus
}
#endif

#endif /* WSM_BUILDER_H */
