"""The Ray bridge of `wsc search --executor ray`: scores search candidates on a Ray cluster.

`wsc` starts this script with a Python that has Ray (`--ray-python`) and talks to it in JSON lines on stdin and
stdout (Sources/WeightShareSearch/RayProtocol.swift is the other end):

    python ray_bridge.py --address HOST:PORT --job job.json

It connects to the cluster, puts the model and the data into Ray's object store once, and starts one actor per
worker (one CPU each, spread over the nodes). Each actor writes the shipped files into a folder of its
node and runs `wsc worker` there: the same evaluator as a local search, fed one candidate per line. A generation's
candidates go to whichever worker is free; requests, replies and the workers' hellos pass through verbatim, in
order: no number is parsed by Python. A worker that dies (its actor process or its `wsc`) is restarted by Ray, and its candidate
is re-run on another worker.

Only the standard library and Ray: the script runs as a file (nothing of the weightshare package is imported), and
Ray ships its classes to the workers by value. The pure parts (address, settings, scheduling) import no Ray.

Joining gives up after JOIN_TIMEOUT seconds (WEIGHTSHARE_RAY_JOIN_TIMEOUT overrides it).

Test hook: WEIGHTSHARE_RAY_TEST_KILL="wsc:N" (or "actor:N"; several joined by commas) kills, during the N-th
candidate handed to a worker (counted from 1 over the run), that worker's `wsc` (or its whole actor process) after
the candidate was sent: a worker killed mid-generation.
"""

import argparse
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import uuid

PROTOCOL = 1
# Settings keys whose files are shipped: the worker's settings name its local copies instead.
SHIPPED_KEYS = ("model", "data", "selectData")
# A candidate is tried on at most this many workers; a worker that fails this many times in a row is dropped.
MAX_ATTEMPTS = 3
# Seconds for every worker to start (placement, shipping, loading the model and data, measuring the float model).
START_TIMEOUT = 600
KILL_ENV = "WEIGHTSHARE_RAY_TEST_KILL"
# Seconds to join the cluster: something that accepts connections but is not a Ray head makes ray.init retry for
# minutes. WEIGHTSHARE_RAY_JOIN_TIMEOUT overrides it.
JOIN_TIMEOUT = 60
# Ray notes that say nothing about this use: no outside address in a private network, and the restart caveat of actor
# arguments in the object store (the bridge holds them for the whole run).
HARMLESS_NOTES = ("Failed to determine local IP via external connectivity",
                  "has constructor arguments in the object store and max_restarts > 0")


class BridgeError(Exception):
    """A problem the user can fix; its text is sent to wsc as the error."""


def parse_address(text):
    """(host, port) of HOST:PORT; an IPv6 host may be bracketed ([::1]:6379)."""
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise BridgeError(f"the address '{text}' is not HOST:PORT with a port in 1...65535 (e.g. 127.0.0.1:6379)")
    return host, int(port)


def check_reachable(host, port, timeout=5.0):
    """Refuses, quickly and by name, an address nothing listens on (ray.init would retry for a long time)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as error:
        raise BridgeError(
            f"no Ray cluster at {host}:{port} ({error.strerror or error}): start one with "
            f"`ray start --head --port {port}` on that machine, or give its address with --ray-address") from None


def load_job(path):
    """The job file wsc wrote, checked for what the bridge relies on."""
    try:
        with open(path, encoding="utf-8") as handle:
            job = json.load(handle)
    except (OSError, ValueError) as error:
        raise BridgeError(f"cannot read the job file {path}: {error}") from None
    if job.get("protocol") != PROTOCOL:
        raise BridgeError(f"the job file speaks protocol {job.get('protocol')} and this bridge {PROTOCOL}: "
                          "use the bridge of the same WeightShare checkout as wsc (--ray-bridge)")
    for key in ("settings", "files", "wsc", "threads"):
        if key not in job:
            raise BridgeError(f"the job file has no '{key}'")
    unknown = set(job["files"]) - set(SHIPPED_KEYS)
    if unknown:
        raise BridgeError(f"the job ships files under unknown settings keys: {sorted(unknown)}")
    return job


def worker_settings(settings, local_paths):
    """A copy of the run's settings naming the worker's local copies of the shipped files."""
    result = dict(settings)
    for key, path in local_paths.items():
        result[key] = path
    return result


def kill_plan(spec):
    """{N: "wsc" | "actor"} from the test hook's value ("wsc:3,actor:9"); empty without one."""
    plan = {}
    for part in filter(None, (spec or "").split(",")):
        kind, _, number = part.partition(":")
        if kind not in ("wsc", "actor") or not number.isdigit() or int(number) < 1:
            raise BridgeError(f"{KILL_ENV}: '{part}' is not wsc:N or actor:N")
        plan[int(number)] = kind
    return plan


