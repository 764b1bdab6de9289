"""UI workflow <-> API prompt conversion cost on large graphs, against parsing the same JSON text.

A chain of MathInt nodes (each fed by the previous one, half of them through a Reroute, every tenth
bypassed) is drawn as a UI workflow; then, per size, times are taken for `json.loads` of its text (the
baseline: the least any loader must do), `ui_to_api` and `api_to_ui`. Ratios to the baseline and time
per node show whether conversion stays linear as the graph grows.

    python bench/workflow.py [--sizes 1000 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from timing import best  # bench/ is the script's own folder

from nodegraph.plugins import build_registry
from nodegraph.workflow import api_to_ui, ui_to_api


def chain_prompt(n: int) -> dict[str, Any]:
    prompt: dict[str, Any] = {"1": {"class_type": "PrimitiveInt", "inputs": {"value": 0}}}
    for i in range(2, n + 1):
        prompt[str(i)] = {"class_type": "MathInt", "inputs": {"a": [str(i - 1), 0], "b": 1, "operation": "add"}}
    return prompt


def with_reroutes_and_bypasses(workflow: dict[str, Any]) -> dict[str, Any]:
    """Put a Reroute on every other link and bypass every tenth node, as hand-edited workflows do."""
    nodes = {n["id"]: n for n in workflow["nodes"]}
    next_id, next_link = max(nodes) + 1, workflow["last_link_id"] + 1
    for link in list(workflow["links"]):
        if link[0] % 2:
            continue
        reroute = {"id": next_id, "type": "Reroute", "mode": 0, "pos": [0, 0], "size": [75, 26],
                   "inputs": [{"name": "", "type": "*", "link": link[0]}],
                   "outputs": [{"name": "", "type": "INT", "links": [next_link]}], "properties": {}}
        workflow["nodes"].append(reroute)
        nodes[link[3]]["inputs"][link[4]]["link"] = next_link
        workflow["links"].append([next_link, next_id, 0, link[3], link[4], "INT"])
        link[3], link[4] = next_id, 0
        next_id, next_link = next_id + 1, next_link + 1
    for node_id, node in nodes.items():
        if node_id % 10 == 5:
            node["mode"] = 4
    return workflow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    registry = build_registry()
    print(f"{'nodes':>7} {'json.loads':>11} {'ui_to_api':>10} {'ratio':>6} {'us/node':>8} "
          f"{'api_to_ui':>10} {'ratio':>6} {'us/node':>8}")
    for n in args.sizes:
        prompt = chain_prompt(n)
        workflow = with_reroutes_and_bypasses(api_to_ui(prompt, registry))
        text = json.dumps(workflow)
        converted = ui_to_api(workflow, registry)
        assert len(converted) == n - sum(1 for i in range(1, n + 1) if i % 10 == 5)
        parse = best(lambda text=text: json.loads(text), args.repeat)
        to_api = best(lambda wf=workflow: ui_to_api(wf, registry), args.repeat)
        to_ui = best(lambda p=prompt: api_to_ui(p, registry), args.repeat)
        print(f"{n:>7} {parse * 1e3:>9.1f}ms {to_api * 1e3:>8.1f}ms {to_api / parse:>6.1f} "
              f"{to_api / n * 1e6:>8.1f} {to_ui * 1e3:>8.1f}ms {to_ui / parse:>6.1f} {to_ui / n * 1e6:>8.1f}")


if __name__ == "__main__":
    main()
