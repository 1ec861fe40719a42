#!/usr/bin/env python3
"""Real third-party models through the whole flow (issue 12's acceptance on models outside the repository): the
PP-OCRv4 DBNet text detector and SVTR text recogniser that rapidocr-onnxruntime 1.4.4 ships (fetched from PyPI by
bench/rapidocr_models.py), on rendered text (bench/make_text_images.py: pages for the detector, lines for the
recogniser), each with three disjoint sets: search, selection (`--select-data`) and test.

For each model: `wsc search --genome full --metric cosine` (a short search: population and generations below),
`wsc compile --max-loss L` (the smallest solution whose loss bound on the selection set is within L points of
cosine), `wsc verify` on the test set (cosine against onnxruntime's float model, weight CR), and the task's own
measure from the compiled .wsm run by the C runtime (the `weightshare` Python package): for the recogniser the text
read by greedy CTC decoding (lines read exactly, float vs compressed, against the rendered truth); for the
detector the text map binarised at rapidocr's threshold 0.3 (IoU with the float model's map). Writes
bench/real_ocr.json.

    python bench/real_ocr.py --wsc .build/release/wsc [--models det,rec] [--population 16 --generations 4]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import rapidocr_models  # noqa: E402

# role: (input shape, kind, counts and seeds of search / selection / test sets)
MODELS = {
    "det": ("x=1,3,256,512", "page", [("search", 6, 3), ("select", 6, 5), ("test", 16, 4)]),
    "rec": ("x=1,3,48,320", "line", [("search", 24, 1), ("select", 24, 5), ("test", 64, 2)]),
}


def sh(cmd, log):
    start = time.perf_counter()
    with open(log, "a") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        subprocess.run(cmd, check=True, stdout=f, stderr=f)
    return time.perf_counter() - start


def json_of(cmd):
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def ctc_text(probabilities, characters):
    ids, text, previous = probabilities.argmax(-1), [], 0
    for t in ids:
        if t != previous and t != 0:
            text.append(characters[t])
        previous = t
    return " ".join("".join(text).split())


def task_measure(role, model_path, wsm_path, data_dir):
    import weightshare
    x = np.load(os.path.join(data_dir, f"{role}_test.npz"))["x"]
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    compiled = weightshare.Model(wsm_path)
    float_out = [session.run(None, {name: x[i]})[0] for i in range(len(x))]
    ws_out = [compiled.run(x[i])[0] for i in range(len(x))]
    if role == "rec":
        characters = ["blank"] + session.get_modelmeta().custom_metadata_map["character"].splitlines() + [" "]
        truth = open(os.path.join(data_dir, "rec_test.txt")).read().splitlines()
        f = [ctc_text(o[0], characters) for o in float_out]
        w = [ctc_text(o[0], characters) for o in ws_out]
        return {"lines": len(x), "float_lines_read_exactly": sum(a == t for a, t in zip(f, truth)),
                "compressed_lines_read_exactly": sum(a == t for a, t in zip(w, truth)),
                "lines_where_compressed_reads_as_float": sum(a == b for a, b in zip(f, w))}
    ious = []
    for a, b in zip(float_out, ws_out):
        fa, fb = a > 0.3, b > 0.3
        ious.append(float((fa & fb).sum() / max(1, (fa | fb).sum())))
    return {"pages": len(x), "text_map_iou_at_0.3": {"median": float(np.median(ious)), "min": float(min(ious))},
            "float_text_pixel_fraction": float(np.mean([(a > 0.3).mean() for a in float_out]))}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--wsc", default=os.path.join(ROOT, ".build", "release", "wsc"))
    p.add_argument("--models", default="det,rec")
    p.add_argument("--population", type=int, default=16)
    p.add_argument("--generations", type=int, default=4)
    p.add_argument("--merge-max-evaluations", type=int, default=150)
    p.add_argument("--max-loss", type=float, default=1.0, help="compile's --max-loss, points of cosine")
    p.add_argument("--work", default=os.path.join(ROOT, ".build-bench", "real_ocr"))
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "real_ocr.json"))
    a = p.parse_args()
    paths = rapidocr_models.fetch(os.path.join(ROOT, ".build-bench", "rapidocr"))
    os.makedirs(a.work, exist_ok=True)
    log = os.path.join(a.work, "log.txt")
    results = {}
    for role in a.models.split(","):
        shape, kind, sets = MODELS[role]
        for name, count, seed in sets:
            if not os.path.exists(os.path.join(a.work, f"{role}_{name}.npz")):
                subprocess.run([sys.executable, os.path.join(ROOT, "bench", "make_text_images.py"), a.work,
                                f"{role}_{name}", "--kind", kind, "--count", str(count), "--seed", str(seed)],
                               check=True)
        data = {name: os.path.join(a.work, f"{role}_{name}.npz") for name, _, _ in sets}
        run, out = os.path.join(a.work, f"{role}-run"), os.path.join(a.work, f"{role}-out")
        subprocess.run(["rm", "-rf", run, out], check=True)
        search_seconds = sh([a.wsc, "search", paths[role], "--data", data["search"], "--select-data", data["select"],
                             "--input-shape", shape, "--metric", "cosine", "--genome", "full",
                             "--population", str(a.population), "--generations", str(a.generations),
                             "--merge-order", "weight-error", "--merge-max-evaluations",
                             str(a.merge_max_evaluations), "--out", run], log)
        compiled = json_of([a.wsc, "compile", run, "--max-loss", str(a.max_loss), "--output", out, "--json"])
        wsm = os.path.join(out, "model.wsm")
        verify = json_of([a.wsc, "verify", wsm, "--model", paths[role], "--data", data["test"], "--input-shape",
                          shape, "--json"])
        results[role] = {"model": os.path.basename(paths[role]), "search_seconds": round(search_seconds, 1),
                         "compile": compiled, "verify_on_test": verify,
                         "task_on_test": task_measure(role, paths[role], wsm, a.work)}
        print(role, json.dumps({k: v for k, v in results[role].items() if k not in ("compile", "verify_on_test")}),
              file=sys.stderr)
    report = {"what": "issue 12: real PP-OCRv4 models (rapidocr-onnxruntime 1.4.4 from PyPI) on rendered text: "
                      "short full-genome search, compile --max-loss, verify and task measures on a test set",
              "command": "bench/real_ocr.sh " + " ".join(sys.argv[1:]),
              "settings": {"population": a.population, "generations": a.generations, "genome": "full",
                           "metric": "cosine", "merge": f"weight-error, at most {a.merge_max_evaluations} per solution",
                           "max_loss_points": a.max_loss, "sets": {r: MODELS[r][2] for r in a.models.split(",")}},
              "results": results, "cores": os.cpu_count()}
    with open(a.out, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
