"""The one place that knows ComfyUI's classic Python node API."""
