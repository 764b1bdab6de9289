"""ComfyUI's jobs view of the queue and history (/api/jobs): pending, running and finished prompts as one
list with ComfyUI's statuses, filtered, sorted and paged, and one job's detail (its workflow and outputs).

Times are milliseconds since the epoch, as ComfyUI's: `create_time` is stamped on submission (stored in
the prompt's extra_data), the execution times come from the history entry's status messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .store import Job, JobStore

STATUSES = ("pending", "in_progress", "completed", "failed", "cancelled")
# ComfyUI's local server and Comfy Cloud name the sort keys differently; both are understood.
SORT_KEYS = {"create_time": "create_time", "created_at": "create_time",
             "execution_time": "duration", "execution_duration": "duration"}
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
# Output lists whose items are files a front-end can show.
PREVIEWABLE = ("images", "gifs", "video", "videos", "audio", "3d")


@dataclass(frozen=True)
class JobQuery:
    statuses: frozenset[str] = frozenset(STATUSES)
    workflow_id: str | None = None
    sort_key: str = "create_time"
    descending: bool = True
    offset: int = 0
    limit: int = DEFAULT_LIMIT


def _int(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = query.get(name, "")
    if text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"'{name}' must be an integer; got {text!r}") from None
    if not low <= value <= high:
        raise ValueError(f"'{name}' must be between {low} and {high}; got {value}")
    return value


def parse_query(query: Mapping[str, str]) -> JobQuery:
    """The query string of GET /jobs; a ValueError says which parameter is wrong and what it takes."""
    statuses = frozenset(s.strip() for s in query.get("status", "").split(",") if s.strip()) or frozenset(STATUSES)
    unknown = sorted(statuses - set(STATUSES))
    if unknown:
        raise ValueError(f"'status' takes {', '.join(STATUSES)} (comma-separated); got {', '.join(unknown)}")
    sort_by = query.get("sort_by", "create_time")
    if sort_by not in SORT_KEYS:
        raise ValueError(f"'sort_by' takes {', '.join(SORT_KEYS)}; got {sort_by!r}")
    order = query.get("sort_order", query.get("order", "desc"))
    if order not in ("asc", "desc"):
        raise ValueError(f"'sort_order' takes asc or desc; got {order!r}")
    return JobQuery(statuses, query.get("workflow_id") or None, SORT_KEYS[sort_by], order == "desc",
                    _int(query, "offset", 0, 0, 2**31), _int(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT))


def _number(value: Any) -> float | int:
    return int(value) if isinstance(value, (int, float)) and float(value).is_integer() else value


def _workflow_id(extra_data: Mapping[str, Any]) -> str | None:
    workflow = (extra_data.get("extra_pnginfo") or {}).get("workflow")
    value = workflow.get("id") if isinstance(workflow, dict) else None
    return value if isinstance(value, str) else None


def queued_job(job: Job, status: str) -> dict[str, Any]:
    created = job.extra_data.get("create_time")
    return {"id": job.prompt_id, "status": status, "priority": _number(job.number),
            "create_time": created if isinstance(created, (int, float)) else 0,
            "execution_start_time": None, "execution_end_time": None, "outputs_count": None,
            "previewable_outputs_count": None, "preview_output": None, "execution_error": None,
            "workflow_id": _workflow_id(job.extra_data)}


def _files(outputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every file item of a history entry's outputs, tagged with its node and output kind."""
    items = []
    for node_id, ui in outputs.items():
        for kind, values in (ui.items() if isinstance(ui, dict) else ()):
            for value in values if isinstance(values, list) else ():
                if isinstance(value, dict) and isinstance(value.get("filename"), str):
                    items.append({**value, "nodeId": str(node_id), "mediaType": kind})
    return items


