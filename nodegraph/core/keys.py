"""Cache keys for the nodes of a running prompt, each computed once from its producers' keys."""

from __future__ import annotations

import inspect
import marshal
from typing import Any

from .errors import CycleError
from .fingerprint import Signature, digest_fingerprint, digest_literal
from .graph import LiveGraph
from .prompt import literal
from .registry import Registry


class KeyTable:
    def __init__(self, graph: LiveGraph, registry: Registry) -> None:
        self.graph = graph
        self.registry = registry
        self.keys: dict[str, str] = {}
        self.sigs: dict[str, Signature] = {}

    def __getitem__(self, node: str) -> str:
        return self.keys[node]

    def key(self, root: str) -> str:
        """Compute keys for root and its unkeyed ancestors by iterative DFS (no recursion limit).

        `open_` holds the nodes on the current path, so meeting one again means a cycle, which only an
        expansion can create (validation rejects static ones).
        """
        stack: list[tuple[str, bool]] = [(root, False)]
        open_: set[str] = set()
        while stack:
            node, producers_done = stack.pop()
            if node in self.keys:
                continue
            if producers_done:
                open_.discard(node)
                self._sign(node)
                continue
            open_.add(node)
            stack.append((node, True))
            for _name, source, _slot in self.graph.links(node):
                if source in open_:
                    raise CycleError([node, source, node], blame=self.graph.parent.get(node))
                if source in self.graph.nodes and source not in self.keys:
                    stack.append((source, False))
        return self.keys[root]

    def _sign(self, node: str) -> None:
        entry = self.graph.nodes[node]
        spec = self.registry[entry["class_type"]]
        parts: list[tuple[str, str]] = []
        constants: dict[str, Any] = {}
        linked = {name: (source, slot) for name, source, slot in self.graph.links(node)}
        for name, value in sorted(entry["inputs"].items()):
            link = linked.get(name)
            if link is not None:
                parts.append((name, f"@{self.keys.get(link[0], link[0])}:{link[1]}"))
                constants[name] = None
            else:
                constants[name] = literal(value)
                parts.append((name, digest_literal(constants[name])))
        if spec.not_idempotent:
            parts.append(("#node", node))
        fingerprint = ""
        if spec.fingerprint is not None:
            try:
                value = spec.fingerprint({k: v for k, v in constants.items() if k in spec.inputs})
                if inspect.isawaitable(value):
                    value = float("nan")  # async fingerprints are awaited by nodes that need them at run time
                fingerprint = digest_fingerprint(value)
            except Exception:  # ComfyUI's contract: a failing IS_CHANGED means "always re-run"
                fingerprint = digest_fingerprint(float("nan"))
        sig = Signature.of(entry["class_type"], fingerprint, parts)
        self.sigs[node] = sig
        self.keys[node] = sig.key



def prompt_snapshot(prompt: dict[str, Any], outputs: list[str]) -> bytes:
    """The prompt's exact content as bytes: notices in-place edits, costs one C-level pass (marshal)."""
    try:
        return marshal.dumps((prompt, outputs))
    except ValueError:  # a literal marshal cannot encode (it only knows builtin types)
        return repr((prompt, outputs)).encode()


class PlanMemo:
    """The last prompt's keys and plan: an identical prompt without fingerprint hooks reuses them, so an
    unchanged re-run costs one bytes comparison instead of hashing every node again."""

    def __init__(self) -> None:
        self._last: tuple[bytes, dict[str, str], dict[str, Signature], list[str]] | None = None

    def recall(self, snapshot: bytes, table: KeyTable) -> list[str] | None:
        if self._last is None or self._last[0] != snapshot:
            return None
        table.keys.update(self._last[1])
        table.sigs.update(self._last[2])
        return self._last[3]

    def remember(self, snapshot: bytes, table: KeyTable, prompt: dict[str, Any], plan: list[str]) -> None:
        if any(table.registry[n["class_type"]].fingerprint is not None for n in prompt.values()):
            self._last = None  # fingerprints (file hashes...) must be asked again every prompt
            return
        keys, sigs = table.keys, table.sigs
        if table.graph.parent:  # expansions added nodes of their own: keep only the prompt's
            keys = {n: k for n, k in keys.items() if n in prompt}
            sigs = {n: g for n, g in sigs.items() if n in prompt}
        self._last = (snapshot, keys, sigs, plan)  # the finished run's tables, shared rather than copied
