"""Plans and runs a comparison: per family one child process running its text-to-image job and then its
editing job, one family after another; then scores everything and writes the report files."""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path
from typing import Any

from ..resources import models_dir
from ..train.eval_prompts import EvalPrompt
from . import families as fam
from . import metrics, report
from .launch import Outcome, run_jobs
from .runner import Item, Job
from .standin import stand_ins
from .summary import Setting, edit_run, text_run



def settings(family: fam.Family, steps: list[int] | None, cfg: list[float] | None) -> list[Setting]:
    """Every (steps, cfg) asked for that this family has a knob for; None keeps the workflow's value."""
    step_values = steps if family.steps and steps else [None]
    cfg_values = cfg if family.cfg and cfg else [None]
    return [Setting(s, c) for s, c in itertools.product(step_values, cfg_values)]


def text_job(family: fam.Family, args: argparse.Namespace, prompts: list[EvalPrompt], out: Path,
             in_template: int) -> tuple[Job, list[tuple[Setting, list[dict[str, Any]]]]]:
    """Every prompt of both sets (`prompts` are the in-template ones followed by their held-out rephrasings,
    if any: the first `in_template` are in-template) at every setting; each cell says which set its prompt
    belongs to."""
    items, groups = [], []
    for setting in settings(family, args.steps, args.cfg):
        folder = Path("images") / family.name / setting.slug
        (out / folder).mkdir(parents=True, exist_ok=True)
        cells = []
        for index, prompt in enumerate(prompts):
            for seed in range(args.seeds):
                file = folder / f"p{index:03d}_seed{seed}.png"
                items.append(Item(prompt.prompt, seed, setting.steps, setting.cfg, str(out / file)))
                cells.append({"prompt": index, "seed": seed, "file": str(file),
                              "set": "template" if index < in_template else "held-out"})
        groups.append((setting, cells))
    return _job(family, False, args, out, items), groups


def edit_job(family: fam.Family, args: argparse.Namespace, edits: list[EvalPrompt],
             out: Path) -> tuple[Job, list[dict[str, Any]]]:
    folder = Path("images") / f"{family.name}-edit"
    (out / folder).mkdir(parents=True, exist_ok=True)
    items, cells = [], []
    for index, prompt in enumerate(edits):
        for seed in range(args.seeds):
            file = folder / f"e{index:03d}_seed{seed}.png"
            text = family.edit_text(prompt, index)
            items.append(Item(text, seed, None, None, str(out / file)))
            cells.append({"prompt": text, "seed": seed, "file": str(file)})
    return _job(family, True, args, out, items), cells


def _job(family: fam.Family, edit: bool, args: argparse.Namespace, out: Path, items: list[Item]) -> Job:
    dirs = [str(Path(d).resolve()) for d in (args.models_dir or [models_dir()])]
    work = out / ".work" / (family.name + ("-edit" if edit else ""))
    work.mkdir(parents=True, exist_ok=True)
    return Job(family.name, edit, dirs, str(work), args.threads, items, cache=edit, device=args.device)


def plan_family(name: str, args: argparse.Namespace, prompts: list[EvalPrompt], in_template: int,
                edits: list[EvalPrompt], registered: set[str], out: Path, skipped: dict[str, str]) -> dict[str, Any]:
    """The jobs of one family (text to image, then editing), each only when its workflow and nodes exist."""
    planned: dict[str, Any] = {"name": name, "jobs": []}
    family = fam.text_to_image(name)
    reason = fam.missing_reason(family, registered)
    if reason:
        skipped[name] = reason
    else:
        job, planned["groups"] = text_job(family, args, prompts, out, in_template)
        planned["jobs"].append(job)
    editor = fam.editing(name)
    if editor is not None and not args.no_edit and edits:
        reason = fam.missing_reason(editor, registered)
        if reason:
            skipped[f"{name} editing"] = reason
        else:
            job, planned["edit_cells"] = edit_job(editor, args, edits, out)
            planned["jobs"].append(job)
    return planned


