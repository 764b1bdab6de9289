"""The CLI on hostile files: a one-line message naming what is wrong and exit 1; an unexpected failure a
line saying where the full log went and exit 2; never a Python traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_inputs import deep_json, exponential_workflow, nested_subgraphs, output_of_output

from nodegraph.cli import main

CASES = {  # file text, the words the message must hold
    "deep.json": (deep_json(3_000), "max_json_depth"),
    "deeper.json": (deep_json(100_000, "prompt"), "max_json_depth"),
    "node_not_object.json": (json.dumps({"1": 5, "2": {"class_type": "ShowText", "inputs": {"text": "x"}}}),
                             "Node 1 must be an object"),
    "nan_slot.json": ('{"1": {"class_type": "PrimitiveString", "inputs": {"value": "x"}}, '
                      '"2": {"class_type": "ShowText", "inputs": {"text": ["1", NaN]}}}', "NaN"),
    "huge_int.json": ('{"1": {"class_type": "PrimitiveInt", "inputs": {"value": ' + "9" * 5000 + "}}}",
                      "thousands of digits"),
    "missing_output.json": (json.dumps(output_of_output()), "node 3 (SaveImage), input 'images'"),
    "exponential.json": (json.dumps(exponential_workflow(9, 10)), "max_prompt_nodes"),
    "nested.json": (json.dumps(nested_subgraphs(5_000)), "max_subgraph_depth"),
}
BROKEN_PLUGIN = '''
from nodegraph import In, Node, Out


class BrokenChoices(Node):
    """A plugin bug: its choice list fails whenever it is read."""

    inputs = {"pick": In.choice(lambda services: [][1])}
    outputs = {"out": Out("STRING")}

    def run(self, ctx, pick):
        return pick


NODES = [BrokenChoices]
'''


def nodegraph(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "nodegraph.cli", *args, "--base-dir", str(cwd)], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_workflow_files_get_one_named_error_and_status_1(tmp_path, capsys, name):
    """In process (main() itself, so an exception escaping it fails the test), as `nodegraph run` does."""
    text, expected = CASES[name]
    (tmp_path / name).write_text(text)
    status = main(["run", str(tmp_path / name), "--quiet", "--base-dir", str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 1, captured
    assert "Traceback" not in captured.err and expected in captured.err, captured.err
    assert captured.out == ""
    assert not (tmp_path / "output").exists()  # nothing ran


def test_a_hostile_file_in_a_real_process(tmp_path):
    (tmp_path / "deep.json").write_text(deep_json(100_000))
    result = nodegraph("run", "deep.json", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "max_json_depth" in result.stderr


def test_an_unexpected_failure_is_one_line_and_a_log(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "broken.py").write_text(BROKEN_PLUGIN)
    result = nodegraph("nodes", "--json", "--nodes-dir", str(plugins), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = [text for text in result.stderr.splitlines() if text.startswith("nodegraph:")]
    assert "unexpected IndexError" in line
    log = Path(re.search(r"full log: (\S+)\)", line).group(1))
    assert "Traceback" in log.read_text() and "broken.py" in log.read_text()
    log.unlink()


def test_bad_settings_are_a_usage_error(tmp_path):
    result = nodegraph("validate", "txt2img", cwd=tmp_path, env={"NODEGRAPH_MAX_JSON_DEPTH": "0"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "max_json_depth must be a positive integer" in result.stderr
    result = nodegraph("validate", "deep.json", "--max-json-depth", "5000", cwd=tmp_path)
    assert result.returncode == 2 and "at most 200" in result.stderr


def test_limits_are_flags(tmp_path):
    (tmp_path / "wide.json").write_text(json.dumps(exponential_workflow(3, 10)))  # 100 nodes
    result = nodegraph("validate", "wide.json", "--max-prompt-nodes", "99", cwd=tmp_path)
    assert result.returncode == 1 and "over the limit of 99 (setting max_prompt_nodes)" in result.stderr
