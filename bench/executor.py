"""Executor overhead on trivial nodes: chains of 1k, 10k and 100k nodes and a wide graph.

Each graph is run cold (fresh executor), fully cached (the same prompt again) and with one input in the
middle changed. Figures are per-node overheads and ratios within this one process, so they compare the
engine with itself rather than with a machine-dependent absolute.

    python bench/executor.py [--sizes 1000 10000 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
from typing import Any

from timing import best  # bench/ is the script's own folder

from nodegraph.core.executor import Executor
from nodegraph.core.limits import Limits
from nodegraph.core.validate import validate
from nodegraph.plugins import build_registry


def chain(n: int) -> dict[str, Any]:
    prompt: dict[str, Any] = {"0": {"class_type": "PrimitiveInt", "inputs": {"value": 0}}}
    for i in range(1, n):
        prompt[str(i)] = {"class_type": "MathInt", "inputs": {"a": [str(i - 1), 0], "b": 1, "operation": "add"}}
    prompt["show"] = {"class_type": "ToString", "inputs": {"value": [str(n - 1), 0]}}
    prompt["out"] = {"class_type": "ShowText", "inputs": {"text": ["show", 0]}}
    return prompt


def wide(n: int) -> dict[str, Any]:
    """One source feeding n independent branches, each ending in its own output."""
    prompt: dict[str, Any] = {"src": {"class_type": "PrimitiveInt", "inputs": {"value": 1}}}
    for i in range(n):
        prompt[f"m{i}"] = {"class_type": "MathInt", "inputs": {"a": ["src", 0], "b": i, "operation": "add"}}
        prompt[f"s{i}"] = {"class_type": "ToString", "inputs": {"value": [f"m{i}", 0]}}
        prompt[f"o{i}"] = {"class_type": "ShowText", "inputs": {"text": [f"s{i}", 0]}}
    return prompt


def measure(registry: Any, name: str, prompt: dict[str, Any], middle: str, repeat: int) -> dict[str, Any]:
    nodes = len(prompt)
    limits = Limits(max_prompt_nodes=max(len(prompt), Limits().max_prompt_nodes))  # past the server default
    validate_s = best(lambda: validate(prompt, registry, limits=limits), repeat)
    checked = validate(prompt, registry, limits=limits)
    assert checked.ok, checked.body()

    def cold() -> Executor:
        executor = Executor(registry)
        result = executor.run(checked.prompt, checked.outputs)
        assert result.status == "success"
        return executor

    cold_s = best(cold, repeat)
    warm = cold()
    # At least two tries: the first re-run after a cold run also pays the garbage collector's full pass
    # over the cold run's allocations (see bench/README.md).
    cached_s = best(lambda: warm.run(checked.prompt, checked.outputs), max(repeat, 2))
    changed = dict(checked.prompt)

    def change_middle() -> None:
        node = dict(changed[middle])
        node["inputs"] = {**node["inputs"], "b": node["inputs"]["b"] + 1}
        changed[middle] = node
        warm.run(changed, checked.outputs)

    changed_s = best(change_middle, repeat)
    return {"graph": name, "nodes": nodes, "validate_s": validate_s, "cold_s": cold_s, "cached_s": cached_s,
            "changed_s": changed_s, "us_per_node": cold_s / nodes * 1e6, "cached_ratio": cached_s / cold_s}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--wide", type=int, default=3000, help="branches in the wide graph")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    registry = build_registry(use_entry_points=False)
    # The same number of tries for every size: a best-of-3 against a single try would bias the ratio.
    rows = [measure(registry, f"chain {n}", chain(n), str(n // 2), args.repeat)
            for n in args.sizes]
    rows.append(measure(registry, f"wide {args.wide}", wide(args.wide), f"m{args.wide // 2}", args.repeat))
    print("| graph | nodes | validate s | cold run s | µs/node cold | fully cached s | cached/cold | "
          "one middle input changed s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['graph']} | {r['nodes']} | {r['validate_s']:.3f} | {r['cold_s']:.3f} | {r['us_per_node']:.1f} | "
              f"{r['cached_s']:.4f} | {r['cached_ratio']:.1%} | {r['changed_s']:.3f} |")
    chains = {r["nodes"]: r for r in rows if r["graph"].startswith("chain")}
    sizes = sorted(chains)
    for small, large in zip(sizes, sizes[1:], strict=False):
        ratio = chains[large]["cold_s"] / chains[small]["cold_s"]
        total = (chains[large]["cold_s"] + chains[large]["validate_s"]) / (
            chains[small]["cold_s"] + chains[small]["validate_s"])
        print(f"\ncold run time ratio {large}/{small} nodes: {ratio:.1f} (validate + run: {total:.1f}; "
              f"linear would be {large / small:.0f})")


if __name__ == "__main__":
    main()
