"""Requests an attacker or a broken client sends: each gets a structured 4xx naming what is wrong, never a
500 or a hang, and nothing they carry reaches /queue or /history as something strict JSON cannot parse."""

from __future__ import annotations

import io
import json
import os

import pytest
from hostile_inputs import deep_json, exponential_workflow, nested_subgraphs
from PIL import Image
from server_helpers import chain

pytestmark = pytest.mark.asyncio

OK = json.dumps(chain("ok"))
RAW_PROMPTS = {
    "JSON 3,000 deep": (deep_json(3_000), 400, "json_too_deep"),
    "JSON 100,000 deep": ('{"prompt": ' + deep_json(100_000) + "}", 400, "json_too_deep"),
    "number NaN": ('{"prompt": ' + OK + ', "number": NaN}', 400, "invalid_json"),
    "number Infinity": ('{"prompt": ' + OK + ', "number": Infinity}', 400, "invalid_json"),
    "number 1e30": ('{"prompt": ' + OK + ', "number": 1e30}', 400, "invalid_prompt"),
    "number 1e400": ('{"prompt": ' + OK + ', "number": 1e400}', 400, "number_not_finite"),
    "NaN in extra_data": ('{"prompt": ' + OK + ', "extra_data": {"x": [NaN]}}', 400, "invalid_json"),
    "lone surrogate prompt_id": ('{"prompt": ' + OK + ', "prompt_id": "\\ud800"}', 400, "invalid_string"),
    "link slot NaN": ('{"prompt": {"1": {"class_type": "TestRecord", "inputs": {"value": ["2", NaN], "tag": ""}}}}',
                      400, "invalid_json"),
    "5,000-digit integer": ('{"prompt": {"1": {"class_type": "TestSlow", "inputs": {"value": ' + "9" * 5000
                            + "}}}}", 400, "invalid_json"),
    "200-bit integer": ('{"prompt": {"1": {"class_type": "TestSlow", "inputs": {"value": ' + str(2**200)
                        + "}}}}", 400, "integer_too_large"),
    "UI subgraphs 5,000 deep": (json.dumps({"prompt": nested_subgraphs(5_000)}), 400, "subgraph_too_deep"),
    "exponential UI workflow": (json.dumps({"prompt": exponential_workflow(9, 10)}), 400, "prompt_too_large"),
    "too many API nodes": (json.dumps({"prompt": {str(i): {"class_type": "TestSlow", "inputs": {}}
                                                  for i in range(10_001)}}), 400, "prompt_too_large"),
    "client_id too long": (json.dumps({"prompt": chain("x"), "client_id": "c" * 300}), 400, "invalid_prompt"),
    "targets not ids": (json.dumps({"prompt": chain("x"), "partial_execution_targets": [{"a": 1}]}), 400,
                        "invalid_prompt"),
}


def _strict(route: str, text: str) -> None:
    def bare(word: str) -> None:
        pytest.fail(f"{route} served a bare {word}: {text[:200]}")

    json.loads(text, parse_constant=bare)


def _structured(body: object) -> dict:
    assert isinstance(body, dict) and set(body) >= {"error", "node_errors"}, body
    assert {"type", "message"} <= set(body["error"]), body
    return body["error"]


async def _raw(server, method: str, path: str, data: bytes | str | None = None, **kw) -> tuple[int, object]:
    async with server.session.request(method, server.url + path, data=data, **kw) as response:
        text = await response.text()
        return response.status, json.loads(text) if "json" in response.content_type else text


@pytest.mark.parametrize("name", list(RAW_PROMPTS))
async def test_malformed_prompts_get_structured_errors(server, name):
    text, status, kind = RAW_PROMPTS[name]
    for route in ("/prompt", "/api/run"):
        got, body = await _raw(server, "POST", route, text, headers={"Content-Type": "application/json"})
        assert got == status, (name, route, body)
        assert _structured(body)["type"] == kind, body
    # Nothing was queued, and what the queue and history serve is still strict JSON.
    for path in ("/queue", "/history"):
        async with server.session.get(server.url + path) as response:
            _strict(path, await response.text())


