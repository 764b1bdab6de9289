"""`train all` on several cores: after the tokenizer and the VAE, the diffusion chain (unet, controlnet) and
the autoregressive chain (vq, ar) share nothing, so each runs in its own process, side by side.

Each phase runs in a child process with its share of the torch threads, counted when the phase starts: one
each while both chains run (two threads per model next to another job thrash, bench/README.md), all of
them for a phase that starts after the other chain finished. Each child's output goes to a log under the
work folder; this process shows one line per chain: its child's newest progress bar, read from that log.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

CHAINS: tuple[tuple[str, ...], ...] = (
    ("unet", "controlnet", "unet_language"),
    ("vq", "ar", "ar_coarse"),
)
# The last tqdm status in a child's log: "unet_layout:  45%|####  | 2700/6000 [...]".
_PROGRESS = re.compile(r"[\w-]+:\s+\d+%\|[^|]*\|\s*\d+/\d+")
_POLL_SECONDS = 2.0


@dataclass
class Chain:
    phases: tuple[str, ...]
    log: Path
    failed: str | None = None  # the phase that exited non-zero
    done: bool = False
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return "+".join(self.phases)


def child_command(phase: str, options: list[str]) -> list[str]:
    return [sys.executable, "-m", "nodegraph.train", phase, *options]


def _run(chain: Chain, chains: list[Chain], options: list[str], threads: int) -> None:
    with chain.log.open("a") as log:
        for phase in chain.phases:
            share = max(1, threads // sum(not other.done for other in chains))
            log.write(f"== {phase} (torch threads: {share})\n")
            log.flush()
            command = child_command(phase, [*options, "--threads", str(share)])
            chain.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            if chain.process.wait() != 0:
                chain.failed = phase
                break
    chain.done = True


def last_status(log: Path) -> str | None:
    """The newest progress-bar frame in a child's log ("unet: 45%|####  | 2700/6000 [...]"), if any yet."""
    try:
        with log.open("rb") as f:
            f.seek(max(0, log.stat().st_size - 4096))
            tail = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return None
    frames = [frame.strip() for frame in re.split(r"[\r\n]", tail) if _PROGRESS.search(frame)]
    return frames[-1] if frames else None


def run_chains(options: list[str], threads: int, work: Path,
               phases_per_chain: tuple[tuple[str, ...], ...] = CHAINS) -> int:
    """Run every chain to its end with `options` (a failing chain does not stop the others, whose work is
    kept); return 0 when all finished, else 1 after naming the failed phase and its log."""
    work.mkdir(parents=True, exist_ok=True)
    chains = [Chain(phases, work / f"train-{'-'.join(phases)}.log") for phases in phases_per_chain]
    workers = [threading.Thread(target=_run, args=(chain, chains, options, threads), daemon=True) for chain in chains]
    # Each line shows its child's own bar (its rate and time left), prefixed with the chain's name.
    bars = [tqdm(position=i, bar_format="{desc}", desc=f"{chain.name}: starting", dynamic_ncols=True)
            for i, chain in enumerate(chains)]
    try:
        for worker in workers:
            worker.start()
        while not all(chain.done for chain in chains):
            time.sleep(_POLL_SECONDS)
            for chain, bar in zip(chains, bars, strict=True):
                status = (f"failed in {chain.failed}, see {chain.log}" if chain.failed
                          else "finished" if chain.done else last_status(chain.log))
                if status:
                    bar.set_description_str(f"{chain.name} | {status}")
    except KeyboardInterrupt:
        for chain in chains:
            if chain.process is not None and chain.process.poll() is None:
                chain.process.terminate()
        raise
    finally:
        for bar in bars:
            bar.close()
    failed = [chain for chain in chains if chain.failed]
    for chain in failed:
        print(f"training phase {chain.failed!r} failed; its output is in {chain.log}", file=sys.stderr)
    return 1 if failed else 0
