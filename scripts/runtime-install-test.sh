#!/bin/sh
# The runtime as a user's project gets it (make test's runtime-install-test):
#  1. CMake: build Runtime/, `cmake --install` into a temporary prefix, build Runtime/examples/cmake-host against it
#     with find_package(WeightShareRuntime), run it on the golden fixtures;
#  2. the same example in a project that takes the runtime with add_subdirectory(Runtime);
#  3. `make -C Runtime install PREFIX=...`, the example compiled with pkg-config's flags;
# and checks that all three print the same outputs, and that a corrupted file is refused with the runtime's message.
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-cc}
jobs=${JOBS:-2}
passed=0
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { echo "FAIL: $1" >&2; echo "runtime-install-test: $passed passed, 1 failed"; exit 1; }

echo "== CMake: build and install the runtime into $tmp/cmake-prefix"
# Strict, at the Makefile's -O2 (GCC 12's -O3 gives maybe-uninitialized false positives in ws_layout.c).
cmake -S Runtime -B "$tmp/rt" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" -DWS_RUNTIME_STRICT=ON >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "configure Runtime"; }
cmake --build "$tmp/rt" -j "$jobs" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "build Runtime"; }
cmake --install "$tmp/rt" --prefix "$tmp/cmake-prefix" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "install Runtime"; }
for f in include/ws_runtime.h lib/libwsruntime.a lib/pkgconfig/weightshare-runtime.pc \
         lib/cmake/WeightShareRuntime/WeightShareRuntimeConfig.cmake; do
    [ -f "$tmp/cmake-prefix/$f" ] || fail "cmake --install wrote no $f"
done
pass "cmake --install: header, static library, package config, pkg-config file"

echo "== CMake: examples/cmake-host with find_package(WeightShareRuntime)"
cmake -S Runtime/examples/cmake-host -B "$tmp/host" -DCMAKE_PREFIX_PATH="$tmp/cmake-prefix" \
    -DCMAKE_BUILD_TYPE=Release >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "configure cmake-host"; }
cmake --build "$tmp/host" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "build cmake-host"; }
pass "cmake-host builds against the installed runtime"

echo "== CMake: the example with add_subdirectory(Runtime)"
mkdir -p "$tmp/sub"
cat >"$tmp/sub/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.16)
project(ws_host_sub LANGUAGES C)
add_subdirectory("$repo/Runtime" runtime)
add_executable(ws_host "$repo/Runtime/examples/cmake-host/main.c")
target_link_libraries(ws_host PRIVATE weightshare::runtime)
CMAKE
cmake -S "$tmp/sub" -B "$tmp/sub/build" -DCMAKE_BUILD_TYPE=Release >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "configure add_subdirectory"; }
cmake --build "$tmp/sub/build" -j "$jobs" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "build add_subdirectory"; }
pass "add_subdirectory(Runtime) + weightshare::runtime"

echo "== make -C Runtime install PREFIX=$tmp/make-prefix, the example with pkg-config"
make -s -C Runtime install PREFIX="$tmp/make-prefix" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "make install"; }
export PKG_CONFIG_PATH="$tmp/make-prefix/lib/pkgconfig"
# shellcheck disable=SC2046
$CC -std=c99 -O2 $(pkg-config --cflags weightshare-runtime) Runtime/examples/cmake-host/main.c \
    $(pkg-config --libs weightshare-runtime) -o "$tmp/ws_host_pc" || fail "build with pkg-config"
pass "make install + pkg-config"

for model in digits_mlp mobilenet; do
    wsm="Tests/Fixtures/golden/$model.wsm"
    "$tmp/host/ws_host" "$wsm" >"$tmp/$model.find_package.txt" || fail "ws_host (find_package) on $wsm"
    "$tmp/sub/build/ws_host" "$wsm" >"$tmp/$model.subdirectory.txt" || fail "ws_host (add_subdirectory) on $wsm"
    "$tmp/ws_host_pc" "$wsm" >"$tmp/$model.pkg-config.txt" || fail "ws_host (pkg-config) on $wsm"
    values=$(grep -c -E '^-?[0-9]' "$tmp/$model.find_package.txt" || true)
    [ "$values" -eq 10 ] && grep -q "^output 0 argmax [0-9]" "$tmp/$model.find_package.txt" ||
        { cat "$tmp/$model.find_package.txt"; fail "$model: expected 10 output values and an argmax"; }
    cmp -s "$tmp/$model.find_package.txt" "$tmp/$model.subdirectory.txt" &&
        cmp -s "$tmp/$model.find_package.txt" "$tmp/$model.pkg-config.txt" ||
        { diff "$tmp/$model.find_package.txt" "$tmp/$model.pkg-config.txt" || true; fail "$model: the three builds disagree"; }
    pass "$model: the three builds print the same outputs"
done
sed -n '1,3p;$p' "$tmp/digits_mlp.find_package.txt"

head -c 100 Tests/Fixtures/golden/digits_mlp.wsm >"$tmp/truncated.wsm"
if "$tmp/host/ws_host" "$tmp/truncated.wsm" >/dev/null 2>"$tmp/err"; then fail "a truncated file was accepted"; fi
grep -q "truncated.wsm is not a valid model: CRC-32 mismatch" "$tmp/err" || { cat "$tmp/err"; fail "the refusal names the problem"; }
pass "a truncated file is refused with the runtime's message"
echo "runtime-install-test: $passed passed, 0 failed"
