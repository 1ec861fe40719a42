#!/usr/bin/env bash
# Compile cost against model size: writes bench/chain_scaling.json (see bench/README.md).
#   bench/chain_scaling.sh   (needs swift) ; SCRATCH=<folder> build folder (default .build-bench), RUNS=<n> (default 3)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-bench}
OUT=${OUT:-$ROOT/bench/chain_scaling.json}
cd "$ROOT"
WS_BENCH_CHAIN_OUT="$OUT" WS_BENCH_RUNS="${RUNS:-3}" swift test -c release -Xswiftc -enable-testing \
    --scratch-path "$SCRATCH" --filter ChainScalingBench >&2
cat "$OUT"
