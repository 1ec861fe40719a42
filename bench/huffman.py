"""Fixed vs Huffman-coded index streams: sizes, QEMU instruction counts and host latency (bench/huffman.sh)."""
import argparse, io, json, struct, subprocess, sys, zipfile
from pathlib import Path

FIXTURES = [  # name, model, input shape
    ("digits_mlp", "digits_mlp.onnx", "input=1,64"),
    ("lenet", "cnn/lenet.onnx", "input=1,1,8,8"),
    ("mobilenet", "cnn/mobilenet.onnx", "input=1,1,8,8"),
    ("resnet", "cnn/resnet.onnx", "input=1,1,8,8"),
]
BOARDS = ["qemu-mps2-an386", "qemu-mps2-an500"]


def sh(args, **kw):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"huffman bench: {' '.join(map(str, args))} failed:\n{r.stderr[-2000:]}")
    return r.stdout


def npz_x_as_f32(npz, out, limit):
    """x of an .npz (float32 or float64, C order) as raw little-endian float32: the driver's input file."""
    with zipfile.ZipFile(npz) as z:
        data = z.read("x.npy")
    header_len = struct.unpack("<H", data[8:10])[0] if data[6] == 1 else struct.unpack("<I", data[8:12])[0]
    start = (10 if data[6] == 1 else 12) + header_len
    header = data[start - header_len:start].decode("latin1")
    kind = "d" if "'<f8'" in header else "f"
    count = (len(data) - start) // struct.calcsize(kind)
    values = struct.unpack(f"<{count}{kind}", data[start:])
    per = 64
    values = values[: per * limit]
    Path(out).write_bytes(struct.pack(f"<{len(values)}f", *values))


def main():
    p = argparse.ArgumentParser()
    for a in ("wsc", "scratch", "driver", "fixtures", "out"):
        p.add_argument("--" + a, required=True)
    args = p.parse_args()
    scratch, fx = Path(args.scratch), Path(args.fixtures)
    inputs = scratch / "inputs.f32"
    npz_x_as_f32(fx / "digits_test.npz", inputs, 64)
    results = []
    for name, model, shape in FIXTURES:
        work = scratch / name
        sh(["rm", "-rf", work])
        work.mkdir(parents=True)
        sh([args.wsc, "search", fx / model, "--data", fx / "digits_val.npz", "--out", work / "run", "--input-shape",
            shape, "--seed", "3", "--population", "12", "--generations", "3", "--k-max", "64", "--limit", "200"])
        entry = {"fixture": name}
        for coding in ("fixed", "auto", "huffman"):  # huffman: every tensor the kernels stream coded
            out = work / coding
            # compile's default choice (max-loss 1 with confidence; the tightest bound when nothing passes it on
            # this short search's 60 selection samples: an explicit --max-loss would refuse instead).
            report = json.loads(sh([args.wsc, "compile", work / "run", "--index-coding", coding, "-o", out,
                                    "--json"]))
            ic = report["indexCoding"]
            row = {"wsmBytes": report["wsmBytes"], "k": report["k"], "m": report["m"], "bitWidth": report["bitWidth"],
                   "streamBytes": ic["streamBytes"], "codeTableBytes": ic["codeTableBytes"],
                   "huffmanEstimateBytes": ic["huffmanEstimateBytes"],
                   "codedTensors": sum(t["coding"] == "huffman" for t in ic["tensors"]),
                   "sharedTensors": len(ic["tensors"]), "maxCodeLength": max(ic["codeLengths"] or [0])}
            # Index bytes as stored (stream without its 4 padding bytes, plus the code table) vs the estimate.
            row["indexBytes"] = ic["streamBytes"] - 4 + ic["codeTableBytes"]
            row["indexBytesOverEstimate"] = round(row["indexBytes"] / max(1, ic["huffmanEstimateBytes"]), 4)
            for board in BOARDS:
                run = json.loads(sh([args.wsc, "run", out, "--board", board, "--data", fx / "digits_test.npz",
                                     "--limit", "3", "--json"]))
                assert run["passed"], f"{name} {coding} {board}: firmware output differs from the host"
                row[board] = {"instructionsPerInference": run["meanInstructions"], "firmwareText": run["firmwareText"]}
            lat = json.loads(sh([args.driver, out / "model.wsm", inputs, 7, 20]))
            row["hostLatency"] = lat
            entry[coding] = row
        for board in BOARDS:
            entry[board + "CodedOverFixed"] = round(entry["auto"][board]["instructionsPerInference"]
                                                    / entry["fixed"][board]["instructionsPerInference"], 4)
            entry[board + "AllCodedOverFixed"] = round(entry["huffman"][board]["instructionsPerInference"]
                                                       / entry["fixed"][board]["instructionsPerInference"], 4)
        results.append(entry)
        print(json.dumps(entry), file=sys.stderr)
    Path(args.out).write_text(json.dumps({"bench": "huffman", "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
