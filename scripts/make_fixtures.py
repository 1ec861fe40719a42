#!/usr/bin/env python3
"""Makes the committed test fixtures in Tests/Fixtures/ (deterministic: rerunning gives identical bytes).

- digits_{train,val,test}.npz: scikit-learn's bundled digits (1,797 8x8 images), x = pixels/16 float32 [n,64],
  y int64 [n], split 60/20/20 stratified with a fixed seed.
- digits_mlp.onnx: an MLP 64-128-64-10 (ReLU) trained with scikit-learn on the train split, exported by hand
  with onnx.helper (Gemm transB=1 -> Relu -> Gemm -> Relu -> Gemm -> Softmax, opset 13, dynamic batch), and
  digits_mlp_test_ref.npz: onnxruntime's (one thread) probabilities on the whole test split.
- Small import/lowering models, each with <name>_io.npz (x, y: onnxruntime's output for x).
- Bad data files for error tests.
- fixtures.json: sizes, accuracies, seeds, tool versions, and per-model facts (initializer shapes and a few
  values) that the Swift tests check the importer against.

Usage: python3 scripts/make_fixtures.py   (needs numpy, scikit-learn, onnx, onnxruntime)
"""
import os

# One BLAS thread: the same bytes on every run.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import sklearn  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures")

SPLIT_SEED = 0
MLP_SEED = 0
TINY_SEED = 1234
MAX_TOTAL_BYTES = 2 * 1024 * 1024

facts = {"seeds": {"split": SPLIT_SEED, "mlp": MLP_SEED, "tiny_models": TINY_SEED}, "models": {}}
written = []


def path(name):
    return os.path.join(OUT, name)


def record(name):
    written.append(name)


def save_npz(name, **arrays):
    # np.savez writes fixed ZIP timestamps (1980-01-01), so the bytes are reproducible.
    np.savez(path(name), **arrays)
    record(name)


def save_model(model, name, check=True):
    data = model.SerializeToString(deterministic=True)
    with open(path(name), "wb") as f:
        f.write(data)
    record(name)
    if check:
        onnx.checker.check_model(path(name), full_check=True)


def session(name):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path(name), sess_options=opts, providers=["CPUExecutionProvider"])


def run(name, x):
    sess = session(name)
    (y,) = sess.run(None, {sess.get_inputs()[0].name: x})
    return y


def f32(values):
    """float32 values as JSON numbers (exact: a float32 is exactly a double)."""
    return [float(v) for v in np.asarray(values, dtype=np.float32).ravel()]


def tensor_facts(array):
    flat = np.asarray(array).ravel()
    if flat.dtype.kind == "f":
        head, last = f32(flat[:3]), f32(flat[-1:])[0]
    else:
        head, last = [int(v) for v in flat[:3]], int(flat[-1])
    return {"shape": list(array.shape), "first": head, "last": last}


def model_facts(name, model, initializers, extra=None):
    """initializers: name -> numpy array, everything the importer should end up with as constants."""
    g = model.graph
    init_names = {t.name for t in g.initializer}
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))

    def shape_of(vi):
        if not vi.type.tensor_type.HasField("shape"):
            return None
        return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in vi.type.tensor_type.shape.dim]

    entry = {
        "file": name,
        "opset": opset,
        "inputs": {vi.name: shape_of(vi) for vi in g.input if vi.name not in init_names},
        "outputs": {vi.name: shape_of(vi) for vi in g.output},
        "node_count": len(g.node),
        "initializers": {k: tensor_facts(v) for k, v in sorted(initializers.items())},
    }
    if extra:
        entry.update(extra)
    facts["models"][name] = entry


def make_model(graph, opset, ir_version):
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="weightshare-make_fixtures",
        producer_version="1",
    )
    model.ir_version = ir_version
    return model


def io_npz(name, model_file, x):
    y = run(model_file, x)
    save_npz(name, x=x, y=y.astype(np.float32))
    return y


# ---------------------------------------------------------------------------------------------------------------
# Digits data and the MLP


