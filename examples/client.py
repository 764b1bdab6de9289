"""Submit a workflow to a nodegraph (or ComfyUI) server, follow its progress, and download the images.

Written the way ComfyUI's script_examples/websockets_api_example.py works, so the same client runs
against either server:

    python examples/client.py                                  # a built-in model-free prompt
    python examples/client.py workflows/txt2img.json --server 127.0.0.1:8188 --out images/
    python examples/client.py my_workflow.json --token SECRET  # a server started with --token

The workflow may be an API prompt or a UI workflow saved from the editor (the server converts it).
Only the standard library and websocket-client are needed.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import websocket  # websocket-client

DEFAULT_PROMPT = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 256, "height": 128, "batch_size": 1, "color": 0x3366CC}},
    "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "client_example"}},
}


class Client:
    def __init__(self, server: str, token: str | None = None) -> None:
        self.server = server
        self.token = token
        self.client_id = str(uuid.uuid4())

    def _url(self, path: str, query: dict[str, str] | None = None, scheme: str = "http") -> str:
        query = dict(query or {})
        if self.token:
            query["token"] = self.token
        suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
        return f"{scheme}://{self.server}{path}{suffix}"

    def _open(self, request: urllib.request.Request | str) -> bytes:
        with urllib.request.urlopen(request) as response:
            return response.read()

    def queue_prompt(self, prompt: dict[str, Any], prompt_id: str) -> dict[str, Any]:
        body = json.dumps({"prompt": prompt, "client_id": self.client_id, "prompt_id": prompt_id}).encode()
        request = urllib.request.Request(self._url("/prompt"), data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            return json.loads(self._open(request))
        except urllib.error.HTTPError as error:
            # 400 carries the structured validation errors: show them, naming node and input.
            print(json.dumps(json.loads(error.read()), indent=2), file=sys.stderr)
            raise SystemExit(1) from None

    def get_image(self, filename: str, subfolder: str, folder_type: str) -> bytes:
        return self._open(self._url("/view", {"filename": filename, "subfolder": subfolder, "type": folder_type}))

    def get_history(self, prompt_id: str) -> dict[str, Any]:
        return json.loads(self._open(self._url(f"/history/{prompt_id}")))

    def run(self, prompt: dict[str, Any]) -> dict[str, list[tuple[str, bytes]]]:
        """Queue the prompt, print progress until the `executing` message with node null, fetch the images."""
        ws = websocket.WebSocket()
        ws.connect(self._url("/ws", {"clientId": self.client_id}, scheme="ws"))
        prompt_id = str(uuid.uuid4())
        self.queue_prompt(prompt, prompt_id)
        try:
            self._follow(ws, prompt_id)
        finally:
            ws.close()
        entry = self.get_history(prompt_id)[prompt_id]
        if entry["status"]["status_str"] != "success":
            last = entry["status"]["messages"][-1]
            print(f"prompt failed: {last[0]}: {last[1].get('exception_message', '')}", file=sys.stderr)
        images: dict[str, list[tuple[str, bytes]]] = {}
        for node_id, output in entry["outputs"].items():
            for image in output.get("images", []):
                data = self.get_image(image["filename"], image["subfolder"], image["type"])
                images.setdefault(node_id, []).append((image["filename"], data))
        return images

    def _follow(self, ws: websocket.WebSocket, prompt_id: str) -> None:
        while True:
            out = ws.recv()
            if isinstance(out, bytes):
                event = struct.unpack(">I", out[:4])[0]
                print(f"  preview frame (type {event}, {len(out) - 8} bytes)")
                continue
            message = json.loads(out)
            data = message["data"]
            if data.get("prompt_id") not in (None, prompt_id):
                continue
            if message["type"] == "executing":
                if data["node"] is None:
                    return  # execution is done
                print(f"executing node {data['node']}")
            elif message["type"] == "progress":
                print(f"  {data['value']}/{data['max']}")
            elif message["type"] == "execution_cached" and data["nodes"]:
                print(f"cached: {', '.join(data['nodes'])}")
            elif message["type"] in ("execution_error", "execution_interrupted"):
                print(f"{message['type']}: {data.get('exception_message', '')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workflow", nargs="?", type=Path, help="API prompt or UI workflow JSON")
    parser.add_argument("--server", default="127.0.0.1:8188")
    parser.add_argument("--token", default=None)
    parser.add_argument("--out", type=Path, default=Path("."), help="where to write the images")
    args = parser.parse_args()
    prompt = json.loads(args.workflow.read_text()) if args.workflow else DEFAULT_PROMPT
    images = Client(args.server, args.token).run(prompt)
    args.out.mkdir(parents=True, exist_ok=True)
    for node_id, files in images.items():
        for filename, data in files:
            (args.out / filename).write_bytes(data)
            print(f"node {node_id}: wrote {args.out / filename} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
