"""Nothing leaves its folder, oversized bodies are refused, tokens and origins are enforced."""

from __future__ import annotations

import io
import os

import aiohttp
import pytest
import pytest_asyncio
from PIL import Image
from server_helpers import chain, start
from yarl import URL

from nodegraph.config import Config

pytestmark = pytest.mark.asyncio
SECRET = b"top secret outside every folder"


@pytest.fixture
def secret(server):
    """A file next to (not inside) the input/output/temp/user folders, plus symlinks pointing at it."""
    base = server.config.base_dir
    path = base / "secret.txt"
    path.write_bytes(SECRET)
    server.config.output_dir.mkdir(parents=True, exist_ok=True)
    os.symlink(path, server.config.output_dir / "link.txt")
    os.symlink(base, server.config.output_dir / "escape")
    return path


def png_bytes(size: tuple[int, int] = (8, 8), color: tuple[int, ...] = (255, 0, 0)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


async def raw_get(server, path_and_query: str) -> tuple[int, bytes]:
    async with server.session.get(URL(server.url + path_and_query, encoded=True)) as response:
        return response.status, await response.read()


VIEW_ATTACKS = [
    "/view?filename=../secret.txt&type=output",
    "/view?filename=secret.txt&subfolder=..&type=output",
    "/view?filename=secret.txt&subfolder=../..&type=input",
    "/view?filename=%2E%2E%2Fsecret.txt&type=output",
    "/view?filename=..%2Fsecret.txt&type=temp",
    "/view?filename=%252e%252e%252fsecret.txt&type=output",
    "/view?filename=..%255csecret.txt&type=output",
    "/view?filename=..%5Csecret.txt&type=output",
    "/view?filename={abs}&type=output",
    "/view?filename=secret.txt&subfolder={absdir}&type=output",
    "/view?filename=link.txt&type=output",
    "/view?filename=secret.txt&subfolder=escape&type=output",
    "/view?filename=secret.txt&type=user",
    "/view?filename=nodegraph_queue.sqlite3&subfolder=..%2Fuser&type=output",
    "/api/view?filename=..%2F..%2Fsecret.txt",
    "/%2e%2e/%2e%2e/secret.txt",
    "/..%2f..%2fsecret.txt",
    "/userdata/..%2F..%2Fsecret.txt",
    "/userdata/..%2Fnodegraph_queue.sqlite3",
    "/userdata/%2E%2E%2Fnodegraph_queue.sqlite3",
    "/userdata/{abs_enc}",
    "/userdata?dir=..%2F..",
    "/workflow_templates/..%2F..%2Fsecret",
    "/models/..",
]


async def test_every_traversal_is_refused(server, secret):
    for attack in VIEW_ATTACKS:
        attack = attack.format(abs=str(secret).replace("/", "%2F"), absdir=str(secret.parent).replace("/", "%2F"),
                               abs_enc=str(secret).replace("/", "%2F"))
        status, body = await raw_get(server, attack)
        assert status in (400, 403, 404), (attack, status)
        assert SECRET not in body, attack


async def test_uploads_cannot_escape_or_overwrite_outside(server, secret):
    attacks = [("../evil.png", {}), ("evil.png", {"subfolder": "../.."}), ("evil.png", {"subfolder": "/tmp"}),
               ("..", {}), ("evil.png", {"type": "user"}), ("a/../../evil.png", {}),
               ("evil.png", {"subfolder": "escape", "type": "output"})]
    for name, fields in attacks:
        form = aiohttp.FormData(fields)
        form.add_field("image", png_bytes(), filename=name, content_type="image/png")
        async with server.session.post(server.url + "/upload/image", data=form) as response:
            assert response.status in (400, 403), (name, fields, response.status)
    leaked = [p for p in server.config.base_dir.rglob("evil.png")] + list(server.config.base_dir.parent.glob("evil*"))
    assert leaked == []
    form = aiohttp.FormData({"original_ref": '{"filename": "../secret.txt", "type": "input"}'})
    form.add_field("image", png_bytes(), filename="mask.png", content_type="image/png")
    async with server.session.post(server.url + "/upload/mask", data=form) as response:
        assert response.status == 403


async def test_userdata_writes_stay_inside_the_user_folder(server):
    for name in ("..%2Fevil.json", "..%2F..%2Fevil.json", "%2Ftmp%2Fevil.json", "%2e%2e%2Fevil.json"):
        async with server.session.post(URL(f"{server.url}/userdata/{name}", encoded=True),
                                       data=b"{}") as response:
            assert response.status in (400, 403, 404), name
    assert list(server.config.base_dir.rglob("evil.json")) == []
    assert not os.path.exists("/tmp/evil.json")


async def test_oversized_and_invalid_uploads_are_refused(server):
    big = os.urandom(server.config.max_upload_mb * 2**20 + 1024)
    form = aiohttp.FormData()
    form.add_field("image", big, filename="big.png", content_type="image/png")
    async with server.session.post(server.url + "/upload/image", data=form) as response:
        assert response.status == 413
    form = aiohttp.FormData()
    form.add_field("image", b"<html>not an image</html>", filename="fake.png", content_type="image/png")
    async with server.session.post(server.url + "/upload/image", data=form) as response:
        assert response.status == 400
        assert (await response.json())["error"]["type"] == "invalid_image"
    truncated = png_bytes((64, 64))[:60]
    form = aiohttp.FormData()
    form.add_field("image", truncated, filename="cut.png", content_type="image/png")
    async with server.session.post(server.url + "/upload/image", data=form) as response:
        assert response.status == 400
    assert not any(server.config.input_dir.glob("*")) if server.config.input_dir.exists() else True
    async with server.session.post(server.url + "/prompt", data=b"[" + b"0," * 600_000 + b"0]",
                                   headers={"Content-Type": "application/json"}) as response:
        assert response.status == 413
    async with server.session.post(server.url + "/userdata/workflows%2Fhuge.json", data=big) as response:
        assert response.status == 413


async def test_cross_origin_requests_to_loopback_are_refused(server):
    status, _ = await server.post("/prompt", {"prompt": chain("x")}, headers={"Origin": "http://evil.example"})
    assert status == 403
    status, _ = await server.post("/interrupt", {}, headers={"Origin": "http://localhost:1"})
    assert status == 403
    host = server.url.removeprefix("http://")
    status, body = await server.post("/prompt", {"prompt": chain("x")}, headers={"Origin": f"http://{host}"})
    assert status == 200, body
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await server.session.ws_connect(server.url + "/ws", headers={"Origin": "http://evil.example"})
    assert refused.value.status == 403
    # DNS rebinding: a foreign name resolving to 127.0.0.1 is not accepted as Host
    status, _ = await server.get("/object_info", headers={"Host": f"evil.example:{host.split(':')[1]}"})
    assert status == 403


@pytest_asyncio.fixture
async def guarded(tmp_path, registry):
    config = Config(base_dir=tmp_path / "base", token="s3cret-token", listen="0.0.0.0", max_upload_mb=1)
    runner, _, url = await start(config, registry, tmp_path)
    yield url
    await runner.cleanup()


async def test_token_is_required_on_every_route(guarded):
    async with aiohttp.ClientSession() as anonymous:
        for method, path in (("GET", "/"), ("GET", "/object_info"), ("GET", "/queue"), ("POST", "/prompt"),
                             ("GET", "/view?filename=x.png"), ("GET", "/api/history"), ("POST", "/interrupt"),
                             ("GET", "/userdata?dir=workflows")):
            async with anonymous.request(method, guarded + path) as response:
                assert response.status == 401, path
        async with anonymous.get(guarded + "/queue", headers={"Authorization": "Bearer wrong"}) as response:
            assert response.status == 401
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await anonymous.ws_connect(guarded + "/ws")
        async with anonymous.get(guarded + "/queue", headers={"Authorization": "Bearer s3cret-token"}) as response:
            assert response.status == 200
        ws = await anonymous.ws_connect(guarded + "/ws?clientId=t&token=s3cret-token")
        assert (await ws.receive_json())["type"] == "status"
        await ws.close()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:  # IP-host cookies
        async with browser.get(guarded + "/?token=s3cret-token") as response:
            assert response.status == 200 and "nodegraph editor" in await response.text()
        async with browser.get(guarded + "/object_info") as response:  # the cookie set above
            assert response.status == 200
