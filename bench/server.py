"""Server load test (loopback only, bounded): many clients submitting at once, and progress traffic vs size.

    python bench/server.py [--prompts 1000] [--clients 20] [--sizes 1000 10000]
    python bench/server.py --ray [--ray-prompts 24] [--ray-delay 0.5]

1. `--clients` concurrent clients (each with its own websocket) submit `--prompts` distinct prompts in
   total. Checks: every submission accepted, every prompt executed exactly once (the test plugin logs each
   execution), every history entry a success. Reports p50/p99 submit latency against the same clients'
   GET /prompt latency (the baseline: a route that does no work) measured in the same run.
2. A chain of each size in `--sizes` runs while one client counts the websocket bytes it receives for it.
   Bytes per node should stay flat as the graph grows (ComfyUI's grow with the graph).

3. `--ray` instead: the same prompts through the local worker, then `--ray local` with 1 and 2 CPU
   workers (a local Ray cluster, needs nodegraph[ray]): throughput on prompts that wait `--ray-delay` seconds
   (work that two workers can overlap even on two cores) and the Ray path's overhead per prompt on prompts
   that do nothing, each as a ratio to the local worker measured in the same run.

The server runs in a child process on 127.0.0.1 with a fresh base folder, and is killed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "server" / "fixtures"
DEADLINE_S = 900


def chain(length: int, start: int, tag: str) -> dict[str, Any]:
    prompt: dict[str, Any] = {}
    for i in range(1, length + 1):
        value: Any = [str(i - 1), 0] if i > 1 else start
        prompt[str(i)] = {"class_type": "TestSlow",
                          "inputs": {"value": value, "steps": 1, "delay": 0.0, "preview": False}}
    prompt["out"] = {"class_type": "TestRecord", "inputs": {"value": [str(length), 0], "tag": tag}}
    return prompt


def launch(base: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    # The 10,000-node chain plus its output node is one over the default max_prompt_nodes.
    env = {**os.environ, "NODEGRAPH_MAX_PROMPT_NODES": "100000"}
    process = subprocess.Popen([sys.executable, "-m", "nodegraph.server.main", "--listen", "127.0.0.1",
                                "--port", "0", "--base-dir", str(base), "--nodes-dir", str(FIXTURES), *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert process.stdout is not None
    for line in process.stdout:
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if found:
            # Keep draining the child's output so a chatty server never blocks on a full pipe.
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, found.group(1)
    raise SystemExit("the server did not start")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def one_client(url: str, index: int, count: int, offset: int) -> tuple[list[float], list[float], int]:
    submit, baseline, accepted = [], [], 0
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"{url}/ws?clientId=bench{index}")
        for n in range(count):
            number = offset + n
            started = time.perf_counter()
            async with session.get(f"{url}/prompt") as response:
                await response.read()
            baseline.append(time.perf_counter() - started)
            body = {"prompt": chain(1, number, f"p{number}"), "client_id": f"bench{index}"}
            started = time.perf_counter()
            async with session.post(f"{url}/prompt", json=body) as response:
                await response.read()
                accepted += response.status == 200
            submit.append(time.perf_counter() - started)
        await ws.close()
    return submit, baseline, accepted


async def wait_all(url: str, expected: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        while True:
            async with session.get(f"{url}/prompt") as response:
                remaining = (await response.json())["exec_info"]["queue_remaining"]
            if remaining == 0:
                async with session.get(f"{url}/history") as response:
                    history = await response.json()
                if len(history) >= expected:
                    return history
            await asyncio.sleep(0.2)


async def load(url: str, base: Path, prompts: int, clients: int) -> dict[str, Any]:
    per_client = prompts // clients
    started = time.perf_counter()
    results = await asyncio.gather(*(one_client(url, i, per_client, i * per_client) for i in range(clients)))
    submitted = time.perf_counter() - started
    history = await wait_all(url, per_client * clients)
    finished = time.perf_counter() - started
    submit = [s for r in results for s in r[0]]
    baseline = [b for r in results for b in r[1]]
    lines = (base / "output" / "record.log").read_text().splitlines()
    tags = [line.split()[1] for line in lines]
    return {
        "prompts": per_client * clients, "clients": clients, "accepted": sum(r[2] for r in results),
        "executions": len(tags), "distinct": len(set(tags)),
        "success": sum(1 for e in history.values() if e["status"]["status_str"] == "success"),
        "submit_p50_ms": 1000 * statistics.median(submit), "submit_p99_ms": 1000 * percentile(submit, 0.99),
        "baseline_p50_ms": 1000 * statistics.median(baseline),
        "baseline_p99_ms": 1000 * percentile(baseline, 0.99),
        "submit_s": submitted, "all_done_s": finished,
    }


async def traffic(url: str, size: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"{url}/ws?clientId=traffic{size}", max_msg_size=0)
        await ws.receive()
        started = time.perf_counter()
        async with session.post(f"{url}/prompt", json={"prompt": chain(size, 10**9 + size, f"t{size}"),
                                                        "client_id": f"traffic{size}"}) as response:
            prompt_id = (await response.json())["prompt_id"]
        total, messages = 0, 0
        while True:
            message = await ws.receive(timeout=DEADLINE_S)
            total += len(message.data)
            messages += 1
            data = json.loads(message.data)
            if data["type"] == "executing" and data["data"]["node"] is None \
                    and data["data"]["prompt_id"] == prompt_id:
                break
        elapsed = time.perf_counter() - started
        await ws.close()
    return {"nodes": size, "bytes": total, "messages": messages, "bytes_per_node": total / size,
            "seconds": elapsed, "ms_per_node": 1000 * elapsed / size}


async def batch(url: str, count: int, delay: float, tag: str) -> float:
    """Seconds from submitting `count` one-node prompts that each wait `delay` to the last one's end."""
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        for n in range(count):
            prompt = {"1": {"class_type": "TestSlow", "inputs": {"value": n, "steps": 1, "delay": delay,
                                                                  "preview": False}},
                      "out": {"class_type": "TestRecord", "inputs": {"value": ["1", 0], "tag": f"{tag}{n}"}}}
            async with session.post(f"{url}/prompt", json={"prompt": prompt}) as response:
                assert response.status == 200, await response.text()
        while True:
            async with session.get(f"{url}/history") as response:
                done = sum(1 for e in (await response.json()).values()
                           if e["prompt"][2]["out"]["inputs"]["tag"].startswith(tag))
            if done >= count:
                return time.perf_counter() - started
            await asyncio.sleep(0.05)


