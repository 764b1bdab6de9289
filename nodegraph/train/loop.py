"""Resumable training loop: AdamW with warmup + cosine decay, periodic checkpoints, a JSONL learning curve.

A phase's step function derives its batch and noise from (seed, step), so rerunning after an interruption
continues from the last checkpoint and produces the same run as an uninterrupted one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from diffusers.optimization import get_cosine_schedule_with_warmup
from tqdm import tqdm

CHECKPOINT_SECONDS = 180.0


@dataclass
class Phase:
    """One model's training: what to optimise, the loss of one step, and what to do at the end."""

    name: str
    steps: int
    modules: dict[str, torch.nn.Module]
    step_loss: Callable[[int], torch.Tensor]
    lr: float
    warmup: int = 100
    weight_decay: float = 0.0
    evaluate: Callable[[], dict] | None = None
    eval_every: int = 0
    extra_state: dict = field(default_factory=dict)  # tensors and plain values a phase mutates (e.g. code usage)


def _save_atomic(obj: dict, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def log_row(log_path: Path, row: dict) -> None:
    with log_path.open("a") as f:
        f.write(json.dumps(row) + "\n")


def run_phase(phase: Phase, work: Path, stop_at: int | None = None) -> bool:
    """Train until phase.steps (or stop_at, leaving a checkpoint to resume from), resuming from
    work/<name>/checkpoint.pt. Returns True when the phase is complete."""
    folder = work / phase.name
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint_path, log_path = folder / "checkpoint.pt", folder / "log.jsonl"
    params = [p for m in phase.modules.values() for p in m.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=phase.lr, betas=(0.9, 0.99), weight_decay=phase.weight_decay)
    schedule = get_cosine_schedule_with_warmup(optimizer, phase.warmup, phase.steps)
    step, elapsed = 0, 0.0
    if checkpoint_path.exists():
        # weights_only: a checkpoint is tensors and plain values, so a --work folder from elsewhere runs no code.
        state = torch.load(checkpoint_path, weights_only=True)
        for name, module in phase.modules.items():
            module.load_state_dict(state["modules"][name])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        phase.extra_state.update(state.get("extra", {}))
        step, elapsed = state["step"], state["elapsed"]

    def save() -> None:
        _save_atomic({
            "modules": {n: m.state_dict() for n, m in phase.modules.items()},
            "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
            "extra": phase.extra_state, "step": step, "elapsed": elapsed,
        }, checkpoint_path)

    for module in phase.modules.values():
        module.train()
    started, last_save, running = time.monotonic() - elapsed, time.monotonic(), []
    bar = tqdm(total=phase.steps, initial=step, desc=phase.name, dynamic_ncols=True, mininterval=5)
    stop = min(stop_at or phase.steps, phase.steps)
    while step < stop:
        loss = phase.step_loss(step)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        step += 1
        elapsed = time.monotonic() - started
        running.append(loss.item())
        bar.update(1)
        if step % 25 == 0 or step == phase.steps:
            mean = sum(running) / len(running)
            running.clear()
            bar.set_postfix(loss=f"{mean:.4f}")
            log_row(log_path, {"step": step, "minutes": round(elapsed / 60, 2), "loss": mean,
                               "lr": schedule.get_last_lr()[0]})
        if phase.evaluate is not None and phase.eval_every and (step % phase.eval_every == 0):
            for module in phase.modules.values():
                module.eval()
            with torch.no_grad():
                scores = phase.evaluate()
            for module in phase.modules.values():
                module.train()
            log_row(log_path, {"step": step, "minutes": round(elapsed / 60, 2), "eval": scores})
            tqdm.write(f"{phase.name} step {step}: {scores}")
        if time.monotonic() - last_save > CHECKPOINT_SECONDS or step == stop:
            save()
            last_save = time.monotonic()
    bar.close()
    for module in phase.modules.values():
        module.eval()
    return step == phase.steps


def seeded(seed: int, step: int, salt: int = 0) -> torch.Generator:
    """A generator for one step's randomness, so a resumed run draws what the uninterrupted run would."""
    return torch.Generator().manual_seed(seed * 1_000_003 + step * 7919 + salt)
