"""PNG text chunks as ComfyUI's SaveImage writes them, and loading workflows from every kind of source."""

from __future__ import annotations

import io
import json
import zlib
from pathlib import Path

import pytest
from workflow_files import load_fixture
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from nodegraph.workflow import (
    WorkflowError,
    load_workflow,
    png_metadata,
    read_png_text,
    ui_to_api,
    workflow_from_png,
)


def png_bytes(info: PngInfo | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def test_png_metadata_round_trip(registry, tmp_path):
    workflow = load_fixture("default_v1.json")
    prompt = ui_to_api(workflow, registry)
    data = png_bytes(png_metadata(prompt, {"workflow": workflow, "note": "hi"}))
    text = read_png_text(data)
    assert set(text) == {"prompt", "workflow", "note"}
    assert text["prompt"] == json.dumps(prompt)  # exactly SaveImage's serialisation
    assert json.loads(text["note"]) == "hi"
    found = workflow_from_png(data)
    assert found == {"prompt": prompt, "workflow": workflow}
    path = tmp_path / "out.png"
    path.write_bytes(data)
    assert workflow_from_png(path) == found


def test_png_metadata_without_prompt_or_extras():
    assert read_png_text(png_bytes(png_metadata(None, None))) == {}
    assert set(read_png_text(png_bytes(png_metadata({"1": {}}, None)))) == {"prompt"}


def test_itxt_and_ztxt_chunks_are_read_too():
    info = PngInfo()
    info.add_itxt("workflow", json.dumps({"nodes": [], "links": []}), zip=True)
    info.add_text("prompt", json.dumps({"1": {"class_type": "PrimitiveInt", "inputs": {"value": 1}}}), zip=True)
    found = workflow_from_png(png_bytes(info))
    assert found["workflow"] == {"nodes": [], "links": []}
    assert found["prompt"]["1"]["class_type"] == "PrimitiveInt"


def test_bad_json_in_a_chunk_names_the_chunk():
    info = PngInfo()
    info.add_text("workflow", "{not json")
    with pytest.raises(WorkflowError, match="'workflow' text chunk is not valid JSON"):
        workflow_from_png(png_bytes(info))


def test_not_a_png(tmp_path):
    with pytest.raises(WorkflowError, match="is not a PNG"):
        read_png_text(b"GIF89a....")
    truncated = png_bytes(png_metadata({"1": {}}, None))[:40]
    with pytest.raises(WorkflowError, match="not a readable PNG"):
        read_png_text(truncated)
    with pytest.raises(WorkflowError, match="cannot read 'missing.png'"):
        read_png_text(tmp_path / "missing.png")


def test_load_prefers_the_drawn_workflow_in_a_png(registry, tmp_path):
    workflow = load_fixture("default_v1.json")
    stale = {"1": {"class_type": "PrimitiveInt", "inputs": {"value": 1}}}
    data = png_bytes(png_metadata(stale, {"workflow": workflow}))
    loaded = load_workflow(data, registry)
    assert loaded.prompt == ui_to_api(workflow, registry) and loaded.workflow == workflow
    path = tmp_path / "image.png"
    path.write_bytes(data)
    assert load_workflow(path, registry).prompt == loaded.prompt
    assert load_workflow(str(path), registry).prompt == loaded.prompt


def test_load_falls_back_to_the_prompt_chunk(registry):
    prompt = {"1": {"class_type": "PrimitiveInt", "inputs": {"value": 1}}}
    loaded = load_workflow(png_bytes(png_metadata(prompt, None)), registry)
    assert loaded.prompt == prompt and loaded.workflow is None
    # A workflow with a node this server lacks (say, a frontend extension's) still runs from its prompt.
    workflow = load_fixture("default_v04.json")
    workflow["nodes"][0]["type"] = "rgthree.Display"
    loaded = load_workflow(png_bytes(png_metadata(prompt, {"workflow": workflow})), registry)
    assert loaded.prompt == prompt and loaded.workflow == workflow
    assert "rgthree.Display" in loaded.warnings[0]


def test_png_without_a_workflow(registry):
    with pytest.raises(WorkflowError, match="carries no workflow"):
        load_workflow(png_bytes(), registry)


def test_load_dicts_json_text_and_files(registry, tmp_path):
    workflow = load_fixture("default_v04.json")
    expected = ui_to_api(workflow, registry)
    assert load_workflow(workflow, registry).prompt == expected
    assert load_workflow(json.dumps(workflow), registry).workflow == workflow
    assert load_workflow(json.dumps(workflow).encode(), registry).prompt == expected
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(workflow))
    assert load_workflow(path, registry).prompt == expected
    api = load_workflow(expected, registry)
    assert api.prompt == expected and api.workflow is None
    api.prompt["3"]["inputs"]["steps"] = 1
    assert expected["3"]["inputs"]["steps"] == 20  # a copy, not the caller's dict


def test_load_a_prompt_post_body(registry):
    workflow = load_fixture("default_v04.json")
    prompt = ui_to_api(workflow, registry)
    body = {"client_id": "x", "prompt": prompt, "extra_data": {"extra_pnginfo": {"workflow": workflow}}}
    loaded = load_workflow(body, registry)
    assert loaded.prompt == prompt and loaded.workflow == workflow


def test_load_errors_name_the_file(registry, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"1": {"class_type": ')
    with pytest.raises(WorkflowError, match=r"'broken.json' is not valid JSON: .* line 1"):
        load_workflow(bad, registry)
    with pytest.raises(WorkflowError, match="does not exist"):
        load_workflow(tmp_path / "nope.json", registry)
    with pytest.raises(WorkflowError, match="cannot read workflow file"):
        load_workflow(tmp_path, registry)
    other = tmp_path / "list.json"
    other.write_text("[1, 2]")
    with pytest.raises(WorkflowError, match="'list.json' is neither an API prompt"):
        load_workflow(other, registry)
    binary = tmp_path / "model.bin"
    binary.write_bytes(zlib.compress(b"\xff" * 100))
    with pytest.raises(WorkflowError, match="'model.bin'"):
        load_workflow(binary, registry)
    with pytest.raises(WorkflowError, match="cannot load a workflow from a int"):
        load_workflow(3, registry)
    with pytest.raises(WorkflowError, match="the workflow text is not valid JSON"):
        load_workflow("{oops", registry)


def test_load_a_path_given_as_a_string_relative_to_cwd(registry, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("w.json").write_text(json.dumps({"1": {"class_type": "PrimitiveInt", "inputs": {"value": 4}}}))
    assert load_workflow("w.json", registry).prompt["1"]["inputs"] == {"value": 4}
