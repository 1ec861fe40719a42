// The .wsm writer over the official FlatBuffers C++ builder, exposed through include/wsm_builder.h.
#include "wsm_builder.h"

#include <cstring>
#include <map>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "wsm_generated.h"
#include "ws_runtime.h"

namespace fb = ws::fb;

// The C runtime's operator table (WS_OP_LIST in ws_runtime.h) and the schema's OpCode enum (Runtime/schema/wsm.fbs,
// through the flatc header) cannot drift apart: every row's code is the schema's value of the same name, and the
// schema has no opcode after the table's last (the C side checks that the table's codes are 0..WS_OP_COUNT-1).
#define WS_CHECK_OPCODE(name, Camel, code, ...)                                                      \
    static_assert(static_cast<int>(fb::OpCode::Camel) == (code),                                     \
                  "WS_OP_LIST row " #Camel " does not have the schema's OpCode value");
WS_OP_LIST(WS_CHECK_OPCODE)
#undef WS_CHECK_OPCODE
static_assert(static_cast<int>(fb::OpCode::MAX) == WS_OP_COUNT - 1,
              "the schema's OpCode enum and WS_OP_LIST do not end at the same opcode");
static_assert(static_cast<int>(fb::TensorKind::Activation) == WS_TENSOR_ACTIVATION &&
                  static_cast<int>(fb::TensorKind::Raw) == WS_TENSOR_RAW &&
                  static_cast<int>(fb::TensorKind::Shared) == WS_TENSOR_SHARED &&
                  static_cast<int>(fb::TensorKind::MAX) == WS_TENSOR_SHARED,
              "ws_tensor_kind differs from the schema's TensorKind");

struct wsm_builder {
    flatbuffers::FlatBufferBuilder fbb{1 << 16};
    std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
    std::vector<flatbuffers::Offset<fb::Operator>> operators;
    flatbuffers::Offset<flatbuffers::Vector<float>> codebook;
    flatbuffers::Offset<fb::IndexStream> stream;
    flatbuffers::Offset<flatbuffers::Vector<int32_t>> inputs;
    flatbuffers::Offset<flatbuffers::Vector<int32_t>> outputs;
    flatbuffers::Offset<fb::Metadata> metadata;
    uint32_t arena_bytes = 0;
    bool finished = false;
    // Equal shapes, option vectors and option tables are written once and referenced from every table that holds
    // them (a FlatBuffer is a DAG: readers and the Verifier follow offsets and never assume one owner). Shapes repeat
    // across a graph's activations, options across its convolutions: the ResNet fixture's stripped file (seed 4)
    // 5,992 -> 5,160 bytes. Raw constants are not keyed: equal ones are rare, and a key would copy every weight of a
    // float model's file.
    std::map<std::string, flatbuffers::uoffset_t> written;
};

namespace {

// Equal strings are stored once too (a stripped file names every normalisation scale ".weight_scale").
flatbuffers::Offset<flatbuffers::String> optional_string(flatbuffers::FlatBufferBuilder &fbb, const char *s) {
    return s ? fbb.CreateSharedString(s) : 0;
}

// The bytes of `n` values, prefixed with `kind` so that values of different types or roles never match.
template <typename T> std::string key_of(char kind, const T *v, uint32_t n) {
    std::string key(1, kind);
    key.append(reinterpret_cast<const char *>(v), sizeof(T) * n);
    return key;
}

// The offset written for `key` before, or the one `make` writes now (remembered for the next equal key).
template <typename T, typename Make>
flatbuffers::Offset<T> written_once(wsm_builder *b, const std::string &key, Make make) {
    auto found = b->written.find(key);
    if (found != b->written.end()) return flatbuffers::Offset<T>(found->second);
    flatbuffers::Offset<T> offset = make();
    b->written.emplace(key, offset.o);
    return offset;
}

// A vector of `n` values stored once per distinct content; 0 (absent) for NULL.
template <typename T>
flatbuffers::Offset<flatbuffers::Vector<T>> shared_vector(wsm_builder *b, char kind, const T *v, uint32_t n) {
    if (!v) return 0;
    return written_once<flatbuffers::Vector<T>>(b, key_of(kind, v, n), [&] { return b->fbb.CreateVector(v, n); });
}

// Runs `body` and turns allocation failures into the C error value instead of letting them cross into C.
template <typename R, typename Body> R guarded(R failure, Body body) {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        return failure;
    }
}

// Exact outliers of a shared tensor; absent (both vectors) when there are none.
struct Outliers {
    const uint32_t *positions = nullptr;
    const float *values = nullptr;
    uint32_t count = 0;
};

int32_t add_tensor(wsm_builder *b, const char *name, const uint32_t *shape, uint32_t rank, fb::TensorKind kind,
                   const float *values, uint32_t count, uint64_t index_offset, uint32_t arena_offset,
                   Outliers outliers = {}, fb::IndexEncoding encoding = fb::IndexEncoding::FixedWidth,
                   const uint16_t *half = nullptr) {
    return guarded(int32_t(-1), [&]() -> int32_t {
        auto &fbb = b->fbb;
        auto name_offset = optional_string(fbb, name);
        auto shape_offset = shared_vector(b, 'u', shape, rank);
        flatbuffers::Offset<flatbuffers::Vector<float>> raw_offset = 0;
        flatbuffers::Offset<flatbuffers::Vector<uint16_t>> half_offset = 0;
        if (kind == fb::TensorKind::Raw && half) half_offset = fbb.CreateVector(half, count);
        else if (kind == fb::TensorKind::Raw) raw_offset = fbb.CreateVector(values, count);
        flatbuffers::Offset<flatbuffers::Vector<uint32_t>> outlier_positions = 0;
        flatbuffers::Offset<flatbuffers::Vector<float>> outlier_values = 0;
        if (outliers.count > 0) {
            outlier_positions = fbb.CreateVector(outliers.positions, outliers.count);
            outlier_values = fbb.CreateVector(outliers.values, outliers.count);
        }
        fb::TensorBuilder tb(fbb);
        tb.add_name(name_offset);
        tb.add_shape(shape_offset);
        tb.add_kind(kind);
        if (kind == fb::TensorKind::Raw && half) tb.add_raw_half(half_offset);
        else if (kind == fb::TensorKind::Raw) tb.add_raw(raw_offset);
        if (kind == fb::TensorKind::Shared) tb.add_index_offset(index_offset);
        if (kind == fb::TensorKind::Activation) tb.add_arena_offset(arena_offset);
        if (outliers.count > 0) {
            tb.add_outlier_positions(outlier_positions);
            tb.add_outlier_values(outlier_values);
        }
        // The default (FixedWidth) is not stored: files without coded tensors keep their bytes.
        if (kind == fb::TensorKind::Shared) tb.add_index_encoding(encoding);
        b->tensors.push_back(tb.Finish());
        return int32_t(b->tensors.size() - 1);
    });
}

// An option's vector (uint32, int32 or float), or 0 (absent) for NULL; stored once per distinct content.
template <typename T>
flatbuffers::Offset<flatbuffers::Vector<T>> optional_vector(wsm_builder *b, const T *v, uint32_t n) {
    return shared_vector(b, std::is_same<T, float>::value ? 'f' : std::is_signed<T>::value ? 'i' : 'u', v, n);
}

// The bytes of every argument after `tag`: a key for an options table made of scalars and stored offsets.
template <typename... Fields> std::string options_key(char tag, const Fields &...fields) {
    std::string key(1, tag);
    (key.append(reinterpret_cast<const char *>(&fields), sizeof(fields)), ...);
    return key;
}

// An options table stored once per distinct content (`make` builds it).
template <typename Make> flatbuffers::Offset<void> shared_options(wsm_builder *b, const std::string &key, Make make) {
    return written_once<void>(b, key, [&] { return make().Union(); });
}

int add_op(wsm_builder *b, fb::OpCode opcode, const char *name, const int32_t *inputs, uint32_t num_inputs,
           const int32_t *outputs, uint32_t num_outputs, fb::OperatorOptions options_type,
           flatbuffers::Offset<void> options) {
    auto &fbb = b->fbb;
    auto name_offset = optional_string(fbb, name);
    auto in_offset = fbb.CreateVector(inputs, num_inputs);
    auto out_offset = fbb.CreateVector(outputs, num_outputs);
    fb::OperatorBuilder ob(fbb);
    ob.add_opcode(opcode);
    ob.add_inputs(in_offset);
    ob.add_outputs(out_offset);
    if (options_type != fb::OperatorOptions::NONE) {
        ob.add_options_type(options_type);
        ob.add_options(options);
    }
    ob.add_name(name_offset);
    b->operators.push_back(ob.Finish());
    return 0;
}

}  // namespace

