#!/usr/bin/env bash
# Sets up nodegraph and starts the server with the editor on the shipped default models.
# Extra arguments go to `nodegraph serve` (e.g. --port 8190 or --listen 0.0.0.0 --token SECRET).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck disable=SC1091
. scripts/setup.sh
exec nodegraph serve "$@"
