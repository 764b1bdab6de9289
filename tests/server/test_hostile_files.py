"""Files under attack: planted symlinks cannot redirect a write or leak a listing, and previews of huge
images cost a header read, not seconds of CPU and hundreds of MB."""

from __future__ import annotations

import io
import os

import aiohttp
import pytest
from PIL import Image

from nodegraph.server.state import STATE

pytestmark = pytest.mark.asyncio


@pytest.fixture
def outside(server):
    """A folder next to (not inside) the base folder's input/output/temp/user folders."""
    path = server.config.base_dir / "outside"
    path.mkdir(parents=True, exist_ok=True)
    (path / "secret.json").write_text('{"secret": true}' * 100)
    workflows = server.config.user_dir / "default" / "workflows"
    workflows.mkdir(parents=True, exist_ok=True)
    return path


async def test_userdata_write_never_follows_a_planted_temporary_link(server, outside):
    workflows = server.config.user_dir / "default" / "workflows"
    # The names the old writer used for its temporary file, and a link as the folder of the write.
    os.symlink(outside / "planted.json", workflows / ".mine.json.partial")
    os.symlink(outside, server.config.user_dir / "default" / "escape")
    async with server.session.post(server.url + "/userdata/workflows%2Fmine.json", data=b'{"nodes": []}') as response:
        assert response.status == 200
    assert (workflows / "mine.json").read_bytes() == b'{"nodes": []}' and not (workflows / "mine.json").is_symlink()
    assert not (outside / "planted.json").exists()
    async with server.session.post(server.url + "/userdata/escape%2Fnew.json", data=b"{}") as response:
        assert response.status == 403
    assert not (outside / "new.json").exists()
    assert [p.name for p in workflows.iterdir() if p.name.endswith(".partial") and not p.is_symlink()] == []


async def test_listings_never_follow_links_out_of_the_folder(server, outside):
    workflows = server.config.user_dir / "default" / "workflows"
    (workflows / "real.json").write_text("{}")
    os.symlink(outside / "secret.json", workflows / "leak.json")
    os.symlink(workflows / "real.json", workflows / "alias.json")  # a link that stays inside is fine
    os.symlink(outside, workflows / "out")
    os.symlink(workflows, workflows / "loop")
    for params in ({"dir": "workflows"}, {"dir": "workflows", "recurse": "true"},
                   {"dir": "workflows", "recurse": "true", "full_info": "true"}):
        status, listed = await server.get("/userdata", params=params)
        assert status == 200
        names = [item["path"] if isinstance(item, dict) else item for item in listed]
        assert sorted(names) == ["alias.json", "real.json"], params
        sizes = [item["size"] for item in listed if isinstance(item, dict)]
        assert len((outside / "secret.json").read_bytes()) not in sizes
    input_dir = server.config.input_dir
    input_dir.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (2, 2)).save(outside / "elsewhere.png")
    os.symlink(outside / "elsewhere.png", input_dir / "linked.png")
    Image.new("RGB", (2, 2)).save(input_dir / "mine.png")
    assert server.app[STATE].folders.list_files("input", (".png",)) == ["mine.png"]  # LoadImage's choices


def _png(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


async def _upload(server, data: bytes, name: str) -> None:
    form = aiohttp.FormData()
    form.add_field("image", data, filename=name, content_type="image/png")
    async with server.session.post(server.url + "/upload/image", data=form) as response:
        assert response.status == 200, await response.text()


async def test_previews_of_huge_images_are_served_as_stored(server):
    big = _png((8192, 8192))  # at the upload pixel limit; a few hundred KB of PNG
    await _upload(server, big, "big.png")
    async with server.session.get(server.url + "/view", params={"filename": "big.png", "type": "input",
                                                                 "preview": "webp;90"}) as response:
        assert response.status == 200 and response.content_type == "image/png"
        assert await response.read() == big  # not decoded, not re-encoded
    status, body = await server.get("/view", params={"filename": "big.png", "type": "input", "channel": "a"})
    assert status == 400 and body["error"]["type"] == "image_too_large"
    assert "max_preview_pixels" in body["error"]["details"]


async def test_previews_are_cached_by_file_identity(server):
    await _upload(server, _png((64, 64)), "small.png")
    params = {"filename": "small.png", "type": "input", "preview": "webp;80"}
    _, first = await server.get("/view", params=params)
    assert Image.open(io.BytesIO(first)).format == "WEBP"
    previews = server.app[STATE].previews
    assert len(previews._cache) == 1
    _, again = await server.get("/view", params=params)
    assert again == first and len(previews._cache) == 1
    path = server.config.input_dir / "small.png"
    Image.new("RGB", (32, 32), (200, 0, 0)).save(path)  # a changed file is a new preview
    _, changed = await server.get("/view", params=params)
    assert Image.open(io.BytesIO(changed)).size == (32, 32) and len(previews._cache) == 2
