#!/bin/sh
# Make Debian's Chromium available for the browser tests (tests/web): install it with apt-get when it is
# missing and this machine allows it; otherwise say what is missing (the tests then skip, naming it too).
# Usage: sh tests/web/ensure_chromium.sh && pytest
CHROMIUM="${NODEGRAPH_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
    fi
    if [ "$(id -u)" = "0" ] || [ -n "$SUDO" ]; then
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null && exit 0
    fi
fi
echo "ensure_chromium: $CHROMIUM is missing and could not be installed here (needs apt-get as root):" \
     "the browser tests in tests/web will be skipped" >&2
exit 0
