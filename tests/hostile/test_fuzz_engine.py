"""Property-based fuzzing of validation, UI conversion, loading and the CLI with malformed input.

Whatever comes in, the answer is a structured error or a success: never another exception (a traceback),
never a body strict JSON cannot carry. Example counts are bounded (fuzz_strategies.EXAMPLES) so the suite
takes a minute or two on 2 cores.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fuzz_strategies import TEXTS, VALUES, api_prompts, fuzz_settings, mutated, ui_workflows, workflow_files
from hypothesis import event, given
from hypothesis import strategies as st

from nodegraph.cli import main
from nodegraph.core.limits import InputRefused
from nodegraph.core.validate import Validated, validate
from nodegraph.plugins import build_registry
from nodegraph.workflow import WorkflowError, load_workflow, ui_to_api

REFUSED = (WorkflowError, InputRefused)


@pytest.fixture(scope="module")
def registry() -> Any:
    return build_registry([], use_entry_points=False)


def strict(value: Any) -> None:
    json.loads(json.dumps(value, allow_nan=False))


def check_validated(result: Validated, prompt: Any) -> None:
    event(f"validation: {result.error['type'] if result.error else 'ok'}")  # --hypothesis-show-statistics
    strict(result.body())
    if result.ok:
        assert result.outputs and set(result.outputs) <= set(result.prompt)
        assert not result.error
    else:
        assert {"type", "message", "details", "extra_info"} <= set(result.error)
        for node_id, entry in result.node_errors.items():
            assert isinstance(node_id, str) and entry["errors"], entry


def convert_and_validate(workflow: Any, registry: Any) -> None:
    try:
        prompt = ui_to_api(workflow, registry)
    except REFUSED as exc:
        event(f"conversion refused: {type(exc).__name__} {getattr(exc, 'type', '')}")
        assert str(exc)
        return
    check_validated(validate(prompt, registry), prompt)


@fuzz_settings(300)
@given(data=st.data())
def test_validation_answers_every_prompt(registry, data):
    prompt = data.draw(api_prompts(registry))
    check_validated(validate(prompt, registry), prompt)


@fuzz_settings(200)
@given(data=st.data())
def test_conversion_answers_every_ui_workflow(registry, data):
    convert_and_validate(data.draw(ui_workflows(registry)), registry)


@fuzz_settings(200)
@given(data=st.data())
def test_conversion_answers_mutated_real_workflows(registry, data):
    convert_and_validate(data.draw(mutated(workflow_files())), registry)


@fuzz_settings(200)
@given(data=st.data())
def test_loader_answers_any_text_or_bytes(registry, data):
    source = data.draw(TEXTS | api_prompts(registry).map(json.dumps) | ui_workflows(registry).map(json.dumps))
    if isinstance(source, str) and not source.lstrip().startswith("{"):
        source = source.encode("utf-8", "surrogatepass")  # a bare string would name a file
    try:
        loaded = load_workflow(source, registry)
    except REFUSED as exc:
        event(f"loading refused: {type(exc).__name__} {getattr(exc, 'type', '')}")
        return
    check_validated(validate(loaded.prompt, registry), loaded.prompt)


@fuzz_settings(40)
@given(data=st.data())
def test_cli_answers_any_file_with_status_0_or_1(tmp_path_factory, capsys, data):
    folder = tmp_path_factory.mktemp("cli")
    text = data.draw(TEXTS | ui_workflows_for_cli() | st.sampled_from([json.dumps(w) for w in workflow_files()]))
    path = folder / "wf.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    status = main(["validate", str(path), "--base-dir", str(folder)])
    captured = capsys.readouterr()
    assert status in (0, 1), captured
    assert "Traceback" not in captured.err
    if status == 1:
        assert captured.err.startswith(("nodegraph:", "invalid workflow:")), captured.err


def ui_workflows_for_cli() -> st.SearchStrategy[str]:
    return st.deferred(lambda: st.builds(json.dumps, st.just({"nodes": [], "links": []}) | VALUES))
