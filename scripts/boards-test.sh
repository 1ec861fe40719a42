#!/bin/sh
# Runs the digits MLP bare-metal on every emulated board (QEMU) and compares it with the host runtime, both with
# semihosting output and with the UART build (make IO=uart: no semihosting, output on the board's UART); checks that
# a firmware built for one model's op set refuses a model with another operator (WS_ERR_OP_NOT_BUILT), and one
# built without the Huffman decoder a coded model (WS_ERR_FEATURE);
# also checks that the firmware fails on a corrupted expectation (both outputs) and that the images decode back
# to the .wsm.
# Usage: scripts/boards-test.sh [path/to/wsc]   (default: builds the debug wsc). Needs qemu-system-arm,
# gcc-arm-none-eabi, libnewlib-arm-none-eabi and srecord (scripts/install-deps.sh).
set -eu
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
if [ $# -ge 1 ]; then wsc=$1; else
    $SWIFT build --product wsc >/dev/null
    wsc="$($SWIFT build --show-bin-path)/wsc"
fi
for tool in qemu-system-arm arm-none-eabi-gcc srec_cat; do
    command -v "$tool" >/dev/null || { echo "boards-test: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fx=Tests/Fixtures
"$wsc" search $fx/digits_mlp.onnx --data $fx/digits_val.npz --out "$work/run" --input-shape input=1,64 \
    --population 8 --generations 2 --limit 100 >/dev/null 2>&1
for board in qemu-mps2-an386 qemu-mps2-an500 qemu-netduinoplus2; do
    out="$work/$board"
    "$wsc" compile "$work/run" --max-loss 100 --board "$board" -o "$out" >/dev/null
    cmp "$out/model.bin" "$out/model.wsm"
    addr=$("$wsc" boards --json | python3 -c "import json,sys; print([b for b in json.load(sys.stdin) if b['name']=='$board'][0]['modelRegion']['address'])")
    srec_cat "$out/model.hex" -intel -offset -"$addr" -o "$out/hex.bin" -binary
    cmp "$out/hex.bin" "$out/model.wsm"
    echo "== $board"
    "$wsc" run "$out" --board "$board" --data $fx/digits_test.npz --limit 20 --timeout 60 2>/dev/null
    echo "== $board (UART)"
    "$wsc" run "$out" --board "$board" --io uart --data $fx/digits_test.npz --limit 20 --timeout 60 2>/dev/null
    # The real-board timing build (DWT cycle counter, UART): it must build for every core with a DWT (the M7's is
    # unlocked first). QEMU does not emulate CYCCNT (it reads 0), so only the line format is checked: it runs, and
    # prints `sample <i> cycles=<n>` lines and the exit line (the parser is tested in FirmwareTimingTests).
    fw="$out/firmware-$board"
    make -s -C boards/firmware BOARD_MK="$fw/board.mk" APP_DIR="$fw" OUT="$fw/build-dwt" IO=uart EXIT=reset \
        TIMING=dwt "$fw/build-dwt/firmware.elf" >/dev/null
    machine=$("$wsc" boards --json | python3 -c "import json,sys; print([b for b in json.load(sys.stdin) if b['name']=='$board'][0]['qemu']['machine'])")
    timeout 30 qemu-system-arm -M "$machine" -nographic -monitor none -serial stdio -no-reboot -icount shift=0 \
        -kernel "$fw/build-dwt/firmware.elf" </dev/null 2>/dev/null | tr -d '\r' >"$fw/dwt.txt" || true
    if ! grep -q "^ws-firmware $board .* timing=dwt\$" "$fw/dwt.txt" || ! grep -q '^sample 0 cycles=[0-9]* top1=' "$fw/dwt.txt" \
        || ! grep -q '^exit 0$' "$fw/dwt.txt"; then
        echo "boards-test: the TIMING=dwt firmware for $board printed:" >&2; cat "$fw/dwt.txt" >&2; exit 1
    fi
    echo "== $board (TIMING=dwt): builds and runs; $(grep -c '^sample ' "$fw/dwt.txt") samples with cycles= lines"
done
# A BN-folded ResNet with the full genome: a normalised solution (epilogue scales, exact outliers when it has
# them; biases and scales in binary16) runs bare-metal like on the host.
"$wsc" search $fx/folded/resnet_folded.onnx --data $fx/digits_val.npz --out "$work/folded" \
    --input-shape input=1,1,8,8 --population 12 --generations 2 --k-max 64 --limit 60 --no-merge \
    --constants half >/dev/null 2>&1
solution=$("$wsc" pareto "$work/folded" --json | python3 -c "
import json, sys
front = json.load(sys.stdin)['solutions']
scaled = [s for s in front if s['genes']['scale_mode'] > 0]
best = max(scaled, key=lambda s: (s['result'].get('outliers', 0) > 0, s['result']['score']))
print(best['id'])")
"$wsc" compile "$work/folded" --solution "$solution" --board qemu-mps2-an386 -o "$work/folded-out" >/dev/null
echo "== qemu-mps2-an386, resnet_folded solution $solution (normalised)"
"$wsc" run "$work/folded-out" --board qemu-mps2-an386 --data $fx/digits_test.npz --limit 10 --timeout 120 2>/dev/null
# Huffman-coded index streams (feature HUFFMAN): the same normalised solution with every tensor the kernels
# stream Huffman-coded (outliers and epilogue scales included) runs bare-metal like on the host, Cortex-M4 and M7.
"$wsc" compile "$work/folded" --solution "$solution" --index-coding huffman -o "$work/coded-out" >/dev/null
"$wsc" inspect "$work/coded-out/model.wsm" --json | python3 -c "
import json, sys
r = json.load(sys.stdin)
assert 'huffman' in r['requiredFeatures'] and any(t.get('indexCoding') == 'huffman' for t in r['tensors']), r"
for board in qemu-mps2-an386 qemu-mps2-an500; do
    echo "== $board, resnet_folded solution $solution, Huffman-coded indices"
    "$wsc" run "$work/coded-out" --board $board --data $fx/digits_test.npz --limit 10 --timeout 120 2>/dev/null
done
# Two inputs and two outputs, an int64 input pinned to a value (its If folded at compile time), run free-running:
# the firmware feeds state_out back as the next sample's state, as the host does.
"$wsc" search $fx/io/stateful_cell.onnx --data $fx/io/stateful_cell_io.npz --out "$work/cell" \
    --input-value sr=16000 --metric cosine --population 8 --generations 2 >/dev/null 2>&1
"$wsc" compile "$work/cell" --max-loss 100 --board qemu-mps2-an386 -o "$work/cell-out" >/dev/null
echo "== qemu-mps2-an386, stateful_cell free-running (--feedback state=state_out)"
"$wsc" run "$work/cell-out" --board qemu-mps2-an386 --data $fx/io/stateful_cell_io.npz --limit 16 \
    --feedback state=state_out 2>/dev/null
# The recurrent families: the GRU keyword spotter, and the LSTM VAD free-running with its state (h, c) fed back.
for m in gru_kws lstm_vad; do
    "$wsc" search $fx/families/$m.onnx --data $fx/families/${m}_data.npz --out "$work/$m" --metric cosine \
        --genome k --population 6 --generations 1 --k-max 64 --no-merge --limit 24 --seed 2 >/dev/null 2>&1
    "$wsc" compile "$work/$m" --max-loss 0.5 --board qemu-mps2-an386 -o "$work/$m-out" >/dev/null
done
echo "== qemu-mps2-an386, gru_kws"
"$wsc" run "$work/gru_kws-out" --board qemu-mps2-an386 --data $fx/families/gru_kws_test.npz --limit 8 2>/dev/null
echo "== qemu-mps2-an386, lstm_vad free-running (--feedback h=hn --feedback c=cn)"
"$wsc" run "$work/lstm_vad-out" --board qemu-mps2-an386 --data $fx/families/lstm_vad_test.npz --limit 12 \
    --feedback h=hn --feedback c=cn 2>/dev/null
# refused_at_load FIRMWARE MODEL MIX LINE WHAT: FIRMWARE's build files (its model_data.h: op set and decoders) with
# MODEL's array, built in MIX and run on mps2-an386, must refuse the file at load (exit 2, an `error load` line
# starting with LINE), never run it.
refused_at_load() {
    cp "$1/model_data.h" "$1/test_data.c" "$1/test_data.h" "$1/board.mk" "$3/"
    cp "$2/model_data.c" "$3/model_data.c"
    make -s -C boards/firmware BOARD_MK="$3/board.mk" APP_DIR="$3" OUT="$3/build" "$3/build/firmware.elf" >/dev/null
    status=0
    timeout 30 qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native \
        -kernel "$3/build/firmware.elf" </dev/null >"$3/out.txt" 2>/dev/null || status=$?
    if [ "$status" -ne 2 ] || ! grep -q "^error load $4" "$3/out.txt"; then
        echo "boards-test: $5 (exit $status):" >&2
        cat "$3/out.txt" >&2
        exit 1
    fi
}
# Op set: the digits MLP's firmware is built with its op set only (Gemm, Relu). Linked with the folded ResNet's
# model array instead (Conv, Add, ...), it must refuse the file at load with WS_ERR_OP_NOT_BUILT. The ResNet has
# fixed-width indices here, so that the op set is all that differs (the MLP's firmware may leave the Huffman
# decoder out).
fw="$work/qemu-mps2-an386/firmware-qemu-mps2-an386"
mkdir -p "$work/opset-mix"
grep -q '^#define WS_OP_ENABLE_GEMM 1' "$fw/model_data.h" && ! grep -q 'WS_OP_ENABLE_CONV' "$fw/model_data.h"
"$wsc" compile "$work/folded" --solution "$solution" --index-coding fixed -o "$work/folded-fixed-out" >/dev/null
refused_at_load "$fw" "$work/folded-fixed-out" "$work/opset-mix" "-17 operator not built into this runtime" \
    "an op-set firmware did not refuse a model with another operator"
echo "== op set: the Gemm/Relu firmware refuses the Conv model at load ($(grep '^error load' "$work/opset-mix/out.txt"))"
# The Huffman decoder: a firmware for fixed-width indices (WS_MODEL_HUFFMAN 0) links none of it, and refuses the
# same solution Huffman-coded at load (WS_ERR_FEATURE), never decodes it.
"$wsc" compile "$work/run" --max-loss 100 --index-coding fixed --board qemu-mps2-an386 -o "$work/fixed" >/dev/null
"$wsc" compile "$work/run" --max-loss 100 --index-coding huffman -o "$work/coded-mlp" >/dev/null
grep -q '^#define WS_MODEL_HUFFMAN 0$' "$work/fixed/model_data.h" && grep -q '^#define WS_MODEL_HUFFMAN 1$' "$work/coded-mlp/model_data.h"
"$wsc" run "$work/fixed" --board qemu-mps2-an386 --data $fx/digits_test.npz --limit 4 >/dev/null 2>&1
fw="$work/fixed/firmware-qemu-mps2-an386"
if sed -n '/Linker script and memory map/,$p' "$fw/build/firmware.map" | grep -q 'ws_huffman_build'; then
    echo "boards-test: the fixed-width firmware links the Huffman decoder" >&2; exit 1
fi
mkdir -p "$work/huffman-mix"
refused_at_load "$fw" "$work/coded-mlp" "$work/huffman-mix" "-6 file requires a feature this runtime does not know" \
    "a firmware without the Huffman decoder did not refuse a coded model"
echo "== Huffman decoder: the fixed-width firmware links none of it and refuses the coded file ($(grep '^error load' "$work/huffman-mix/out.txt"))"
for io in semihosting uart; do
    if "$wsc" run "$work/qemu-mps2-an386" --board qemu-mps2-an386 --io $io --data $fx/digits_test.npz --limit 2 \
        --corrupt-expected >/dev/null 2>&1; then
        echo "boards-test: the firmware ($io) accepted a corrupted expected output" >&2
        exit 1
    fi
done
echo "boards-test: ok (a corrupted expectation makes the firmware exit non-zero, over semihosting and the UART)"
