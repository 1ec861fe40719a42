# WeightShare: `make demo` runs the bundled model through search -> compile -> verify; `make test` runs every test.
SWIFT ?= swift

.PHONY: deps demo test swift-test runtime-test runtime-install-test python-test boards-test ray-test generated-check release \
	fixtures folded-fixtures family-fixtures tiny-fixtures fuzz clean

deps:
	@scripts/install-deps.sh

release: deps
	$(SWIFT) build -c release --product wsc

demo: release
	scripts/demo.sh

# Generated code must match its sources; the C runtime is tested with gcc and clang (warnings are errors,
# plus ASan/UBSan), cross-compiled for Cortex-M4 and fuzzed for 30 s (libFuzzer), installed and used by a CMake
# host project; then the Swift tests; then the Python package's tests; then the model runs bare-metal on the
# emulated boards (QEMU) against the host runtime; then a search on a two-node Ray cluster on 127.0.0.1.
test: deps generated-check runtime-test runtime-install-test swift-test python-test boards-test ray-test

generated-check:
	scripts/gen-flatbuffers.sh --check
	scripts/gen-protobuf.sh --check

runtime-test:
	$(MAKE) -C Runtime test
	$(MAKE) -C Runtime cortex-m4
	$(MAKE) -C Runtime fuzz-short

# `make -C Runtime install` into a temporary prefix, then Runtime/examples/cmake-host built with CMake against it
# (find_package) and run on a fixture, and the same program built with pkg-config.
runtime-install-test:
	scripts/runtime-install-test.sh

# The Python package (python/): installed into the virtual environment PY_VENV (made by install-deps.sh
# --python-test), then its pytest suite, with the debug wsc for the wrappers' tests.
PY_VENV ?= .venv-test
python-test:
	PY_VENV=$(PY_VENV) scripts/install-deps.sh --python-test
	$(SWIFT) build --product wsc
	$(PY_VENV)/bin/python -m pip install -q --no-build-isolation --force-reinstall --no-deps ./python
	cd python && WSC="$(CURDIR)/.build/debug/wsc" WEIGHTSHARE_REQUIRE_WSC=1 "$(abspath $(PY_VENV))/bin/python" -m pytest -q -rs tests

# The long fuzz campaign: the runtime's libFuzzer target for FUZZ_RUNS executions (default 10,000,000), then the
# Swift fuzz suites of the host readers (ONNX, NumPy, board files) on WS_FUZZ_CASES mutated inputs each.
FUZZ_RUNS ?= 10000000
WS_FUZZ_CASES ?= 10000
fuzz: deps
	$(MAKE) -C Runtime fuzz FUZZ_RUNS=$(FUZZ_RUNS)
	WS_FUZZ_CASES=$(WS_FUZZ_CASES) $(SWIFT) test --filter ReaderFuzz

swift-test:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

boards-test:
	SWIFT=$(SWIFT) scripts/boards-test.sh

# The Ray executor (`wsc search --executor ray`): ray==2.60.0 from PyPI into RAY_VENV, a head and a second node on
# 127.0.0.1 inside private network and PID namespaces (unshare); skipped with a message only where pip cannot
# install Ray.
RAY_VENV ?= .venv-ray
ray-test:
	$(SWIFT) build --product wsc
	RAY_VENV=$(RAY_VENV) scripts/ray-test.sh "$$($(SWIFT) build --show-bin-path)/wsc"

# Regenerates Tests/Fixtures (needs the Python packages; deterministic).
fixtures:
	scripts/install-deps.sh --python
	python3 scripts/make_fixtures.py

# Regenerates Tests/Fixtures/folded (folded BatchNorm, re-parameterised outliers, autoencoder; issue 5). Needs torch:
# FIXTURES_PYTHON is a Python with torch, numpy, onnx and onnxruntime (e.g. a venv made with
# --system-site-packages and `pip install torch`). Deterministic; scripts/probe_scales.py re-runs the binning probe.
FIXTURES_PYTHON ?= .venv-fixtures/bin/python
folded-fixtures:
	$(FIXTURES_PYTHON) scripts/make_folded_fixtures.py

# Regenerates Tests/Fixtures/families (YOLOv8-style detector, ViT/SVTR-style recogniser, LSTM VAD with state in
# and out, GRU keyword spotter; issue 12) and Tests/Fixtures/io (several inputs and outputs, an If on an int64
# input). Same FIXTURES_PYTHON as above; deterministic.
family-fixtures:
	$(FIXTURES_PYTHON) scripts/make_family_fixtures.py
	$(FIXTURES_PYTHON) scripts/make_io_fixtures.py

# Regenerates Tests/Fixtures/tiny (the MLPerf Tiny reference architectures on synthetic data; issue 12). Needs torch
# (FIXTURES_PYTHON as above); deterministic, about 5 minutes on one core.
tiny-fixtures:
	$(FIXTURES_PYTHON) scripts/make_tiny_fixtures.py

clean:
	rm -rf .build Runtime/build python/build
