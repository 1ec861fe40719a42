#!/usr/bin/env bash
# Verification time against the operator count (issue 15): builds valid chains of 10k/20k/40k operators with the
# official FlatBuffers writer (Runtime/tests/test_support.c chain_model), loads each with and without the
# verifier's scratch, and prints JSON (median seconds, ratio), also written to OUT.
#   bench/verify_scaling.sh     (needs cc, c++ and Debian's libflatbuffers-dev, as `make -C Runtime test`)
# SIZES="10000 20000 40000"; SCRATCH_RUNS (default 7) and SCAN_RUNS (default 3; 0 skips the quadratic scan, which
# takes ~30 s per run at 40k); SCRATCH=<build folder> (default .build-bench); OUT (default bench/verify_scaling.json).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-bench}
OUT=${OUT:-$ROOT/bench/verify_scaling.json}
SIZES=${SIZES:-10000 20000 40000}
CC=${CC:-cc}
CXX=${CXX:-c++}
FLAGS="-O2 -std=c99 -Wall -Wextra -Werror -pedantic"
RT=$ROOT/Runtime
FB=$ROOT/Sources/WSMFlatBuffers
OBJ=$SCRATCH/verify_scaling
mkdir -p "$OBJ"
echo "== building bench/verify_scaling.c (runtime -O2)" >&2
for f in "$RT"/src/*.c; do
    "$CC" $FLAGS -I"$RT/include" -c "$f" -o "$OBJ/$(basename "${f%.c}").o"
done
"$CC" $FLAGS -I"$RT/include" -I"$FB/include" -c "$RT/tests/test_support.c" -o "$OBJ/test_support.o"
"$CC" $FLAGS -I"$RT/include" -I"$RT/tests" -I"$FB/include" -c "$ROOT/bench/verify_scaling.c" -o "$OBJ/main.o"
"$CXX" -std=c++17 -O2 -I"$FB/include" -I"$FB/generated" -I"$RT/include" -c "$FB/wsm_builder.cpp" -o "$OBJ/wsm_builder.cpp.o"
"$CXX" "$OBJ"/*.o -lm -o "$OBJ/verify_scaling"
echo "== timing (sizes: $SIZES)" >&2
# shellcheck disable=SC2086
"$OBJ/verify_scaling" "${SCRATCH_RUNS:-7}" "${SCAN_RUNS:-3}" $SIZES | tee "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
