"""weightshare.wsc (the wrappers of the wsc binary) and, through them, an end-to-end check against onnxruntime:
a model whose weights lie on a 4-value grid compiles without loss (any K >= 5 puts each grid value in a bin of its
own, whose mean is the value), so the C runtime must match onnxruntime within float32 rounding."""

import os
import stat

import numpy as np
import pytest

import weightshare as ws
from conftest import FIXTURES

GRID = np.array([-1.5, -0.5, 0.5, 1.5], np.float32)


def grid_mlp_onnx(folder):
    """MLP 8 -> 16 -> 4 (Gemm transB, Relu, Gemm) with weights on GRID (every value present), float biases."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(3)
    w1 = rng.choice(GRID, size=(16, 8)).astype(np.float32)
    w1[0, :4] = GRID
    w2 = rng.choice(GRID, size=(4, 16)).astype(np.float32)
    b1 = rng.normal(size=16).astype(np.float32)
    b2 = rng.normal(size=4).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1, name="fc1"),
         helper.make_node("Relu", ["h"], ["r"], name="relu"),
         helper.make_node("Gemm", ["r", "w2", "b2"], ["y"], transB=1, name="fc2")],
        "grid_mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx_path = folder / "grid_mlp.onnx"
    onnx.save(model, str(onnx_path))
    data_path = folder / "grid_data.npz"
    np.savez(data_path, x=rng.normal(size=(64, 8)).astype(np.float32))
    return onnx_path, data_path


def two_input_onnx(folder):
    """Inputs a, b [1, 4]; outputs sum = a + b and proj = sum · W [1, 3]; data keyed by the input names."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(4)
    weight = rng.choice(GRID, size=(4, 3)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["sum"], name="add"),
         helper.make_node("MatMul", ["sum", "w"], ["proj"], name="matmul")],
        "two_inputs", [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 4]) for n in ("a", "b")],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, [1, 4]),
         helper.make_tensor_value_info("proj", TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(weight, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx_path = folder / "two_inputs.onnx"
    onnx.save(model, str(onnx_path))
    data_path = folder / "two_inputs.npz"
    np.savez(data_path, a=rng.normal(size=(16, 4)).astype(np.float32), b=rng.normal(size=(16, 4)).astype(np.float32))
    return onnx_path, data_path, weight


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory, wsc_binary):
    folder = tmp_path_factory.mktemp("grid")
    onnx_path, data_path = grid_mlp_onnx(folder)
    # float32 biases (not the default binary16): with weights on the grid the file is then the float model exactly.
    search = ws.wsc.search(onnx_path, data_path, folder / "run", wsc=wsc_binary, genome="k", metric="cosine",
                           seed=1, k_min=8, k_max=64, population=8, generations=2, no_merge=True, constants="float")
    solution = search["solutions"][0]
    compiled = ws.wsc.compile(folder / "run", folder / "out", wsc=wsc_binary, solution=solution["id"])
    return {"onnx": onnx_path, "data": data_path, "search": search, "compile": compiled,
            "wsm": folder / "out" / "model.wsm"}


def test_search_and_compile_reports(grid_run):
    search, compiled = grid_run["search"], grid_run["compile"]
    assert search["metric"] == "cosine" and search["sharedWeights"] == 16 * 8 + 4 * 16
    assert search["solutions"] and all(s["result"]["m"] == len(GRID) for s in search["solutions"])
    # Weights on the grid: the shared model is the float model; its score differs only by the summation order (the
    # runtime's raw and 2-bit dense paths add the same products in another order), far below a point.
    assert compiled["m"] == len(GRID) and compiled["bitWidth"] == 2 and abs(compiled["lossPoints"]) < 1e-9
    assert compiled["files"] == ["model.wsm", "model_data.c", "model_data.h"]
    model = ws.Model(grid_run["wsm"])
    assert model.arena_bytes == compiled["arenaBytes"]
    assert model.file_bytes == compiled["wsmBytes"]
    assert model.codebook.tolist() == GRID.tolist()  # each bin's mean is its one grid value


def test_lossless_compile_matches_onnxruntime(grid_run):
    ort = pytest.importorskip("onnxruntime")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(grid_run["onnx"]), options, providers=["CPUExecutionProvider"])
    x = np.load(grid_run["data"])["x"]
    expected = np.concatenate([session.run(None, {"x": row[None]})[0] for row in x])
    [got] = ws.Model(grid_run["wsm"]).run(x)
    assert got.shape == expected.shape == (64, 4)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_verify_report(grid_run, wsc_binary):
    report = ws.wsc.verify(grid_run["wsm"], grid_run["onnx"], grid_run["data"], wsc=wsc_binary, limit=32)
    assert report["samples"] == 32 and report["sourceMatches"] is True
    assert report["agreement"] == 1 and report["maxAbsDiff"] <= 1e-5 and report["compressedAccuracy"] is None


