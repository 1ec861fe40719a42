#!/bin/sh
# Installs what building and testing WeightShare needs, once: Debian packages through apt-get (only those
# missing). Safe to run again. Python packages are only needed to regenerate fixtures (make fixtures).
set -eu
packages="libflatbuffers-dev flatbuffers-compiler protobuf-compiler libssl-dev zlib1g-dev \
gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm srecord make libonnx-testdata"
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
exit 0
