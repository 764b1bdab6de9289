"""`nodegraph compare` on two prompts and one seed: the table, the JSON and both pictures agree."""

from __future__ import annotations

import numpy as np
import pytest
from compare_data import PROMPTS, STEPS
from PIL import Image

from nodegraph.compare import families, report
from nodegraph.compare.cli import main
from nodegraph.compare.metrics import FIELDS
from nodegraph.train.dataset import Attributes, Shape
from nodegraph.train.judge import judge


def table_rows(markdown: str, first_header: str) -> list[list[str]]:
    """The body rows of the Markdown table whose header starts with `first_header`."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def same(text: str, value) -> bool:
    if value is None:
        return text == "-"
    if isinstance(value, str):
        return text == value
    decimals = len(text.partition(".")[2])  # the table rounds: allow half a unit of its last digit
    return abs(float(text) - float(value)) <= 0.5 * 10 ** -decimals + 1e-9


def test_the_run_succeeds_and_reports_what_it_skipped(compared):
    assert compared["code"] == 0
    results = compared["json"]
    assert results["prompts"] == [p["prompt"] for p in PROMPTS] and results["seeds"] == [0]
    for name, reason in results["skipped"].items():
        assert reason and f"skipped {name}: {reason.splitlines()[0]}" in compared["markdown"]


def test_markdown_table_shows_the_json_numbers(compared):
    runs = compared["json"]["runs"]
    rows = table_rows(compared["markdown"], "family")
    assert len(rows) == len(runs) > 0
    for row, run in zip(rows, runs, strict=True):
        assert len(row) == len(report.RUN_COLUMNS)
        for text, (_, path) in zip(row, report.RUN_COLUMNS, strict=True):
            assert same(text, report.lookup(run, path)), (path, text, report.lookup(run, path))
    edits = compared["json"]["editing"]
    if edits:
        rows = table_rows(compared["markdown"].split("## Editing")[1], "family")
        for row, run in zip(rows, edits, strict=True):
            for text, (_, path) in zip(row, report.EDIT_COLUMNS, strict=True):
                assert same(text, report.lookup(run, path)), (path, text)


def test_json_numbers_follow_from_the_saved_pictures(compared):
    """Adherence rates are the evaluator's verdicts on the PNGs on disk; timings are ordered."""
    out = compared["out"]
    for run in compared["json"]["runs"]:
        assert run["images"] == len(PROMPTS) == len(run["cells"])
        verdicts = []
        for cell in run["cells"]:
            truth = PROMPTS[cell["prompt"]]
            expected = Attributes(truth["background"], (
                Shape(truth["shape"], truth["color"], truth["size"], truth["position"]),))
            verdicts.append(judge(np.asarray(Image.open(out / cell["file"]).convert("RGB")), expected))
        for name in FIELDS:
            assert run["adherence"][name] == pytest.approx(np.mean([v[name] for v in verdicts]))
        seconds = run["seconds"]
        assert 0 < seconds["min"] <= seconds["median"] <= seconds["max"]
        assert run["peak_rss_mb"] >= run["baseline_rss_mb"] > 0 and run["parameters"] > 0


def test_steps_give_one_row_per_setting_for_families_with_steps(compared):
    runs = compared["json"]["runs"]
    for family in families.TEXT_TO_IMAGE:
        mine = [r for r in runs if r["family"] == family.name]
        if not mine:
            continue
        if family.steps:
            assert [r["steps"] for r in mine] == list(STEPS)
        else:
            assert len(mine) == 1


def test_contact_sheet_has_a_cell_per_prompt_and_run(compared):
    out, runs = compared["out"], compared["json"]["runs"]
    sheet = Image.open(out / "contact_sheet.png").convert("RGB")
    assert sheet.size == report.sheet_size(len(PROMPTS), len(runs))
    for column, run in enumerate(runs):
        for cell in run["cells"]:
            shown = np.asarray(sheet.crop(report.cell_box(cell["prompt"], column)))
            picture = Image.open(out / cell["file"]).convert("RGB")
            expected = np.asarray(picture.resize((report.CELL, report.CELL), Image.Resampling.NEAREST))
            assert np.array_equal(shown, expected)
    labels = np.asarray(sheet.crop((0, report.HEADER_HEIGHT, report.LABEL_WIDTH, sheet.size[1])))
    headers = np.asarray(sheet.crop((report.LABEL_WIDTH, 0, sheet.size[0], report.HEADER_HEIGHT)))
    assert (labels < 128).any() and (headers < 128).any()  # the row and column labels are drawn


def test_speed_plot_is_a_picture(compared):
    plot = Image.open(compared["out"] / "speed_vs_adherence.png").convert("L")
    assert plot.size[0] >= 400 and plot.size[1] >= 300
    assert np.asarray(plot).std() > 5  # axes, lines and labels, not a blank canvas


