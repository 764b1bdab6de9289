"""Learning curves: turn the phases' log.jsonl files into markdown tables (loss and evaluator scores vs
wall-clock minutes) for bench/README.md."""

from __future__ import annotations

import json
from pathlib import Path

EVAL_KEYS = ("psnr", "codebook_used", "fully_correct", "mean_iou", "background", "color", "shape", "position")


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def curve_table(phase: str, rows: list[dict], points: int = 8) -> str:
    """One row per evaluation, plus evenly spaced loss-only rows, so the table stays short."""
    losses = [r for r in rows if "loss" in r]
    evals = {r["step"]: r["eval"] for r in rows if "eval" in r}
    keep = {losses[int(i * (len(losses) - 1) / max(points - 1, 1))]["step"] for i in range(points)} if losses else set()
    keep |= set(evals)
    by_step = {r["step"]: r for r in losses}
    columns = [k for k in EVAL_KEYS if any(k in e for e in evals.values())]
    lines = [f"| {phase} step | minutes | loss | " + " | ".join(columns) + " |",
             "|---" * (3 + len(columns)) + "|"]
    for step in sorted(keep):
        loss_row = by_step.get(step) or min(losses, key=lambda r: abs(r["step"] - step))
        scores = evals.get(step, {})
        cells = [f"{scores[k]:.3g}" if k in scores else "" for k in columns]
        minutes = next((r["minutes"] for r in rows if r["step"] == step), loss_row["minutes"])
        lines.append(f"| {step} | {minutes:.1f} | {loss_row['loss']:.4f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def all_curves(work: Path) -> str:
    tables = []
    for phase in ("vae", "unet", "unet_layout", "controlnet", "vq", "ar"):
        log = work / phase / "log.jsonl"
        if log.exists():
            tables.append(curve_table(phase, read_log(log)))
    return "\n\n".join(tables)