def schedule(count, workers, submit, wait_any, max_attempts=MAX_ATTEMPTS, log=lambda line: None):
    """Runs candidates 0..<count on `workers`, one at a time per worker, and returns (results in order, re-runs).

    `submit(worker, index)` starts a candidate and returns a handle; `wait_any(handles)` waits for one to end and
    returns (handle, ok, value): the reply, or the failure. A failed candidate is re-run, preferably on a worker it
    has not failed on; it fails the batch after `max_attempts` tries. A worker that fails `max_attempts` times in a
    row is no longer used; with none left the batch fails.
    """
    pending = collections.deque(range(count))
    results = [None] * count
    attempts = [0] * count
    failed_on = [set() for _ in range(count)]
    streak = {worker: 0 for worker in workers}
    idle = list(workers)
    running = {}
    reruns = 0
    while pending or running:
        # Each idle worker takes the first pending candidate that has not failed on it; when only failed-on
        # candidates remain and nothing else runs, it takes one all the same (it may have been restarted).
        for worker in list(idle):
            if not pending:
                break
            choice = next((i for i in pending if worker not in failed_on[i]), None)
            if choice is None and not running:
                choice = pending[0]
            if choice is None:
                continue
            pending.remove(choice)
            idle.remove(worker)
            attempts[choice] += 1
            running[submit(worker, choice)] = (worker, choice)
        if not running:
            raise BridgeError(f"no worker left to run {len(pending)} candidate(s): every worker failed "
                              f"{max_attempts} times in a row")
        handle, ok, value = wait_any(list(running))
        worker, index = running.pop(handle)
        if ok:
            results[index] = value
            streak[worker] = 0
            idle.append(worker)
            continue
        reruns += 1
        failed_on[index].add(worker)
        log(f"candidate {index} failed on a worker (attempt {attempts[index]} of {max_attempts}): {value}")
        if attempts[index] >= max_attempts:
            raise BridgeError(f"candidate {index} failed on {attempts[index]} attempts; the last failure: {value}")
        pending.appendleft(index)
        streak[worker] += 1
        if streak[worker] < max_attempts:
            idle.append(worker)
        else:
            log(f"a worker failed {streak[worker]} times in a row and is no longer used")
    return results, reruns


class WorkerProcessDied(Exception):
    """The worker's `wsc worker` process ended (killed, or crashed): its candidate is re-run."""


