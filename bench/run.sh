#!/usr/bin/env bash
# WeightShare benchmark: writes bench/results.json and bench/sizes.json (see bench/README.md).
#   bench/run.sh            (needs swift, cc, python3 with numpy, onnxruntime, scikit-learn; arm-none-eabi-gcc
#                            for the sizes, which SIZES=0 skips)
# SCRATCH=<folder> changes the build folder (default .build-bench); RUNS=<n> the runs per timing (>= 5).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-bench}
MODELS=$SCRATCH/bench-models
cd "$ROOT"
mkdir -p "$MODELS"

echo "== .wsm files (raw and K=16) and Swift binning timings (release build of the test target)" >&2
WS_BENCH_OUT="$MODELS" swift test -c release -Xswiftc -enable-testing --scratch-path "$SCRATCH" \
    --filter CNNFixtureBenchExport >&2
test -f "$MODELS/swift.json" || { echo "error: $MODELS/swift.json was not written" >&2; exit 1; }

echo "== C driver (-O2)" >&2
${CC:-cc} -O2 -std=c99 -Wall -Wextra -pedantic -I Runtime/include bench/runtime_bench.c Runtime/src/*.c -lm \
    -o "$SCRATCH/runtime_bench"

echo "== timings" >&2
${PYTHON:-python3} bench/bench.py --models "$MODELS" --driver "$SCRATCH/runtime_bench" \
    --out "$ROOT/bench/results.json" --runs "${RUNS:-7}"

if [ "${SIZES:-1}" != 0 ]; then
    echo "== sizes (bench/sizes.sh)" >&2
    SCRATCH="$SCRATCH" MODELS="$MODELS" DRIVER="$SCRATCH/runtime_bench" bench/sizes.sh >/dev/null
fi
