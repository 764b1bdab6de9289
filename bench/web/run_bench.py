"""Editor benchmark: serve the editor with the real server, open bench/web/index.html in Chromium, and report
time to first draw and redraw time per frame for a 500-node graph against a 50-node baseline.

    python bench/web/run_bench.py                    # print the table
    python bench/web/run_bench.py --against 662624d  # and the editor of that git revision, runs interleaved
    python bench/web/run_bench.py --write            # also replace the "## Editor" section of bench/README.md
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path
from typing import Any

from nodegraph.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]  # the checkout whose web/ is measured
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def serve(web_root: Path, base: Path, box: dict[str, Any], ready: threading.Event) -> None:
    from aiohttp import web

    from nodegraph.server import create_app

    async def main() -> None:
        runner = web.AppRunner(create_app(Config(base_dir=base), web_root=web_root))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        box["url"] = f"http://127.0.0.1:{runner.addresses[0][1]}"
        box["stop"] = asyncio.Event()
        ready.set()
        await box["stop"].wait()
        await runner.cleanup()

    box["loop"] = asyncio.new_event_loop()
    box["loop"].run_until_complete(main())


def checkout(rev: str, into: Path) -> Path:
    """web/ and bench/web/ as they are at git revision `rev`, extracted into `into`."""
    done = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", rev, "web", "bench/web"], capture_output=True,
                          check=False)
    if done.returncode:
        sys.exit(f"cannot read revision {rev}: {done.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into


def run(chromium: str, runs: int, checkout_root: Path = REPO_ROOT) -> list[list[dict[str, Any]]]:
    """`runs` page loads of the benchmark page of the editor in `checkout_root` (this checkout by default)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "web"
        shutil.copytree(checkout_root / "web", root)
        shutil.copytree(checkout_root / "bench" / "web", root / "bench",
                        ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        box: dict[str, Any] = {}
        ready = threading.Event()
        thread = threading.Thread(target=serve, args=(root, Path(tmp) / "base", box, ready), daemon=True)
        thread.start()
        ready.wait(60)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 860})
                results = []
                for _ in range(runs):  # a fresh page each run: nothing cached between runs but the browser
                    page.goto(box["url"] + "/bench/index.html")
                    page.wait_for_function("window.benchResult", timeout=120000)
                    results.append(page.evaluate("window.benchResult"))
                browser.close()
        finally:
            box["loop"].call_soon_threadsafe(box["stop"].set)
            thread.join(30)
    return results


def table(runs: list[list[dict[str, Any]]]) -> str:
    """Median over runs of each figure, with the range; the ratio is against the 50-node graph, same view."""
    med = statistics.median
    lines = ["| view | nodes (links) | nodes drawn | first draw ms | redraw ms per frame: median (range) | "
             "p95 | redraw vs 50-node baseline | edit commit ms |", "|---|---|---|---|---|---|---|---|"]
    for i, r in enumerate(runs[0]):
        rows = [run[i] for run in runs]
        base = [run[i - 1 if r["nodes"] != 50 else i] for run in runs]
        redraw = [x["redraw"]["median"] for x in rows]
        ratio = med(x["redraw"]["median"] / max(b["redraw"]["median"], 1e-6) for x, b in zip(rows, base, strict=True))
        lines.append(f"| {r['zoom']} | {r['nodes']} ({r['links']}) | {r['drawn']} | "
                     f"{med(x['firstDraw'] for x in rows):.1f} | {med(redraw):.2f} ({min(redraw):.2f} - "
                     f"{max(redraw):.2f}) | {med(x['redraw']['p95'] for x in rows):.2f} | {ratio:.2f}x | "
                     f"{med(x['edit'] for x in rows):.1f} |")
    return "\n".join(lines)


INTRO = """`python bench/web/run_bench.py --write` serves the editor with the real server, opens `bench/web/index.html`
in Debian's Chromium (headless, software rendering, 1400x860 window) and loads generated graphs of real node
types, 10 per row, every node linked: 500 nodes, and 50 as the baseline. "first draw" is loading the workflow
plus the first frame; "redraw" is one frame while panning (240 frames), each timed until the pixels are
rasterized; "edit commit" is what finishing an edit costs (undo snapshot plus autosave of the whole graph).
"fit" shows the whole graph (the "." key; below 60% zoom only titles are drawn, below 30% nodes are plain
boxes); "open" is the view a workflow opens at (fitted, but never below the 60% at which widgets are drawn);
"1:1" shows the top-left corner at full detail, so only the nodes in view are drawn. Shared 2-core machine,
other jobs running: medians of {runs} page loads, range in brackets. `--against REV` adds the same table for
the editor of an older git revision, its page loads taking turns with these."""


def write_section(text: str) -> None:
    readme = REPO_ROOT / "bench" / "README.md"
    old = readme.read_text() if readme.exists() else "# Benchmarks\n"
    section = f"## Editor\n\n{text}\n"
    start = old.find("## Editor\n")
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + section
    else:
        end = old.find("\n## ", start + 1)
        new = old[:start] + section + ("\n" + old[end + 1:] if end >= 0 else "")
    readme.write_text(new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--write", action="store_true", help="update bench/README.md's ## Editor section")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--against", metavar="REV", help="also measure the editor of this git revision, each page "
                        "load interleaved with one of this checkout's, and add its table")
    args = parser.parse_args()
    if not Path(args.chromium).exists():
        sys.exit(f"needs Chromium at {args.chromium} (apt-get install -y chromium)")
    if not args.against:
        text = INTRO.format(runs=args.runs) + "\n\n" + table(run(args.chromium, args.runs))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            older = checkout(args.against, Path(tmp))
            mine: list[list[dict[str, Any]]] = []
            theirs: list[list[dict[str, Any]]] = []
            for i in range(args.runs):  # interleaved, taking turns to go first, so both see the same load
                for which in ((mine, REPO_ROOT), (theirs, older))[::1 if i % 2 == 0 else -1]:
                    which[0].extend(run(args.chromium, 1, which[1]))
        text = (INTRO.format(runs=args.runs) + "\n\n" + table(mine) + f"\n\nThe editor at `{args.against}`, "
                "its page loads interleaved with the ones above (it has no \"open\" view):\n\n" + table(theirs))
    print(text)
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()