def make_digits():
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=0.2, stratify=y, random_state=SPLIT_SEED)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=0.25, stratify=y_rest, random_state=SPLIT_SEED)
    for split, xs, ys in (("train", x_train, y_train), ("val", x_val, y_val), ("test", x_test, y_test)):
        save_npz(f"digits_{split}.npz", x=np.ascontiguousarray(xs), y=np.ascontiguousarray(ys))
    facts["digits"] = {
        "total": int(len(x)),
        "train": int(len(x_train)),
        "val": int(len(x_val)),
        "test": int(len(x_test)),
        "features": int(x.shape[1]),
        "classes": 10,
        "split": "60/20/20 stratified (train_test_split, random_state=%d)" % SPLIT_SEED,
        "test_first_labels": [int(v) for v in y_test[:5]],
    }
    return x_train, y_train, x_val, y_val, x_test, y_test


def export_mlp(clf, name):
    nodes, inits, arrays = [], [], {}
    prev = "input"
    n_layers = len(clf.coefs_)
    for i, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        layer = f"fc{i + 1}"
        weight = np.ascontiguousarray(w.T.astype(np.float32))  # [out, in]
        bias = b.astype(np.float32)
        arrays[f"{layer}.weight"], arrays[f"{layer}.bias"] = weight, bias
        inits.append(numpy_helper.from_array(weight, f"{layer}.weight"))
        inits.append(numpy_helper.from_array(bias, f"{layer}.bias"))
        out = f"{layer}_out"
        nodes.append(helper.make_node("Gemm", [prev, f"{layer}.weight", f"{layer}.bias"], [out], name=layer,
                                      alpha=1.0, beta=1.0, transB=1))
        prev = out
        if i < n_layers - 1:
            nodes.append(helper.make_node("Relu", [prev], [f"relu{i + 1}_out"], name=f"relu{i + 1}"))
            prev = f"relu{i + 1}_out"
    nodes.append(helper.make_node("Softmax", [prev], ["probabilities"], name="softmax", axis=1))
    graph = helper.make_graph(
        nodes, "digits_mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 10])],
        initializer=inits)
    model = make_model(graph, 13, 8)
    save_model(model, name)
    return model, arrays


def make_mlp(x_train, y_train, x_val, y_val, x_test, y_test):
    clf = MLPClassifier(hidden_layer_sizes=(128, 64), activation="relu", solver="adam", alpha=1e-4,
                        batch_size=64, learning_rate_init=1e-3, max_iter=400, tol=1e-6, n_iter_no_change=20,
                        shuffle=True, random_state=MLP_SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x_train, y_train)
    model, arrays = export_mlp(clf, "digits_mlp.onnx")

    probs = run("digits_mlp.onnx", x_test).astype(np.float32)
    save_npz("digits_mlp_test_ref.npz", y=probs)
    acc_test = float(np.mean(probs.argmax(axis=1) == y_test))
    acc_val = float(np.mean(run("digits_mlp.onnx", x_val).argmax(axis=1) == y_val))
    acc_train = float(np.mean(run("digits_mlp.onnx", x_train).argmax(axis=1) == y_train))
    sk_test = float(clf.score(x_test, y_test))
    shared = sum(a.size for k, a in arrays.items() if k.endswith(".weight"))
    model_facts("digits_mlp.onnx", model, arrays, {
        "float_accuracy": {"train": acc_train, "val": acc_val, "test": acc_test, "test_sklearn": sk_test},
        "training_iterations": int(clf.n_iter_),
        "shared_weight_count": int(shared),
        "parameter_count": int(sum(a.size for a in arrays.values())),
        "lowered_shapes_batch1": [[1, 64], [1, 128], [1, 128], [1, 64], [1, 64], [1, 10], [1, 10]],
        "test_ref_first_row": f32(probs[0]),
    })
    return acc_test


# ---------------------------------------------------------------------------------------------------------------
# Small import/lowering models