async def test_limit_errors_name_the_setting(server):
    status, body = await server.post("/prompt", {"prompt": exponential_workflow(9, 10)})
    error = _structured(body)
    assert status == 400 and error["extra_info"]["setting"] == "max_prompt_nodes"
    assert "over the limit of 10,000 (setting max_prompt_nodes)" in error["message"]


@pytest.mark.parametrize("query", ["max_items=1e20", "max_items=100000000000000000000", "offset=-99999999999999999999",
                                   "max_items=-1", "max_items=" + "9" * 5000])
async def test_history_query_numbers_are_bounded(server, query):
    status, body = await _raw(server, "GET", "/history?" + query)
    assert status == 400 and _structured(body)["type"] == "invalid_request"


async def test_names_no_file_can_have_are_400_not_500(server):
    long = "a" * 300 + ".png"
    for method, path in (("GET", f"/view?filename={long}"), ("GET", f"/view?filename=x.png&subfolder={long}"),
                         ("POST", f"/userdata/{long}"), ("GET", f"/userdata/{long}"), ("DELETE", f"/userdata/{long}"),
                         ("GET", "/view?filename=" + "b/" * 600 + "c.png")):
        status, body = await _raw(server, method, path, b"{}" if method == "POST" else None)
        assert status == 400, (method, path[:60], body)
        assert _structured(body)["type"] == "invalid_name"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    return buffer.getvalue()


def _multipart(filename: bytes, data: bytes) -> bytes:
    """A form written by hand: client libraries refuse to send control characters in a file name."""
    return (b'--xx\r\nContent-Disposition: form-data; name="image"; filename="' + filename + b'"\r\n'
            b"Content-Type: image/png\r\n\r\n" + data + b"\r\n--xx--\r\n")


async def test_broken_multipart_bodies_get_400(server):
    bodies = [_multipart(name, _png()) for name in (b"a\x00b.png", b"a" * 300 + b".png", b"..", b"x/../y.png",
                                                      b"\xed\xa0\x80.png")]
    bodies += [b"--xx\r\ngarbage", b'--xx\r\nContent-Disposition: form-data; name="image"\r\n\r\nabc',
               b"\x00\xff" * 100, b"--xx\r\nContent-Disposition: form-data\r\n\r\n\r\n--xx--\r\n"]
    for raw in bodies:
        status, body = await _raw(server, "POST", "/upload/image", raw,
                                  headers={"Content-Type": "multipart/form-data; boundary=xx"})
        assert status == 400, (raw[:80], body)
        _structured(body)


async def test_stored_nan_from_an_older_version_is_never_served(tmp_path, registry):
    """A queue database written before non-finite numbers were refused holds bare NaN and Infinity."""
    import aiohttp as client
    from server_helpers import start

    from nodegraph.config import Config
    from nodegraph.queue import JobStore

    config = Config(base_dir=tmp_path / "base")
    path = config.user_dir / "nodegraph_queue.sqlite3"
    store = JobStore(path)
    store.put("old", chain("x"), {"note": "x"}, ["2"])
    store.finish(store.claim().prompt_id, {"outputs": {"2": {"v": [1.0]}}, "status": {"status_str": "success"}})
    store.put("queued", chain("y"), {}, ["2"])
    store.set_paused(True)  # keep it queued while the server runs
    store.close()
    import sqlite3

    with sqlite3.connect(path) as db:  # what the old version wrote for `number: Infinity` and a NaN output
        db.execute("UPDATE jobs SET number = 9e999, extra_data = '{\"x\": NaN}'")
        db.execute("UPDATE history SET entry = '{\"outputs\": {\"2\": {\"v\": [NaN, Infinity]}}}'")
    runner, _app, url = await start(config, registry, tmp_path)
    try:
        async with client.ClientSession() as session:
            for route in ("/queue", "/history", "/history/old"):
                async with session.get(url + route) as response:
                    text = await response.text()
                assert response.status == 200
                _strict(route, text)
    finally:
        await runner.cleanup()
    assert os.path.exists(path)