def run_comparison(args: argparse.Namespace, prompts: list[EvalPrompt], held_out: list[EvalPrompt],
                   registered: set[str], environment: dict[str, Any]) -> dict[str, Any]:
    """Each family on `prompts` and on `held_out` (the same scenes in sentence structures training never
    used; may be empty), then the scores and report files."""
    from tqdm import tqdm

    from .cli import edit_prompts

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    skipped: dict[str, str] = {}
    edits = edit_prompts(prompts)
    shown, prompts = prompts, [*prompts, *held_out]
    planned = [plan_family(name, args, prompts, len(shown), edits, registered, out, skipped)
               for name in args.families]
    reference = metrics.features(metrics.reference_images(args.reference))
    runs, editing = [], []
    total = sum(len(job.items) for plan in planned for job in plan["jobs"])
    with tqdm(total=total, desc="compare", unit="image", disable=args.quiet, file=sys.stderr) as bar:
        for plan in (p for p in planned if p["jobs"]):
            bar.set_postfix_str(plan["name"])
            outcomes = run_jobs(plan["jobs"], out / ".work", out / f"{plan['name']}.log", lambda: bar.update(1))
            for job, outcome in zip(plan["jobs"], outcomes, strict=True):
                if isinstance(outcome, str):
                    skipped[plan["name"] + (" editing" if job.edit else "")] = outcome
                elif job.edit:
                    expected = [e.attributes for e in edits for _ in range(args.seeds)]
                    editing.append(edit_run(plan["name"], plan["edit_cells"], expected, outcome.seconds,
                                            outcome.summary, out))
                else:
                    runs += text_runs(plan["name"], plan["groups"], outcome, prompts, out, reference)
    dirs = [Path(d) for d in (args.models_dir or [models_dir()])]
    results = {**environment, "prompts": [p.prompt for p in prompts], "seeds": list(range(args.seeds)),
               "stand_ins": stand_ins(dirs),
               "reference": _reference(args.reference, reference, len(prompts) * args.seeds),
               "runs": runs, "editing": editing, "skipped": skipped}
    write(results, shown[:args.sheet_prompts], out)
    return results


def text_runs(name: str, groups: list[tuple[Setting, list[dict[str, Any]]]], outcome: Outcome,
              prompts: list[EvalPrompt], out: Path, reference: Any) -> list[dict[str, Any]]:
    """One row per setting, in the order the job ran them (the first one also loaded the models)."""
    runs, start = [], 0
    for setting, cells in groups:
        seconds = outcome.seconds[start:start + len(cells)]
        passes = outcome.passes[start:start + len(cells)]
        used = outcome.knobs[start] if cells else {}
        actual = Setting(used.get("steps", setting.steps), used.get("cfg", setting.cfg))
        runs.append(text_run(name, actual, cells, [prompts[c["prompt"]].attributes for c in cells], seconds,
                             start == 0, outcome.summary, out, reference, passes))
        start += len(cells)
    return runs


def _reference(count: int, reference: Any, per_run: int) -> dict[str, Any]:
    floor = None
    if per_run >= 2:
        floor = round(metrics.frechet(metrics.features(metrics.floor_images(per_run)), reference), 4)
    return {"images": count, "seed": metrics.REFERENCE_SEED, "floor": floor}


def write(results: dict[str, Any], shown: list[EvalPrompt], out: Path) -> None:
    """compare.json, compare.md, the contact sheet (rows: the `shown` prompts) and the speed plot."""
    report.write_json(results, out / "compare.json")
    machine = results.get("machine", {})
    header = f"Measured {results['date']} on {where(machine)} with `{results['command']}`.\n\n"
    (out / "compare.md").write_text(header + report.markdown(results))
    runs = results["runs"]
    labels = [run_label(run) for run in runs]
    grid = [[_first_seed(run, index, out) for run in runs] for index in range(len(shown))]
    report.contact_sheet(grid, [p.prompt for p in shown], labels, out / "contact_sheet.png")
    report.speed_plot(runs, out / "speed_vs_adherence.png", where(machine))


def where(machine: dict[str, Any]) -> str:
    """The device the families ran on, as the report and the plot name it."""
    if machine.get("device_name"):
        return f"{machine['device_name']} ({machine['device']})"
    cpus = machine.get("cpus")
    return f"{cpus} CPU cores" if cpus else "the CPU"


def run_label(run: dict[str, Any]) -> str:
    knobs = [f"{k} {run[k]:g}" for k in ("steps", "cfg") if run.get(k) is not None]
    return run["family"] + (f" ({', '.join(knobs)})" if knobs else "")


def _first_seed(run: dict[str, Any], prompt: int, out: Path) -> Path | None:
    cell = next((c for c in run["cells"] if c["prompt"] == prompt and c["seed"] == 0), None)
    return out / cell["file"] if cell else None
