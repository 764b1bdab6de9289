"""Prompts over HTTP and websockets, as ComfyUI clients drive them: message order, cache, errors, /run."""

from __future__ import annotations

import uuid

import pytest

from server_helpers import chain, record_lines

pytestmark = pytest.mark.asyncio


async def test_messages_arrive_in_comfyui_order_and_history_is_stored_first(server):
    socket = await server.socket()
    prompt_id = await server.submit(chain("a", steps=2), socket)
    messages = await socket.done(prompt_id)
    flow = [m["type"] for m in messages if m["type"] != "status"]
    assert flow == ["execution_start", "execution_cached", "executing", "progress_state", "progress_state",
                    "progress", "progress_state", "progress", "progress_state", "executing", "progress_state",
                    "executed", "progress_state", "execution_success", "executing"]
    by_type = {m["type"]: m["data"] for m in messages}
    assert by_type["execution_cached"]["nodes"] == []
    executing = [m["data"]["node"] for m in messages if m["type"] == "executing"]
    assert executing == ["1", "2", None]
    assert [m["data"]["value"] for m in messages if m["type"] == "progress"] == [1, 2]
    assert by_type["executed"] == {"node": "2", "display_node": "2", "output": {"text": ["a=1"]},
                                   "prompt_id": prompt_id}
    # the queue-length status comes after success and before the completion signal, as in ComfyUI
    tail = [m["type"] for m in messages[-3:]]
    assert tail == ["execution_success", "status", "executing"]
    assert messages[-2]["data"]["status"]["exec_info"]["queue_remaining"] == 0
    # history is written before `executing null` is sent
    status, history = await server.get(f"/history/{prompt_id}")
    entry = history[prompt_id]
    assert entry["status"]["status_str"] == "success" and entry["status"]["completed"] is True
    assert [m[0] for m in entry["status"]["messages"]] == ["execution_start", "execution_cached",
                                                           "execution_success"]
    assert entry["outputs"] == {"2": {"text": ["a=1"]}}
    assert entry["prompt"][1] == prompt_id and entry["prompt"][4] == ["2"]
    assert entry["nodes"]["1"]["cached"] is False and entry["nodes"]["2"]["cached"] is False
    assert entry["meta"]["2"]["node_id"] == "2"


async def test_requeued_prompt_is_served_from_cache_and_history_says_why_nodes_ran(server):
    socket = await server.socket()
    first = await server.submit(chain("c", value=7), socket)
    await socket.done(first)
    again = await server.submit(chain("c", value=7), socket)
    messages = await socket.done(again)
    cached = next(m for m in messages if m["type"] == "execution_cached")
    assert sorted(cached["data"]["nodes"]) == ["1", "2"]
    types = [m["type"] for m in messages if m["type"] != "status"]
    assert types == ["execution_start", "execution_cached", "executed", "execution_success", "executing"]
    _, history = await server.get(f"/history/{again}")
    assert history[again]["nodes"] == {"1": {"cached": True, "reason": "cached"},
                                       "2": {"cached": True, "reason": "cached"}}
    changed = await server.submit(chain("c", value=8), socket)
    await socket.done(changed)
    _, history = await server.get(f"/history/{changed}")
    nodes = history[changed]["nodes"]
    assert nodes["1"]["cached"] is False and "value" in nodes["1"]["reason"]
    assert nodes["2"]["cached"] is False
    assert len(record_lines(server.config)) == 2  # the cached run wrote nothing


async def test_client_chosen_prompt_id_number_and_duplicate(server):
    prompt_id = uuid.uuid4().hex
    status, body = await server.post("/prompt", {"prompt": chain("n"), "prompt_id": prompt_id})
    assert status == 200 and body["prompt_id"] == prompt_id and body["node_errors"] == {}
    assert isinstance(body["number"], int)
    status, body = await server.post("/prompt", {"prompt": chain("n"), "prompt_id": prompt_id})
    assert status == 400 and body["error"]["type"] == "duplicate_prompt_id"


async def test_validation_errors_are_structured_400s(server):
    status, body = await server.post("/prompt", {"client_id": "x"})
    assert status == 400 and body["error"]["type"] == "no_prompt"
    bad = {"1": {"class_type": "TestSlow", "inputs": {"value": "abc", "steps": 999_999, "delay": 0.0,
                                                     "preview": False}},
           "2": {"class_type": "TestRecord", "inputs": {"value": ["1", 0], "tag": "x"}}}
    status, body = await server.post("/prompt", {"prompt": bad})
    assert status == 400
    assert body["error"]["type"] == "prompt_outputs_failed_validation"
    kinds = sorted(e["type"] for e in body["node_errors"]["1"]["errors"])
    assert kinds == ["invalid_input_type", "value_bigger_than_max"]
    assert body["node_errors"]["1"]["dependent_outputs"] == ["2"]
    async with server.session.post(server.url + "/prompt", data=b"{not json") as response:
        assert response.status == 400
        assert (await response.json())["error"]["type"] == "invalid_json"
    status, body = await server.post("/prompt", {"prompt": {"1": {"class_type": "Nope", "inputs": {}}}})
    assert status == 400 and body["node_errors"]["1"]["errors"][0]["type"] == "missing_node_type"


