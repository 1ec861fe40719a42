#!/usr/bin/env bash
# WeightShare sizes: writes bench/sizes.json (see bench/README.md). Deterministic (no timings), so it is committed.
#   bench/sizes.sh          (needs swift, cc, arm-none-eabi-gcc, make, python3; no Python packages)
# SCRATCH=<folder> build folder (default .build-bench); CONFIG=release|debug the Swift build that exports the
# models (default release, as bench/run.sh); MODELS=<folder> reuse exported models (bench/run.sh passes its
# own); DRIVER=<path> a compiled bench/runtime_bench (default: compiled into SCRATCH); OUT=<file> (default bench/sizes.json).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-bench}
MODELS=${MODELS:-$SCRATCH/bench-models}
CONFIG=${CONFIG:-release}
cd "$ROOT"
for tool in arm-none-eabi-gcc make "${CC:-cc}"; do
    command -v "$tool" >/dev/null || { echo "sizes: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done

if [ ! -f "$MODELS/swift.json" ]; then
    echo "== .wsm files (raw and K=16), exported by the $CONFIG build of the test target" >&2
    mkdir -p "$MODELS"
    case $CONFIG in
        release) flags=(-c release -Xswiftc -enable-testing) ;;
        debug) flags=() ;;
        *) echo "sizes: CONFIG is '$CONFIG'; expected release or debug" >&2; exit 1 ;;
    esac
    WS_BENCH_OUT="$MODELS" swift test "${flags[@]}" --scratch-path "$SCRATCH" --filter CNNFixtureBenchExport >&2
fi

if [ -z "${DRIVER:-}" ]; then
    DRIVER=$SCRATCH/runtime_bench
    echo "== C driver (host, for the arena sizes)" >&2
    ${CC:-cc} -O2 -std=c99 -Wall -Wextra -pedantic -I Runtime/include bench/runtime_bench.c Runtime/src/*.c -lm \
        -o "$DRIVER"
fi

echo "== sizes" >&2
${PYTHON:-python3} bench/sizes.py --models "$MODELS" --driver "$DRIVER" --out "${OUT:-$ROOT/bench/sizes.json}"
