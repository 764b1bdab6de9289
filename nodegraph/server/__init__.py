"""The aiohttp server: ComfyUI's HTTP and websocket API over the persistent queue."""

from .app import create_app

__all__ = ["create_app"]
