"""Building the registry imports no torch for the AR and hybrid families: their node modules load with
torch, diffusers, transformers, PIL and numpy made unimportable (the model code loads when a node runs)."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys
BLOCKED = ("torch", "diffusers", "transformers", "PIL", "numpy")
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
import nodegraph_nodes
families = ("autoregressive", "hybrid")
print(json.dumps({"errors": {k: v for k, v in nodegraph_nodes.LOAD_ERRORS.items() if k in families},
                  "nodes": [n.__name__ for n in nodegraph_nodes.NODES if n.__module__.split(".")[1] in families]}))
"""


def test_ar_and_hybrid_node_modules_load_without_torch():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["errors"] == {}
    assert {"ARModelLoader", "ARSampler", "ARInpaint", "ARContinue", "ImageTokenEncode", "ImageTokenDecode",
            "ARTokensToLatent"} <= set(found["nodes"])
