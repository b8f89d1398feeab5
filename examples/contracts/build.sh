#!/usr/bin/env bash
# Recompiles the example contracts with the npm package solc 0.8.37 (solcjs)
# into build/<Contract>.bin and build/<Contract>.abi (see build.js).
# Needs node and npm; `cargo test` needs neither (it uses the committed
# build/ files). Usage: examples/contracts/build.sh
# Set SOLC_MODULES to a node_modules directory that already has solc to
# skip the install.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ -z "${SOLC_MODULES:-}" ]]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm init -y >/dev/null && npm install --silent solc@0.8.37 >/dev/null)
    SOLC_MODULES="$tmp/node_modules"
fi
NODE_PATH="$SOLC_MODULES" node "$here/build.js"