def make_constant_nodes(rng):
    """Weights in Constant nodes (one behind an Identity), typed float_data, Dropout, Reshape with a Constant
    shape (0 and -1), Flatten, Gemm alpha/beta with C [1,N], a scalar Constant, a dead branch (Relu -> Sin)
    and a graph output produced by an Identity."""
    w1 = rng.standard_normal((12, 16)).astype(np.float32) * 0.5
    b1 = rng.standard_normal(16).astype(np.float32) * 0.1
    w2 = rng.standard_normal((10, 16)).astype(np.float32) * 0.5
    c2 = rng.standard_normal((1, 10)).astype(np.float32) * 0.1
    shape = np.array([0, 4, -1], dtype=np.int64)
    offset = np.float32(0.25)

    nodes = [
        helper.make_node("Constant", [], ["w1_raw"], name="const_w1",
                         value=numpy_helper.from_array(w1, "w1_value")),
        helper.make_node("Identity", ["w1_raw"], ["w1"], name="w1_identity"),
        helper.make_node("MatMul", ["x", "w1"], ["mm1"], name="matmul_1"),
        helper.make_node("Constant", [], ["b1"], name="const_b1", value_floats=[float(v) for v in b1]),
        helper.make_node("Add", ["mm1", "b1"], ["h1"], name="add_bias"),
        helper.make_node("Relu", ["h1"], ["h1_relu"], name="relu_1"),
        helper.make_node("Relu", ["x"], ["dead_1"], name="dead_relu"),
        helper.make_node("Sin", ["dead_1"], ["dead_2"], name="dead_sin"),
        helper.make_node("Dropout", ["h1_relu"], ["h1_drop"], name="dropout_1"),
        helper.make_node("Constant", [], ["shape_1"], name="const_shape", value_ints=[int(v) for v in shape]),
        helper.make_node("Reshape", ["h1_drop", "shape_1"], ["h3d"], name="reshape_1"),
        helper.make_node("Flatten", ["h3d"], ["flat"], name="flatten_1", axis=1),
        helper.make_node("Gemm", ["flat", "w2", "c2"], ["logits"], name="gemm_1", alpha=0.5, beta=2.0, transB=1),
        helper.make_node("Constant", [], ["offset"], name="const_offset", value_float=float(offset)),
        helper.make_node("Add", ["logits", "offset"], ["logits_2"], name="add_offset"),
        helper.make_node("Softmax", ["logits_2"], ["softmax_out"], name="softmax_1", axis=-1),
        helper.make_node("Identity", ["softmax_out"], ["y"], name="output_identity"),
    ]
    inits = [
        # typed float_data instead of raw_data
        helper.make_tensor("w2", TensorProto.FLOAT, list(w2.shape), [float(v) for v in w2.ravel()], raw=False),
        numpy_helper.from_array(c2, "c2"),
    ]
    graph = helper.make_graph(
        nodes, "constant_nodes",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 12])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 10])],
        initializer=inits)
    model = make_model(graph, 13, 8)
    save_model(model, "constant_nodes.onnx")
    x = rng.standard_normal((2, 12)).astype(np.float32)
    io_npz("constant_nodes_io.npz", "constant_nodes.onnx", x)
    model_facts("constant_nodes.onnx", model,
                {"w1_raw": w1, "b1": b1, "w2": w2, "c2": c2, "shape_1": shape, "offset": np.array(offset)},
                {"typed_float_data": ["w2"], "constant_nodes": ["const_w1", "const_b1", "const_shape", "const_offset"],
                 "dead_nodes": ["dead_relu", "dead_sin"], "removed_nodes": ["w1_identity", "dropout_1",
                                                                             "output_identity"],
                 "lowered_operations": ["matmul_1", "add_bias", "relu_1", "reshape_1", "flatten_1", "gemm_1",
                                        "add_offset", "softmax_1"],
                 "lowered_shapes": {"mm1": [2, 16], "h1": [2, 16], "h1_relu": [2, 16], "h3d": [2, 4, 4],
                                    "flat": [2, 16], "logits": [2, 10], "logits_2": [2, 10], "y": [2, 10]}})


def external_tensor(name, array, location, offset, length):
    t = numpy_helper.from_array(array, name)
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", str(offset)), ("length", str(length))):
        entry = t.external_data.add()
        entry.key, entry.value = key, value
    return t


