"""Training and evaluation of the default models nodegraph ships (models/), from synthetic shape scenes.

Entry point: `python -m nodegraph.train [phase]` (see cli.py). For other code: `judge.judge` / `judge.extract`
(pixel scorer), `dataset.ShapesDataset` / `dataset.Attributes`, `eval_prompts.load_eval_prompts`,
`evaluate.score_ar` (the AR nodes' own loop, nodegraph.autoregressive). Importing this package does not import
torch.
"""