async def test_node_error_then_a_good_prompt(server):
    socket = await server.socket()
    failing = {"1": {"class_type": "TestFail", "inputs": {"value": 3, "fail": True}},
               "2": {"class_type": "TestRecord", "inputs": {"value": ["1", 0], "tag": "bad"}}}
    bad = await server.submit(failing, socket)
    good = await server.submit(chain("good"), socket)
    messages = await socket.done(bad)
    error = next(m["data"] for m in messages if m["type"] == "execution_error")
    assert error["node_id"] == "1" and error["node_type"] == "TestFail"
    assert "asked to fail on 3" in error["exception_message"] and error["input_name"] == "value"
    assert "execution_success" not in [m["type"] for m in messages]
    await socket.done(good)
    _, history = await server.get("/history")
    assert history[bad]["status"]["status_str"] == "error"
    assert history[bad]["status"]["messages"][-1][0] == "execution_error"
    assert history[good]["status"]["status_str"] == "success"
    assert [line.split()[1] for line in record_lines(server.config)] == ["good"]


async def test_partial_execution_targets_run_only_the_chosen_output(server):
    prompt = {**chain("left"), "3": {"class_type": "TestRecord", "inputs": {"value": ["1", 0], "tag": "right"}}}
    status, body = await server.post("/run", {"prompt": prompt, "partial_execution_targets": ["3"]})
    assert status == 200 and body["status"] == "success"
    assert list(body["outputs"]) == ["3"]
    assert [line.split()[1] for line in record_lines(server.config)] == ["right"]


async def test_run_answers_when_done_with_outputs(server):
    prompt = {"1": {"class_type": "TestSlow", "inputs": {"value": 41, "steps": 1, "delay": 0.0,
                                                        "preview": False}},
              "2": {"class_type": "TestImage", "inputs": {"value": ["1", 0], "prefix": "run", "size": 8}}}
    status, body = await server.post("/run", {"prompt": prompt})
    assert status == 200 and body["status"] == "success" and body["error"] is None
    image = body["outputs"]["2"]["images"][0]
    assert image == {"filename": "run_00042_.png", "subfolder": "", "type": "output"}
    assert body["nodes"]["1"] == {"cached": False, "reason": body["nodes"]["1"]["reason"]}
    status, data = await server.get("/view", params={"filename": image["filename"], "type": "output"})
    assert status == 200 and data[:8] == b"\x89PNG\r\n\x1a\n"
    failing = {"1": {"class_type": "TestFail", "inputs": {"value": 1, "fail": True}},
               "2": {"class_type": "TestRecord", "inputs": {"value": ["1", 0], "tag": "x"}}}
    status, body = await server.post("/api/run", {"prompt": failing})
    assert status == 200 and body["status"] == "error"
    assert body["error"]["node_id"] == "1" and "asked to fail" in body["error"]["exception_message"]


async def test_ui_workflow_is_converted_on_the_server(server):
    workflow = {
        "last_node_id": 2, "last_link_id": 1, "version": 0.4,
        "nodes": [
            {"id": 1, "type": "TestSlow", "pos": [0, 0], "size": [200, 100], "flags": {}, "order": 0, "mode": 0,
             "inputs": [], "outputs": [{"name": "value", "type": "INT", "links": [1], "slot_index": 0}],
             "properties": {}, "widgets_values": [5, 1, 0.0, False]},
            {"id": 2, "type": "TestRecord", "pos": [300, 0], "size": [200, 100], "flags": {}, "order": 1,
             "mode": 0, "inputs": [{"name": "value", "type": "INT", "link": 1}], "outputs": [],
             "properties": {}, "widgets_values": ["from-ui"]},
        ],
        "links": [[1, 1, 0, 2, 0, "INT"]], "groups": [], "config": {}, "extra": {},
    }
    status, body = await server.post("/run", {"prompt": workflow})
    assert status == 200, body
    assert body["status"] == "success"
    assert record_lines(server.config)[0].split()[1:] == ["from-ui", "6"]
    unknown = {**workflow, "nodes": [{**workflow["nodes"][0], "type": "NoSuchNode"}, workflow["nodes"][1]]}
    status, body = await server.post("/prompt", {"prompt": unknown})
    assert status == 400 and body["error"]["type"] == "invalid_workflow"
    assert "NoSuchNode" in body["error"]["details"]
    assert body["node_errors"]["1"]["class_type"] == "NoSuchNode"
    assert "unknown node type 'NoSuchNode'" in body["node_errors"]["1"]["errors"][0]["message"]
    both = {**workflow, "nodes": [{**workflow["nodes"][0], "type": "NoSuchNode"},
                                  {**workflow["nodes"][1], "type": "NorThisOne"}]}
    status, body = await server.post("/prompt", {"prompt": both})
    assert status == 400 and "NoSuchNode" in body["error"]["details"] and "NorThisOne" in body["error"]["details"]
    assert {i: e["class_type"] for i, e in body["node_errors"].items()} == {"1": "NoSuchNode", "2": "NorThisOne"}
    assert "unknown node type 'NorThisOne'" in body["node_errors"]["2"]["errors"][0]["message"]


async def test_every_route_is_also_under_api(server):
    for path in ("/prompt", "/queue", "/history", "/object_info", "/system_stats", "/features", "/embeddings",
                 "/extensions", "/models", "/workflow_templates"):
        plain = await server.get(path)
        prefixed = await server.get("/api" + path)
        assert plain[0] == prefixed[0] == 200, path
        assert type(plain[1]) is type(prefixed[1])