class Worker:
    """The body of one Ray actor: the shipped files in a folder of its node, and a `wsc worker` scoring on them."""

    def __init__(self, job_id, wsc, settings, threads, names, shipped):
        import ray
        # The files come nested (not as arguments Ray resolves itself), fetched here from the object store: once per
        # node, and again by an actor Ray restarts (the bridge holds the references for the whole run).
        blobs = ray.get(shipped)
        self.wsc = wsc
        self.threads = threads
        # The actor's pid in the name: a worker that stops also removes the folders of this job's dead workers.
        self.prefix = f"weightshare-worker-{job_id}-"
        self.folder = tempfile.mkdtemp(prefix=f"{self.prefix}{os.getpid()}-")
        local = {}
        for name, blob in zip(names, blobs):
            path = os.path.join(self.folder, name)
            with open(path, "wb") as handle:
                handle.write(blob)
            local[name] = path
        self.settings_path = os.path.join(self.folder, "settings.json")
        with open(self.settings_path, "w", encoding="utf-8") as handle:
            json.dump(worker_settings(settings, local), handle)
        self.process = None
        self.hello_line = self._start()

    def _start(self):
        """Starts `wsc worker` and returns its first line (the hello, or its error)."""
        # stderr to a file: a pipe nobody reads could fill up and stall the worker.
        self.stderr_path = os.path.join(self.folder, "worker-stderr.txt")
        try:
            with open(self.stderr_path, "w", encoding="utf-8") as stderr:
                self.process = subprocess.Popen(
                    [self.wsc, "worker", "--settings", self.settings_path, "--threads", str(self.threads)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True, bufsize=1)
        except OSError as error:
            raise WorkerProcessDied(f"cannot run {self.wsc} on node {socket.gethostname()}: {error.strerror} "
                                    "(every node needs wsc at that path; see --ray-wsc)") from None
        line = self.process.stdout.readline()
        if not line:
            raise WorkerProcessDied(self._ended("while loading the run"))
        return line.rstrip("\n")

    def _ended(self, when):
        code = self.process.wait()
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as handle:
                tail = handle.read()[-2000:].strip()
        except OSError:
            tail = ""
        return f"wsc worker exited with status {code} {when}" + (f": {tail}" if tail else "")

    def hello(self):
        """(the worker's first line, the node's id)."""
        import ray
        return self.hello_line, ray.get_runtime_context().get_node_id()

    def score(self, request, kill=None):
        """The reply line of `wsc worker` to one request line. `kill` is the test hook (module docstring)."""
        if self.process is None or self.process.poll() is not None:
            line = self._start()
            if "ready" not in json.loads(line):
                raise WorkerProcessDied(f"wsc worker restarted but answered: {line}")
        self.process.stdin.write(request + "\n")
        self.process.stdin.flush()
        if kill == "wsc":
            os.kill(self.process.pid, signal.SIGKILL)
        elif kill == "actor":
            os.kill(os.getpid(), signal.SIGKILL)
        line = self.process.stdout.readline()
        if not line:
            raise WorkerProcessDied(self._ended("during a candidate"))
        return line.rstrip("\n")

    def stop(self):
        """Ends `wsc worker` (end of its input) and removes the shipped files, with those of this job's workers
        that died on this node (a killed actor cannot clean up)."""
        if self.process is not None and self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        parent = os.path.dirname(self.folder)
        for name in os.listdir(parent):
            owner = name[len(self.prefix):].split("-")[0]
            if name.startswith(self.prefix) and owner.isdigit() and not is_alive(int(owner), os.getpid()):
                shutil.rmtree(os.path.join(parent, name), ignore_errors=True)


def is_alive(pid, own):
    """Whether process `pid` runs (`own`, the caller, counts as ended: it is stopping)."""
    if pid == own:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Cluster:
    """The workers of one search on a connected Ray cluster."""

    def __init__(self, ray, job, log):
        self.ray = ray
        self.log = log
        self.kills = kill_plan(os.environ.get(KILL_ENV))
        self.handed_out = 0
        cpus = int(ray.cluster_resources().get("CPU", 0))
        count = job.get("workers") or cpus
        if count < 1:
            raise BridgeError("the cluster has no CPU for a worker: start the nodes with --num-cpus 1 or more")
        if count > cpus:
            raise BridgeError(f"{count} worker(s) asked for, but the cluster has {cpus} CPU(s) (lower --ray-workers "
                              "or join more nodes)")
        names, refs = [], []
        self.shipped_bytes = 0
        for name in sorted(job["files"]):
            with open(job["files"][name], "rb") as handle:
                blob = handle.read()
            self.shipped_bytes += len(blob)
            names.append(name)
            refs.append(ray.put(blob))
        settings = job["settings"]
        # Held for the whole run: a restarted actor fetches the files again.
        self.shipped = refs
        job_id = uuid.uuid4().hex[:12]
        remote = ray.remote(Worker).options(num_cpus=1, max_restarts=MAX_ATTEMPTS - 1, max_task_retries=0,
                                             scheduling_strategy="SPREAD")
        self.workers = [remote.remote(job_id, job["wsc"], settings, job["threads"], names, refs) for _ in range(count)]
        try:
            self._greet(count)
        except BaseException:
            self.stop()
            raise

    def _greet(self, count):
        """Waits for every worker's hello; a worker that cannot start or load the run is an error naming why."""
        ray = self.ray
        try:
            hellos = ray.get([worker.hello.remote() for worker in self.workers], timeout=START_TIMEOUT)
        except ray.exceptions.GetTimeoutError:
            raise BridgeError(f"the workers did not start within {START_TIMEOUT} s (are {count} CPU(s) free on "
                              "the cluster?)") from None
        except ray.exceptions.RayActorError as error:
            raise BridgeError(f"a worker could not start: {_cause(error)}") from None
        self.hellos = []
        for line, node in hellos:
            message = json.loads(line)
            if "ready" not in message:
                raise BridgeError(f"a worker on node {node[:12]} cannot load the run: {message.get('error', line)}")
            self.hellos.append(line)  # verbatim: wsc reads the float score exactly as the worker wrote it
        self.nodes = len({node for _, node in hellos})

    def ready(self):
        return {"workers": len(self.workers), "nodes": self.nodes, "shippedBytes": self.shipped_bytes,
                "hellos": self.hellos}

    def score(self, requests):
        """(reply lines in order, re-runs) for a batch of request lines, passed on verbatim."""

        def submit(worker, index):
            self.handed_out += 1
            return worker.score.remote(requests[index], self.kills.get(self.handed_out))

        def wait_any(handles):
            [done], _ = self.ray.wait(handles, num_returns=1)
            try:
                return done, True, self.ray.get(done)
            except (self.ray.exceptions.RayError, WorkerProcessDied) as error:
                return done, False, _cause(error)

        return schedule(len(requests), self.workers, submit, wait_any, log=self.log)

    def stop(self):
        # Every live worker cleans up (a dead one's call fails at once); then all are ended.
        self.ray.wait([worker.stop.remote() for worker in self.workers], num_returns=len(self.workers), timeout=30)
        for worker in self.workers:
            self.ray.kill(worker)


def _cause(error):
    """The first line of what went wrong in a Ray error (its traceback stays in the workers' logs)."""
    text = str(error).strip()
    for line in reversed(text.splitlines()):
        if "WorkerProcessDied" in line or "Error" in line:
            return line.strip()[:1000]
    return text.splitlines()[0][:1000] if text else type(error).__name__


class JoinTimedOut(BridgeError):
    """ray.init did not return: its thread cannot be stopped, so the bridge exits at once after saying so."""


def join(ray, host, port, timeout):
    """Connects this process to the cluster as a driver, within `timeout` seconds."""
    outcome = {}

    def connect():
        try:
            # On a loopback address this machine is the cluster's node: saying so spares Ray probing the outside
            # for its address.
            node_ip = {"_node_ip_address": host} if host.startswith("127.") else {}
            ray.init(address=f"{host}:{port}", logging_level="ERROR", log_to_driver=False, **node_ip)
        except Exception as error:  # noqa: BLE001 - Ray raises many kinds; all mean "cannot join"
            outcome["error"] = error

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise JoinTimedOut(f"{host}:{port} accepts connections but did not answer as a Ray cluster within {timeout:g} s "
                           "(give the head's GCS port: the --port of `ray start --head`, 6379 by default)")
    if "error" in outcome:
        raise BridgeError(f"cannot join the Ray cluster at {host}:{port}: {_cause(outcome['error'])}")


def is_harmless(line):
    return any(note in line for note in HARMLESS_NOTES)


def route_output():
    """Returns the protocol's stream (the real stdout) and sends everything else written to fd 1 or 2 — Python's or
    Ray's C++ logging — through a filter that drops ``HARMLESS_NOTES`` on its way to stderr."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    stderr = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
    read_end, write_end = os.pipe()
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump():
        with os.fdopen(read_end, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if not is_harmless(line):
                    stderr.write(line)

    threading.Thread(target=pump, daemon=True).start()
    return protocol


def main(argv=None):
    parser = argparse.ArgumentParser(description="Scores wsc search candidates on a Ray cluster (run by wsc).")
    parser.add_argument("--address", required=True, help="the cluster, HOST:PORT")
    parser.add_argument("--job", required=True, help="the job file wsc wrote")
    args = parser.parse_args(argv)
    # The protocol owns stdout: whatever Ray or a library prints goes to stderr instead.
    protocol = route_output()

    def send(message):
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    def log(line):
        print(line, file=sys.stderr, flush=True)

    ray = None
    cluster = None
    try:
        job = load_job(args.job)
        host, port = parse_address(args.address)
        check_reachable(host, port)
        try:
            import ray
        except ImportError:
            raise BridgeError(f"Ray is not installed for {sys.executable}: `{sys.executable} -m pip install "
                              "ray==2.60.0`, or pass --ray-python with a Python that has it") from None
        join(ray, host, port, float(os.environ.get("WEIGHTSHARE_RAY_JOIN_TIMEOUT", JOIN_TIMEOUT)))
        cluster = Cluster(ray, job, log)
        send({"ready": cluster.ready()})
        for line in sys.stdin:
            if not line.strip():
                continue
            results, reruns = cluster.score(json.loads(line)["candidates"])
            send({"results": results, "retries": reruns})
        return 0
    except JoinTimedOut as error:
        send({"error": str(error)})
        os._exit(2)  # the thread stuck in ray.init would keep the interpreter from exiting
    except BridgeError as error:
        send({"error": str(error)})
        return 2
    finally:
        if cluster is not None:
            cluster.stop()
        if ray is not None and ray.is_initialized():
            ray.shutdown()


if __name__ == "__main__":
    sys.exit(main())
