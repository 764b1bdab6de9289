"""Report details a reader relies on: stand-in models are announced, missing values read as '-'."""

from __future__ import annotations

from nodegraph.compare import report
from nodegraph.compare.standin import MARKER, stand_ins


def test_stand_in_models_are_found_and_announced(tmp_path):
    (tmp_path / "autoregressive" / "shapes-ar").mkdir(parents=True)
    (tmp_path / "autoregressive" / "shapes-ar" / MARKER).write_text("random weights")
    (tmp_path / "checkpoints" / "shapes-sd").mkdir(parents=True)  # a trained model: no marker
    found = stand_ins([tmp_path])
    assert found == ["autoregressive/shapes-ar"]
    text = report.markdown({"runs": [], "stand_ins": found, "skipped": {}})
    assert "Stand-in models" in text and "autoregressive/shapes-ar" in text
    assert "Stand-in" not in report.markdown({"runs": [], "stand_ins": [], "skipped": {}})


def test_cells_round_for_reading_and_mark_missing_values():
    assert [report.cell(v) for v in (None, float("nan"), 0.12345, 12.345, 467.6, 3, "ar")] == \
        ["-", "-", "0.123", "12.3", "468", "3", "ar"]