def test_verify_accuracy_equals_the_bindings(wsc_binary):
    """wsc verify (Swift + its own build of the C runtime) and Model.run give the same top-1 on every sample."""
    data = np.load(FIXTURES / "digits_test.npz")
    report = ws.wsc.verify(FIXTURES / "golden" / "digits_mlp.wsm", FIXTURES / "digits_mlp.onnx",
                           FIXTURES / "digits_test.npz", wsc=wsc_binary)
    [probabilities] = ws.Model(FIXTURES / "golden" / "digits_mlp.wsm").run(data["x"])
    assert report["samples"] == len(data["x"]) == 360
    assert report["compressedAccuracy"] == float(np.mean(probabilities.argmax(axis=1) == data["y"]))


def test_failures_raise_with_wscs_stderr(tmp_path, wsc_binary):
    not_a_model = tmp_path / "x.wsm"
    not_a_model.write_bytes(b"not a model at all")
    with pytest.raises(ws.wsc.WscError) as info:
        ws.wsc.inspect(not_a_model, wsc=wsc_binary)
    error = info.value
    assert error.returncode != 0 and error.stderr.strip()
    assert error.command[1:] == ["inspect", str(not_a_model), "--json"]
    assert str(error).startswith(f"wsc inspect failed (exit status {error.returncode}):")
    assert error.stderr.strip() in str(error)
    with pytest.raises(ws.wsc.WscError, match="wsc inspect failed"):
        ws.wsc.inspect(FIXTURES / "golden" / "digits_mlp.wsm", wsc=wsc_binary, no_such_option=3)


def test_options_map_onto_the_command_line(tmp_path):
    """A stand-in wsc that echoes its arguments as JSON: how keyword options are spelled."""
    fake = tmp_path / "fake-wsc"
    fake.write_text("#!/bin/sh\nprintf '{\"argv\": ['; sep=''; for a in \"$@\"; do printf '%s\"%s\"' \"$sep\" \"$a\"; "
                    "sep=','; done; printf ']}'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    report = ws.wsc.search("m.onnx", "d.npz", tmp_path / "run", wsc=str(fake), k_max=64, no_merge=True,
                           resume=False, board=None, input_shape={"input": (1, 64)})
    assert report["argv"] == ["search", "m.onnx", "--data", "d.npz", "--out", str(tmp_path / "run"), "--k-max", "64",
                              "--no-merge", "--input-shape", "input=1,64", "--json"]
    # The Ray executor gets this package's bridge, unless one is given.
    report = ws.wsc.search("m.onnx", "d.npz", "run", wsc=str(fake), executor="ray", ray_address="127.0.0.1:6379")
    bridge = report["argv"][report["argv"].index("--ray-bridge") + 1]
    assert bridge.endswith("weightshare/ray_bridge.py") and os.path.isfile(bridge)
    report = ws.wsc.search("m.onnx", "d.npz", "run", wsc=str(fake), executor="ray", ray_bridge="/b.py")
    assert report["argv"].count("--ray-bridge") == 1 and "/b.py" in report["argv"]
    report = ws.wsc.compile("runs/m", "out", wsc=str(fake), solution=3, input_shape=["a=1,2", "b=3"])
    assert report["argv"] == ["compile", "runs/m", "--output", "out", "--solution", "3", "--input-shape", "a=1,2",
                              "--input-shape", "b=3", "--json"]


def test_finding_wsc(tmp_path, monkeypatch):
    monkeypatch.setenv("WSC", str(tmp_path / "missing"))
    with pytest.raises(ws.wsc.WscNotFoundError, match=r"\$WSC names"):
        ws.wsc.find_wsc()
    monkeypatch.delenv("WSC")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ws.wsc.WscNotFoundError, match="wsc not found"):
        ws.wsc.inspect("model.wsm")
    fake = tmp_path / "wsc"
    fake.write_text("#!/bin/sh\necho '{}'\n")
    fake.chmod(0o755)
    assert ws.wsc.find_wsc() == str(fake)
    assert ws.wsc.find_wsc(str(fake)) == str(fake)
    assert ws.wsc.inspect("model.wsm") == {}