def make_external_data(rng):
    """Two tensors in one external file: W at offset 0, B at offset 64 (after padding)."""
    w = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    blob = bytearray(w.astype("<f4").tobytes())
    blob += b"\0" * (64 - len(blob))
    b_offset = len(blob)
    blob += b.astype("<f4").tobytes()
    with open(path("external_data.bin"), "wb") as f:
        f.write(bytes(blob))
    record("external_data.bin")

    def build(name, w_location, w_offset, w_length, check):
        nodes = [
            helper.make_node("Gemm", ["x", "W", "B"], ["gemm_out"], name="gemm_1", transB=1),
            helper.make_node("Relu", ["gemm_out"], ["y"], name="relu_1"),
        ]
        inits = [external_tensor("W", w, w_location, w_offset, w_length),
                 external_tensor("B", b, "external_data.bin", b_offset, b.nbytes)]
        graph = helper.make_graph(
            nodes, name.replace(".onnx", ""),
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
            initializer=inits)
        model = make_model(graph, 13, 8)
        save_model(model, name, check=check)
        return model

    model = build("external_data.onnx", "external_data.bin", 0, w.nbytes, True)
    x = rng.standard_normal((1, 4)).astype(np.float32)
    io_npz("external_data_io.npz", "external_data.onnx", x)
    model_facts("external_data.onnx", model, {"W": w, "B": b},
                {"external_file": "external_data.bin", "external_file_size": len(blob),
                 "offsets": {"W": 0, "B": b_offset}})
    # Deliberately broken variants (not checked; the importer must reject them with a clear error).
    build("external_escape.onnx", "../Fixtures/external_data.bin", 0, w.nbytes, False)
    build("external_absolute.onnx", "/tmp/external_data.bin", 0, w.nbytes, False)
    build("external_missing.onnx", "missing_weights.bin", 0, w.nbytes, False)
    build("external_out_of_bounds.onnx", "external_data.bin", b_offset, w.nbytes, False)


def make_unsupported_op(rng):
    w = rng.standard_normal((4, 4)).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["mm"], name="matmul_1"),
        helper.make_node("Sin", ["mm"], ["s"], name="sin_1"),
        helper.make_node("Relu", ["s"], ["y"], name="relu_1"),
    ]
    graph = helper.make_graph(
        nodes, "unsupported_op",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        initializer=[numpy_helper.from_array(w, "w")])
    model = make_model(graph, 13, 8)
    save_model(model, "unsupported_op.onnx")
    io_npz("unsupported_op_io.npz", "unsupported_op.onnx", rng.standard_normal((1, 4)).astype(np.float32))
    model_facts("unsupported_op.onnx", model, {"w": w}, {"unsupported_node": "sin_1", "unsupported_op": "Sin"})


def make_softmax_opset11(rng):
    w = rng.standard_normal((4, 4)).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["mm"], name="matmul_3d"),
        helper.make_node("Softmax", ["mm"], ["y"], name="softmax_1", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "softmax_opset11",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 4])],
        initializer=[numpy_helper.from_array(w, "w")])
    model = make_model(graph, 11, 6)
    save_model(model, "softmax_opset11.onnx")
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    y = io_npz("softmax_opset11_io.npz", "softmax_opset11.onnx", x)
    # Opset-11 semantics: softmax over the flattened [2, 12] view, so each batch row of 12 sums to 1.
    sums = y.reshape(2, 12).sum(axis=1)
    assert np.allclose(sums, 1.0, atol=1e-5), sums
    model_facts("softmax_opset11.onnx", model, {"w": w})


def make_dynamic(rng):
    # An input without any shape. onnx.checker insists on a shape for graph inputs, but exporters do write such
    # models and onnxruntime runs them, so it is not checked.
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu_1")], "no_shape_input",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = make_model(graph, 13, 8)
    save_model(model, "no_shape_input.onnx", check=False)
    io_npz("no_shape_input_io.npz", "no_shape_input.onnx", rng.standard_normal((2, 3)).astype(np.float32))
    model_facts("no_shape_input.onnx", model, {})

    # A symbolic non-batch dimension.
    w = rng.standard_normal((4, 3)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="matmul_1")], "symbolic_dims",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "features"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        initializer=[numpy_helper.from_array(w, "w")])
    model = make_model(graph, 13, 8)
    save_model(model, "symbolic_dims.onnx")
    io_npz("symbolic_dims_io.npz", "symbolic_dims.onnx", rng.standard_normal((2, 4)).astype(np.float32))
    model_facts("symbolic_dims.onnx", model, {"w": w})


