"""The Ray bridge's parts that need no cluster: addresses, the job file, the worker's settings, the test hook and the
scheduler's re-runs (the bridge with a real cluster is scripts/ray-test.sh)."""

import json
import os
import subprocess

import pytest

from weightshare import ray_bridge as bridge


def test_addresses():
    assert bridge.parse_address("127.0.0.1:6379") == ("127.0.0.1", 6379)
    assert bridge.parse_address("head.example:1") == ("head.example", 1)
    assert bridge.parse_address("[::1]:6379") == ("::1", 6379)
    for bad in ["127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", ":6379", "host:port", "host:-1"]:
        with pytest.raises(bridge.BridgeError, match="is not HOST:PORT"):
            bridge.parse_address(bad)


def test_nothing_listening_is_named():
    # Port 1 on loopback: nothing listens there, and nothing leaves the machine.
    with pytest.raises(bridge.BridgeError, match=r"no Ray cluster at 127\.0\.0\.1:1 .*ray start --head --port 1"):
        bridge.check_reachable("127.0.0.1", 1, timeout=2)


def write_job(tmp_path, **changes):
    job = {"protocol": bridge.PROTOCOL, "toolVersion": "x", "settings": {"model": "/a/m.onnx", "data": "/a/d.npz"},
           "files": {"model": "/a/m.onnx", "data": "/a/d.npz"}, "wsc": "/bin/wsc", "threads": 1}
    job.update(changes)
    path = tmp_path / "job.json"
    path.write_text(json.dumps(job))
    return path


def test_job_file(tmp_path):
    assert bridge.load_job(write_job(tmp_path))["wsc"] == "/bin/wsc"
    with pytest.raises(bridge.BridgeError, match="protocol 0 and this bridge 1"):
        bridge.load_job(write_job(tmp_path, protocol=0))
    with pytest.raises(bridge.BridgeError, match="unknown settings keys: \\['board'\\]"):
        bridge.load_job(write_job(tmp_path, files={"board": "/a/b.json"}))
    with pytest.raises(bridge.BridgeError, match="cannot read the job file"):
        bridge.load_job(tmp_path / "missing.json")


def test_worker_settings_name_the_local_copies():
    settings = {"model": "/a/m.onnx", "data": "/a/d.npz", "seed": 3, "board": {"name": "b"}}
    local = bridge.worker_settings(settings, {"model": "/w/model", "data": "/w/data"})
    assert local == {"model": "/w/model", "data": "/w/data", "seed": 3, "board": {"name": "b"}}
    assert settings["model"] == "/a/m.onnx"  # the run's own settings are not touched


def test_kill_hook():
    assert bridge.kill_plan(None) == {}
    assert bridge.kill_plan("wsc:3,actor:12") == {3: "wsc", 12: "actor"}
    for bad in ["wsc", "node:3", "wsc:0", "actor:x"]:
        with pytest.raises(bridge.BridgeError, match=bridge.KILL_ENV):
            bridge.kill_plan(bad)


def test_harmless_notes_only():
    assert bridge.is_harmless("[W] network_util.cc:330: Failed to determine local IP via external connectivity to: x")
    assert not bridge.is_harmless("(raylet) A worker died or was killed while executing a task")


class FakePool:
    """Workers that run candidates at once; `fail` maps (worker, candidate) to how many times that call fails."""

    def __init__(self, fail=None):
        self.fail = dict(fail or {})
        self.calls = []
        self.next_handle = 0
        self.running = {}

    def submit(self, worker, index):
        self.calls.append((worker, index))
        self.next_handle += 1
        self.running[self.next_handle] = (worker, index)
        return self.next_handle

    def wait_any(self, handles):
        handle = min(handles)
        worker, index = self.running.pop(handle)
        if self.fail.get((worker, index), 0) > 0:
            self.fail[(worker, index)] -= 1
            return handle, False, f"{worker} died"
        return handle, True, f"score {index}"


def test_schedule_keeps_the_order():
    pool = FakePool()
    results, reruns = bridge.schedule(5, ["a", "b"], pool.submit, pool.wait_any)
    assert results == [f"score {i}" for i in range(5)]
    assert reruns == 0
    assert {worker for worker, _ in pool.calls} == {"a", "b"}


def test_a_failed_candidate_is_rerun_on_another_worker():
    pool = FakePool(fail={("a", 0): 1})
    log = []
    results, reruns = bridge.schedule(4, ["a", "b"], pool.submit, pool.wait_any, log=log.append)
    assert results == [f"score {i}" for i in range(4)]
    assert reruns == 1
    assert [worker for worker, index in pool.calls if index == 0] == ["a", "b"]
    assert "candidate 0 failed on a worker (attempt 1 of 3): a died" in log


def test_a_lone_worker_is_tried_again_after_a_restart():
    pool = FakePool(fail={("a", 0): 2})
    results, reruns = bridge.schedule(2, ["a"], pool.submit, pool.wait_any)
    assert results == ["score 0", "score 1"] and reruns == 2


def test_a_candidate_that_keeps_failing_fails_the_batch():
    pool = FakePool(fail={(w, 0): 5 for w in "abc"})
    with pytest.raises(bridge.BridgeError, match="candidate 0 failed on 3 attempts; the last failure: . died"):
        bridge.schedule(3, ["a", "b", "c"], pool.submit, pool.wait_any)


def test_a_worker_that_keeps_failing_is_dropped():
    pool = FakePool(fail={("a", i): 1 for i in range(6)})
    log = []
    results, reruns = bridge.schedule(6, ["a", "b"], pool.submit, pool.wait_any, log=log.append)
    assert results == [f"score {i}" for i in range(6)]
    assert reruns == 3
    assert "a worker failed 3 times in a row and is no longer used" in log
    # a is handed 3 candidates (each fails), then nothing more.
    assert [worker for worker, _ in pool.calls].count("a") == 3


def test_no_worker_left():
    pool = FakePool(fail={("a", i): 5 for i in range(4)})
    with pytest.raises(bridge.BridgeError, match="no worker left|failed on 3 attempts"):
        bridge.schedule(4, ["a"], pool.submit, pool.wait_any)


def test_is_alive():
    assert bridge.is_alive(os.getpid(), own=-1)
    assert not bridge.is_alive(os.getpid(), own=os.getpid())
    child = subprocess.Popen(["true"])
    child.wait()
    assert not bridge.is_alive(child.pid, own=os.getpid())
