#!/usr/bin/env bash
# Creates .venv and installs nodegraph into it. Sourced by run.sh and test.sh; safe to re-run.
#
# On a machine without an NVIDIA GPU, torch==2.13.0 (a CPU build) is installed first so that the open
# `torch>=2.4` requirement is already met and pip never pulls a multi-GB CUDA build.
# NODEGRAPH_TORCH overrides that: a pip requirement (e.g. "torch==2.5.1"), or "skip" to keep what is there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
EXTRAS=${NODEGRAPH_EXTRAS:-}

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>/dev/null || true

torch_spec=${NODEGRAPH_TORCH:-}
if [ -z "$torch_spec" ]; then
  if command -v nvidia-smi >/dev/null 2>&1; then torch_spec="torch>=2.4"; else torch_spec="torch==2.13.0"; fi
fi
if [ "$torch_spec" != "skip" ] && ! python -c "import torch" 2>/dev/null; then
  echo "setup: installing $torch_spec" >&2
  log=$(mktemp)
  if ! python -m pip install --quiet --disable-pip-version-check "$torch_spec" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; echo "setup: could not install $torch_spec" >&2; exit 1
  fi
  rm -f "$log"
fi
echo "setup: installing nodegraph${EXTRAS:+[$EXTRAS]}" >&2
# pip's build back-end is chatty even with --quiet; its output is shown only when the install fails.
log=$(mktemp)
if ! python -m pip install --quiet --disable-pip-version-check -e ".${EXTRAS:+[$EXTRAS]}" >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"; echo "setup: pip install failed" >&2; exit 1
fi
rm -f "$log"
python -c "import nodegraph, torch" || { echo "setup: installation failed" >&2; exit 1; }
