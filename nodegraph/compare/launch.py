"""The parent side of a family run: start `python -m nodegraph.compare.runner` on the family's jobs, follow
its progress lines, and return per job the per-image seconds plus the child's memory and parameter summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .runner import MARK, Job


@dataclass
class Outcome:
    seconds: list[float] = field(default_factory=list)
    knobs: list[dict[str, Any]] = field(default_factory=list)  # steps/cfg each image really used
    passes: list[int | None] = field(default_factory=list)  # forward passes per image (None: not counted)
    summary: dict[str, Any] = field(default_factory=dict)


def run_jobs(jobs: list[Job], work: Path, log_file: Path, tick: Callable[[], None]) -> list[Outcome | str]:
    """Run the jobs in one child, in order; per job its Outcome, or why it failed (with the log's end)."""
    files = []
    for index, job in enumerate(jobs):
        files.append(work / f"{job.family}-{index}.json")
        job.save(files[-1])
    outcomes = [Outcome() for _ in jobs]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log_file.open("w") as log:
        child = subprocess.Popen([sys.executable, "-m", "nodegraph.compare.runner", *map(str, files)],
                                 stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        assert child.stdout is not None
        for line in child.stdout:
            if not line.startswith(MARK):
                log.write(line)
                continue
            message = json.loads(line[len(MARK):])
            outcome = outcomes[message["job"]]
            if message.get("done"):
                outcome.summary = message
            else:
                outcome.seconds.append(float(message["seconds"]))
                outcome.knobs.append({k: message[k] for k in ("steps", "cfg") if k in message})
                outcome.passes.append(message.get("passes"))
                tick()
        code = child.wait()
    tail = log_file.read_text()[-1500:]
    return [outcome if outcome.summary else f"{job.family}{' editing' if job.edit else ''} failed (exit {code}); "
            f"end of {log_file}:\n{tail}" for job, outcome in zip(jobs, outcomes, strict=True)]