@pytest.mark.parametrize("name", families.FAMILY_NAMES)
def test_each_available_family_is_measured(compared, name):
    reason = compared["json"]["skipped"].get(name)
    if reason is not None and ("not shipped" in reason or "not installed" in reason):
        pytest.skip(f"{name}: {reason}")
    assert reason is None, reason
    assert any(r["family"] == name for r in compared["json"]["runs"])


def test_editing_scores_inside_and_outside_the_mask(compared):
    edits = compared["json"]["editing"]
    if not edits:
        pytest.skip("no editing workflow could run: " + "; ".join(compared["json"]["skipped"].values()))
    for run in edits:
        assert run["images"] == len(PROMPTS)
        assert 0 <= run["preserved"] <= 1 and run["preserved_psnr_db"] > 0
        assert set(run["inside"]) == {"color", "shape", "position", "size", "fully_correct"}
    diffusion = next((r for r in edits if r["family"] == "diffusion"), None)
    if diffusion is not None:  # the shipped inpaint workflow composites the edit back through the mask
        assert diffusion["preserved"] == 1.0


def test_forward_passes_per_image_are_counted(compared):
    """Diffusion runs one UNet pass per step (CFG in one batch), AR at least one per code row it cannot
    guess; speculative decoding never takes more passes than one code per pass."""
    runs = {(r["family"], r["steps"]): r for r in compared["json"]["runs"]}
    for steps in STEPS:
        if ("diffusion", steps) in runs:
            assert runs["diffusion", steps]["passes"] == steps
    ar, parallel = runs.get(("ar", None)), runs.get(("ar-parallel", None))
    if ar is not None and parallel is not None:
        assert 0 < parallel["passes"] <= ar["passes"]
    coarse = [r for (family, _), r in runs.items() if family == "hybrid-coarse"]
    if ar is not None and coarse:
        assert all(r["passes"] < ar["passes"] for r in coarse)  # 8x8 codes plus a few steps, against 16x16


def test_held_out_structures_are_scored_apart(tiny_models, tmp_path):
    """Without --prompts, each evaluator prompt also runs rephrased in a held-out sentence structure."""
    import json

    from nodegraph.compare.cli import main
    from nodegraph.train.eval_prompts import load_eval_prompts, load_held_out_prompts

    out = tmp_path / "out"
    assert main(["--limit", "1", "--families", "diffusion", "--no-edit", "--steps", "2", "--out", str(out),
                 "--models-dir", str(tiny_models), "--threads", "1", "--reference", "16", "--quiet"]) == 0
    results = json.loads((out / "compare.json").read_text())
    assert results["prompts"] == [load_eval_prompts()[0].prompt, load_held_out_prompts()[0].prompt]
    (run,) = results["runs"]
    assert [c["set"] for c in run["cells"]] == ["template", "held-out"]
    held_out = judge(np.asarray(Image.open(out / run["cells"][1]["file"]).convert("RGB")),
                     load_held_out_prompts()[0].attributes)
    assert run["adherence_held_out"]["fully_correct"] == float(held_out["fully_correct"])


def test_the_report_names_the_device_the_families_ran_on(compared):
    machine = compared["json"]["machine"]
    assert machine["device"] == "cpu" and "device_name" not in machine
    first = compared["markdown"].splitlines()[0]
    assert first.startswith("Measured ") and f" on {machine['cpus']} CPU cores with `nodegraph compare " in first


def test_a_device_that_is_not_there_is_a_clear_error(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    assert main(["--device", "cuda:0", "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "nodegraph compare: --device: device 'cuda:0' asked for, but this torch build sees no CUDA device" \
        in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert main(["--device", "tpu", "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "is not one of auto, cpu, cuda, cuda:N, mps" in capsys.readouterr().err


def test_a_bad_prompt_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"prompt": "a red circle"}]')
    assert main(["--prompts", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "expected a non-empty list of objects with keys prompt, shape" in capsys.readouterr().err


def test_nodegraph_compare_hands_its_options_to_compare(capsys):
    from nodegraph.cli import main as nodegraph_main

    with pytest.raises(SystemExit) as exit_info:
        nodegraph_main(["compare", "--help"])
    assert exit_info.value.code == 0 and "--seeds" in capsys.readouterr().out


def test_edit_prompts_put_each_shape_in_the_repainted_quadrant():
    from nodegraph.compare.cli import edit_prompts, load_prompts

    prompts = load_prompts(None)
    edits = edit_prompts(prompts)
    kinds = {(p.attributes.shapes[0].kind, p.attributes.shapes[0].color) for p in prompts}
    assert len(edits) == len({k for k in kinds if k[1] != families.EDIT_BACKGROUND})
    assert len({e.prompt for e in edits}) == len(edits)
    for edit in edits:
        shape = edit.attributes.shapes[0]
        assert (edit.attributes.background, shape.position, shape.size) == ("white", "bottom right", "small")
        assert shape.color in edit.prompt and shape.kind in edit.prompt and "white" in edit.prompt
