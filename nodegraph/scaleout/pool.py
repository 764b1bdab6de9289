"""The head's side of Ray: connect (or start a local cluster on loopback), start the worker actors, pick
the worker for each prompt (one that holds its models when such a one is free, else the least loaded),
stream a run back, and turn a worker's death into `WorkerLost`.

Nothing here is imported unless the server runs with `--ray`; Ray itself is imported when a pool starts.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..core.errors import NodeGraphError
from ..core.prompt import is_link
from .actor import EngineWorker, Message

log = logging.getLogger(__name__)
READY_TIMEOUT_S = 600  # a worker builds its Engine (imports nodegraph and every node pack) before it answers


class ScaleOutError(NodeGraphError):
    """Ray could not be used: an unreachable address, no GPUs for GPU workers, a worker that cannot start."""


class WorkerLost(Exception):
    """The worker running a prompt died (its process was killed, its node lost); the prompt must run again."""


@dataclass
class Slot:
    index: int
    actor: Any
    pid: int = 0
    busy: str | None = None  # the prompt it runs
    models: set[str] = field(default_factory=set)
    runs: int = 0
    dead: bool = False  # died and was not restarted: nothing is routed to it


def _reachable(address: str, timeout: float = 5.0) -> None:
    """A TCP connection to the cluster's address, so an unreachable one is named in seconds (Ray itself
    keeps retrying for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    host = host.strip("[]") or address
    try:
        with socket.create_connection((host, int(port) if port.isdigit() else 6379), timeout=timeout):
            return
    except OSError as exc:
        raise ScaleOutError(f"cannot reach the Ray cluster at {address!r}: {exc.strerror or exc}") from None


def wanted_models(prompt: dict[str, Any]) -> set[str]:
    """The literal strings of a prompt's inputs: model names are among them (ckpt_name, model_name...)."""
    return {value for node in prompt.values() if isinstance(node, dict)
            for value in (node.get("inputs") or {}).values() if isinstance(value, str) and not is_link(value)}


def affinity(slot: Slot, wanted: set[str]) -> int:
    """How many of the prompt's model names the worker holds (a manager entry is `name` or `name/part`)."""
    return sum(1 for name in wanted if any(m == name or m.startswith(name + "/") for m in slot.models))


