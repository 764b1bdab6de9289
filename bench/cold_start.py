"""Cold start: `nodegraph run txt2img` and `nodegraph validate txt2img` in fresh processes, against the bare
`python -c "import torch, diffusers, transformers"` measured in the same run, plus where a cold run spends
its time and how the torch thread count changes it.

    python bench/cold_start.py [--rounds 5]

Each command runs `--rounds` times, interleaved with the others so a busy machine slows them alike; the
median is reported. Targets (issue 16): run within 2x the bare import, validate under 1 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
PHASES = """
import json, time
from pathlib import Path
t0 = time.perf_counter()
import nodegraph
from nodegraph.config import Config
t1 = time.perf_counter()
engine = nodegraph.Engine(Config(base_dir=Path(__BASE__)))
t2 = time.perf_counter()
prompt, ui = engine.load("txt2img")
checked = engine.validate(prompt)
t3 = time.perf_counter()
engine.run_prompt(prompt, ui)
t4 = time.perf_counter()
engine.executor.cache.clear()
engine.run_prompt(prompt, ui)
t5 = time.perf_counter()
import statistics, torch
warm = {1: [], 2: []}
for _ in range(__ROUNDS__):
    for threads in warm:  # interleaved, so a busy machine slows both alike
        torch.set_num_threads(threads)
        engine.executor.cache.clear()
        start = time.perf_counter()
        engine.run_prompt(prompt, ui)
        warm[threads].append(time.perf_counter() - start)
print(json.dumps({"import nodegraph": t1 - t0, "build the engine (registry)": t2 - t1,
                  "load and validate": t3 - t2, "first run (model imports, loads, sampling)": t4 - t3,
                  "same run again, warm (sampling only)": t5 - t4,
                  **{f"warm run, {n} torch thread(s), median": statistics.median(v) for n, v in warm.items()}}))
"""


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nodegraph-cold-"))
    nodegraph = str(BIN / "nodegraph")
    commands = {
        "python -c 'import torch, diffusers, transformers'":
            [sys.executable, "-c", "import torch, diffusers, transformers"],
        "nodegraph run txt2img": [nodegraph, "run", "txt2img", "--quiet", "--base-dir", str(work)],
        "nodegraph run txt2img --threads 2": [nodegraph, "run", "txt2img", "--quiet", "--threads", "2",
                                              "--base-dir", str(work)],
        "nodegraph validate txt2img": [nodegraph, "validate", "txt2img", "--base-dir", str(work)],
        "nodegraph nodes": [nodegraph, "nodes", "--base-dir", str(work)],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, command in commands.items():
            times[name].append(timed(command, work))
    median = {name: statistics.median(values) for name, values in times.items()}
    baseline = median["python -c 'import torch, diffusers, transformers'"]
    print(f"{args.rounds} rounds, median seconds (min-max)\n")
    print("| command | s | vs bare import |\n| --- | --- | --- |")
    for name, values in times.items():
        print(f"| `{name}` | {median[name]:.2f} ({min(values):.2f}-{max(values):.2f}) | "
              f"{median[name] / baseline:.2f}x |")
    script = PHASES.replace("__BASE__", repr(str(work))).replace("__ROUNDS__", str(args.rounds))
    phases = subprocess.run([sys.executable, "-c", script], cwd=work,
                            capture_output=True, text=True, check=True)
    print("\nOne cold process, by phase:\n\n| phase | s |\n| --- | --- |")
    for phase, seconds in json.loads(phases.stdout.strip().splitlines()[-1]).items():
        print(f"| {phase} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
