"""Model on the committed fixtures: bit-for-bit against the C runtime alone, facts against wsc inspect (the Swift
reader), batch forms, argument errors, threads, lifetime."""

import gc
import pathlib
import threading

import numpy as np
import pytest

import weightshare as ws
from conftest import FIXTURES, bits_equal

DIGITS_WSM = FIXTURES / "golden" / "digits_mlp.wsm"
MOBILENET_WSM = FIXTURES / "golden" / "mobilenet.wsm"


@pytest.fixture(scope="module")
def digits():
    data = np.load(FIXTURES / "digits_test.npz")
    return data["x"], data["y"]


@pytest.mark.parametrize("wsm, shape", [(DIGITS_WSM, (64,)), (MOBILENET_WSM, (1, 8, 8))], ids=["digits_mlp", "mobilenet"])
def test_run_equals_the_c_runtime_bit_for_bit(wsm, shape, digits, reference):
    x = digits[0].reshape((-1,) + shape)  # all 360 test samples, batched along the model's axis 0
    model = ws.Model(wsm)
    outputs = model.run(x)
    expected = reference.run(wsm, [x], [s.size for s in model.outputs])
    assert len(outputs) == len(expected) == len(model.outputs)
    for got, want, spec in zip(outputs, expected, model.outputs):
        assert got.dtype == np.float32
        assert got.shape == (len(x),) + spec.shape[1:]
        assert bits_equal(got.reshape(len(x), -1), want)


@pytest.mark.parametrize("wsm", [DIGITS_WSM, MOBILENET_WSM], ids=["digits_mlp", "mobilenet"])
def test_facts_equal_wsc_inspect(wsm, wsc_binary):
    report = ws.wsc.inspect(wsm, wsc=wsc_binary)
    model = ws.Model(wsm)
    tensors = {t["index"]: t for t in report["tensors"]}
    assert [s.name for s in model.inputs] == report["inputs"]
    assert [s.name for s in model.outputs] == report["outputs"]
    for spec in model.inputs + model.outputs:
        assert list(spec.shape) == tensors[spec.tensor_id]["shape"]
        assert tensors[spec.tensor_id]["kind"] == "activation"
        assert spec.dtype == np.float32
    assert model.arena_bytes == report["arenaBytes"]
    assert model.file_bytes == report["bytes"] == wsm.stat().st_size
    assert model.codebook.tolist() == [float(np.float32(v)) for v in report["codebook"]]
    assert [op for _, op in model.operators] == [o["opcode"] for o in report["operators"]]
    meta = model.metadata
    assert (meta["k"], meta["m"], meta["bit_width"], meta["seed"]) == (report["k"], report["m"], report["bitWidth"], report["seed"])
    assert meta["source_sha256"] == report["sourceSHA256"]


def test_codebook_is_a_sorted_read_only_float32_array():
    codebook = ws.Model(DIGITS_WSM).codebook
    assert codebook.dtype == np.float32 and codebook.ndim == 1 and len(codebook) >= 2
    assert np.all(np.diff(codebook) > 0)
    with pytest.raises(ValueError):
        codebook[0] = 1.0


def test_batch_forms_agree_with_single_samples(digits):
    x = digits[0][:5]
    model = ws.Model(DIGITS_WSM)  # input [1, 64], output [1, 10]
    singles = [model.run(row.reshape(1, 64))[0] for row in x]
    assert all(s.shape == (1, 10) for s in singles)
    along_axis0 = model.run(x)[0]                 # (n, 64)
    stacked = model.run(x.reshape(5, 1, 64))[0]   # (n, 1, 64)
    assert along_axis0.shape == (5, 10) and stacked.shape == (5, 1, 10)
    for i, single in enumerate(singles):
        assert bits_equal(along_axis0[i], single[0])
        assert bits_equal(stacked[i], single)
    assert model.run(x[:0])[0].shape == (0, 10)   # an empty batch is a batch


