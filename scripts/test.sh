#!/usr/bin/env bash
# Sets up nodegraph with its test tools (and Debian's Chromium for the editor tests) and runs every test.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck disable=SC1091
NODEGRAPH_EXTRAS=dev . scripts/setup.sh

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing Debian's chromium for the editor tests" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "test: could not install chromium; the editor tests will be skipped" >&2
  else
    echo "test: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get);" \
         "the editor tests will be skipped" >&2
  fi
fi

# pytest itself, not `python -m pytest`: that would put the checkout on sys.path, where the folder nodes/
# would shadow the `nodes` module ComfyUI node packs import (the built-ins are installed as nodegraph_nodes).
exec pytest "$@"
