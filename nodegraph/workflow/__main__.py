"""Converts workflow files between the API and UI formats from the command line.

    python -m nodegraph.workflow to-ui prompt.json [-o workflow.json] [--nodes DIR ...]
    python -m nodegraph.workflow to-api workflow.json|image.png [-o prompt.json] [--nodes DIR ...]

`to-ui` draws an API prompt as an editor workflow (how the shipped workflows/ files are authored);
`to-api` converts anything `load_workflow` accepts into the API prompt the engine runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..plugins import build_registry
from .errors import WorkflowError
from .layout import api_to_ui
from .load import load_workflow


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nodegraph.workflow", description=__doc__.split("\n\n")[0])
    parser.add_argument("direction", choices=["to-ui", "to-api"])
    parser.add_argument("source", type=Path)
    parser.add_argument("-o", "--output", type=Path, help="write here instead of standard output")
    parser.add_argument("--nodes", type=Path, action="append", default=[], help="extra plugin folder")
    args = parser.parse_args(argv)
    registry = build_registry(args.nodes)
    try:
        loaded = load_workflow(args.source, registry)
        result = api_to_ui(loaded.prompt, registry) if args.direction == "to-ui" else loaded.prompt
    except WorkflowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    text = json.dumps(result, indent=2) + "\n"
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
