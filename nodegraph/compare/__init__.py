"""`nodegraph compare`: diffusion vs autoregressive vs hybrid, measured on the same prompts, seeds and machine."""
