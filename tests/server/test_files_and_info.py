"""Uploads, /view re-encoding, saved workflows (/userdata), templates, the editor, and info routes."""

from __future__ import annotations

import io
import json

import aiohttp
import pytest
from PIL import Image, PngImagePlugin

pytestmark = pytest.mark.asyncio


def png(color: tuple[int, ...], mode: str = "RGB", size: tuple[int, int] = (8, 8), text: str = "") -> bytes:
    buffer = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("prompt", text)
    Image.new(mode, size, color).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


async def upload(server, data: bytes, name: str, path: str = "/upload/image", **fields: str) -> dict:
    form = aiohttp.FormData(fields)
    form.add_field("image", data, filename=name, content_type="image/png")
    async with server.session.post(server.url + path, data=form) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_upload_then_view_with_dedupe_rename_and_overwrite(server):
    red, blue = png((255, 0, 0)), png((0, 0, 255))
    assert await upload(server, red, "pic.png") == {"name": "pic.png", "subfolder": "", "type": "input"}
    assert (await upload(server, red, "pic.png"))["name"] == "pic.png"  # identical content: same file
    assert (await upload(server, blue, "pic.png"))["name"] == "pic (1).png"
    assert (await upload(server, blue, "pic.png", overwrite="true"))["name"] == "pic.png"
    status, data = await server.get("/view", params={"filename": "pic.png", "type": "input"})
    assert status == 200 and data == blue
    sub = await upload(server, red, "s.png", subfolder="clips", type="temp")
    assert sub == {"name": "s.png", "subfolder": "clips", "type": "temp"}
    status, data = await server.get("/api/view", params={"filename": "s.png", "subfolder": "clips", "type": "temp"})
    assert data == red
    status, _ = await server.get("/view", params={"filename": "missing.png", "type": "input"})
    assert status == 404


async def test_view_reencodes_previews_and_channels_and_never_serves_html(server):
    await upload(server, png((10, 200, 30, 77), mode="RGBA"), "alpha.png")
    async with server.session.get(server.url + "/view", params={"filename": "alpha.png", "type": "input",
                                                                 "preview": "webp;50"}) as response:
        assert response.content_type == "image/webp"
        assert Image.open(io.BytesIO(await response.read())).format == "WEBP"
    async with server.session.get(server.url + "/view", params={"filename": "alpha.png", "type": "input",
                                                                 "preview": "jpeg;80"}) as response:
        assert Image.open(io.BytesIO(await response.read())).format == "JPEG"
    _, data = await server.get("/view", params={"filename": "alpha.png", "type": "input", "channel": "a"})
    assert Image.open(io.BytesIO(data)).getchannel("A").getpixel((0, 0)) == 77
    _, data = await server.get("/view", params={"filename": "alpha.png", "type": "input", "channel": "rgb"})
    assert Image.open(io.BytesIO(data)).mode == "RGB"
    server.config.output_dir.mkdir(parents=True, exist_ok=True)
    (server.config.output_dir / "page.html").write_text("<script>alert(1)</script>")
    async with server.session.get(server.url + "/view", params={"filename": "page.html"}) as response:
        assert response.status == 200
        assert response.content_type == "application/octet-stream"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_mask_upload_writes_the_alpha_into_a_copy_of_the_original(server):
    await upload(server, png((200, 100, 50), text='{"1": {}}'), "photo.png")
    mask = png((0, 0, 0, 0), mode="RGBA")
    ref = json.dumps({"filename": "photo.png", "subfolder": "", "type": "input"})
    answer = await upload(server, mask, "photo_mask.png", path="/upload/mask", original_ref=ref)
    assert answer["name"] == "photo_mask.png"
    result = Image.open(server.config.input_dir / "photo_mask.png")
    assert result.mode == "RGBA" and result.getpixel((0, 0)) == (200, 100, 50, 0)
    assert result.text["prompt"] == '{"1": {}}'


async def test_saved_workflows_through_userdata(server):
    workflow = json.dumps({"nodes": [], "links": []}).encode()
    async with server.session.post(server.url + "/userdata/workflows%2Fmine.json", data=workflow) as response:
        assert response.status == 200 and await response.json() == "workflows/mine.json"
    async with server.session.post(server.url + "/userdata/workflows%2Fmine.json?overwrite=false",
                                   data=workflow) as response:
        assert response.status == 409
    await server.session.post(server.url + "/userdata/workflows%2Fdeep%2Fother.json", data=b"{}")
    _, names = await server.get("/userdata", params={"dir": "workflows"})
    assert names == ["mine.json"]
    _, names = await server.get("/api/userdata", params={"dir": "workflows", "recurse": "true"})
    assert names == ["deep/other.json", "mine.json"]
    _, infos = await server.get("/userdata", params={"dir": "workflows", "full_info": "true"})
    assert infos == [{"path": "mine.json", "size": len(workflow), "modified": infos[0]["modified"]}]
    status, data = await server.get("/userdata/workflows%2Fmine.json")
    assert status == 200 and data == {"nodes": [], "links": []}
    async with server.session.post(server.url + "/userdata/workflows%2Fmine.json/move/workflows%2Frenamed.json"
                                   ) as response:
        assert response.status == 200
    async with server.session.delete(server.url + "/userdata/workflows%2Frenamed.json") as response:
        assert response.status == 204
    status, _ = await server.get("/userdata/workflows%2Frenamed.json")
    assert status == 404
    assert (server.config.user_dir / "default" / "workflows" / "deep" / "other.json").exists()


async def test_editor_and_workflow_templates(server, tmp_path):
    status, page = await server.get("/")
    assert status == 200 and b"nodegraph editor" in page
    (tmp_path / "web" / "app.js").write_text("console.log('hi')")
    status, script = await server.get("/app.js")
    assert status == 200 and b"console.log" in script
    (tmp_path / "workflows" / "basic.json").write_text('{"nodes": []}')
    _, listing = await server.get("/workflow_templates")
    assert listing == {"nodegraph": ["basic"]}
    for path in ("/workflow_templates/basic", "/workflow_templates/basic.json",
                 "/api/workflow_templates/nodegraph/basic.json"):
        status, data = await server.get(path)
        assert status == 200 and data == {"nodes": []}, path
    status, _ = await server.get("/workflow_templates/missing")
    assert status == 404


async def test_object_info_system_stats_free_features_models(server):
    _, info = await server.get("/object_info")
    slow = info["TestSlow"]
    assert slow["input"]["required"]["steps"][0] == "INT"
    assert slow["input_order"]["required"] == ["value", "steps", "delay", "preview"]
    assert slow["output"] == ["INT"] and info["TestRecord"]["output_node"] is True
    _, one = await server.get("/object_info/TestRecord")
    assert list(one) == ["TestRecord"]
    _, none = await server.get("/object_info/NoSuchNode")
    assert none == {}
    _, stats = await server.get("/system_stats")
    assert stats["system"]["ram_total"] > 0 and stats["devices"][0]["name"]
    async with server.session.post(server.url + "/free", json={"unload_models": True}) as response:
        assert response.status == 200
    _, features = await server.get("/features")
    assert features["supports_preview_metadata"] is True
    _, kinds = await server.get("/models")
    assert isinstance(kinds, list)
    status, _ = await server.get("/models/no-such-kind")
    assert status in (200, 404)