extern "C" {

wsm_builder *wsm_builder_create(void) { return new (std::nothrow) wsm_builder(); }

void wsm_builder_destroy(wsm_builder *builder) { delete builder; }

int32_t wsm_builder_add_activation(wsm_builder *builder, const char *name, const uint32_t *shape, uint32_t rank,
                                   uint32_t arena_offset) {
    return add_tensor(builder, name, shape, rank, fb::TensorKind::Activation, nullptr, 0, 0, arena_offset);
}

int32_t wsm_builder_add_raw(wsm_builder *builder, const char *name, const uint32_t *shape, uint32_t rank,
                            const float *values, uint32_t count) {
    return add_tensor(builder, name, shape, rank, fb::TensorKind::Raw, values, count, 0, 0);
}

int32_t wsm_builder_add_raw_half(wsm_builder *builder, const char *name, const uint32_t *shape, uint32_t rank,
                                 const uint16_t *values, uint32_t count) {
    return add_tensor(builder, name, shape, rank, fb::TensorKind::Raw, nullptr, count, 0, 0, {},
                      fb::IndexEncoding::FixedWidth, values);
}

int32_t wsm_builder_add_shared(wsm_builder *builder, const char *name, const uint32_t *shape, uint32_t rank,
                               uint64_t index_offset) {
    return add_tensor(builder, name, shape, rank, fb::TensorKind::Shared, nullptr, 0, index_offset, 0);
}

int32_t wsm_builder_add_shared_with_outliers(wsm_builder *builder, const char *name, const uint32_t *shape,
                                             uint32_t rank, uint64_t index_offset, const uint32_t *positions,
                                             const float *values, uint32_t num_outliers) {
    Outliers outliers;
    outliers.positions = positions;
    outliers.values = values;
    outliers.count = num_outliers;
    return add_tensor(builder, name, shape, rank, fb::TensorKind::Shared, nullptr, 0, index_offset, 0, outliers);
}

int32_t wsm_builder_add_shared_encoded(wsm_builder *builder, const char *name, const uint32_t *shape,
                                       uint32_t rank, uint64_t index_offset, uint8_t encoding,
                                       const uint32_t *positions, const float *values, uint32_t num_outliers) {
    Outliers outliers;
    outliers.positions = positions;
    outliers.values = values;
    outliers.count = num_outliers;
    return add_tensor(builder, name, shape, rank, fb::TensorKind::Shared, nullptr, 0, index_offset, 0, outliers,
                      fb::IndexEncoding(encoding));
}

int wsm_builder_add_operator(wsm_builder *builder, uint8_t opcode, const char *name, const int32_t *inputs,
                             uint32_t num_inputs, const int32_t *outputs, uint32_t num_outputs) {
    return guarded(-1, [&] {
        return add_op(builder, fb::OpCode(opcode), name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::NONE, 0);
    });
}

int wsm_builder_add_gemm(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                         const int32_t *outputs, uint32_t num_outputs, float alpha, float beta, int trans_a,
                         int trans_b) {
    return guarded(-1, [&] {
        auto options = shared_options(builder, options_key('G', alpha, beta, trans_a, trans_b), [&] {
            return fb::CreateGemmOptions(builder->fbb, alpha, beta, trans_a != 0, trans_b != 0);
        });
        return add_op(builder, fb::OpCode::Gemm, name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::GemmOptions, options);
    });
}

int wsm_builder_add_softmax(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                            const int32_t *outputs, uint32_t num_outputs, uint32_t axis, int coerce_2d) {
    return guarded(-1, [&] {
        auto options = shared_options(builder, options_key('M', axis, coerce_2d), [&] {
            return fb::CreateSoftmaxOptions(builder->fbb, axis, coerce_2d != 0);
        });
        return add_op(builder, fb::OpCode::Softmax, name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::SoftmaxOptions, options);
    });
}

int wsm_builder_add_conv(wsm_builder *builder, uint8_t opcode, const char *name, const int32_t *inputs,
                         uint32_t num_inputs, const int32_t *outputs, uint32_t num_outputs, uint32_t group,
                         const uint32_t *strides, const uint32_t *dilations, const uint32_t *pads,
                         const uint32_t *output_padding, uint32_t spatial) {
    return guarded(-1, [&] {
        auto &fbb = builder->fbb;
        auto s = optional_vector(builder, strides, spatial);
        auto d = optional_vector(builder, dilations, spatial);
        auto p = optional_vector(builder, pads, 2 * spatial);
        auto op = optional_vector(builder, output_padding, spatial);
        auto options = shared_options(builder, options_key('C', group, s.o, d.o, p.o, op.o), [&] {
            return fb::CreateConvOptions(fbb, group, s, d, p, op);
        });
        return add_op(builder, fb::OpCode(opcode), name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::ConvOptions, options);
    });
}

int wsm_builder_add_pool(wsm_builder *builder, uint8_t opcode, const char *name, const int32_t *inputs,
                         uint32_t num_inputs, const int32_t *outputs, uint32_t num_outputs, const uint32_t *kernel,
                         const uint32_t *strides, const uint32_t *dilations, const uint32_t *pads, uint32_t spatial,
                         int count_include_pad) {
    return guarded(-1, [&] {
        auto &fbb = builder->fbb;
        auto k = optional_vector(builder, kernel, spatial);
        auto s = optional_vector(builder, strides, spatial);
        auto d = optional_vector(builder, dilations, spatial);
        auto p = optional_vector(builder, pads, 2 * spatial);
        auto options = shared_options(builder, options_key('P', k.o, s.o, d.o, p.o, count_include_pad), [&] {
            return fb::CreatePoolOptions(fbb, k, s, d, p, count_include_pad != 0);
        });
        return add_op(builder, fb::OpCode(opcode), name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::PoolOptions, options);
    });
}

int wsm_builder_add_activation_op(wsm_builder *builder, uint8_t opcode, const char *name, const int32_t *inputs,
                                  uint32_t num_inputs, const int32_t *outputs, uint32_t num_outputs, float alpha,
                                  float beta) {
    return guarded(-1, [&] {
        auto options = shared_options(builder, options_key('A', alpha, beta), [&] {
            return fb::CreateActivationOptions(builder->fbb, alpha, beta);
        });
        return add_op(builder, fb::OpCode(opcode), name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::ActivationOptions, options);
    });
}

int wsm_builder_add_concat(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                           const int32_t *outputs, uint32_t num_outputs, uint32_t axis) {
    return guarded(-1, [&] {
        auto options = shared_options(builder, options_key('X', axis), [&] {
            return fb::CreateAxisOptions(builder->fbb, axis);
        });
        return add_op(builder, fb::OpCode::Concat, name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::AxisOptions, options);
    });
}

int wsm_builder_add_transpose(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                              const int32_t *outputs, uint32_t num_outputs, const uint32_t *perm, uint32_t rank) {
    return guarded(-1, [&] {
        auto p = optional_vector(builder, perm, rank);
        auto options = shared_options(builder, options_key('T', p.o), [&] {
            return fb::CreateTransposeOptions(builder->fbb, p);
        });
        return add_op(builder, fb::OpCode::Transpose, name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::TransposeOptions, options);
    });
}

int wsm_builder_add_pad(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                        const int32_t *outputs, uint32_t num_outputs, uint8_t mode, const uint32_t *pads,
                        uint32_t count, float value) {
    return guarded(-1, [&] {
        auto p = optional_vector(builder, pads, count);
        auto options = shared_options(builder, options_key('D', mode, p.o, value), [&] {
            return fb::CreatePadOptions(builder->fbb, fb::PadMode(mode), p, value);
        });
        return add_op(builder, fb::OpCode::Pad, name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::PadOptions, options);
    });
}

int wsm_builder_add_resize(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                           const int32_t *outputs, uint32_t num_outputs, uint8_t mode,
                           uint8_t coordinate_transform, uint8_t nearest_mode, const float *scales,
                           uint32_t count) {
    return guarded(-1, [&] {
        auto s = optional_vector(builder, scales, count);
        auto options = shared_options(builder, options_key('R', mode, coordinate_transform, nearest_mode, s.o), [&] {
            return fb::CreateResizeOptions(builder->fbb, fb::ResizeMode(mode),
                                           fb::CoordinateTransform(coordinate_transform), fb::NearestMode(nearest_mode),
                                           s);
        });
        return add_op(builder, fb::OpCode::Resize, name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::ResizeOptions, options);
    });
}

int wsm_builder_add_log_softmax(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                                const int32_t *outputs, uint32_t num_outputs, uint32_t axis, int coerce_2d) {
    return guarded(-1, [&] {
        auto options = shared_options(builder, options_key('M', axis, coerce_2d), [&] {
            return fb::CreateSoftmaxOptions(builder->fbb, axis, coerce_2d != 0);
        });
        return add_op(builder, fb::OpCode::LogSoftmax, name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::SoftmaxOptions, options);
    });
}

int wsm_builder_add_reduce(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                           const int32_t *outputs, uint32_t num_outputs, uint8_t mode, const uint32_t *axes,
                           uint32_t num_axes, int keepdims) {
    return guarded(-1, [&] {
        auto a = optional_vector(builder, axes, num_axes);
        auto options = shared_options(builder, options_key('E', mode, a.o, keepdims), [&] {
            return fb::CreateReduceOptions(builder->fbb, fb::ReduceMode(mode), a, keepdims != 0);
        });
        return add_op(builder, fb::OpCode::Reduce, name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::ReduceOptions, options);
    });
}

int wsm_builder_add_layer_norm(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                               const int32_t *outputs, uint32_t num_outputs, uint32_t axis, float epsilon) {
    return guarded(-1, [&] {
        auto options = shared_options(builder, options_key('L', axis, epsilon), [&] {
            return fb::CreateLayerNormOptions(builder->fbb, axis, epsilon);
        });
        return add_op(builder, fb::OpCode::LayerNormalization, name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::LayerNormOptions, options);
    });
}

int wsm_builder_add_slice(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                          const int32_t *outputs, uint32_t num_outputs, const uint32_t *starts, const int32_t *steps,
                          uint32_t rank) {
    return guarded(-1, [&] {
        auto a = optional_vector(builder, starts, rank);
        auto b = optional_vector(builder, steps, rank);
        auto options = shared_options(builder, options_key('S', a.o, b.o), [&] {
            return fb::CreateSliceOptions(builder->fbb, a, b);
        });
        return add_op(builder, fb::OpCode::Slice, name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::SliceOptions, options);
    });
}

int wsm_builder_add_gather(wsm_builder *builder, const char *name, const int32_t *inputs, uint32_t num_inputs,
                           const int32_t *outputs, uint32_t num_outputs, uint32_t axis, const uint32_t *indices,
                           uint32_t count) {
    return guarded(-1, [&] {
        auto i = optional_vector(builder, indices, count);
        auto options = shared_options(builder, options_key('H', axis, i.o), [&] {
            return fb::CreateGatherOptions(builder->fbb, axis, i);
        });
        return add_op(builder, fb::OpCode::Gather, name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::GatherOptions, options);
    });
}

int wsm_builder_add_recurrent(wsm_builder *builder, uint8_t opcode, const char *name, const int32_t *inputs,
                              uint32_t num_inputs, const int32_t *outputs, uint32_t num_outputs, uint8_t direction,
                              uint8_t layout, int linear_before_reset) {
    return guarded(-1, [&] {
        auto options = shared_options(builder, options_key('U', direction, layout, linear_before_reset), [&] {
            return fb::CreateRecurrentOptions(builder->fbb, static_cast<fb::RecurrentDirection>(direction), layout,
                                                  linear_before_reset != 0);
        });
        return add_op(builder, static_cast<fb::OpCode>(opcode), name, inputs, num_inputs, outputs, num_outputs,
                      fb::OperatorOptions::RecurrentOptions, options);
    });
}

int wsm_builder_set_codebook(wsm_builder *builder, const float *values, uint32_t count) {
    return guarded(-1, [&] {
        builder->codebook = builder->fbb.CreateVector(values, count);
        return 0;
    });
}

int wsm_builder_set_index_stream(wsm_builder *builder, uint8_t encoding, uint8_t bit_width, uint64_t count,
                                 const uint8_t *data, size_t bytes) {
    return wsm_builder_set_coded_index_stream(builder, encoding, bit_width, count, data, bytes, nullptr, 0);
}

int wsm_builder_set_coded_index_stream(wsm_builder *builder, uint8_t encoding, uint8_t bit_width, uint64_t count,
                                       const uint8_t *data, size_t bytes, const uint8_t *code_lengths,
                                       uint32_t num_code_lengths) {
    return guarded(-1, [&] {
        flatbuffers::Offset<flatbuffers::Vector<uint8_t>> lengths_offset = 0;
        if (code_lengths) lengths_offset = builder->fbb.CreateVector(code_lengths, num_code_lengths);
        auto data_offset = builder->fbb.CreateVector(data, bytes);
        builder->stream = fb::CreateIndexStream(builder->fbb, fb::IndexEncoding(encoding), bit_width, count,
                                                data_offset, lengths_offset);
        return 0;
    });
}

int wsm_builder_set_graph_io(wsm_builder *builder, const int32_t *inputs, uint32_t num_inputs,
                             const int32_t *outputs, uint32_t num_outputs) {
    return guarded(-1, [&] {
        builder->inputs = builder->fbb.CreateVector(inputs, num_inputs);
        builder->outputs = builder->fbb.CreateVector(outputs, num_outputs);
        return 0;
    });
}

void wsm_builder_set_arena_bytes(wsm_builder *builder, uint32_t arena_bytes) { builder->arena_bytes = arena_bytes; }

int wsm_builder_set_metadata(wsm_builder *builder, const wsm_metadata *m) {
    return guarded(-1, [&] {
        auto &fbb = builder->fbb;
        auto tool = optional_string(fbb, m->tool_version);
        auto sha = optional_string(fbb, m->source_sha256);
        auto source = optional_string(fbb, m->source_name);
        auto metric = optional_string(fbb, m->metric);
        auto solution = optional_string(fbb, m->solution_json);
        builder->metadata = fb::CreateMetadata(fbb, tool, sha, source, m->k, m->m, m->seed, metric, m->score,
                                               m->float_score, solution);
        return 0;
    });
}

int wsm_builder_finish(wsm_builder *builder, uint32_t format_version, uint64_t required_features) {
    return guarded(-1, [&] {
        auto &fbb = builder->fbb;
        auto tensors = fbb.CreateVector(builder->tensors);
        auto operators = fbb.CreateVector(builder->operators);
        fb::ModelBuilder mb(fbb);
        mb.add_format_version(format_version);
        mb.add_required_features(required_features);
        mb.add_codebook(builder->codebook);
        mb.add_indices(builder->stream);
        mb.add_tensors(tensors);
        mb.add_operators(operators);
        mb.add_inputs(builder->inputs);
        mb.add_outputs(builder->outputs);
        mb.add_arena_bytes(builder->arena_bytes);
        mb.add_metadata(builder->metadata);
        // A non-default placeholder makes the builder store the field; its bytes are zeroed before the CRC.
        mb.add_crc32(0xFFFFFFFFu);
        fb::FinishModelBuffer(fbb, mb.Finish());

        auto *model = fb::GetMutableModel(fbb.GetBufferPointer());
        model->mutate_crc32(0);
        uint32_t crc = ws_crc32(0, fbb.GetBufferPointer(), fbb.GetSize());
        model->mutate_crc32(crc);
        builder->finished = true;
        return 0;
    });
}

const uint8_t *wsm_builder_data(const wsm_builder *builder, size_t *length) {
    if (!builder->finished) {
        if (length) *length = 0;
        return nullptr;
    }
    if (length) *length = builder->fbb.GetSize();
    return builder->fbb.GetBufferPointer();
}

int wsm_flatbuffers_verify(const uint8_t *buf, size_t length) {
    // The Verifier asserts on buffers of 2 GiB or more; such a file is refused here instead.
    if (buf == nullptr || length >= (size_t(1) << 31)) return 0;
    flatbuffers::Verifier verifier(buf, length);
    return fb::VerifyModelBuffer(verifier) ? 1 : 0;
}

}  // extern "C"
