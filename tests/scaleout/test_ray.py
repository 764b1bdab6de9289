"""`nodegraph serve --ray local`: a real server process on loopback with a local Ray cluster of two CPU
workers, driven over HTTP as any client does. Model affinity, interrupt, and a worker killed with SIGKILL
mid-prompt (every prompt completes exactly once, with its file at the head); start-up errors."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ray")

FIXTURES = Path(__file__).parent / "fixtures"
NODEGRAPH = str(Path(sys.executable).with_name("nodegraph"))
pytestmark = pytest.mark.slow  # a Ray cluster takes 10-60 s to start on two busy cores


class Server:
    def __init__(self, base: Path, *args: str) -> None:
        self.base = base
        self.process = subprocess.Popen([NODEGRAPH, "serve", "--port", "0", "--base-dir", str(base),
                                         "--nodes-dir", str(FIXTURES), *args], cwd=base,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.url = ""
        self.lines: list[str] = []

    def wait_listening(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if found := re.search(r"listening on (http://\S+)", line):
                self.url = found[1]
                return
        raise AssertionError("server did not start:\n" + "".join(self.lines[-40:]))

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=60) as response:
            return json.loads(response.read())

    def post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
        return json.loads(raw) if raw.strip() else None

    def submit(self, prompt: dict[str, Any]) -> str:
        return self.post("/prompt", {"prompt": prompt})["prompt_id"]

    def history(self, ids: list[str], timeout: float = 300) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            history = self.get("/history")
            if all(i in history for i in ids):
                return history
            time.sleep(0.5)
        raise AssertionError(f"not finished in {timeout} s: {[i for i in ids if i not in history]}")

    def workers(self) -> list[dict[str, Any]]:
        return self.get("/system_stats")["ray_workers"]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("ray-head"), "--ray", "local", "--ray-workers", "2")
    try:
        running.wait_listening()
        yield running
    finally:
        running.stop()


def image_prompt(value: int, steps: int = 3, delay: float = 0.0, prefix: str = "ray") -> dict[str, Any]:
    return {"1": {"class_type": "RayImage", "inputs": {"value": value, "steps": steps, "delay": delay}},
            "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": prefix}}}


def pid_of(entry: dict[str, Any], node: str) -> int:
    return int(entry["outputs"][node]["text"][0].split()[1])


def test_a_prompt_goes_where_its_model_is_loaded(server):
    workers = {w["pid"] for w in server.workers()}
    assert len(workers) == 2
    first = server.submit({"1": {"class_type": "RayModel", "inputs": {"model_name": "alpha"}}})
    holder = pid_of(server.history([first])[first], "1")
    assert any(w["pid"] == holder and "alpha" in w["models"] for w in server.workers())
    # Both workers are free: the one holding alpha gets the next alpha prompt, the other one beta.
    again = server.submit({"1": {"class_type": "RayModel", "inputs": {"model_name": "alpha"}}})
    assert pid_of(server.history([again])[again], "1") == holder
    other = server.submit({"1": {"class_type": "RayModel", "inputs": {"model_name": "beta"}}})
    assert pid_of(server.history([other])[other], "1") == (workers - {holder}).pop()


def test_interrupt_reaches_the_worker_running_the_prompt(server):
    slow = server.submit(image_prompt(7, steps=600, delay=0.1))
    deadline = time.monotonic() + 120
    while not any(w["prompt_id"] == slow for w in server.workers()):
        assert time.monotonic() < deadline, "never started"
        time.sleep(0.2)
    started = time.monotonic()
    server.post("/interrupt", {"prompt_id": slow})
    entry = server.history([slow], timeout=60)[slow]
    assert time.monotonic() - started < 30  # 600 steps would take a minute
    assert [m[0] for m in entry["status"]["messages"]][-1] == "execution_interrupted"


def test_a_killed_worker_loses_no_prompt_and_runs_none_twice(server):
    ids = [server.submit(image_prompt(10 + i, steps=8, delay=0.25, prefix=f"killed_{i}")) for i in range(5)]
    deadline = time.monotonic() + 120
    while not (busy := [w for w in server.workers() if w["prompt_id"] in ids]):
        assert time.monotonic() < deadline, "nothing started"
        time.sleep(0.2)
    victim = busy[0]
    time.sleep(0.5)  # mid-prompt: a few of its eight steps done
    os.kill(victim["pid"], signal.SIGKILL)
    history = server.history(ids)
    for index, prompt_id in enumerate(ids):
        entry = history[prompt_id]
        assert entry["status"]["status_str"] == "success", entry["status"]
        (saved,) = entry["outputs"]["2"]["images"]
        path = server.base / "output" / saved["subfolder"] / saved["filename"]
        assert path.is_file() and saved["filename"].startswith(f"killed_{index}_")
    assert sorted(p.name for p in (server.base / "output").glob("killed_*")) == \
        sorted(f"killed_{i}_00001_.png" for i in range(5))  # one file each: nothing ran twice to the end
    starts = [m for i in ids for m in history[i]["status"]["messages"] if m[0] == "execution_start"]
    assert len(starts) == 5  # history keeps one run per prompt
    assert all(not w["dead"] for w in server.workers())  # Ray restarted the killed worker
    assert victim["pid"] not in {w["pid"] for w in server.workers()}


def test_start_up_errors_are_one_line(tmp_path):
    gpus = subprocess.run([NODEGRAPH, "serve", "--port", "0", "--base-dir", str(tmp_path), "--ray", "local",
                           "--ray-worker-gpus", "1"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert gpus.returncode == 1 and "GPU workers were asked for" in gpus.stderr
    assert "Traceback" not in gpus.stderr
    unreachable = subprocess.run([NODEGRAPH, "serve", "--port", "0", "--base-dir", str(tmp_path), "--ray",
                                  "127.0.0.1:9"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert unreachable.returncode == 1 and "cannot reach the Ray cluster at '127.0.0.1:9'" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr
    # Workers whose Python finds a nodegraph that does not import (here: one shadowing the real one; run from
    # an empty folder, as a user would: Ray puts the server's working folder on its workers' path).
    broken = tmp_path / "broken" / "nodegraph"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text('raise ImportError("this nodegraph is broken on purpose")\n')
    runtime = json.dumps({"env_vars": {"PYTHONPATH": str(broken.parent)}})
    workers = subprocess.run([NODEGRAPH, "serve", "--port", "0", "--base-dir", str(tmp_path), "--ray", "local",
                              "--ray-runtime-env", runtime], cwd=tmp_path, capture_output=True, text=True,
                             timeout=300)
    assert workers.returncode == 1, workers.stdout + workers.stderr
    assert "Ray worker 0 could not start nodegraph" in workers.stderr and "broken on purpose" in workers.stderr
