"""Turns one family's generated pictures and timings into the rows the report shows: seconds per image,
memory, parameters, adherence by attribute, FID-style distance, and editing scores."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..train.dataset import Attributes
from . import metrics


@dataclass(frozen=True)
class Setting:
    steps: int | None
    cfg: float | None

    @property
    def slug(self) -> str:
        steps = "default" if self.steps is None else self.steps
        cfg = "default" if self.cfg is None else f"{self.cfg:g}"
        return f"steps{steps}_cfg{cfg}"


def read(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def seconds_stats(seconds: Sequence[float], includes_load: bool = True) -> dict[str, float | None]:
    """Median/min/max per image. A job's first image also loads the models, so it is kept apart
    (`first`) and left out of the statistics whenever there are others."""
    timed = list(seconds[1:]) if includes_load and len(seconds) > 1 else list(seconds)
    return {"median": round(statistics.median(timed), 4), "min": round(min(timed), 4),
            "max": round(max(timed), 4), "first": round(seconds[0], 4) if includes_load else None}


def machine(summary: dict[str, Any]) -> dict[str, Any]:
    return {"peak_rss_mb": round(summary["peak_rss_mb"], 1), "baseline_rss_mb": round(summary["baseline_rss_mb"], 1),
            "parameters": int(summary["parameters"]), "parameters_m": round(summary["parameters"] / 1e6, 3),
            "threads": summary.get("threads")}


def text_run(family: str, setting: Setting, cells: list[dict[str, Any]], expected: list[Attributes],
             seconds: list[float], first: bool, summary: dict[str, Any], out: Path,
             reference: np.ndarray, passes: Sequence[int | None] = ()) -> dict[str, Any]:
    """One (family, steps, cfg) row. `cells` hold prompt index, seed, file and prompt set ("template" or
    "held-out"); `first` says whether this setting's first image was the job's first (the one that loaded
    the models). Adherence is given per prompt set; time, passes and FID-style over all of them."""
    images = [read(out / c["file"]) for c in cells]
    verdicts = metrics.adherence(images, expected)
    for c, verdict, t in zip(cells, verdicts, seconds, strict=True):
        c.update(seconds=round(t, 4), verdict=verdict)
    by_set = {name: [v for c, v in zip(cells, verdicts, strict=True) if c.get("set", "template") == name]
              for name in ("template", "held-out")}
    counted = [p for p in passes if p is not None]
    return {"family": family, "steps": setting.steps, "cfg": setting.cfg, "images": len(images),
            "seconds": seconds_stats(seconds, includes_load=first),
            "passes": statistics.median(counted) if counted else None,
            **machine(summary), "adherence": metrics.rates(by_set["template"]),
            "adherence_held_out": metrics.rates(by_set["held-out"]) if by_set["held-out"] else None,
            "fid": _rounded(metrics.quality(images, reference)), "cells": cells}


def edit_run(family: str, cells: list[dict[str, Any]], expected: list[Attributes], seconds: list[float],
             summary: dict[str, Any], out: Path) -> dict[str, Any]:
    scores = []
    for c, attributes, t in zip(cells, expected, seconds, strict=True):
        path = out / c["file"]
        mask = np.asarray(Image.open(path.with_suffix(".mask.png")).convert("L"), dtype=np.float32) / 255
        score = metrics.edit_scores(read(path), read(path.with_suffix(".original.png")), mask, attributes)
        c.update(seconds=round(t, 4), scores=score)
        scores.append(score)
    inside = metrics.rates(scores, metrics.EDIT_FIELDS)
    kept = [s["preserved"] for s in scores if "preserved" in s]
    psnr = [s["preserved_psnr_db"] for s in scores if "preserved_psnr_db" in s]
    return {"family": family, "images": len(cells), "seconds": seconds_stats(seconds), **machine(summary),
            "inside": inside, "preserved": _rounded(float(np.mean(kept)) if kept else None),
            "preserved_psnr_db": _rounded(float(np.mean(psnr)) if psnr else None), "cells": cells}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)