def test_inputs_are_converted_to_float32(digits):
    x = digits[0][:3]
    model = ws.Model(DIGITS_WSM)
    assert bits_equal(model.run(x.astype(np.float64))[0], model.run(x)[0])
    assert bits_equal(model.run(np.asfortranarray(x))[0], model.run(x)[0])
    assert bits_equal(model.run(x[:, ::-1][:, ::-1])[0], model.run(x)[0])   # a non-contiguous view
    assert bits_equal(model(x)[0], model.run(x)[0])


def test_wrong_shapes_name_the_input_and_the_expected_shape(digits):
    model = ws.Model(MOBILENET_WSM)  # input [1, 1, 8, 8]
    with pytest.raises(ValueError) as info:
        model.run(digits[0][:4])      # (4, 64): the NHWC/flat mix-up
    text = str(info.value)
    assert "'input'" in text and "(1, 1, 8, 8)" in text and "(4, 64)" in text and "element count fits" in text
    with pytest.raises(ValueError, match=r"input 'input' expects shape \(1, 1, 8, 8\).*got \(8, 8\)"):
        model.run(np.zeros((8, 8), np.float32))
    with pytest.raises(TypeError, match=r"takes 1 array\(s\), one per input \('input' \[1, 1, 8, 8\]\); got 2"):
        model.run(np.zeros((1, 1, 8, 8)), np.zeros((1, 1, 8, 8)))
    with pytest.raises(TypeError, match="got 0"):
        model.run()
    with pytest.raises(TypeError, match="real numbers"):
        model.run(np.zeros((1, 1, 8, 8), np.complex64))
    with pytest.raises(TypeError, match="real numbers"):
        model.run(np.array([["a"] * 8] * 8))


def test_model_from_bytes_paths_and_buffers():
    data = DIGITS_WSM.read_bytes()
    x = np.linspace(0, 1, 64, dtype=np.float32).reshape(1, 64)
    expected = ws.Model(str(DIGITS_WSM)).run(x)[0]
    for source in (pathlib.Path(DIGITS_WSM), data, bytearray(data), memoryview(data), np.frombuffer(data, np.uint8)):
        assert bits_equal(ws.Model(source).run(x)[0], expected)
    mutable = bytearray(data)
    model = ws.Model(mutable)
    mutable[:] = bytes(len(mutable))  # the Model owns a copy
    assert bits_equal(model.run(x)[0], expected)
    assert "digits_mlp.wsm" in repr(ws.Model(DIGITS_WSM)) and "arena 768 bytes" in repr(ws.Model(DIGITS_WSM))


def test_several_threads_run_one_model(digits):
    model = ws.Model(MOBILENET_WSM)
    x = digits[0].reshape(-1, 1, 8, 8)
    expected = model.run(x)[0]
    results = [None] * 8
    barrier = threading.Barrier(len(results))

    def work(i):
        barrier.wait()
        results[i] = [model.run(x[j:j + 45])[0] for j in range(0, len(x), 45)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for chunks in results:
        assert bits_equal(np.concatenate(chunks), expected)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@pytest.mark.skipif(not pathlib.Path("/proc/self/statm").exists(), reason="needs /proc to read the process size")
def test_models_and_runs_leak_nothing(digits):
    """4000 loads (8.8 KB copy each) and runs: a leak of the copy, the scratch or the arena would add >= 3 MB."""
    data = DIGITS_WSM.read_bytes()
    x = digits[0][:2]

    def cycle(n):
        for _ in range(n):
            model = ws.Model(data)
            model.run(x)
            _ = model.codebook, model.inputs, model.metadata, model.operators
            try:
                ws.Model(data[:-8])
            except ws.ModelLoadError:
                pass

    cycle(500)  # warm up allocator pools
    gc.collect()
    before = _rss_bytes()
    cycle(4000)
    gc.collect()
    assert _rss_bytes() - before < 3 * 1024 * 1024
