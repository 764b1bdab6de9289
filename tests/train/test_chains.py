"""`train all`'s side-by-side chains: real child processes of `python -m nodegraph.train`."""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from nodegraph.train.chains import last_status, run_chains


def test_progress_is_read_from_a_real_tqdm_log(tmp_path: Path) -> None:
    log = tmp_path / "child.log"
    with log.open("w") as stream:
        bar = tqdm(total=6000, desc="unet_layout", file=stream, mininterval=0)
        bar.update(2700)
        bar.update(1)
        bar.close()
    status = last_status(log)
    assert status is not None and status.startswith("unet_layout:") and "2701/6000" in status
    assert last_status(tmp_path / "missing.log") is None


def test_chains_run_side_by_side_and_a_failed_phase_is_named(tmp_path: Path, capsys) -> None:
    # `curves` is a real phase that needs no weights; `no-such-phase` makes the child exit non-zero.
    options = ["--out", str(tmp_path / "models"), "--work", str(tmp_path)]
    code = run_chains(options, threads=2, work=tmp_path,
                      phases_per_chain=(("curves", "curves"), ("curves", "no-such-phase", "curves")))
    assert code == 1
    assert "'no-such-phase' failed" in capsys.readouterr().err
    good = (tmp_path / "train-curves-curves.log").read_text()
    assert good.count("== curves") == 2
    bad = (tmp_path / "train-curves-no-such-phase-curves.log").read_text()
    assert "invalid choice: 'no-such-phase'" in bad
    # The failed chain stops at its failed phase; both first phases shared the two threads.
    assert bad.count("== curves") == 1
    assert "== curves (torch threads: 1)" in good and "== curves (torch threads: 1)" in bad


def test_all_chains_succeeding_returns_zero(tmp_path: Path) -> None:
    options = ["--out", str(tmp_path / "models"), "--work", str(tmp_path)]
    assert run_chains(options, threads=2, work=tmp_path, phases_per_chain=(("curves",), ("curves",))) == 0
