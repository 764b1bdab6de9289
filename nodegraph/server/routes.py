"""The whole route table, in one place. Every API route is also served under /api, as ComfyUI does; the
routes ComfyUI's official frontend needs are here whichever front-end is served at /."""

from __future__ import annotations

from aiohttp import web

from . import handlers_extensions as extensions
from . import handlers_files as files
from . import handlers_frontend as frontend
from . import handlers_jobs as jobs
from . import handlers_queue as queue
from . import handlers_settings as settings
from . import handlers_system as system
from . import handlers_userdata as userdata
from . import static, templates


def setup_routes(app: web.Application) -> None:
    api = [
        web.get("/ws", system.websocket),
        # prompts, queue, history
        web.post("/prompt", queue.post_prompt),
        web.get("/prompt", queue.get_prompt),
        web.post("/run", queue.run_prompt),
        web.get("/queue", queue.get_queue),
        web.post("/queue", queue.post_queue),
        web.post("/queue/pause", queue.pause),
        web.post("/queue/resume", queue.resume),
        web.post("/interrupt", queue.interrupt),
        web.get("/history", queue.get_history),
        web.get("/history/{prompt_id}", queue.get_history_entry),
        web.post("/history", queue.post_history),
        web.get("/jobs", jobs.list_jobs),
        web.post("/jobs/cancel", jobs.cancel_jobs),
        web.get("/jobs/{job_id}", jobs.get_job),
        web.post("/jobs/{job_id}/cancel", jobs.cancel_job),
        # nodes and the machine
        web.get("/object_info", system.object_info),
        web.get("/object_info/{node_class}", system.object_info_one),
        web.get("/system_stats", system.system_stats),
        web.post("/free", system.free),
        web.get("/features", system.features),
        web.get("/embeddings", system.empty_list),
        web.get("/extensions", extensions.list_extensions),
        web.get("/extensions/{pack}/{path:.+}", extensions.extension_file),
        web.get("/models", system.model_folders),
        web.get("/models/{folder}", system.model_files),
        web.get("/experiment/models", frontend.model_folders),
        web.get("/experiment/models/{folder}", frontend.model_files),
        # the user, as ComfyUI's official frontend reads it (one user, settings kept under user/default)
        web.get("/users", settings.users),
        web.get("/settings", settings.get_settings),
        web.post("/settings", settings.post_settings),
        web.get("/settings/{id}", settings.get_setting),
        web.post("/settings/{id}", settings.post_setting),
        web.get("/i18n", frontend.i18n),
        web.get("/global_subgraphs", frontend.global_subgraphs),
        web.get("/global_subgraphs/{id}", frontend.global_subgraph),
        # files
        web.get("/view", files.view),
        web.post("/upload/image", files.upload_image),
        web.post("/upload/mask", files.upload_mask),
        web.get("/userdata", userdata.list_userdata),
        # before {file}: these files read as empty ones when the user has none
        web.get(r"/userdata/{file:user\.css|comfy\.templates\.json}", settings.user_file),
        web.get("/userdata/{file}", userdata.get_userdata),
        web.post("/userdata/{file}", userdata.post_userdata),
        web.delete("/userdata/{file}", userdata.delete_userdata),
        web.post("/userdata/{file}/move/{dest}", userdata.move_userdata),
        web.get("/workflow_templates", static.list_templates),
        web.get("/workflow_templates/{module}/{name}", static.get_template),
        web.get("/workflow_templates/{name}", static.get_template),
    ]
    app.add_routes(api)
    app.add_routes([web.RouteDef(r.method, "/api" + r.path, r.handler, r.kwargs) for r in api])
    # Outside /api, as in ComfyUI: the frontend's own files and the server panels it opens.
    app.add_routes([
        web.get("/internal/logs", frontend.logs),
        web.get("/internal/logs/raw", frontend.logs_raw),
        web.patch("/internal/logs/subscribe", frontend.logs_subscribe),
        web.get("/internal/folder_paths", frontend.folder_paths),
        web.get("/internal/files/{kind}", frontend.folder_files),
        web.get("/templates/{file}", templates.template_file),
        web.get("/user.css", settings.user_file),
    ])
    app.add_routes(static.routes(app))
