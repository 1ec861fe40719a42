"""Times `wsc search --executor ray` with 1 and with 2 workers (run by bench/ray_scaling.sh inside the namespaces,
with the cluster up). Every stderr line of wsc is timestamped, so the first generation (each worker builds its own
calibration caches: the Gram matrices and channel means of every scale variant it meets) and the offspring
generations (evaluation only) are reported apart from the whole wall time."""

import json
import os
import statistics
import subprocess
import sys
import threading
import time

TICKS = os.sysconf("SC_CLK_TCK")


class WorkerCPU:
    """CPU seconds of every `wsc worker` process, sampled from /proc (the PID namespace shows only this benchmark's
    processes) twice a second while a search runs: how much of the machine the workers actually got."""

    def __init__(self):
        self.seconds = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self):
        while not self.stop.wait(0.5):
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as handle:
                        argv = handle.read().split(b"\0")
                    if len(argv) < 2 or not argv[0].endswith(b"wsc") or argv[1] != b"worker":
                        continue
                    with open(f"/proc/{pid}/stat") as handle:
                        fields = handle.read().rsplit(")", 1)[1].split()
                    self.seconds[pid] = (int(fields[11]) + int(fields[12])) / TICKS
                except OSError:
                    continue

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        self.thread.join()


def timed_search(argv):
    """(wall seconds, seconds after the start at which each `gen` line appeared, stderr lines)."""
    start = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    generations, lines = [], []
    for line in process.stderr:
        lines.append(line.rstrip("\n"))
        if line.startswith("gen "):
            generations.append(time.monotonic() - start)
    if process.wait() != 0:
        sys.exit("ray_scaling: the search failed:\n" + "\n".join(lines[-30:]))
    return time.monotonic() - start, generations, lines


def load_average():
    with open("/proc/loadavg") as handle:
        return float(handle.read().split()[0])


def main():
    out, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    search = sys.argv[4:]
    samples = {1: [], 2: []}
    reference = None
    for run in range(runs):
        # Alternated, so a change of the machine's load falls on both.
        for workers in (1, 2):
            folder = os.path.join(work, f"run-{workers}-{run}")
            load = load_average()
            with WorkerCPU() as cpu:
                wall, generations, lines = timed_search(search + ["--ray-workers", str(workers), "--out", folder])
            with open(os.path.join(folder, "pareto.json")) as handle:
                front = handle.read()
            reference = reference or front
            if front != reference:
                sys.exit(f"ray_scaling: run {run} with {workers} worker(s) found another front")
            sample = {"wallSeconds": round(wall, 3), "initialPopulationSeconds": round(generations[0], 3),
                      "offspringGenerationsSeconds": round(generations[-1] - generations[0], 3),
                      "workerCpuSeconds": round(sum(cpu.seconds.values()), 2), "loadAverage1m": load}
            # The cores the workers got on average: CPU seconds over the wall time.
            sample["workerCores"] = round(sample["workerCpuSeconds"] / wall, 2)
            samples[workers].append(sample)
            print(workers, sample, file=sys.stderr, flush=True)
    # The local executor on the same machine (every core in one process), once per run: what Ray costs where no
    # second machine is added.
    local_argv = search[:search.index("--executor")]
    local = []
    for run in range(runs):
        wall, generations, _ = timed_search(local_argv + ["--out", os.path.join(work, f"local-{run}")])
        with open(os.path.join(work, f"local-{run}", "pareto.json")) as handle:
            if handle.read() != reference:
                sys.exit("ray_scaling: the local executor found another front")
        local.append(round(wall, 3))
        print("local", wall, file=sys.stderr, flush=True)
    report = json.loads(reference)

    def median(workers, key):
        return statistics.median(sample[key] for sample in samples[workers])

    medians = {str(w): {key: median(w, key) for key in ("wallSeconds", "initialPopulationSeconds", "offspringGenerationsSeconds",
                                                       "workerCpuSeconds", "workerCores")}
               for w in (1, 2)}
    result = {
        "what": "wsc search --executor ray (release build) on a Ray cluster on 127.0.0.1 (a head and a second node, "
                "1 CPU each, private network namespace, each node in its own session as on two machines), with "
                "--ray-workers 1 and 2; the machine is shared with other jobs: loadAverage1m at each run's start; medians of the runs, alternated. "
                "initialPopulation: from the start to the initial population's line (joining the cluster, the workers "
                "loading the run, the float model, the initial population, during which each worker also builds its "
                "own calibration caches); offspringGenerations: the generations after it (evaluation only); "
                "workerCpuSeconds: CPU time of the wsc worker processes (sampled from /proc; the same work in both), "
                "workerCores: that over the wall time, the share of the 2 cores the workers got. localExecutor: the same "
                "search with --executor local (one process, every core), after the Ray runs.",
        "search": " ".join(search[1:search.index("--executor")]).replace(os.getcwd() + "/", ""),
        "ray": "2.60.0",
        "runs": runs,
        "evaluations": report["evaluations"],
        "cpus": os.cpu_count(),
        "samples": {str(w): samples[w] for w in (1, 2)},
        "medians": medians,
        "speedupTwoWorkers": {
            "wall": round(medians["1"]["wallSeconds"] / medians["2"]["wallSeconds"], 3),
            "offspringGenerations": round(medians["1"]["offspringGenerationsSeconds"]
                                          / medians["2"]["offspringGenerationsSeconds"], 3),
        },
        "localExecutorWallSeconds": local,
        "localExecutorMedianWallSeconds": statistics.median(local),
        "identicalFronts": True,
    }
    with open(out, "w") as handle:
        json.dump(result, handle, indent=2)
        handle.write("\n")


if __name__ == "__main__":
    main()
