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
        },
        "runtime": families,
        "models": models,
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
    print(json.dumps(results, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
