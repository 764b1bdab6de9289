"""Runs a validated prompt: incremental cache, lazy inputs, lists, expansion, blockers, async nodes.

The executor sees schemas, values and events only; it knows nothing about any particular node.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import context as node_context
from .awaiting import resolve
from .cache import OutputCache
from .context import InterruptFlag, NodeContext, within
from .errors import CycleError, Interrupted
from .expansion import Expansions
from .events import (
    Event,
    Executed,
    Executing,
    ExecutionCached,
    ExecutionError,
    ExecutionInterrupted,
    ExecutionStart,
    ExecutionSuccess,
    Progress,
    Sink,
    discard,
)
from .failure import failure_event
from .fingerprint import Signature, explain
from .gc_pause import gc_paused
from .graph import LiveGraph
from .inputs import call_arguments, call_blocker, gather_inputs, has_blocker, merge_outputs
from .keys import KeyTable, PlanMemo, prompt_snapshot
from .lazy import lazy_requests, lazy_value
from .progress_state import NodeStates
from .prompt import as_link
from .registry import Registry
from .results import ExecutionBlocker, normalize
from .scheduler import Scheduler

# Bounds that keep each event's size independent of the graph's size.
CACHED_CHUNK = 1000
EXECUTED_TAIL = 1000


@dataclass
class RunResult:
    prompt_id: str
    status: str  # "success" | "error" | "interrupted"
    ui: dict[str, dict[str, Any]] = field(default_factory=dict)
    values: dict[str, list[list[Any]]] = field(default_factory=dict, repr=False)  # tensors: slow to repr
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)  # rows are shared: read, do not edit
    error: ExecutionError | None = None
    interrupted: ExecutionInterrupted | None = None

    def output(self, node_id: str, slot: int = 0) -> Any:
        """The first value of a node's output slot (what a single, non-list run produced)."""
        return self.values[node_id][slot][0]


class _Failure(Exception):
    def __init__(self, node_id: str, exc: BaseException) -> None:
        super().__init__(str(exc))
        self.node_id = node_id
        self.exc = exc


class Executor:
    """Long-lived: holds the output cache, node instances and last signatures across prompts."""

    def __init__(self, registry: Registry, cache: OutputCache | None = None, services: Any = None,
                 context: type[NodeContext] = NodeContext, max_nodes: int | None = None) -> None:
        self.registry = registry
        self.cache = cache if cache is not None else OutputCache()
        self.services = services
        self.context = context  # the runtime's typed subclass, so nodes see ctx.files and ctx.models
        self.interrupt = InterruptFlag()
        self.signatures: dict[str, Signature] = {}
        self.instances: dict[str, Any] = {}  # by node id, as ComfyUI keeps node objects
        self.memo = PlanMemo()
        self.max_nodes = max_nodes  # what node expansion may grow a running prompt to

    def run(self, prompt: dict[str, dict[str, Any]], outputs: list[str], *, prompt_id: str | None = None,
            sink: Sink = discard, extra_data: Mapping[str, Any] | None = None,
            progress_state: bool = False) -> RunResult:
        """Run in a fresh event loop (one per prompt, as ComfyUI's worker does); called where a loop already
        runs (a notebook, an async application) the prompt runs on a helper thread's loop and this call waits.
        `progress_state` adds ComfyUI's per-node state messages (for websocket clients)."""
        run = _Run(self, prompt, outputs, prompt_id or uuid.uuid4().hex, sink, extra_data or {})
        run.states = NodeStates(run.prompt_id, run.graph, run.emit) if progress_state else None
        with gc_paused():
            return resolve(run.execute())


