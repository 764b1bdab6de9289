"""The whole route table, in one place. Every API route is also served under /api, as ComfyUI does."""

from __future__ import annotations

from aiohttp import web

from . import handlers_extensions as extensions
from . import handlers_files as files
from . import handlers_queue as queue
from . import handlers_system as system
from . import handlers_userdata as userdata
from . import static


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
        # files
        web.get("/view", files.view),
        web.post("/upload/image", files.upload_image),
        web.post("/upload/mask", files.upload_mask),
        web.get("/userdata", userdata.list_userdata),
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
    app.add_routes(static.routes(app))
