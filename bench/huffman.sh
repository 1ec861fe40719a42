#!/usr/bin/env bash
# Fixed-width vs Huffman-coded index streams (issue 16): writes bench/huffman.json.
#   bench/huffman.sh      (needs the debug wsc build, cc, arm-none-eabi-gcc, qemu-system-arm, python3; no packages)
# For each fixture (digits MLP, LeNet, MobileNet, ResNet CNNs): one seeded search, compile's default choice
# compiled with --index-coding fixed, auto and huffman (every streamed tensor coded); sizes (file, stream, code
# table, the search's Huffman estimate),
# QEMU instructions per inference on mps2-an386 (Cortex-M4F) and mps2-an500 (Cortex-M7) through `wsc run`, and the
# host latency of bench/runtime_bench (median of runs). WSC=<path> (default .build/debug/wsc), SCRATCH=<folder>.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WSC=${WSC:-$ROOT/.build/debug/wsc}
SCRATCH=${SCRATCH:-$ROOT/.build-bench/huffman}
mkdir -p "$SCRATCH"
${CC:-cc} -O2 -std=c99 -Wall -Wextra -pedantic -I "$ROOT/Runtime/include" "$ROOT/bench/runtime_bench.c" \
    "$ROOT"/Runtime/src/*.c -lm -o "$SCRATCH/runtime_bench"
exec ${PYTHON:-python3} "$ROOT/bench/huffman.py" --wsc "$WSC" --scratch "$SCRATCH" --driver "$SCRATCH/runtime_bench" \
    --fixtures "$ROOT/Tests/Fixtures" --out "${OUT:-$ROOT/bench/huffman.json}"
