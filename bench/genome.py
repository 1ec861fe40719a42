#!/usr/bin/env python3
"""Summarises bench/genome.sh's runs into JSON (standard library only).

For every run folder <name>-<genome> holding heldout.json (`wsc pareto --data test --json`), picks the front solution
(merged, or as the search found it before merging) with the best fixed-width weight CR (every byte counted) whose
held-out loss is within the budget: accuracy drop <= 1 point, or held-out cosine >= 0.99 for the cosine metric. Reports it with the run's evaluations and wall time,
and for each fixture the ratio of the full genome's CR to the K-only one's.
"""
import argparse
import json
import os
import platform


def candidates(front, heldout):
    """(solution, figures, merged, test score, test loss) for every solution, and for a merged one also its
    unmerged form (the search's own result, `searched`): merging spends the tolerance on the search data, so the
    unmerged form can be the one that holds on test."""
    scores = {s["id"]: s for s in heldout["heldOut"]}
    for s in front["solutions"]:
        h = scores[s["id"]]
        yield s, s["result"], s["merged"], h["score"], h["loss"]
        if s["merged"] and h.get("searchedScore") is not None:
            yield s, s["searched"], False, h["searchedScore"], h["searchedLoss"]


def best(heldout):
    front = heldout["front"]
    metric = heldout.get("heldOutMetric", front["metric"])
    ok = []
    for s, figures, merged, score, loss in candidates(front, heldout):
        within = score >= 0.99 if metric == "cosine" else loss <= 0.01 + 1e-12
        if within:
            ok.append((figures["compressionRatioFixed"], score, s, figures, merged, loss))
    if not ok:
        return None
    cr, score, s, figures, merged, loss = max(ok, key=lambda t: (t[0], t[1]))
    return {
        "solution": s["id"],
        "merged": merged,
        "genes": s["genes"],
        "k": s["k"],
        "m": figures["m"],
        "bit_width": figures["bitWidth"],
        "scales": figures.get("scales") or 0,
        "outliers": figures.get("outliers") or 0,
        "packed_weight_bytes": figures["packedWeightBytes"],
        "compression_ratio_fixed": cr,
        "compression_ratio_huffman": figures["compressionRatioHuffman"],
        "search_score": figures["score"],
        "test_score": score,
        "test_loss_points": loss * 100,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--settings", default="")
    args = ap.parse_args()
    fixtures = {}
    for entry in sorted(os.listdir(args.runs)):
        path = os.path.join(args.runs, entry, "heldout.json")
        if not os.path.exists(path):
            continue
        name, genome = entry.rsplit("-", 1)
        with open(path) as f:
            heldout = json.load(f)
        with open(os.path.join(args.runs, entry, "bench-seconds")) as f:
            start, end = map(float, f.read().split())
        front = heldout["front"]
        fixtures.setdefault(name, {"search_metric": front["metric"],
                                   "test_metric": heldout.get("heldOutMetric", front["metric"]),
                                   "shared_weights": front["sharedWeights"],
                                   "float_search_score": front["floatScore"],
                                   "float_test_score": heldout["heldOutFloatScore"]})
        fixtures[name][genome] = {
            "best_within_budget": best(heldout),
            "evaluations": front["evaluations"],
            "runtime_evaluations": front.get("runtimeEvaluations"),
            "front_size": len(front["solutions"]),
            "seconds": round(end - start, 1),
        }
    for facts in fixtures.values():
        k, full = facts.get("k", {}).get("best_within_budget"), facts.get("full", {}).get("best_within_budget")
        if k and full:
            facts["cr_ratio_full_to_k"] = full["compression_ratio_fixed"] / k["compression_ratio_fixed"]
    result = {
        "budget": "test accuracy drop <= 1 point (cosine metric: test cosine >= 0.99)",
        "settings": args.settings,
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
        "fixtures": fixtures,
    }
    write_result(result, args.out)


def write_result(result, path):
    """Writes `result` as sorted, indented JSON to `path` and prints it."""
    text = json.dumps(result, indent=2, sort_keys=True)
    with open(path, "w") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
