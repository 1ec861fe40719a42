"""Dense-layer decode cost (issue 16): QEMU instructions per inference and host latency, raw float weights vs
shared indices decoded in the kernels, on every fixture; the digits MLP against TFLM's published counts
(bench/dense_decode.sh).

Models per fixture: <net>_raw.wsm (float32 weights) and <net>_k16.wsm (K = 16, 4-bit indices), both written from the
same lowered model by the benchmark export test, and for the digits MLP searched 2- and 3-bit solutions (fixed
width and Huffman-coded); also the GRU keyword spotter and the LSTM VAD of Tests/Fixtures/families (QEMU only).
Each runs on mps2-an386 (Cortex-M4F) and mps2-an500 (Cortex-M7) through `wsc run` (-icount shift=0: exact
instructions; the firmware checks its outputs against the host runtime's) and on the host through
bench/runtime_bench (median of RUNS runs x PASSES passes over the 360 test samples; every model once per round,
so load changes hit all)."""
import argparse, json, os, shutil, statistics, sys
from pathlib import Path

from huffman import npz_x_as_f32, sh

NETS = ["mlp", "lenet", "resnet", "mobilenet"]
BOARDS = ["qemu-mps2-an386", "qemu-mps2-an500"]
# Issue 16's measurements of TFLM on mps2-an386 (-icount shift=0, SysTick around the invoke, TFLM -O2, only the
# model's ops registered) for a 64-128-64-10 digits MLP: the figures the dense path is judged against.
TFLM_MLP = {"float_reference": 90790, "int8_cmsis_nn": 45078}


def qemu(wsc, model_dir, data, board, work):
    run = json.loads(sh([wsc, "run", model_dir, "--board", board, "--data", data, "--limit", "3", "--json",
                         "--work-dir", work]))
    if not run["passed"]:
        sys.exit(f"dense bench: {model_dir} on {board}: firmware output differs from the host")
    return {"instructionsPerInference": run["meanInstructions"], "firmwareText": run["firmwareText"]}


def host(driver, wsm, inputs, runs, passes):
    return json.loads(sh([driver, wsm, inputs, runs, passes]))["seconds_per_sample_runs"]