class RayPool:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.slots: list[Slot] = []
        self._lock = threading.Condition()
        self._ray: Any = None
        self._started_cluster = False

    # -- start and stop ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect, check the resources, start the workers and wait until each has built its Engine."""
        try:
            import ray
        except ImportError:
            raise ScaleOutError("--ray needs Ray: pip install 'nodegraph[ray]'") from None
        self._ray = ray
        self._connect(self.config.ray_address or "local")
        gpus = float(ray.cluster_resources().get("GPU", 0))
        per_worker = self.config.ray_worker_gpus if self.config.ray_worker_gpus is not None else (1.0 if gpus else 0.0)
        if per_worker > 0 and gpus < per_worker:
            self.stop()
            raise ScaleOutError(f"GPU workers were asked for ({per_worker:g} GPU each) but the Ray cluster at "
                                f"{self.config.ray_address} has {gpus:g} GPUs; use --ray-worker-gpus 0 for CPU workers")
        count = self.config.ray_workers or (int(gpus // per_worker) if per_worker else 1)
        remote = ray.remote(EngineWorker).options(
            num_cpus=0 if per_worker else 1, num_gpus=per_worker, max_restarts=-1, max_task_retries=0,
            max_concurrency=2,  # a second thread answers interrupt() and ready() while a prompt runs
            **({"runtime_env": self.config.ray_runtime_env} if self.config.ray_runtime_env else {}))
        settings = {k: (str(v) if k in ("base_dir", "out_dir") and v is not None else
                        [str(p) for p in v] if k in ("models_dirs", "nodes_dirs") else v)
                    for k, v in dataclasses.asdict(self.config).items()}
        self.slots = [Slot(i, remote.remote(settings, self.config.ray_shared_storage)) for i in range(count)]
        for slot in self.slots:
            self._await_ready(slot)
        log.info("Ray: %d worker(s) ready (%s GPU each), pids %s", count, per_worker,
                 ", ".join(str(s.pid) for s in self.slots))

    def _connect(self, address: str) -> None:
        ray = self._ray
        if ray.is_initialized():
            return
        try:
            if address == "local":
                # Loopback only: a Ray cluster runs whatever is sent to it, so it must not be reachable from
                # outside (docs/scale-out.md).
                ray.init(num_cpus=max(self.config.ray_workers or 1, 1), include_dashboard=False,
                         log_to_driver=False, _node_ip_address="127.0.0.1", configure_logging=False)
                self._started_cluster = True
            else:
                if address != "auto":
                    _reachable(address)
                ray.init(address=address, log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ScaleOutError(f"cannot reach the Ray cluster at {address!r}: {exc}") from None

    def _await_ready(self, slot: Slot) -> None:
        ray = self._ray
        try:
            info = ray.get(slot.actor.ready.remote(), timeout=READY_TIMEOUT_S)
        except Exception as exc:  # Ray wraps the worker's own error (an ImportError...) in its own types
            self.stop()
            raise ScaleOutError(f"Ray worker {slot.index} could not start nodegraph: "
                                f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc) else ''}"
                                ) from None
        slot.pid = int(info["pid"])
        for failure in info["failures"]:
            log.warning("Ray worker %d: plugin %s", slot.index, failure)

    def stop(self) -> None:
        ray, self.slots = self._ray, []
        if ray is not None and self._started_cluster and ray.is_initialized():
            ray.shutdown()
        self._started_cluster = False

    # -- routing ----------------------------------------------------------------------------------------

    def _idle(self) -> bool:
        return any(slot.busy is None and not slot.dead for slot in self.slots)

    def wait_idle(self, timeout: float) -> bool:
        """Whether a worker is free, waiting up to `timeout` seconds for one."""
        with self._lock:
            return self._lock.wait_for(self._idle, timeout)

    def acquire(self, prompt_id: str, prompt: dict[str, Any]) -> Slot | None:
        """A free worker for the prompt: the one holding most of its models, else the one holding fewest
        models (the most room), then the one that ran least."""
        wanted = wanted_models(prompt)
        with self._lock:
            idle = [slot for slot in self.slots if slot.busy is None and not slot.dead]
            if not idle:
                return None
            slot = max(idle, key=lambda s: (affinity(s, wanted), -len(s.models), -s.runs))
            slot.busy = prompt_id
            return slot

    def release(self, slot: Slot) -> None:
        with self._lock:
            slot.busy = None
            self._lock.notify_all()

    # -- running ----------------------------------------------------------------------------------------

    def run(self, slot: Slot, job: dict[str, Any], method: str) -> Iterator[Message]:
        """What the worker streams for one prompt; WorkerLost when it dies before the end (the slot is
        usable again once Ray has restarted its actor)."""
        ray = self._ray
        try:
            for ref in slot.actor.run.options(num_returns="streaming").remote(job, method):
                message = ray.get(ref)
                if message[0] == "done":  # the caller stops reading here: the bookkeeping comes first
                    slot.models = set(ray.get(slot.actor.loaded.remote()))
                    slot.runs += 1
                yield message
        except ray.exceptions.RayActorError as exc:
            log.error("Ray worker %d (pid %d) died running prompt %s: %s", slot.index, slot.pid, job["prompt_id"],
                      str(exc).strip().splitlines()[0] if str(exc) else type(exc).__name__)
            slot.models = set()
            self._await_restart(slot)
            raise WorkerLost(f"Ray worker {slot.index} died running prompt {job['prompt_id']}") from None

    def _await_restart(self, slot: Slot) -> None:
        """Wait for Ray to restart the worker's actor (it answers `unavailable` until its Engine is built)."""
        ray, deadline = self._ray, time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                slot.pid = int(ray.get(slot.actor.ready.remote(), timeout=READY_TIMEOUT_S)["pid"])
                return
            except ray.exceptions.RayActorError as exc:
                if time.monotonic() < deadline:
                    time.sleep(0.5)
                    continue
                problem: Exception = exc
            except Exception as exc:  # a timeout, or its Engine no longer builds
                problem = exc
            log.error("Ray worker %d did not come back: %s", slot.index, problem)
            slot.dead = True  # nothing is routed to it again
            return

    def describe(self) -> list[dict[str, Any]]:
        """Each worker as /system_stats shows it: process, the prompt it runs, the models it holds."""
        with self._lock:
            return [{"index": s.index, "pid": s.pid, "prompt_id": s.busy, "models": sorted(s.models), "runs": s.runs,
                     "dead": s.dead} for s in self.slots]

    def interrupt(self, prompt_id: str | None) -> bool:
        with self._lock:
            targets = [s for s in self.slots if s.busy is not None and (prompt_id is None or s.busy == prompt_id)]
        for slot in targets:
            slot.actor.interrupt.remote(slot.busy)
        return bool(targets)

    def free(self, unload_models: bool, free_memory: bool) -> None:
        for slot in self.slots:
            slot.actor.free.remote(unload_models, free_memory)
            slot.models = set() if unload_models or free_memory else slot.models
