#!/usr/bin/env bash
# Dense-layer decode cost (issue 16): writes bench/dense_decode.json (see bench/dense_decode.py and bench/README.md).
#   bench/dense_decode.sh   (needs swift, cc, arm-none-eabi-gcc, qemu-system-arm, python3; no packages)
# WSC=<path> measures that wsc (default: the debug build, built with the tests for the model export);
# SCRATCH=<folder> (default .build-bench/dense_decode); RUNS, PASSES, ROUNDS for the host timings.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-bench/dense_decode}
mkdir -p "$SCRATCH/models"
cd "$ROOT"
echo "== .wsm files, raw and K=16 (the benchmark export test, debug build)" >&2
swift build --build-tests >&2
WS_BENCH_OUT="$SCRATCH/models" swift test --skip-build --filter CNNFixtureBenchExport >&2
WSC=${WSC:-$ROOT/.build/debug/wsc}
${CC:-cc} -O2 -std=c99 -Wall -Wextra -pedantic -I "$ROOT/Runtime/include" "$ROOT/bench/runtime_bench.c" \
    "$ROOT"/Runtime/src/*.c -lm -o "$SCRATCH/runtime_bench"
exec ${PYTHON:-python3} "$ROOT/bench/dense_decode.py" --wsc "$WSC" --scratch "$SCRATCH" \
    --driver "$SCRATCH/runtime_bench" --fixtures "$ROOT/Tests/Fixtures" --models "$SCRATCH/models" \
    --out "${OUT:-$ROOT/bench/dense_decode.json}" --runs "${RUNS:-7}" --passes "${PASSES:-20}" --rounds "${ROUNDS:-3}"
