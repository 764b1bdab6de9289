"""Writes a comparison's results: Markdown tables, JSON, a labelled contact sheet and a speed-vs-adherence plot.

Every number in the Markdown comes from the same dict that is written as JSON, through `cell()`, so the
two cannot disagree.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

# Contact-sheet layout, in pixels: each picture is shown at CELL x CELL (nearest-neighbour upscaling).
CELL = 128
PAD = 4
LABEL_WIDTH = 240
HEADER_HEIGHT = 40
BACKGROUND = (255, 255, 255)
INK = (20, 20, 20)

RUN_COLUMNS = (("family", "family"), ("steps", "steps"), ("cfg", "cfg"), ("s/image median", "seconds.median"),
               ("min", "seconds.min"), ("max", "seconds.max"), ("peak RSS MB", "peak_rss_mb"),
               ("params M", "parameters_m"), ("background", "adherence.background"),
               ("colour", "adherence.color"), ("shape", "adherence.shape"), ("position", "adherence.position"),
               ("size", "adherence.size"), ("all four", "adherence.fully_correct"),
               ("held-out structures: all four", "adherence_held_out.fully_correct"),
               ("passes/image", "passes"), ("FID-style", "fid"))
EDIT_COLUMNS = (("family", "family"), ("s/edit median", "seconds.median"), ("colour in mask", "inside.color"),
                ("shape in mask", "inside.shape"), ("position in mask", "inside.position"),
                ("all in mask", "inside.fully_correct"), ("kept outside", "preserved"),
                ("PSNR outside dB", "preserved_psnr_db"))


def lookup(row: dict[str, Any], path: str) -> Any:
    value: Any = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def cell(value: Any) -> str:
    """How a JSON value reads in the Markdown table (tests parse it back)."""
    if value is None:
        return "-"
    if isinstance(value, bool) or isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, float):
        if value != value:  # NaN: nothing measured
            return "-"
        if abs(value) >= 100:
            return f"{value:.0f}"
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3g}"
    return str(value)


def table(rows: list[dict[str, Any]], columns: tuple[tuple[str, str], ...]) -> str:
    lines = ["| " + " | ".join(title for title, _ in columns) + " |",
             "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(lookup(row, path)) for _, path in columns) + " |" for row in rows]
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    parts = []
    if results.get("stand_ins"):
        parts += [f"**Stand-in models (random weights, shipped architecture): {', '.join(results['stand_ins'])}. "
                  "Their seconds, memory and parameters are real; their adherence and quality are not.**", ""]
    parts += ["## Text to image", "", table(results["runs"], RUN_COLUMNS), ""]
    reference = results.get("reference") or {}
    if reference.get("floor") is not None:
        parts += [f"FID-style: Fréchet distance of 25 pixel features to {reference['images']} held-out dataset "
                  f"images (lower is closer). Floor: {cell(reference['floor'])} (held-out images against the "
                  f"same reference, as many as one run has).", ""]
    if results.get("editing"):
        parts += ["## Editing (inpaint the bottom-right quadrant)", "", table(results["editing"], EDIT_COLUMNS), ""]
    for name, reason in (results.get("skipped") or {}).items():
        parts.append(f"- skipped {name}: {reason.splitlines()[0]}")  # a failure's log tail stays in the JSON
    return "\n".join(parts).rstrip() + "\n"


def write_json(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=1, allow_nan=False) + "\n")


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one bitmap size
        return ImageFont.load_default()


def sheet_size(rows: int, columns: int) -> tuple[int, int]:
    return LABEL_WIDTH + columns * (CELL + PAD) + PAD, HEADER_HEIGHT + rows * (CELL + PAD) + PAD


def cell_box(row: int, column: int) -> tuple[int, int, int, int]:
    left, top = LABEL_WIDTH + PAD + column * (CELL + PAD), HEADER_HEIGHT + PAD + row * (CELL + PAD)
    return left, top, left + CELL, top + CELL


def contact_sheet(grid: list[list[Path | None]], row_labels: list[str], column_labels: list[str],
                  path: Path) -> None:
    """Rows = prompts, columns = families (and settings); a missing picture leaves its cell blank."""
    sheet = Image.new("RGB", sheet_size(len(row_labels), len(column_labels)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = _font(12)
    for column, label in enumerate(column_labels):
        left, _, right, _ = cell_box(0, column)
        draw.multiline_text(((left + right) // 2, HEADER_HEIGHT // 2), "\n".join(textwrap.wrap(label, 18)),
                            fill=INK, font=font, anchor="mm", align="center")
    for row, label in enumerate(row_labels):
        _, top, _, bottom = cell_box(row, 0)
        text = "\n".join(textwrap.wrap(label, 36)[:6])
        draw.multiline_text((PAD, (top + bottom) // 2), text, fill=INK, font=font, anchor="lm")
        for column, picture in enumerate(grid[row]):
            if picture is not None:
                image = Image.open(picture).convert("RGB").resize((CELL, CELL), Image.Resampling.NEAREST)
                sheet.paste(image, cell_box(row, column)[:2])
    sheet.save(path)


def speed_plot(runs: list[dict[str, Any]], path: Path, machine: str = "") -> None:
    """Median seconds per image (log x) against the share of images right on all four attributes; one line
    per family through its step counts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=100)
    for family in dict.fromkeys(run["family"] for run in runs):
        mine = sorted((r for r in runs if r["family"] == family), key=lambda r: r["seconds"]["median"])
        xs = [r["seconds"]["median"] for r in mine]
        ys = [r["adherence"]["fully_correct"] for r in mine]
        axes.plot(xs, ys, marker="o", label=family)
        varied = [k for k in ("steps", "cfg") if len({r.get(k) for r in mine}) > 1]
        for run, x, y in zip(mine, xs, ys, strict=True):
            note = ", ".join(f"{k} {run[k]:g}" for k in varied if run.get(k) is not None)
            if note:
                axes.annotate(note, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    axes.set_xscale("log")
    axes.set_xlabel("seconds per image (median" + (f", {machine})" if machine else ")"))
    axes.set_ylabel("prompt adherence (all four attributes right)")
    axes.set_ylim(-0.05, 1.05)
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
