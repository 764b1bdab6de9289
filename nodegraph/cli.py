"""The `nodegraph` command: run | validate | nodes | serve | train | eval | compare."""

from __future__ import annotations

import argparse
import os
import json
import sys
from pathlib import Path
from typing import Any

from .config import Config, ConfigError, load_config
from .core.limits import Limits

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130
LIMIT_HELP = {
    "max_prompt_nodes": "nodes a prompt may have after UI conversion and node expansion",
    "max_json_depth": "nesting depth of objects and arrays in any JSON read",
    "max_subgraph_depth": "how deep subgraph instances may nest",
    "max_json_mb": "size of a JSON request body (server)",
    "max_preview_pixels": "pixels /view decodes to re-encode a preview (server)",
}


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nodes-dir", action="append", default=None, metavar="DIR",
                        help="extra folder of node plugins (repeatable)")
    parser.add_argument("--models-dir", action="append", default=None, metavar="DIR",
                        help="extra folder of models (repeatable), searched after models/")
    parser.add_argument("--extra-model-paths-config", action="append", default=None, metavar="FILE",
                        help="ComfyUI extra_model_paths.yaml file (repeatable); base-dir's own is read anyway")
    parser.add_argument("--disable-all-custom-nodes", action="store_true",
                        help="ComfyUI's flag: load no custom_nodes folder and no pip-installed ComfyUI pack")
    parser.add_argument("--base-dir", default=None, help="folder holding input/, output/, temp/, user/")
    parser.add_argument("--config", default=None, type=Path, help="JSON settings file")
    parser.add_argument("--device", default=None, help="auto | cpu | cuda:N | mps")
    parser.add_argument("--vram-budget", default=None, type=float, metavar="GB",
                        help="offload models beyond this many GB of accelerator memory")
    parser.add_argument("--threads", default=None, type=int, metavar="N",
                        help="CPU threads for torch (default: half the CPUs, at least 1)")
    defaults = Limits()
    for name in Limits.names():
        parser.add_argument("--" + name.replace("_", "-"), default=None, type=int, metavar="N",
                            help=f"limit: {LIMIT_HELP[name]} (default {getattr(defaults, name):,})")
    # ComfyUI's cache flags, so scripts that start ComfyUI's server start this one unchanged.
    cache = parser.add_mutually_exclusive_group()
    cache.add_argument("--cache-lru", default=None, type=int, metavar="N",
                       help="ComfyUI's flag: keep at most N node results (the byte bound still applies)")
    cache.add_argument("--cache-none", action="store_true", help="ComfyUI's flag: keep no node results between runs")
    cache.add_argument("--cache-classic", action="store_true",
                       help="ComfyUI's flag: the default cache (bounded by entries and bytes)")


def _cache_entries(args: argparse.Namespace) -> int | None:
    """ComfyUI's cache flags on nodegraph's one cache: LRU N -> N entries, none -> 0, classic -> the default.
    `--cache-lru 0` is ComfyUI's way of saying "not LRU", so it too leaves the default."""
    if getattr(args, "cache_none", False):
        return 0
    lru = getattr(args, "cache_lru", None)
    return lru if lru else None


def _config(args: argparse.Namespace, **extra: Any) -> Config:
    limits = {name: getattr(args, name) for name in Limits.names()}
    extra.setdefault("cache_entries", None)
    if extra["cache_entries"] is None:
        extra["cache_entries"] = _cache_entries(args)
    return load_config(args.config, nodes_dirs=args.nodes_dir, models_dirs=args.models_dir,
                       extra_model_paths=args.extra_model_paths_config, base_dir=args.base_dir,
                       device=args.device, vram_budget_gb=args.vram_budget, threads=args.threads,
                       custom_nodes=False if args.disable_all_custom_nodes else None, **limits, **extra)


def _overrides(pairs: list[str]) -> dict[str, Any]:
    """Raw `NODE.INPUT=VALUE` strings; apply_overrides reads each VALUE as JSON when it parses."""
    from .workflow import parse_assignments

    return dict(parse_assignments(pairs))


