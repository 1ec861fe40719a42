#!/usr/bin/env python3
"""WeightShare sizes (called by bench/sizes.sh; Python standard library only). Deterministic: no timings.

- The C runtime for every CPU of the board files in boards/ (boards with the same compiler flags share a row):
  .text/.rodata/.data/.bss at -Os with every kernel (the full op set), from `make -C boards/firmware runtime-size`,
  and sizeof(ws_model) for that CPU (the runtime state next to the arena).
- Every benchmark model (the .wsm files bench/run.sh or bench/sizes.sh export: `<net>_raw.wsm` with float32
  weights and `<net>_k16.wsm` with shared weights, K = 16): its flash bytes (the .wsm as stored in the board's
  model region) and its RAM (the arena ws_model_arena_bytes() asks for, and arena + ws_model).

Output: JSON on stdout and in --out (default bench/sizes.json), and a table on stderr.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIRMWARE = os.path.join(ROOT, "boards", "firmware")
OPT = "-Os"


def fail(message):
    print(f"sizes: error: {message}", file=sys.stderr)
    sys.exit(1)


def run(argv):
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"{' '.join(argv)} exited with {result.returncode}:\n{result.stdout}{result.stderr}")
    return result.stdout


def cpu_families(boards_dir):
    """Board files grouped by compiler flags: {key: {cpu, fpu, flags, boards}}."""
    families = {}
    for path in sorted(glob.glob(os.path.join(boards_dir, "*.json"))):
        try:
            with open(path) as f:
                board = json.load(f)
        except (OSError, ValueError) as e:
            fail(f"board file {path}: {e}")
        if board.get("kind") != "mcu":
            continue
        for field in ("name", "cpu", "fpu", "compilerFlags"):
            if field not in board:
                fail(f"board file {path}: field '{field}' is missing")
        key = board["cpu"] if board["fpu"] == "none" else f"{board['cpu']}+{board['fpu']}"
        family = families.setdefault(key, {"cpu": board["cpu"], "fpu": board["fpu"],
                                           "flags": board["compilerFlags"], "boards": []})
        if family["flags"] != board["compilerFlags"]:
            fail(f"board file {path}: cpu/fpu {key} with other compiler flags than {family['boards']}")
        family["boards"].append(board["name"])
    if not families:
        fail(f"no mcu board files in {boards_dir}")
    return families


def runtime_size(flags, work):
    """text/rodata/data/bss of the runtime (make runtime-size) and sizeof(ws_model) for these flags."""
    out = run(["make", "-s", "-C", FIRMWARE, f"CPU_FLAGS={' '.join(flags)}", f"OUT={work}", f"OPT={OPT}",
               "runtime-size"])
    sizes = dict(word.split("=", 1) for word in out.split() if "=" in word)
    if set(sizes) != {"text", "rodata", "data", "bss"}:
        fail(f"make runtime-size printed {out!r}")
    result = {k: int(v) for k, v in sizes.items()}
    probe = os.path.join(work, "ws_model_probe.c")
    with open(probe, "w") as f:
        f.write('#include "ws_runtime.h"\nchar ws_model_probe[sizeof(ws_model)];\n')
    obj = probe[:-2] + ".o"
    run(["arm-none-eabi-gcc", *flags, OPT, "-std=c99", "-I", os.path.join(ROOT, "Runtime", "include"), "-c", probe,
         "-o", obj])
    for line in run(["arm-none-eabi-nm", "-S", obj]).splitlines():
        parts = line.split()
        if parts and parts[-1] == "ws_model_probe":
            result["ws_model_bytes"] = int(parts[1], 16)
    if "ws_model_bytes" not in result:
        fail(f"cannot read sizeof(ws_model) from {obj}")
    return result


def model_sizes(models_dir, driver, ws_model_bytes):
    swift_json = os.path.join(models_dir, "swift.json")
    if not os.path.exists(swift_json):
        fail(f"{swift_json} is missing: export the models first (bench/sizes.sh or bench/run.sh do)")
    with open(swift_json) as f:
        facts = json.load(f)["models"]
    models = {}
    for net in sorted(facts):
        entry = {"onnx": facts[net]["onnx"], "shared_weights": facts[net]["shared_weights"]}
        for variant, wsm_key in (("raw", "raw_wsm_bytes"), (f"k{facts[net]['k']}", "shared_wsm_bytes")):
            path = os.path.join(models_dir, f"{net}_{variant}.wsm")
            if not os.path.exists(path):
                fail(f"{path} is missing")
            info = json.loads(run([driver, "--info", path]))
            # The runtime and the compiler must agree on both numbers.
            if info["model_bytes"] != facts[net][wsm_key] or info["arena_bytes"] != facts[net]["arena_bytes"]:
                fail(f"{path}: runtime says {info}, the compiler's export says {facts[net]}")
            entry[variant] = {"flash_bytes": info["model_bytes"], "arena_bytes": info["arena_bytes"],
                              "ram_bytes": info["arena_bytes"] + ws_model_bytes}
        models[net] = entry
    return models


FIRMWARE_BOARD = "qemu-mps2-an386"


def board_number(v):
    """A board file's number: an integer, "0x…", "128K" or "1M"."""
    if isinstance(v, int):
        return v
    v = v.strip()
    scale = {"K": 1024, "M": 1024 * 1024}.get(v[-1:], 1)
    return int(v[:-1] if scale > 1 else v, 0) * scale


