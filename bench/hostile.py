"""What refusing hostile input costs a running server (loopback only, bounded).

    python bench/hostile.py [--repeat 20]

A server runs in a child process on 127.0.0.1 with the test plugin (as bench/server.py starts it). For each
case the client posts the body `--repeat` times and reports the median and worst time to the answer, and
the server's peak memory (VmHWM, the process's high-water mark) before and after: how much refusing grew
it. The baseline is GET /prompt, a route that does no work, timed by the same client in the same run.

Cases: the exponential UI workflow (9 levels of 10 subgraph instances, 100 million nodes once flattened,
7 KB) refused by max_prompt_nodes; an API prompt of 10,001 nodes refused by the same limit; JSON nested
100,000 deep refused by max_json_depth; and a preview of an 8192x8192 image (over max_preview_pixels, so
served as stored instead of decoded and re-encoded).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "hostile")]
from hostile_inputs import deep_json, exponential_workflow  # noqa: E402
from test_fuzz_server import Server  # noqa: E402  (the fuzz suite's child-process server)


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(server: Server, method: str, path: str, body: bytes | None, repeat: int) -> tuple[list[float], int, str]:
    times, status, kind = [], 0, ""
    for _ in range(repeat):
        started = time.perf_counter()
        status, content_type, answer = server.request(method, path, body, {"Content-Type": "application/json"})
        times.append(time.perf_counter() - started)
        if "json" in content_type:
            kind = json.loads(answer).get("error", {}).get("type", "") if status >= 400 else ""
        else:
            kind = f"{content_type}, {len(answer):,} bytes"
    return times, status, kind


def upload_big(server: Server) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8192, 8192), (10, 20, 30)).save(buffer, format="PNG")
    body = (b'--xx\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n'
            b"Content-Type: image/png\r\n\r\n" + buffer.getvalue() + b"\r\n--xx--\r\n")
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}/upload/image", data=body, method="POST",
                                     headers={"Content-Type": "multipart/form-data; boundary=xx"})
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.status == 200


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    server = Server(Path(tempfile.mkdtemp(prefix="nodegraph-bench-hostile-")))
    try:
        upload_big(server)
        cases: list[tuple[str, str, str, bytes | None]] = [
            ("baseline GET /prompt", "GET", "/prompt", None),
            ("exponential UI workflow (7 KB)", "POST", "/prompt",
             json.dumps({"prompt": exponential_workflow(9, 10)}).encode()),
            ("API prompt of 10,001 nodes", "POST", "/prompt", json.dumps({"prompt": {
                str(i): {"class_type": "TestSlow", "inputs": {"value": i}} for i in range(10_001)}}).encode()),
            ("JSON nested 100,000 deep", "POST", "/prompt", ('{"prompt": ' + deep_json(100_000) + "}").encode()),
            ("preview=webp of 8192x8192", "GET", "/view?filename=big.png&type=input&preview=webp;90", None),
        ]
        rows: list[dict[str, Any]] = []
        for name, method, path, body in cases:
            before = peak_mb(server.process.pid)
            times, status, kind = timed(server, method, path, body, args.repeat)
            rows.append({"case": name, "body": len(body or b""), "status": status, "answer": kind,
                         "median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000,
                         "peak_before_mb": before, "peak_after_mb": peak_mb(server.process.pid)})
    finally:
        server.process.terminate()
        server.process.wait(30)
    baseline = rows[0]["median_ms"]
    print("| case | body bytes | status | answer | median ms | worst ms | median / baseline | server peak MB "
          "before -> after |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['case']} | {row['body']:,} | {row['status']} | {row['answer']} | {row['median_ms']:.1f} | "
              f"{row['max_ms']:.1f} | {row['median_ms'] / baseline:.1f}x | "
              f"{row['peak_before_mb']:.0f} -> {row['peak_after_mb']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
