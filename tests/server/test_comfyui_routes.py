"""The routes ComfyUI's official frontend calls, in ComfyUI's shapes: the user and its settings (persisted),
the user files it reads at start, /jobs (filters, sorting, paging, detail, cancel), model folders, global
subgraphs, translations, the shipped workflows as templates with thumbnails, and the log and folder panels."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import json
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image

from nodegraph.cli import main as cli_main
from nodegraph.queue.jobs import finished_job
from nodegraph.server.state import STATE
from server_helpers import Live, chain

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.asyncio
async def test_users_and_settings_persist_under_the_user_folder(server: Live) -> None:
    assert await server.get("/api/users") == (200, {"storage": "server", "migrated": True})
    assert await server.get("/api/settings") == (200, {})
    assert (await server.post("/api/settings", {"Comfy.A": 1, "Comfy.B": "x"}))[0] == 200
    async with server.session.post(server.url + "/api/settings/Comfy.Locale", data=json.dumps(["fr", 2])) as r:
        assert r.status == 200
    assert await server.get("/api/settings/Comfy.Locale") == (200, ["fr", 2])
    assert await server.get("/api/settings/Comfy.Never") == (200, None)
    assert (await server.get("/api/settings"))[1] == {"Comfy.A": 1, "Comfy.B": "x", "Comfy.Locale": ["fr", 2]}
    stored = server.config.user_dir / "default" / "comfy.settings.json"
    assert json.loads(stored.read_text())["Comfy.B"] == "x"
    async with server.session.post(server.url + "/api/settings/Comfy.Bad", data=b"{nope") as r:
        assert r.status == 400 and "Comfy.Bad" in (await r.json())["error"]["message"]
    # two tabs saving at once: neither setting is lost
    await asyncio.gather(*(server.post("/api/settings", {f"Tab.{i}": i}) for i in range(8)))
    assert {f"Tab.{i}" for i in range(8)} <= set((await server.get("/api/settings"))[1])


@pytest.mark.asyncio
async def test_user_files_the_frontend_reads_at_start_are_never_missing(server: Live) -> None:
    for path in ("/user.css", "/api/userdata/user.css"):
        async with server.session.get(server.url + path) as r:
            assert r.status == 200 and r.content_type == "text/css" and await r.text() == ""
    (server.config.user_dir / "default" / "user.css").write_text("body { color: red }")
    async with server.session.get(server.url + "/user.css") as r:
        assert await r.text() == "body { color: red }"
    assert await server.get("/api/userdata/comfy.templates.json") == (200, [])
    for folder in ("workflows", "subgraphs"):
        assert await server.get("/api/userdata", params={"dir": folder}) == (200, [])


async def _finished(server: Live, socket: Any, prompt: dict[str, Any], **extra: Any) -> str:
    prompt_id = await server.submit(prompt, socket, **extra)
    await socket.done(prompt_id)
    return prompt_id


@pytest.mark.asyncio
async def test_jobs_list_filters_sorts_pages_and_details(server: Live) -> None:
    socket = await server.socket()
    workflow = {"id": "wf-1", "nodes": []}
    ok = await _finished(server, socket, chain("ok"), extra_data={"extra_pnginfo": {"workflow": workflow}})
    failing = {"1": {"class_type": "TestFail", "inputs": {"value": 1, "fail": True}},
               "2": {"class_type": "TestRecord", "inputs": {"value": ["1", 0], "tag": "f"}}}
    failed = await _finished(server, socket, failing)
    await server.post("/queue/pause")
    pending = await server.submit(chain("later", value=5))
    status, body = await server.get("/api/jobs")
    assert status == 200 and body["pagination"] == {"offset": 0, "limit": 100, "total": 3, "has_more": False}
    assert [(j["id"], j["status"]) for j in body["jobs"]] == [(pending, "pending"), (failed, "failed"),
                                                              (ok, "completed")]  # newest first
    done = body["jobs"][2]
    assert done["outputs_count"] == 0 and done["workflow_id"] == "wf-1" and done["priority"] == 0
    assert done["execution_start_time"] <= done["execution_end_time"] and done["create_time"] > 0
    error = body["jobs"][1]["execution_error"]
    assert error["node_id"] == "1" and error["node_type"] == "TestFail" and error["exception_message"]

    _, history = await server.get("/api/jobs", params={"status": "completed,failed", "sort_order": "asc"})
    assert [j["id"] for j in history["jobs"]] == [ok, failed]
    _, page = await server.get("/api/jobs", params={"limit": "1", "offset": "1"})
    assert [j["id"] for j in page["jobs"]] == [failed] and page["pagination"]["has_more"] is True
    _, longest = await server.get("/api/jobs", params={"status": "completed,failed", "sort_by": "execution_time"})
    assert {j["id"] for j in longest["jobs"]} == {ok, failed}
    _, only = await server.get("/api/jobs", params={"workflow_id": "wf-1"})
    assert [j["id"] for j in only["jobs"]] == [ok]
    for bad in ({"status": "running"}, {"limit": "0"}, {"sort_by": "name"}, {"sort_order": "up"}):
        status, body = await server.get("/api/jobs", params=bad)
        assert status == 400 and list(bad)[0] in body["error"]["message"]

    _, detail = await server.get(f"/api/jobs/{ok}")
    assert detail["status"] == "completed" and detail["workflow"]["prompt"]["2"]["class_type"] == "TestRecord"
    assert detail["workflow"]["extra_data"]["extra_pnginfo"]["workflow"] == workflow
    assert (await server.get(f"/api/jobs/{pending}"))[1]["status"] == "pending"
    assert (await server.get("/api/jobs/nope"))[0] == 404

    assert (await server.post(f"/api/jobs/{pending}/cancel"))[0] == 200
    assert (await server.get("/api/jobs", params={"status": "pending"}))[1]["jobs"] == []
    another = await server.submit(chain("another", value=6))
    assert (await server.post("/api/jobs/cancel", {"job_ids": [another, ok]}))[0] == 200  # finished: left alone
    assert (await server.get(f"/api/jobs/{ok}"))[1]["status"] == "completed"
    assert (await server.get("/api/jobs", params={"status": "pending"}))[1]["jobs"] == []
    assert (await server.post("/api/jobs/cancel", {"job_ids": "x"}))[0] == 400


@pytest.mark.asyncio
async def test_model_folders_subgraphs_translations_logs_and_folders(server: Live) -> None:
    _, folders = await server.get("/api/experiment/models")
    checkpoints = next(f for f in folders if f["name"] == "checkpoints")
    assert Path(checkpoints["folders"][0]).is_dir()
    _, files = await server.get("/api/experiment/models/checkpoints")
    shapes = next(f for f in files if f["name"] == "shapes-sd")
    assert shapes["pathIndex"] == 0 and shapes["modified"] > 0
    assert (await server.get("/api/experiment/models/nothing_here"))[0] == 404
    assert await server.get("/api/global_subgraphs") == (200, {})
    assert (await server.get("/api/global_subgraphs/abc"))[0] == 404
    assert await server.get("/api/i18n") == (200, {})
    _, text = await server.get("/internal/logs")
    assert "serving nodegraph at /" in text
    _, raw = await server.get("/internal/logs/raw")
    assert raw["entries"][-1]["m"].endswith("\n") and raw["size"]["cols"] > 0
    async with server.session.patch(server.url + "/internal/logs/subscribe", json={"enabled": True}) as r:
        assert r.status == 200
    _, paths = await server.get("/internal/folder_paths")
    assert "checkpoints" in paths and paths["input"] == [str(server.config.input_dir)]
    form = aiohttp.FormData()
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    form.add_field("image", buffer.getvalue(), filename="x.png", content_type="image/png")
    assert (await server.post("/api/upload/image", data=form))[0] == 200
    assert await server.get("/internal/files/input") == (200, ["x.png"])
    assert (await server.get("/internal/files/user"))[0] == 404


@pytest.mark.asyncio
async def test_shipped_workflows_are_templates_with_thumbnails(server: Live) -> None:
    folder = server.app[STATE].workflows_dir
    shutil.copy(REPO_ROOT / "workflows" / "txt2img.json", folder / "txt2img.json")
    for index in ("/templates/index.json", "/templates/index.fr.json"):
        status, body = await server.get(index)
        assert status == 200 and body[0]["moduleName"] == "default"
        (entry,) = body[0]["templates"]
        assert (entry["name"], entry["mediaType"], entry["mediaSubtype"]) == ("txt2img", "image", "png")
    assert await server.get("/templates/txt2img.json") == (200, json.loads((folder / "txt2img.json").read_text()))
    status, png = await server.get("/templates/txt2img-1.png")
    thumbnail = Image.open(io.BytesIO(png))
    assert status == 200 and thumbnail.format == "PNG" and thumbnail.size == (320, 240)
    assert len(thumbnail.convert("RGB").getcolors(4096) or []) > 2  # boxes and links were drawn
    assert await server.get("/templates/index_logo.json") == (200, {})
    for missing in ("/templates/nope.json", "/templates/txt2img.png", "/templates/..%2Fsecret.json"):
        assert (await server.get(missing))[0] == 404


@pytest.mark.asyncio
async def test_comfyui_front_end_is_served_at_the_root(tmp_path: Path, registry: Any) -> None:
    pytest.importorskip("comfyui_frontend_package")
    from nodegraph.config import Config
    from nodegraph.server import create_app

    app = create_app(Config(base_dir=tmp_path, front_end="comfyui"), registry)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as session, session.get(url + "/") as r:
            assert r.status == 200 and "<title>ComfyUI</title>" in await r.text()
    finally:
        await runner.cleanup()


def test_a_finished_job_shows_its_last_saved_image_and_an_interrupted_one_is_cancelled() -> None:
    image = {"filename": "a_00001_.png", "subfolder": "", "type": "output"}
    outputs = {"9": {"images": [image]}, "4": {"images": [{**image, "type": "temp"}]}, "5": {"text": ["hi"]}}
    status = {"status_str": "success", "messages": [["execution_start", {"timestamp": 10}],
                                                    ["execution_success", {"timestamp": 25}]]}
    job = finished_job({"prompt_id": "p", "number": 3, "created": 5, "workflow_id": None, "status": status,
                        "outputs": outputs})
    assert job["preview_output"] == {**image, "nodeId": "9", "mediaType": "images"}
    assert (job["outputs_count"], job["previewable_outputs_count"]) == (2, 2)
    assert (job["create_time"], job["execution_start_time"], job["execution_end_time"]) == (5, 10, 25)
    stopped = {"status_str": "error", "messages": [["execution_interrupted", {"timestamp": 30}]]}
    job = finished_job({"prompt_id": "q", "number": 4, "created": None, "workflow_id": None, "status": stopped,
                        "outputs": {}})
    assert job["status"] == "cancelled" and job["execution_error"] is None and job["preview_output"] is None


def test_bad_serve_settings_are_one_line_errors(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("NODEGRAPH_PREVIEW_METHOD", "fast")
    assert cli_main(["serve"]) == 1
    assert capsys.readouterr().err.strip() == ("nodegraph: preview_method must be one of none, auto, latent2rgb, "
                                               "taesd; got 'fast'")
    monkeypatch.delenv("NODEGRAPH_PREVIEW_METHOD")
    # As on a machine without the optional extra: the frontend package is not found.
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "comfyui_frontend_package" else find_spec(name, *a))
    assert cli_main(["serve", "--front-end", "comfyui"]) == 1
    assert capsys.readouterr().err.strip() == (
        "nodegraph: --front-end comfyui needs ComfyUI's frontend, which is not installed: "
        "pip install 'nodegraph[comfyui]' (the comfyui-frontend-package distribution)")



@pytest.mark.asyncio
async def test_a_template_that_starts_from_a_picture_brings_it_to_the_input_folder(server: Live) -> None:
    """inpaint_painted's Load Image names the shipped inpaint_picture.png: opening the template (nodegraph's
    editor's route or the official frontend's), or viewing the picture, puts it in the input folder, so the
    template runs as shipped."""
    folder = server.app[STATE].workflows_dir
    shutil.copy(REPO_ROOT / "workflows" / "inpaint_painted.json", folder / "inpaint_painted.json")
    picture = server.config.input_dir / "inpaint_picture.png"
    for route in ("/workflow_templates/inpaint_painted.json", "/templates/inpaint_painted.json"):
        picture.unlink(missing_ok=True)
        assert (await server.get(route))[0] == 200
        assert picture.read_bytes() == (REPO_ROOT / "workflows" / "inputs" / "inpaint_picture.png").read_bytes()
    status, listing = await server.get("/object_info/LoadImage")
    assert "inpaint_picture.png" in listing["LoadImage"]["input"]["required"]["image"][0]
    # opened from its file instead, the editor's preview of the Load Image asks /view for it
    picture.unlink()
    status, body = await server.get("/view?type=input&filename=inpaint_picture.png")
    assert status == 200 and body == picture.read_bytes()
    assert (await server.get("/view?type=input&filename=not_shipped.png"))[0] == 404
    assert not (server.config.input_dir / "not_shipped.png").exists()