class _Run(Expansions):
    def __init__(self, executor: Executor, prompt: dict[str, dict[str, Any]], outputs: list[str], prompt_id: str,
                 sink: Sink, extra_data: Mapping[str, Any]) -> None:
        self.ex = executor
        self.registry = executor.registry
        self.graph = LiveGraph(dict(prompt), max_nodes=executor.max_nodes)  # node dicts are shared, not mutated
        self.prompt = prompt
        self.outputs = outputs
        self.prompt_id = prompt_id
        self.sink = sink
        self.extra_data = extra_data
        self.keytable = KeyTable(self.graph, self.registry)
        self.keys = self.keytable.keys
        self.sigs = self.keytable.sigs
        self.key = self.keytable.key
        self.values: dict[str, list[list[Any]]] = {}
        self.sched = Scheduler()
        self.strong: set[tuple[str, str]] = set()
        self.pending_expansion: dict[str, list[tuple[Any, ...]]] = {}
        self.expansion_ui: dict[str, dict[str, Any]] = {}
        self.executed: list[str] = []
        self.rows: dict[tuple[bool, str], dict[str, Any]] = {}
        self.result = RunResult(prompt_id, "success", values=self.values)  # callers read node outputs
        self.states: NodeStates | None = None

    def emit(self, event: Event) -> None:
        self.sink(event)

    # -- scheduling -------------------------------------------------------------------------------------

    def add(self, root: str) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            if node in self.values or self.sched.is_scheduled(node):
                continue
            cached = self.ex.cache.get(self.keys.get(node) or self.key(node)) if self.ex.cache else None
            if cached is not None:
                self._use_cached(node, cached.outputs, cached.ui)
                continue
            self.sched.schedule(node)
            for producer in self._needed_producers(node):
                self.sched.wait(node, producer)
                stack.append(producer)
            self.sched.release_if_free(node)

    def _needed_producers(self, node: str) -> list[str]:
        spec = self.registry[self.graph.nodes[node]["class_type"]]
        needed = []
        for name, source, _slot in self.graph.links(node):
            decl = spec.inputs.get(name)
            if decl is not None and decl.lazy and (node, name) not in self.strong:
                continue
            if source not in self.values:
                needed.append(source)
        return needed

    def _row(self, cached: bool, reason: str) -> dict[str, Any]:
        """One shared row per distinct reason: a 100k-node run has a handful of reasons, not 100k rows."""
        row = self.rows.get((cached, reason))
        if row is None:
            row = self.rows[(cached, reason)] = {"cached": cached, "reason": reason}
        return row

    def _use_cached(self, node: str, outputs: list[list[Any]], ui: dict[str, Any] | None) -> None:
        self.values[node] = outputs
        self.result.nodes[node] = self._row(True, "cached")
        if ui:
            self.result.ui[node] = ui
            self.emit(Executed(self.prompt_id, node, self.graph.display_id(node), ui))
        self.sched.finished(node)

    async def execute(self) -> RunResult:
        self.ex.interrupt.clear()
        snapshot = prompt_snapshot(self.prompt, self.outputs)
        plan = self.ex.memo.recall(snapshot, self.keytable)
        reused = plan is not None
        self.emit(ExecutionStart(self.prompt_id))
        running: set[asyncio.Task[None]] = set()
        try:
            plan = plan if plan is not None else self._plan_order()
            cached = [n for n in plan if self.keys[n] in self.ex.cache] if self.ex.cache else []
            # ComfyUI clients expect execution_cached even when nothing is cached (nodes: []).
            for start in range(0, max(len(cached), 1), CACHED_CHUNK):
                self.emit(ExecutionCached(self.prompt_id, cached[start:start + CACHED_CHUNK]))
            for output in self.outputs:
                self.add(output)
            while True:
                node = self.sched.pop_ready()
                if node is not None:
                    awaiting = self._start(node)
                    if awaiting is not None:
                        running.add(asyncio.ensure_future(self._guard(node, awaiting)))
                    continue
                if running:
                    done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()
                    continue
                stuck = self.sched.stuck()
                if stuck:
                    raise _Failure(self._blame(stuck), CycleError(stuck[:20] + stuck[:1]))
                break
        except _Failure as failure:
            for task in running:
                task.cancel()
            self._fail(failure.node_id, failure.exc)
            return self.result
        finally:
            self.ex.signatures.update(self.sigs)
            if not reused:
                self.ex.memo.remember(snapshot, self.keytable, self.prompt, plan or [])
        self.emit(ExecutionSuccess(self.prompt_id))
        return self.result

    def _plan_order(self) -> list[str]:
        """Every node the outputs depend on, producers first: keying the outputs keys exactly those."""
        for output in self.outputs:
            self.key(output)
        return list(self.keys)

    def _blame(self, stuck: list[str]) -> str:
        expanded = [n for n in stuck if n in self.graph.parent]
        return self.graph.parent[expanded[0]] if expanded else stuck[0]

    async def _guard(self, node: str, awaiting: Awaitable[None]) -> None:
        try:
            await awaiting
        except _Failure:
            raise
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise _Failure(node, exc) from exc

    # -- one node ---------------------------------------------------------------------------------------

    def _start(self, node: str) -> Awaitable[None] | None:
        try:
            return self._run_node(node)
        except _Failure:
            raise
        except Exception as exc:
            raise _Failure(node, exc) from exc

    def _run_node(self, node: str) -> Awaitable[None] | None:
        if node in self.pending_expansion:
            self._finish_expansion(node)
            return None
        if self.ex.interrupt.is_set():
            raise Interrupted(f"interrupted before node {node}")
        entry = self.graph.nodes[node]
        spec = self.registry[entry["class_type"]]
        lists = gather_inputs(self.graph, node, spec, self.values, self.prompt, self.extra_data)
        if has_blocker(lists) and self._all_blocked(node, spec, lists):
            return None
        self.emit(Executing(self.prompt_id, node, self.graph.display_id(node)))
        emit = self.emit if self.states is None else lambda event: self._node_event(node, event)
        ctx = self.ex.context(self.prompt_id, node, self.graph.display_id(node), entry["class_type"], emit,
                              self.ex.interrupt, self.ex.services, self.prompt, self.extra_data)
        if self.states is not None:
            self.states.start(node)
        instance = self.ex.instances.get(node)
        if instance is None or type(instance) is not spec.source:  # the id may now name another class
            instance = self.ex.instances[node] = spec.make_instance()
        if spec.check_lazy is not None:
            requested = self._call(ctx, lambda: spec.check_lazy(instance, ctx, lazy_value(lists, spec)))
            if inspect.isawaitable(requested):
                return self._resume_after_lazy(node, ctx, instance, lists, requested)
            if self._request_lazy(node, spec, requested):
                return None
        return self._call_over_lists(node, ctx, instance, lists)

    async def _resume_after_lazy(self, node: str, ctx: NodeContext, instance: Any, lists: dict[str, Any],
                                 requested: Awaitable[Any]) -> None:
        names = await within(ctx, requested)
        spec = self.registry[self.graph.nodes[node]["class_type"]]
        if self._request_lazy(node, spec, names):
            return
        awaiting = self._call_over_lists(node, ctx, instance, lists)
        if awaiting is not None:
            await awaiting

    def _request_lazy(self, node: str, spec: Any, names: Any) -> bool:
        inputs = self.graph.nodes[node]["inputs"]
        wanted = lazy_requests(names, inputs, spec, self.values, self.strong, node)
        if not wanted:
            return False
        sources = [as_link(inputs[name])[0] for name in wanted]
        self.strong.update((node, name) for name in wanted)
        # Register every wait before adding any producer: a cached producer finishes at once and
        # would otherwise release the node while other requested inputs are still missing.
        for source in sources:
            self.sched.wait(node, source)
        for source in sources:
            self.add(source)
        self.sched.release_if_free(node)
        return True

    def _call(self, ctx: NodeContext, thunk: Any) -> Any:
        token = node_context.bind(ctx)
        try:
            return thunk()
        finally:
            node_context.unbind(token)

    def _all_blocked(self, node: str, spec: Any, lists: dict[str, Any]) -> bool:
        """When every call is blocked the node is skipped whole (no executing message, nothing cached)."""
        blockers = [call_blocker(kw, spec.input_is_list) for kw in call_arguments(spec, lists)]
        if not blockers or not all(blockers):
            return False
        self._check_message(blockers[0])
        self.values[node] = [[blockers[0]] for _ in spec.outputs]
        self.sched.finished(node)
        return True

    @staticmethod
    def _check_message(blocker: ExecutionBlocker) -> None:
        if blocker.message is not None:
            raise RuntimeError(f"Execution Blocked: {blocker.message}")

    def _node_event(self, node: str, event: Event) -> None:
        if isinstance(event, Progress) and self.states is not None:
            self.states.progress(node, event.value, event.max)
        self.emit(event)

    def _call_over_lists(self, node: str, ctx: NodeContext, instance: Any,
                         lists: dict[str, Any]) -> Awaitable[None] | None:
        spec = self.registry[self.graph.nodes[node]["class_type"]]
        blocked = has_blocker(lists)
        raws = []
        for index, kw in enumerate(call_arguments(spec, lists)):
            blocker = call_blocker(kw, spec.input_is_list) if blocked else None
            if blocker is not None:  # this item is dropped downstream; the other items still run
                self._check_message(blocker)
                raws.append(blocker)
                continue
            ctx.call_index, ctx.graphs_built = index, 0
            raws.append(self._call(ctx, lambda kw=kw: spec.call(instance, ctx, kw)))
        if any(inspect.isawaitable(r) for r in raws):
            return self._finish_async(node, ctx, raws)
        self._finish(node, raws)
        return None

    async def _finish_async(self, node: str, ctx: NodeContext, raws: list[Any]) -> None:
        resolved = await asyncio.gather(*(within(ctx, r) if inspect.isawaitable(r) else _ready(r) for r in raws))
        self._finish(node, list(resolved))

    def _finish(self, node: str, raws: list[Any]) -> None:
        spec = self.registry[self.graph.nodes[node]["class_type"]]
        results = [normalize(raw, len(spec.outputs)) for raw in raws]
        ui: dict[str, list[Any]] = {}
        for result in results:
            for key, items in (result.ui or {}).items():
                ui.setdefault(key, []).extend(items if isinstance(items, (list, tuple)) else [items])
        expansions = [r.expand for r in results if r.expand]
        if expansions:
            self._expand(node, results, ui)
            return
        self._store(node, merge_outputs(spec, [r.values or () for r in results]), ui)

    def _store(self, node: str, outputs: list[list[Any]], ui: dict[str, Any]) -> None:
        self.values[node] = outputs
        self.executed.append(node)
        self.result.nodes[node] = self._row(False, explain(self.ex.signatures.get(node), self.sigs[node]))
        self.ex.cache.put(self.keys[node], outputs, ui or None)
        if ui:
            self.result.ui[node] = ui
            self.emit(Executed(self.prompt_id, node, self.graph.display_id(node), ui))
        if self.states is not None:
            self.states.finish(node)
        self.sched.finished(node)

    def _fail(self, node_id: str, exc: BaseException) -> None:
        event = failure_event(self.prompt_id, self.graph, node_id, exc, self.executed[-EXECUTED_TAIL:],
                              list(self.result.ui)[-EXECUTED_TAIL:])
        if isinstance(event, ExecutionInterrupted):
            self.result.status, self.result.interrupted = "interrupted", event
        else:
            self.result.status, self.result.error = "error", event
        if self.states is not None:
            self.states.finish(node_id, "error")
        self.emit(event)


async def _ready(value: Any) -> Any:
    return value
