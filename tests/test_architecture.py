"""Architecture rules checked by tools: import contracts (import-linter) and module size budgets."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400


def test_import_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    if not linter.exists():
        pytest.skip("import-linter is not installed (pip install -e .[dev])")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # grimp needs the sources on sys.path, not the editable hook
    done = subprocess.run([str(linter), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_every_module_fits_the_line_budget():
    too_long = []
    for folder in ("nodegraph", "nodes"):
        for path in (ROOT / folder).rglob("*.py"):
            lines = path.read_text().count("\n")
            if lines > MAX_LINES:
                too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not too_long, "modules over the 400-line budget: " + ", ".join(too_long)


def test_engine_core_imports_without_torch():
    code = ("import sys, nodegraph, nodegraph.core.executor, nodegraph.core.validate, nodegraph.plugins;"
            "bad = [m for m in ('torch', 'PIL', 'aiohttp', 'diffusers', 'transformers') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_builtin_node_declares_itself_without_the_model_libraries():
    """Building the registry and validating a shipped workflow (`nodegraph validate`, `nodegraph nodes`) need
    none of torch, numpy, PIL, diffusers or transformers: node modules import them inside `run`."""
    code = ("import sys\n"
            "import nodegraph\n"
            "engine = nodegraph.Engine()\n"
            "assert not engine.registry.failures, engine.registry.failures\n"
            "for name in ('txt2img', 'ar_txt2img', 'hybrid_ar_then_diffusion', 'inpaint', 'controlnet'):\n"
            "    prompt, _ = engine.load(name)\n"
            "    checked = engine.validate(prompt)\n"
            "    assert checked.ok, checked.body()\n"
            "assert len(engine.object_info()) == len(engine.registry)\n"
            "heavy = [m for m in ('torch', 'numpy', 'PIL', 'diffusers', 'transformers') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


# Everything that reads, converts, validates or runs what a user sends: a recursive function there is a
# RecursionError (a traceback, a 500) waiting for deep enough input.
RECURSION_FREE = ("nodegraph/core", "nodegraph/workflow", "nodegraph/queue", "nodegraph/server",
                  "nodegraph/runtime/files.py", "nodegraph/cli.py", "nodegraph/engine.py", "nodegraph/api.py",
                  "nodegraph/messages.py")


def _call_cycles(path: Path) -> list[list[str]]:
    """Cycles among a module's functions and methods, by the names they call (`f()`, `self.m()`)."""
    import networkx as nx

    tree = ast.parse(path.read_text())
    functions = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    graph = nx.DiGraph()

    def visit(body: list[ast.stmt], owner: str | None) -> None:
        methods = {n.name for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, node.name)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{owner}.{node.name}" if owner else node.name
                for call in (c for c in ast.walk(node) if isinstance(c, ast.Call)):
                    callee = call.func
                    if isinstance(callee, ast.Name) and callee.id in functions:
                        graph.add_edge(name, callee.id)
                    elif owner and isinstance(callee, ast.Attribute) and callee.attr in methods \
                            and isinstance(callee.value, ast.Name) and callee.value.id in ("self", "cls"):
                        graph.add_edge(name, f"{owner}.{callee.attr}")

    visit(tree.body, None)
    return list(nx.simple_cycles(graph))


def test_no_recursion_where_user_input_is_read_or_run():
    found = []
    for entry in RECURSION_FREE:
        target = ROOT / entry
        for path in sorted(target.rglob("*.py") if target.is_dir() else [target]):
            found += [f"{path.relative_to(ROOT)}: {' -> '.join(cycle)}" for cycle in _call_cycles(path)]
    assert not found, "recursive functions: " + "; ".join(found)
