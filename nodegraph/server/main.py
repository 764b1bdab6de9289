"""Runs the server until interrupted: `serve(config)` (for `nodegraph serve`) or `python -m` this module."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path

from aiohttp import web

from ..cli import serve_options
from ..config import Config, load_config
from ..core.errors import NodeGraphError
from ..core.registry import Registry
from .app import create_app
from .security import is_loopback


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


async def _serve(config: Config, registry: Registry | None) -> None:
    runner = web.AppRunner(create_app(config, registry), handle_signals=True)
    await runner.setup()
    site = web.TCPSite(runner, config.listen, config.port)
    await site.start()
    port = runner.addresses[0][1] if runner.addresses else config.port
    # The actual port (config.port may be 0); tests and scripts read this line.
    print(f"nodegraph server listening on {_url(config.listen, port)}", flush=True)
    if not is_loopback(config.listen) and not config.token:
        print("warning: listening beyond loopback without --token: anyone who can reach this port can run "
              "prompts and read outputs", file=sys.stderr, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def serve(config: Config, registry: Registry | None = None) -> None:
    """Block serving `config.listen:config.port` until Ctrl-C or SIGTERM."""
    with contextlib.suppress(KeyboardInterrupt, web.GracefulExit):
        asyncio.run(_serve(config, registry))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m nodegraph.server.main", description=__doc__)
    parser.add_argument("--listen", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--token", default=None)
    parser.add_argument("--base-dir", type=Path, default=None)
    parser.add_argument("--nodes-dir", type=Path, action="append", default=None)
    serve_options(parser)
    args = parser.parse_args(argv)
    try:
        config = load_config(listen=args.listen, port=args.port, token=args.token, base_dir=args.base_dir,
                             nodes_dirs=tuple(args.nodes_dir) if args.nodes_dir else None,
                             front_end=args.front_end, preview_method=args.preview_method,
                             ray_address=args.ray_address, ray_workers=args.ray_workers,
                             ray_worker_gpus=args.ray_worker_gpus, ray_shared_storage=args.ray_shared_storage,
                             ray_runtime_env=args.ray_runtime_env)
        serve(config)
    except NodeGraphError as exc:  # a bad setting, a queue database that cannot be opened: named, one line
        print(f"nodegraph: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
