"""Property-based fuzzing of a real server on loopback (a child process, as a user starts it): malformed
prompts, UI workflows, query strings, file names and multipart bodies on every input route.

Every answer is below 500 and, when JSON, strict JSON in ComfyUI's error shape for a 4xx; every answer
comes within the socket timeout (no hang); and the server's memory stays bounded over the whole run.
The queue is paused first, so accepted prompts wait instead of running the test plugin's slow nodes.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import psutil
import pytest
from fuzz_strategies import EXTREMES, SCALARS, TEXTS, VALUES, api_prompts, fuzz_settings, ui_workflows
from hypothesis import given
from hypothesis import strategies as st

from nodegraph.plugins import build_registry

FIXTURES = Path(__file__).resolve().parents[1] / "server" / "fixtures"
TIMEOUT_S = 30  # per request: what "no hang" means here
MEMORY_GROWTH_MB = 400


class Server:
    def __init__(self, base: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nodegraph.server.main", "--port", "0", "--base-dir", str(base),
             "--nodes-dir", str(FIXTURES)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.process.stdout is not None
        self.output: list[str] = []
        for line in self.process.stdout:
            self.output.append(line)
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if found:
                self.port = int(found.group(1))
                break
        else:
            raise AssertionError("the server did not start:\n" + "".join(self.output))
        threading.Thread(target=lambda: self.output.extend(self.process.stdout), daemon=True).start()

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_S)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type") or "", response.read()
        finally:
            connection.close()

    def rss_mb(self) -> float:
        return psutil.Process(self.process.pid).memory_info().rss / 2**20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    live = Server(tmp_path_factory.mktemp("fuzz-server"))
    try:
        assert live.request("POST", "/queue/pause")[0] == 200
        live.baseline_mb = live.rss_mb()  # type: ignore[attr-defined]
        yield live
        assert live.process.poll() is None, "the server died:\n" + "".join(live.output[-50:])
        growth = live.rss_mb() - live.baseline_mb  # type: ignore[attr-defined]
        assert growth < MEMORY_GROWTH_MB, f"the server grew by {growth:.0f} MB"
        assert "Traceback" not in "".join(live.output), "".join(live.output)[-3000:]
    finally:
        live.process.terminate()
        live.process.wait(30)


@pytest.fixture(scope="module")
def registry() -> Any:
    return build_registry([FIXTURES], use_entry_points=False)


def check(answer: tuple[int, str, bytes], what: Any) -> None:
    status, content_type, body = answer
    assert status < 500, (status, what, body[:500])
    if "json" in content_type:
        def bare(word: str) -> None:
            raise AssertionError(f"bare {word} in {body[:300]!r}")

        parsed = json.loads(body, parse_constant=bare)
        if status >= 400:
            assert {"type", "message"} <= set(parsed["error"]) and "node_errors" in parsed, parsed


def _json(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")


@st.composite
def submissions(draw: st.DrawFn, registry: Any) -> bytes:
    if draw(st.integers(0, 4)) == 0:
        text = draw(TEXTS)
        return text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    body: dict[str, Any] = {"prompt": draw(api_prompts(registry) | ui_workflows(registry) | VALUES)}
    for name in draw(st.lists(st.sampled_from(["number", "front", "prompt_id", "client_id", "extra_data",
                                               "partial_execution_targets"]), max_size=3)):
        body[name] = draw(VALUES | EXTREMES)
    return _json(body)


NAMES = st.one_of(st.text(max_size=40), EXTREMES.map(str), st.sampled_from(["..", "a/../../b", "%2e%2e%2f", "x" * 300]))


@st.composite
def other_requests(draw: st.DrawFn) -> tuple[str, str, bytes | None, dict[str, str]]:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        path = draw(st.sampled_from(["/queue", "/history", "/interrupt", "/free"]))
        body = draw(st.fixed_dictionaries({}, optional={"delete": VALUES, "clear": VALUES, "prompt_id": VALUES,
                                                        "unload_models": VALUES}))
        return "POST", path, _json(body), {"Content-Type": "application/json"}
    if kind == 1:
        query = {name: str(draw(SCALARS)) for name in draw(st.lists(st.sampled_from(["max_items", "offset"])))}
        return "GET", "/history?" + urlencode(query, encoding="utf-8", errors="surrogatepass"), None, {}
    if kind == 2:
        query = {name: draw(NAMES) for name in draw(st.lists(st.sampled_from(
            ["filename", "subfolder", "type", "preview", "channel"]), max_size=5))}
        return "GET", "/view?" + urlencode(query, encoding="utf-8", errors="surrogatepass"), None, {}
    if kind == 3:
        name = quote(draw(NAMES), safe="", encoding="utf-8", errors="surrogatepass") or "x"
        method = draw(st.sampled_from(["GET", "POST", "DELETE"]))
        return method, f"/userdata/{name}", draw(st.binary(max_size=50)) if method == "POST" else None, {}
    if kind == 4:
        query = {name: draw(NAMES) for name in draw(st.lists(st.sampled_from(["dir", "recurse", "full_info"])))}
        return "GET", "/userdata?" + urlencode(query, encoding="utf-8", errors="surrogatepass"), None, {}
    filename = draw(st.binary(max_size=40) | NAMES.map(lambda n: n.encode("utf-8", "surrogatepass")))
    field = draw(st.sampled_from([b"image", b"mask", b""]))
    content = draw(st.binary(max_size=80) | st.just(b"\x89PNG\r\n\x1a\n"))
    body = (b'--xx\r\nContent-Disposition: form-data; name="' + field + b'"; filename="' + filename + b'"\r\n'
            b"Content-Type: image/png\r\n\r\n" + content + b"\r\n--xx--\r\n")
    route = draw(st.sampled_from(["/upload/image", "/upload/mask"]))
    return "POST", route, draw(st.just(body) | st.binary(max_size=60)), {
        "Content-Type": "multipart/form-data; boundary=xx"}


@fuzz_settings(200)
@given(data=st.data())
def test_prompt_routes_answer_every_body(server, registry, data):
    body = data.draw(submissions(registry))
    check(server.request("POST", data.draw(st.sampled_from(["/prompt", "/api/prompt"])), body,
                         {"Content-Type": "application/json"}), body[:200])


@fuzz_settings(200)
@given(data=st.data())
def test_other_routes_answer_every_request(server, data):
    method, path, body, headers = data.draw(other_requests())
    check(server.request(method, path, body, headers), (method, path[:200]))


def test_the_queue_and_history_stay_strict_json(server):
    """Whatever the fuzzing queued, what /queue and /history serve parses strictly."""
    for path in ("/queue", "/history", "/system_stats"):
        answer = server.request("GET", path)
        assert answer[0] == 200
        check(answer, path)