async def ray_modes(args: argparse.Namespace) -> None:
    modes = {"local worker": (), "Ray, 1 CPU worker": ("--ray", "local", "--ray-workers", "1"),
             "Ray, 2 CPU workers": ("--ray", "local", "--ray-workers", "2")}
    rows = {}
    for label, extra in modes.items():
        with tempfile.TemporaryDirectory(prefix="nodegraph-bench-") as folder:
            process, url = launch(Path(folder), *extra)
            try:
                await batch(url, 2, 0.0, "warm")  # first prompts import and build what later ones reuse
                waiting = await batch(url, args.ray_prompts, args.ray_delay, "slow")
                empty = await batch(url, args.ray_prompts, 0.0, "empty")
                rows[label] = (args.ray_prompts / waiting, 1000 * empty / args.ray_prompts)
            finally:
                process.kill()
                process.wait()
    local_rate, local_ms = rows["local worker"]
    print(f"{args.ray_prompts} prompts each way; prompts waiting {args.ray_delay} s, and prompts doing nothing\n")
    print("| mode | prompts/s (waiting) | vs local | ms per empty prompt | overhead vs local |")
    print("| --- | --- | --- | --- | --- |")
    for label, (rate, ms) in rows.items():
        print(f"| {label} | {rate:.2f} | {rate / local_rate:.2f}x | {ms:.1f} | {ms - local_ms:+.1f} ms |")


async def main(args: argparse.Namespace) -> None:
    if args.ray:
        await ray_modes(args)
        return
    with tempfile.TemporaryDirectory(prefix="nodegraph-bench-") as folder:
        base = Path(folder)
        process, url = launch(base)
        try:
            report = await asyncio.wait_for(load(url, base, args.prompts, args.clients), DEADLINE_S)
            print(json.dumps(report, indent=2))
            ok = report["accepted"] == report["executions"] == report["distinct"] == report["success"] \
                == report["prompts"]
            print(f"all accepted and executed exactly once: {ok}")
            ratio = report["submit_p50_ms"] / report["baseline_p50_ms"]
            print(f"submit p50 {report['submit_p50_ms']:.1f} ms ({ratio:.1f}x GET /prompt), "
                  f"p99 {report['submit_p99_ms']:.1f} ms")
            rows = [await asyncio.wait_for(traffic(url, size), DEADLINE_S) for size in args.sizes]
            for row in rows:
                print(json.dumps(row))
            first = rows[0]
            for row in rows[1:]:
                print(f"{row['nodes']} vs {first['nodes']} nodes: bytes/node ratio "
                      f"{row['bytes_per_node'] / first['bytes_per_node']:.3f}, time/node ratio "
                      f"{row['ms_per_node'] / first['ms_per_node']:.2f}")
        finally:
            process.kill()
            process.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--ray", action="store_true", help="compare the local worker with Ray workers instead")
    parser.add_argument("--ray-prompts", type=int, default=24)
    parser.add_argument("--ray-delay", type=float, default=0.5)
    asyncio.run(main(parser.parse_args()))
