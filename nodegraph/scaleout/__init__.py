"""Scale-out through Ray (`nodegraph serve --ray`): the head keeps the queue, history and API; Ray actors
run the prompts. Nothing here is imported without `--ray`."""