def cmd_run(args: argparse.Namespace) -> int:
    from .api import describe_failure, saved_paths
    from .cli_progress import ProgressBar
    from .core.errors import NodeGraphError, PromptError
    from .messages import validation_text
    from .engine import Engine

    engine = Engine(_config(args, out_dir=args.out, cache_entries=0 if args.no_cache else None))
    _report_plugin_failures(engine)
    prompt: dict[str, Any] | None = None
    try:
        prompt, ui_workflow = engine.load(args.workflow, _overrides(args.set))
        checked = engine.validate(prompt).whole()  # every output runs, or none
        if not checked.ok:
            raise PromptError(checked.body())
        bar = ProgressBar({k: v["class_type"] for k, v in checked.prompt.items()}, not args.quiet)
        try:
            result = engine.run_checked(checked, ui_workflow, sink=bar)
        finally:
            bar.close()
    except PromptError as exc:
        print(validation_text(exc.body, prompt), file=sys.stderr)
        return EXIT_FAILED
    except NodeGraphError as exc:
        print(f"nodegraph: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if result.status != "success":
        print(f"nodegraph: run failed at {describe_failure(result)}", file=sys.stderr)
        return EXIT_FAILED
    for node_id, ui in result.ui.items():
        for text in ui.get("text", []):
            print(f"[{node_id}] {text}")
    for path in saved_paths(engine, result.ui):
        print(path)
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from .core.errors import NodeGraphError
    from .messages import validation_text
    from .engine import Engine

    engine = Engine(_config(args))
    try:
        prompt, _ = engine.load(args.workflow)
    except NodeGraphError as exc:
        print(f"nodegraph: {exc}", file=sys.stderr)
        return EXIT_FAILED
    checked = engine.validate(prompt).whole()
    if not checked.ok:
        print(validation_text(checked.body(), prompt), file=sys.stderr)
        return EXIT_FAILED
    print(f"ok: {len(checked.prompt)} nodes, outputs {', '.join(checked.outputs)}")
    return EXIT_OK


def cmd_nodes(args: argparse.Namespace) -> int:
    from .engine import Engine

    engine = Engine(_config(args))
    if args.json:
        info = engine.object_info()
        print(json.dumps(info, indent=1, default=str))
    else:
        for spec in sorted(engine.registry, key=lambda s: (s.category, s.name)):
            print(f"{spec.category:28} {spec.name:28} {spec.display_name}")
    _report_plugin_failures(engine, tracebacks=True)
    return EXIT_OK


def _report_plugin_failures(engine: Any, tracebacks: bool = False) -> None:
    for failure in engine.registry.failures:
        print(f"nodegraph: plugin {failure.source} skipped: {failure.error}", file=sys.stderr)
        if tracebacks and failure.traceback:
            print("    " + failure.traceback.rstrip().replace("\n", "\n    "), file=sys.stderr)


def cmd_serve(args: argparse.Namespace) -> int:
    from .core.errors import NodeGraphError
    from .resources import MissingResource
    from .server.main import serve

    try:
        config = _config(args, listen=args.listen, port=args.port, token=args.token, front_end=args.front_end,
                         preview_method=args.preview_method, ray_address=args.ray_address,
                         ray_workers=args.ray_workers, ray_worker_gpus=args.ray_worker_gpus,
                         ray_shared_storage=args.ray_shared_storage, ray_runtime_env=args.ray_runtime_env)
        serve(config)
    # A queue database that cannot be opened, a missing front-end package, a bad setting: the message says
    # which.
    except (NodeGraphError, MissingResource, ValueError) as exc:
        print(f"nodegraph: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from .train.cli import main as train_main

    return int(train_main(args.rest) or 0)


def cmd_eval(args: argparse.Namespace) -> int:
    from .train.cli import main as train_main

    return int(train_main(["eval", *args.rest]) or 0)


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare.cli import main as compare_main

    return int(compare_main(args.rest) or 0)


def serve_options(parser: argparse.ArgumentParser) -> None:
    """The web app and preview flags, shared with `python -m nodegraph.server.main`."""
    from .config import FRONT_ENDS
    from .core.previews import PREVIEW_METHODS

    parser.add_argument("--front-end", default=None, choices=FRONT_ENDS,
                        help="the web app at /: nodegraph's editor (default) or ComfyUI's official frontend "
                             "(needs pip install 'nodegraph[comfyui]')")
    parser.add_argument("--preview-method", default=None, choices=PREVIEW_METHODS,
                        help="live sampler previews for prompts that do not ask for a method themselves "
                             "(default none, as ComfyUI: plain API clients get text messages only)")
    parser.add_argument("--ray", dest="ray_address", default=None, metavar="ADDRESS",
                        help="run prompts on Ray workers: local (a cluster on loopback), auto, or host:port "
                             "(needs pip install 'nodegraph[ray]'; docs/scale-out.md)")
    parser.add_argument("--ray-workers", default=None, type=int, metavar="N",
                        help="Ray workers (default one per GPU, or one CPU worker without GPUs)")
    parser.add_argument("--ray-worker-gpus", default=None, type=float, metavar="G",
                        help="GPUs per Ray worker (default 1 on a cluster with GPUs, else 0)")
    parser.add_argument("--ray-shared-storage", action="store_true", default=None,
                        help="Ray workers write into the base folder themselves (same path on every machine)")
    parser.add_argument("--ray-runtime-env", default=None, metavar="JSON",
                        help="Ray runtime environment for the workers, e.g. '{\"env_vars\": {...}}'")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nodegraph", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a workflow (API prompt, UI workflow, or PNG carrying one)")
    run.add_argument("workflow", help="a .json or .png file, or the name of a shipped workflow (e.g. txt2img)")
    run.add_argument("--set", action="append", default=[], metavar="NODE.INPUT=VALUE",
                     help="override an input; NODE is an id, a title or a unique class name")
    run.add_argument("--out", default=None, type=Path, help="folder for saved images (default output/)")
    run.add_argument("--no-cache", action="store_true", help="keep no node outputs between runs")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(run)
    run.set_defaults(func=cmd_run)
    check = sub.add_parser("validate", help="check a workflow without running it")
    check.add_argument("workflow", help="a .json or .png file, or a shipped workflow's name")
    _common(check)
    check.set_defaults(func=cmd_validate)
    nodes = sub.add_parser("nodes", help="list the installed nodes")
    nodes.add_argument("--json", action="store_true", help="ComfyUI /object_info JSON")
    _common(nodes)
    nodes.set_defaults(func=cmd_nodes)
    serve = sub.add_parser("serve", help="start the HTTP/websocket server and the editor")
    serve.add_argument("--listen", default=None, help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", default=None, type=int, help="port (default 8188)")
    serve.add_argument("--token", default=None, help="bearer token required on every request")
    serve_options(serve)
    _common(serve)
    serve.set_defaults(func=cmd_serve)
    for name, func, text in (("train", cmd_train, "train the default models (see `nodegraph train -h`)"),
                             ("eval", cmd_eval, "evaluate the default models"),
                             ("compare", cmd_compare, "compare diffusion, AR and hybrid")):
        command = sub.add_parser(name, help=text, add_help=False)
        command.add_argument("rest", nargs=argparse.REMAINDER)
        command.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    # train/eval/compare own their flags (even --help), so unknown options are handed on to them.
    args, unknown = parser.parse_known_args(argv)
    if hasattr(args, "rest"):
        args.rest = unknown + args.rest
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    from .runtime.model_paths import ExtraPathsError

    # transformers' and huggingface_hub's own bars ("Loading weights: 100%") would interleave with nodegraph's
    # progress bar and the server's log; set before either library is imported, and only if the user did not.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        return args.func(args)
    except (ConfigError, ExtraPathsError) as exc:
        print(f"nodegraph: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("nodegraph: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug, or a fault nothing names: one line for the user, the rest in a log
        print(f"nodegraph: unexpected {type(exc).__name__}: {_first_line(exc)} ({_crash_log(exc)})",
              file=sys.stderr)
        return EXIT_USAGE


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else "no message"


def _crash_log(exc: BaseException) -> str:
    """Where the full traceback went: a new file in the temporary folder, created exclusively."""
    import tempfile
    import traceback

    try:
        handle, path = tempfile.mkstemp(prefix="nodegraph-error-", suffix=".log")
        with open(handle, "w", encoding="utf-8", errors="replace") as log:
            log.write(f"nodegraph {' '.join(sys.argv[1:])}\n")
            log.write("".join(traceback.format_exception(exc)))
    except OSError as log_exc:
        return f"the full log could not be written: {log_exc}"
    return f"full log: {path}"


if __name__ == "__main__":
    sys.exit(main())
