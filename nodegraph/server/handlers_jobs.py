"""ComfyUI's /jobs routes, which its official frontend's queue and history panels read: the job list
(status filters, sorting, paging), one job's detail, and cancelling jobs (pending ones are removed from the
queue, the running one is interrupted, finished ones are left as they are)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..queue import jobs
from .bodies import fail, read_json
from .handlers_queue import removed_from_queue
from .state import STATE, State


async def list_jobs(request: web.Request) -> web.Response:
    state = request.app[STATE]
    assert state.store is not None
    try:
        query = jobs.parse_query(request.query)
    except ValueError as exc:
        fail(400, "invalid_request", str(exc))
    return web.json_response(await asyncio.to_thread(jobs.list_jobs, state.store, query))


async def get_job(request: web.Request) -> web.Response:
    state = request.app[STATE]
    assert state.store is not None
    job_id = request.match_info["job_id"]
    detail = await asyncio.to_thread(jobs.job_detail, state.store, job_id)
    if detail is None:
        fail(404, "not_found", f"no job {job_id!r}")
    return web.json_response(detail)


def _cancel(state: State, job_ids: list[str]) -> None:
    assert state.store is not None and state.worker is not None
    removed_from_queue(state, state.store.delete_pending(job_ids))
    for job_id in job_ids:
        state.worker.interrupt(job_id)  # only acts when that job is the one running


async def cancel_job(request: web.Request) -> web.Response:
    _cancel(request.app[STATE], [request.match_info["job_id"]])
    return web.Response(status=200)


async def cancel_jobs(request: web.Request) -> web.Response:
    body = await read_json(request)
    job_ids = body.get("job_ids")
    if not isinstance(job_ids, list) or not all(isinstance(i, str) for i in job_ids):
        fail(400, "invalid_request", "'job_ids' must be a list of job ids")
    _cancel(request.app[STATE], job_ids)
    return web.Response(status=200)
