"""Several inputs and outputs. The .wsm comes from the runtime tests' own helpers (c/make_models.c): wsc compiles
only one-input models so far (see test_wsc_multi_input_model)."""

import numpy as np
import pytest

import weightshare as ws
from conftest import bits_equal
from test_wsc import two_input_onnx

W = np.array([[1, -0.5, 0.25, 2], [2, 2, -0.5, 1], [0.25, 0.25, 1, -0.5]], np.float32)  # as in c/make_models.c


def test_two_inputs_two_outputs(built_models, reference):
    path = built_models / "two_in_two_out.wsm"
    model = ws.Model(path)
    assert [(s.name, s.shape) for s in model.inputs] == [("a", (1, 4)), ("b", (1, 4))]
    assert [(s.name, s.shape) for s in model.outputs] == [("sum", (1, 4)), ("proj", (1, 3))]
    assert model.codebook.tolist() == [-0.5, 0.25, 1.0, 2.0]
    assert [op for _, op in model.operators] == ["Add", "Mul", "Gemm"]
    rng = np.random.default_rng(5)
    a = rng.normal(size=(32, 4)).astype(np.float32)
    b = rng.normal(size=(32, 4)).astype(np.float32)
    total, proj = model.run(a, b)
    assert total.shape == (32, 4) and proj.shape == (32, 3)
    assert bits_equal(total, a + b)                                   # one float32 addition: exact
    np.testing.assert_allclose(proj, (a * b) @ W.T, rtol=1e-6, atol=1e-6)
    expected = reference.run(path, [a, b], [4, 3])
    assert bits_equal(total, expected[0]) and bits_equal(proj, expected[1])
    single = model.run(a[:1], b[:1])
    assert [o.shape for o in single] == [(1, 4), (1, 3)]
    assert bits_equal(single[1], proj[:1])
    stacked = model.run(a.reshape(32, 1, 4), b.reshape(32, 1, 4))
    assert [o.shape for o in stacked] == [(32, 1, 4), (32, 1, 3)]
    assert bits_equal(stacked[1][:, 0], proj)


def test_two_inputs_errors_name_the_input(built_models):
    model = ws.Model(built_models / "two_in_two_out.wsm")
    a = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match=r"input 'b' expects shape \(1, 4\)"):
        model.run(a, np.zeros((3, 5), np.float32))
    with pytest.raises(ValueError, match=r"same size.*'a': a batch of 3.*'b': a batch of 2"):
        model.run(a, np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"'a': one sample, 'b': a batch of 3"):
        model.run(np.zeros((1, 4), np.float32), a)
    with pytest.raises(TypeError, match=r"takes 2 array\(s\), one per input \('a' \[1, 4\], 'b' \[1, 4\]\); got 1"):
        model.run(a)


def test_wsc_multi_input_model(tmp_path, wsc_binary):
    """Two inputs (Add), two outputs (the sum and a MatMul of it), built with onnx.helper, through wsc."""
    onnx_path, data_path, weight = two_input_onnx(tmp_path)
    report = ws.wsc.check(onnx_path, wsc=wsc_binary)
    assert [i["name"] for i in report["inputs"]] == ["a", "b"]
    if not report["compilable"]:
        pytest.skip("wsc cannot compile a model with several inputs yet: " + str(report.get("error")))
    run = ws.wsc.search(onnx_path, data_path, tmp_path / "run", wsc=wsc_binary, genome="k", metric="cosine",
                        k_min=8, k_max=32, population=8, generations=2, no_merge=True)
    ws.wsc.compile(tmp_path / "run", tmp_path / "out", wsc=wsc_binary, solution=run["solutions"][0]["id"])
    model = ws.Model(tmp_path / "out" / "model.wsm")
    data = np.load(data_path)
    total, proj = model.run(data["a"], data["b"])
    np.testing.assert_allclose(total, data["a"] + data["b"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(proj, (data["a"] + data["b"]) @ weight, rtol=1e-5, atol=1e-5)