# ---------------------------------------------------------------------------------------------------------------
# NumPy files for reader tests, and bad files


def make_numpy_files(x_test, y_test):
    x10 = x_test[:10]
    save_npz("digits_bad_dtype.npz", x=x10.astype(np.float16), y=y_test[:10])
    save_npz("digits_bad_labels.npz", x=x10, y=y_test[:9])
    save_npz("digits_float_labels.npz", x=x10, y=y_test[:10].astype(np.float32))
    np.savez_compressed(path("digits_small_compressed.npz"), x=x_test[:20], y=y_test[:20])
    record("digits_small_compressed.npz")

    values = {
        "f4": np.array([[1.5, -2.25, 3.0], [0.0, 1e-3, -7.5]], dtype="<f4"),
        "f8": np.array([1.0 / 3.0, -2.5, 1e300], dtype="<f8"),
        "i8": np.array([[-(2 ** 40), 0], [7, 2 ** 62]], dtype="<i8"),
        "i4": np.array([-(2 ** 31), 5, 2 ** 31 - 1], dtype="<i4"),
        "u1": np.array([0, 7, 255], dtype="|u1"),
        "b1": np.array([True, False, True], dtype="|b1"),
        "scalar": np.array(4.5, dtype="<f4"),
    }
    save_npz("dtypes.npz", **values)

    def save_npy(name, array, version=None):
        with open(path(name), "wb") as f:
            np.lib.format.write_array(f, array, version=version, allow_pickle=array.dtype == object)
        record(name)

    save_npy("fortran_order.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    save_npy("big_endian.npy", np.arange(4, dtype=">f4"))
    save_npy("complex_dtype.npy", np.array([1 + 2j, 3 - 1j], dtype=np.complex64))
    save_npy("header_v1.npy", np.arange(6, dtype=np.float32).reshape(3, 2), version=(1, 0))
    save_npy("header_v2.npy", np.arange(6, dtype=np.float32).reshape(3, 2), version=(2, 0))
    save_npy("header_v3.npy", np.arange(6, dtype=np.int64).reshape(2, 3), version=(3, 0))

    with open(path("not_a_model.onnx"), "w") as f:
        f.write("This is a text file, not an ONNX model.\n")
    record("not_a_model.onnx")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(TINY_SEED)
    x_train, y_train, x_val, y_val, x_test, y_test = make_digits()
    acc = make_mlp(x_train, y_train, x_val, y_val, x_test, y_test)
    make_constant_nodes(rng)
    make_external_data(rng)
    make_unsupported_op(rng)
    make_softmax_opset11(rng)
    make_dynamic(rng)
    make_numpy_files(x_test, y_test)

    facts["versions"] = {"python": sys.version.split()[0], "numpy": np.__version__, "scikit-learn": sklearn.__version__,
                         "onnx": onnx.__version__, "onnxruntime": ort.__version__}
    sizes = {name: os.path.getsize(path(name)) for name in sorted(written)}
    facts["files"] = {name: {"bytes": size,
                             "sha256": hashlib.sha256(open(path(name), "rb").read()).hexdigest()}
                      for name, size in sizes.items()}
    total = sum(sizes.values())
    facts["total_bytes"] = total
    with open(path("fixtures.json"), "w") as f:
        json.dump(facts, f, indent=1, sort_keys=True)
        f.write("\n")

    d = facts["digits"]
    print(f"digits: train {d['train']}, val {d['val']}, test {d['test']} (x float32 [n,64], y int64)")
    mlp = facts["models"]["digits_mlp.onnx"]
    print(f"digits_mlp.onnx: {mlp['parameter_count']} parameters ({mlp['shared_weight_count']} shared weights), "
          f"{mlp['training_iterations']} epochs; float accuracy test {acc:.4f}, "
          f"val {mlp['float_accuracy']['val']:.4f}, train {mlp['float_accuracy']['train']:.4f}")
    print(f"{len(written) + 1} files in {os.path.relpath(OUT, ROOT)}, {total + os.path.getsize(path('fixtures.json'))} bytes")
    if total > MAX_TOTAL_BYTES:
        sys.exit(f"error: fixtures take {total} bytes, more than {MAX_TOTAL_BYTES}")


if __name__ == "__main__":
    main()
