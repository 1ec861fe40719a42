"""Shared fixtures of the weightshare tests.

Independent expectations come from outside the Python binding: `c/ref_run.c` (the C runtime compiled on its own
with the system's C compiler), `c/make_models.c` (models written by the runtime tests' helpers), `wsc` (the Swift
compiler and reader), onnxruntime, and ws_runtime.h parsed as text.
"""

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import weightshare

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "Tests" / "Fixtures"
RUNTIME = REPO / "Runtime"
BUILDER = REPO / "Sources" / "WSMFlatBuffers"
HERE = Path(__file__).resolve().parent


def _compile_all(jobs):
    """Runs compiler command lines in parallel; fails the session with the compiler's output."""
    def run(cmd):
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError("compiling a test helper failed:\n" + " ".join(cmd) + "\n" + result.stderr)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(run, jobs))


@pytest.fixture(scope="session")
def c_tools(tmp_path_factory):
    """Paths of the C helpers `ref_run` and `make_models`, built once per session from the repository's sources
    (the runtime with -std=c99 -O2, as `make -C Runtime test`'s gcc flavour)."""
    cc = os.environ.get("CC", "gcc")
    cxx = os.environ.get("CXX", "g++")
    out = tmp_path_factory.mktemp("c-tools")
    inc = ["-I" + str(RUNTIME / "include")]
    rt_objects = []
    jobs = []
    for src in sorted((RUNTIME / "src").glob("*.c")):
        obj = out / (src.stem + ".o")
        rt_objects.append(str(obj))
        jobs.append([cc, "-std=c99", "-O2", *inc, "-c", str(src), "-o", str(obj)])
    support = ["-I" + str(RUNTIME / "src"), "-I" + str(RUNTIME / "tests"), "-I" + str(BUILDER / "include")]
    jobs += [
        [cc, "-std=c99", "-O2", *inc, "-c", str(HERE / "c" / "ref_run.c"), "-o", str(out / "ref_run.o")],
        [cc, "-std=c99", "-O2", *inc, *support, "-c", str(HERE / "c" / "make_models.c"), "-o", str(out / "make_models.o")],
        [cc, "-std=c99", "-O2", *inc, *support, "-c", str(RUNTIME / "tests" / "test_support.c"), "-o", str(out / "test_support.o")],
        [cxx, "-std=c++17", "-O2", *inc, "-I" + str(BUILDER / "include"), "-I" + str(BUILDER / "generated"),
         "-c", str(BUILDER / "wsm_builder.cpp"), "-o", str(out / "wsm_builder.o")],
    ]
    _compile_all(jobs)
    _compile_all([
        [cc, str(out / "ref_run.o"), *rt_objects, "-lm", "-o", str(out / "ref_run")],
        [cxx, str(out / "make_models.o"), str(out / "test_support.o"), str(out / "wsm_builder.o"), *rt_objects, "-lm",
         "-o", str(out / "make_models")],
    ])
    return {"ref_run": out / "ref_run", "make_models": out / "make_models"}


@pytest.fixture(scope="session")
def built_models(c_tools, tmp_path_factory):
    """Folder with the .wsm files written by c/make_models.c."""
    out = tmp_path_factory.mktemp("models")
    subprocess.run([str(c_tools["make_models"]), str(out)], check=True, capture_output=True)
    return out


class Reference:
    """The C runtime alone (c/ref_run.c)."""

    def __init__(self, binary: Path, workdir: Path):
        self.binary = binary
        self.workdir = workdir
        self.count = 0

    def load_status(self, wsm: Path):
        """None when the runtime accepts the file, else (status, op, tensor, input, op_name, tensor_name)."""
        result = subprocess.run([str(self.binary), str(wsm)], capture_output=True, text=True)
        if result.returncode == 0:
            return None
        assert result.returncode == 3, result.stderr
        m = re.fullmatch(r"status=(-?\d+) op=(-?\d+) tensor=(-?\d+) input=(-?\d+) op_name=(.*) tensor_name=(.*)",
                         result.stdout.strip())
        assert m, result.stdout
        names = [None if v == "-" else v for v in m.group(5, 6)]
        return (int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)), *names)

    def run(self, wsm: Path, inputs, output_sizes):
        """Runs n samples (inputs: one float32 array [n, ...] per graph input); returns one [n, size] array per
        output."""
        self.count += 1
        files = []
        for i, x in enumerate(inputs):
            path = self.workdir / f"in{self.count}_{i}.bin"
            np.ascontiguousarray(x, dtype="<f4").tofile(path)
            files.append(str(path))
        out = self.workdir / f"out{self.count}.bin"
        subprocess.run([str(self.binary), str(wsm), str(out), *files], check=True, capture_output=True)
        n = len(inputs[0])
        flat = np.fromfile(out, dtype="<f4").reshape(n, sum(output_sizes))
        splits = np.cumsum(output_sizes)[:-1]
        return [part.copy() for part in np.split(flat, splits, axis=1)]


@pytest.fixture(scope="session")
def reference(c_tools, tmp_path_factory):
    return Reference(c_tools["ref_run"], tmp_path_factory.mktemp("ref"))


@pytest.fixture(scope="session")
def header_statuses():
    """{name: code} of WS_STATUS_LIST, read from ws_runtime.h as text."""
    text = (RUNTIME / "include" / "ws_runtime.h").read_text()
    found = dict((name, int(code)) for name, code in re.findall(r"X\((WS_[A-Z_]+), (-?\d+), \"", text))
    assert "WS_OK" in found and "WS_ERR_CRC" in found
    return found


def wsc_or_skip():
    """The wsc binary; a skip when it is absent, a failure when $WEIGHTSHARE_REQUIRE_WSC is set (make test)."""
    try:
        return weightshare.wsc.find_wsc()
    except weightshare.wsc.WscNotFoundError as error:
        if os.environ.get("WEIGHTSHARE_REQUIRE_WSC"):
            pytest.fail(f"wsc is required here ($WEIGHTSHARE_REQUIRE_WSC): {error}")
        pytest.skip(f"no wsc: {error}")


@pytest.fixture(scope="session")
def wsc_binary():
    return wsc_or_skip()


def bits_equal(a, b) -> bool:
    """Bit-for-bit equality of float32 arrays (NaNs with the same payload compare equal, 0.0 != -0.0)."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    b = np.ascontiguousarray(b, dtype=np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))