def main():
    p = argparse.ArgumentParser()
    for a in ("wsc", "scratch", "driver", "fixtures", "models", "out"):
        p.add_argument("--" + a, required=True)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--passes", type=int, default=20)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    scratch, fx = Path(args.scratch), Path(args.fixtures)
    data = fx / "digits_test.npz"
    inputs = scratch / "digits_test.f32"
    npz_x_as_f32(data, inputs, 360)

    models = {}  # name -> folder with model.wsm
    for net in NETS:
        for kind in ("raw", "k16"):
            d = scratch / f"{net}_{kind}"
            d.mkdir(parents=True, exist_ok=True)
            (d / "model.wsm").write_bytes((Path(args.models) / f"{net}_{kind}.wsm").read_bytes())
            models[f"{net}_{kind}"] = d
    # The digits MLP's searched solutions: the most accurate 2-bit one on a seeded default front, and the most
    # accurate 3-bit one of a search kept to K <= 8 without merging (a default front may have none).
    searches = {"mlp_search": [], "mlp_search_k8": ["--k-max", "8", "--no-merge", "--population", "12",
                                                   "--generations", "3"]}
    chosen = {}
    for folder, extra in searches.items():
        run_dir = scratch / folder
        shutil.rmtree(run_dir, ignore_errors=True)  # a new search each time (search refuses a finished run folder)
        # Binary16 biases (--constants half): the searched files read their biases and scales through ws_values.
        sh([args.wsc, "search", fx / "digits_mlp.onnx", "--data", fx / "digits_val.npz", "--seed", "1",
            "--out", run_dir, "--input-shape", "input=1,64", "--constants", "half", *extra])
        for s in json.loads((run_dir / "pareto.json").read_text())["solutions"]:
            d = scratch / f"{folder}_front_{s['id']}"
            sh([args.wsc, "compile", run_dir, "-o", d, "--solution", s["id"], "--index-coding", "fixed"])
            info = json.loads(sh([args.wsc, "inspect", d / "model.wsm", "--json"]))
            width = info["bitWidth"]
            if width in (2, 3) and (width not in chosen or info["score"] > chosen[width][2]):
                chosen[width] = (run_dir, s["id"], info["score"])
    for width, (run_dir, sid, _) in sorted(chosen.items()):
        for coding in ("fixed", "huffman"):
            d = scratch / f"mlp_{width}bit_{coding}"
            sh([args.wsc, "compile", run_dir, "-o", d, "--solution", sid, "--index-coding", coding])
            models[f"mlp_{width}bit_{coding}"] = d
    # Recurrent models (Tests/Fixtures/families; their test's short search): QEMU only, the state fed back.
    recurrent = {}
    for net, feedback in (("gru_kws", []), ("lstm_vad", ["--feedback", "h=hn", "--feedback", "c=cn"])):
        fam, run_dir, d = fx / "families", scratch / f"{net}_search", scratch / net
        shutil.rmtree(run_dir, ignore_errors=True)
        sh([args.wsc, "search", fam / f"{net}.onnx", "--data", fam / f"{net}_data.npz", "--out", run_dir, "--metric",
            "cosine", "--genome", "k", "--population", "6", "--generations", "1", "--k-max", "64", "--no-merge",
            "--limit", "24", "--seed", "2", "--constants", "half"])
        sh([args.wsc, "compile", run_dir, "--max-loss", "0.5", "-o", d, "--index-coding", "fixed"])
        info = json.loads(sh([args.wsc, "inspect", d / "model.wsm", "--json"]))
        recurrent[net] = {"wsmBytes": info["bytes"], "bitWidth": info["bitWidth"], "m": info["m"]}
        for board in BOARDS:
            run = json.loads(sh([args.wsc, "run", d, "--board", board, "--data", fam / f"{net}_test.npz", "--limit",
                                 "2", "--json", "--work-dir", scratch / "work" / net / board, *feedback]))
            if not run["passed"]:
                sys.exit(f"dense bench: {net} on {board}: firmware output differs from the host")
            recurrent[net][board] = {"instructionsPerInference": run["meanInstructions"]}
        print(net, json.dumps(recurrent[net]), file=sys.stderr)

    results = {}
    for name, d in models.items():
        info = json.loads(sh([args.wsc, "inspect", d / "model.wsm", "--json"]))
        row = {"wsmBytes": info["bytes"], "bitWidth": info.get("bitWidth"), "m": info.get("m"),
               "searchScore": info.get("score")}
        for board in BOARDS:
            row[board] = qemu(args.wsc, d, data, board, scratch / "work" / name / board)
        row["hostSecondsPerSampleRuns"] = []
        results[name] = row
        print(name, json.dumps(row), file=sys.stderr)
    for _ in range(args.rounds):  # interleaved: every model once per round
        for name, d in models.items():
            results[name]["hostSecondsPerSampleRuns"] += host(args.driver, d / "model.wsm", inputs, args.runs,
                                                              args.passes)
    for row in results.values():
        row["hostMedianSecondsPerSample"] = statistics.median(row["hostSecondsPerSampleRuns"])

    def ratio(a, b, key):
        return round(results[a][key] / results[b][key], 4)

    ratios = {}
    for name in results:
        net = name.split("_")[0]
        if name == f"{net}_raw":
            continue
        raw = f"{net}_raw"
        ratios[name + "_over_raw"] = {
            **{b: round(results[name][b]["instructionsPerInference"] / results[raw][b]["instructionsPerInference"], 4)
               for b in BOARDS},
            "host": ratio(name, raw, "hostMedianSecondsPerSample")}
    an386 = {n: results[n]["qemu-mps2-an386"]["instructionsPerInference"] for n in results if n.startswith("mlp")}
    out = {"bench": "dense_decode", "loadAverageStart": os.getloadavg()[0], "results": results,
           "sharedOverRaw": ratios, "recurrent": recurrent,
           "mlpAgainstTFLM": {"tflm": TFLM_MLP,
                              **{n: {"instructions": v, "overFloatReference": round(v / TFLM_MLP["float_reference"], 4)}
                                 for n, v in an386.items()}},
           "settings": {"runs": args.runs, "passes": args.passes, "rounds": args.rounds, "qemuSamples": 3}}
    out["loadAverageEnd"] = os.getloadavg()[0]
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out["mlpAgainstTFLM"], indent=1))
    print(json.dumps(ratios, indent=1))


if __name__ == "__main__":
    main()
