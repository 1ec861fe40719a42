#!/bin/sh
# Installs what building and testing WeightShare needs, once: Debian packages through apt-get (only those
# missing). Safe to run again.
#   --python       the Python packages that regenerate fixtures (make fixtures), into the current python3
#   --python-test  a virtual environment .venv-test (PY_VENV) with what the Python package's tests need
#                  (numpy, pytest, onnx, onnxruntime, setuptools, wheel; make python-test)
set -eu
packages="libflatbuffers-dev flatbuffers-compiler protobuf-compiler libssl-dev zlib1g-dev \
gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm srecord make libonnx-testdata \
cmake python3-venv python3-dev iproute2 libopenblas-dev"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ "${1:-}" = "--python" ]; then
    python3 -c "import onnx, onnxruntime, sklearn, numpy" 2>/dev/null ||
        python3 -m pip install -q onnx onnxruntime scikit-learn numpy
fi
if [ "${1:-}" = "--python-test" ]; then
    venv="${PY_VENV:-.venv-test}"
    if ! "$venv/bin/python" -c "import numpy, pytest, onnx, onnxruntime, setuptools, wheel" 2>/dev/null; then
        echo "creating $venv (numpy pytest onnx onnxruntime setuptools wheel)"
        "${PYTHON:-python3}" -m venv "$venv"
        # A venv's bundled setuptools may predate pyproject builds without `wheel`: bring both up to date.
        "$venv/bin/python" -m pip install -q --upgrade pip setuptools wheel
        "$venv/bin/python" -m pip install -q numpy pytest onnx onnxruntime
    fi
fi
exit 0
