"""The autoregressive (AR) model code, one implementation for the nodes, the trainer and the evaluator:
the token layout (layout.py), ArModel/VqCodec (model.py) built from a folder or from parts in memory
(folder.py, janus.py), the VQ tokenizer's encode/decode (vq.py), logits processing (logits.py) and the
sampling loop (generate.py). The modules import torch; importing this package alone does not.
"""
