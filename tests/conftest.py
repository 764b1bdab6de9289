"""The suite tests nodegraph, not whichever ComfyUI packs pip happened to install beside it (comfy-script's
extras bring one that needs comfy.sd): engines built from the environment (the CLI, `load_config`) load no
pip-installed pack and no custom_nodes folder, as ComfyUI's --disable-all-custom-nodes. Tests of packs build
their Config themselves (custom_nodes defaults to on there) or set the variable back."""

import os

os.environ.setdefault("NODEGRAPH_CUSTOM_NODES", "0")