def _preview(files: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The last saved file (the run's result), else its first temporary preview, as ComfyUI picks."""
    shown = [f for f in files if f["mediaType"] in PREVIEWABLE]
    saved = [f for f in shown if f.get("type") == "output"]
    if saved:
        return saved[-1]
    return shown[0] if shown else None


def _error(messages: list[Any]) -> dict[str, Any] | None:
    data = next((m[1] for m in messages if m[0] == "execution_error" and isinstance(m[1], dict)), None)
    if data is None:
        return None
    # The frontend's schema needs strings here; an error from outside any node has neither.
    return {**data, "node_id": str(data.get("node_id") or ""), "node_type": str(data.get("node_type") or ""),
            "traceback": data.get("traceback") or []}


def finished_job(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A history entry (as JobStore.history_summaries gives it) as a job."""
    status = summary["status"] or {}
    messages = [m for m in status.get("messages", []) if isinstance(m, list) and len(m) == 2]
    times = [m[1].get("timestamp") for m in messages if isinstance(m[1], dict)]
    times = [t for t in times if isinstance(t, (int, float))]
    kinds = {m[0] for m in messages}
    if status.get("status_str") == "success":
        state = "completed"
    elif "execution_interrupted" in kinds:
        state = "cancelled"
    else:
        state = "failed"
    files = _files(summary["outputs"] or {})
    created = summary.get("created")
    return {"id": summary["prompt_id"], "status": state, "priority": _number(summary.get("number") or 0),
            "create_time": created if isinstance(created, (int, float)) else (times[0] if times else 0),
            "execution_start_time": times[0] if times else None, "execution_end_time": times[-1] if times else None,
            "outputs_count": len(files), "previewable_outputs_count": len(
                [f for f in files if f["mediaType"] in PREVIEWABLE]),
            "preview_output": _preview(files), "execution_error": _error(messages) if state == "failed" else None,
            "workflow_id": summary.get("workflow_id")}


def _sort_value(job: dict[str, Any], key: str) -> float:
    if key == "duration":
        start, end = job["execution_start_time"], job["execution_end_time"]
        return end - start if start is not None and end is not None else -1.0
    return float(job["create_time"] or 0)


def list_jobs(store: JobStore, query: JobQuery) -> dict[str, Any]:
    """GET /jobs: the matching jobs, sorted and paged, with ComfyUI's pagination block."""
    jobs: list[dict[str, Any]] = []
    if "in_progress" in query.statuses:
        jobs += [queued_job(job, "in_progress") for job in store.running()]
    if "pending" in query.statuses:
        jobs += [queued_job(job, "pending") for job in store.pending()]
    if query.statuses & {"completed", "failed", "cancelled"}:
        jobs += [job for job in map(finished_job, store.history_summaries()) if job["status"] in query.statuses]
    if query.workflow_id is not None:
        jobs = [job for job in jobs if job["workflow_id"] == query.workflow_id]
    jobs.sort(key=lambda job: _sort_value(job, query.sort_key), reverse=query.descending)
    page = jobs[query.offset:query.offset + query.limit]
    return {"jobs": page, "pagination": {"offset": query.offset, "limit": query.limit, "total": len(jobs),
                                         "has_more": query.offset + len(page) < len(jobs)}}


def job_detail(store: JobStore, prompt_id: str) -> dict[str, Any] | None:
    """GET /jobs/{id}: the list fields plus the prompt and extra_data it ran with and its full outputs."""
    for status, queued in (("in_progress", store.running()), ("pending", store.pending())):
        job = next((j for j in queued if j.prompt_id == prompt_id), None)
        if job is not None:
            return {**queued_job(job, status), "workflow": {"prompt": job.prompt, "extra_data": job.extra_data},
                    "outputs": {}}
    entry = store.history_entry(prompt_id)
    if entry is None:
        return None
    extra_data = entry["prompt"][3] if len(entry.get("prompt", [])) > 3 else {}
    summary = {"prompt_id": prompt_id, "number": entry["prompt"][0], "created": extra_data.get("create_time"),
               "workflow_id": _workflow_id(extra_data), "status": entry.get("status"), "outputs": entry["outputs"]}
    job = finished_job(summary)
    return {**job, "workflow": {"prompt": entry["prompt"][2], "extra_data": extra_data},
            "outputs": entry["outputs"], "execution_status": entry.get("status"),
            "execution_meta": entry.get("meta"), "update_time": job["execution_end_time"]}