def firmware_sizes(models_dir, boards_dir, work):
    """The runtime's share (.text, .rodata; from the map file after --gc-sections) of the firmware template built
    for each MLPerf Tiny fixture on FIRMWARE_BOARD: with the model's op set (OPS=model) and with every kernel."""
    with open(os.path.join(models_dir, "swift.json")) as f:
        tiny = json.load(f).get("tiny", {})
    if not tiny:
        fail(f"{models_dir}/swift.json has no tiny models: export the models again (bench/sizes.sh)")
    with open(os.path.join(boards_dir, f"{FIRMWARE_BOARD}.json")) as f:
        board = json.load(f)
    mk = os.path.join(work, "board.mk")
    with open(mk, "w") as f:
        f.write(f"BOARD = {FIRMWARE_BOARD}\nCPU_FLAGS = {' '.join(board['compilerFlags'])}\n"
                f"FLASH_ORIGIN = {board_number(board['flash']['origin']):#x}\n"
                f"FLASH_SIZE = {board_number(board['flash']['size']):#x}\n"
                f"MODEL_ORIGIN = {board_number(board['modelRegion']['address']):#x}\n"
                f"MODEL_SIZE = {board_number(board['modelRegion']['size']):#x}\n"
                f"MODEL_ALIGN = {board['modelRegion']['alignment']}\nMODEL_SECTION = {board['modelRegion']['section']}\n"
                f"RAM_ORIGIN = {board_number(board['ram']['origin']):#x}\nRAM_SIZE = {board_number(board['ram']['size']):#x}\n"
                f"STACK_SIZE = {board_number(board['ramReserve']['stack']):#x}\n")
    results = {}
    for name in sorted(tiny):
        app = os.path.join(models_dir, "tiny", name)
        # One zero sample sized by model_data.h's own macros: enough to link main.c (the firmware is not run).
        with open(os.path.join(app, "test_data.h"), "w") as f:
            f.write('#include <stdint.h>\n#include "model_data.h"\n#define WS_TEST_SAMPLES 1u\n'
                    "#define WS_TEST_INPUT_FLOATS WS_MODEL_INPUTS_TOTAL_ELEMENTS\n"
                    "#define WS_TEST_OUTPUT_FLOATS WS_MODEL_OUTPUTS_TOTAL_ELEMENTS\n"
                    "extern const uint32_t ws_test_inputs[];\nextern const uint32_t ws_test_expected[];\n")
        with open(os.path.join(app, "test_data.c"), "w") as f:
            f.write('#include "test_data.h"\nconst uint32_t ws_test_inputs[WS_TEST_INPUT_FLOATS] = {0};\n'
                    "const uint32_t ws_test_expected[WS_TEST_OUTPUT_FLOATS] = {0};\n")
        entry = {"onnx": tiny[name]["onnx"], "ops": tiny[name]["ops"]}
        for ops in ("model", "all"):
            out = os.path.join(work, name, ops)
            run(["make", "-s", "-C", FIRMWARE, f"BOARD_MK={mk}", f"APP_DIR={app}", f"OUT={out}", f"OPT={OPT}",
                 f"OPS={ops}", os.path.join(out, "firmware.elf")])
            text = run(["make", "-s", "-C", FIRMWARE, f"BOARD_MK={mk}", f"APP_DIR={app}", f"OUT={out}",
                        f"OPT={OPT}", f"OPS={ops}", "runtime-text"])
            sizes = {k: int(v) for k, v in (w.split("=", 1) for w in text.split() if "=" in w)}
            key = "op_set" if ops == "model" else "full_set"
            entry[key] = {"runtime_text": sizes["text"], "runtime_rodata": sizes["rodata"]}
        results[name] = entry
    return {"board": FIRMWARE_BOARD, "models": results}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", required=True, help="folder with <net>_raw.wsm, <net>_k16.wsm and swift.json")
    parser.add_argument("--driver", required=True, help="the compiled bench/runtime_bench (host)")
    parser.add_argument("--boards", default=os.path.join(ROOT, "boards"), help="the boards folder")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "sizes.json"))
    args = parser.parse_args()

    families = cpu_families(args.boards)
    with tempfile.TemporaryDirectory(prefix="ws-sizes-") as work:
        for key, family in sorted(families.items()):
            family.update(runtime_size(family["flags"], os.path.join(work, key)))
    ws_model_bytes = max(f["ws_model_bytes"] for f in families.values())
    models = model_sizes(args.models, args.driver, ws_model_bytes)
    with tempfile.TemporaryDirectory(prefix="ws-firmware-") as work:
        firmware = firmware_sizes(args.models, args.boards, work)
    gcc = run(["arm-none-eabi-gcc", "--version"]).splitlines()[0]

    results = {
        "settings": {
            "toolchain": gcc, "opt": OPT,
            "runtime": "Runtime/src/*.c compiled with the board's compilerFlags at -Os, every object (the full op "
                       "set); sums of the .text*, .rodata*, .data*, .bss* sections (make -C boards/firmware "
                       "runtime-size); ws_model_bytes = sizeof(ws_model) for that CPU",
            "models": "bench models (<net>_raw.wsm: float32 weights; <net>_k16.wsm: shared weights, uniform "
                      "binning K=16, fixed-width indices); flash_bytes = .wsm bytes (stored as is in the model "
                      "region, before rounding to its alignment); arena_bytes = ws_model_arena_bytes(); ram_bytes "
                      "= arena_bytes + ws_model_bytes (the stack and the application come on top)",
            "firmware": "boards/firmware (main.c, startup, newlib-nano) linked with --gc-sections for the board, "
                        "one per MLPerf Tiny fixture (Tests/Fixtures/tiny, raw weights): the runtime's share of the "
                        "image, the input sections taken from libwsruntime.a (make runtime-text; libm and libc not "
                        "counted), built with the model's op set (op_set: OPS=model, -DWS_OPS_HEADER) and with "
                        "every kernel (full_set: OPS=all)",
        },
        "runtime": families,
        "models": models,
        "firmware": firmware,
    }
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")

    print(f"{'runtime (' + OPT + ', full op set)':34} {'.text':>7} {'.rodata':>8} {'.data':>6} {'.bss':>5} "
          f"{'ws_model':>8}  boards", file=sys.stderr)
    for key, r in sorted(families.items()):
        print(f"{key:34} {r['text']:7} {r['rodata']:8} {r['data']:6} {r['bss']:5} {r['ws_model_bytes']:8}  "
              f"{', '.join(r['boards'])}", file=sys.stderr)
    print(f"\n{'model':12} {'variant':8} {'flash':>8} {'arena':>7} {'RAM':>7}", file=sys.stderr)
    for net, entry in models.items():
        for variant, v in entry.items():
            if isinstance(v, dict):
                print(f"{net:12} {variant:8} {v['flash_bytes']:8} {v['arena_bytes']:7} {v['ram_bytes']:7}",
                      file=sys.stderr)
    print(f"\n{'firmware (' + firmware['board'] + ')':34} {'op-set .text':>12} {'full .text':>10}", file=sys.stderr)
    for name, e in firmware["models"].items():
        print(f"{name:34} {e['op_set']['runtime_text']:12} {e['full_set']['runtime_text']:10}", file=sys.stderr)
    print(json.dumps(results, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
