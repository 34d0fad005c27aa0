#!/usr/bin/env bash
# Installs the VS Code test host (the real VS Code server from code-server) into
# .vscode-test/, following shared/REAL-VSCODE.md. Idempotent: returns at once
# when the pinned version is already there. Needs the apt packages listed in
# .ci/run (libkrb5-dev, ripgrep, build-essential, python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=4.100.3
ROOT=$PWD/.vscode-test
SERVER=$ROOT/node_modules/code-server/lib/vscode/out/server-main.js
if [ -f "$SERVER" ] && [ "$(node -p "require('$ROOT/node_modules/code-server/package.json').version" 2>/dev/null)" = "$VERSION" ]; then
  echo "code-server@$VERSION already in .vscode-test"
  exit 0
fi
missing=""
for p in build-essential python3 libkrb5-dev ripgrep; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ] || ! command -v rg >/dev/null; then
  echo "The VS Code server build needs Debian packages:$missing" >&2
  echo "  apt-get update && apt-get install -y build-essential python3 libkrb5-dev ripgrep chromium   (as root)" >&2
  exit 1
fi
mkdir -p "$ROOT"
# @vscode/ripgrep's postinstall downloads rg from the internet: seed its cache with Debian's rg
export TMPDIR=$ROOT/tmp
mkdir -p "$TMPDIR/rg"
cp "$(command -v rg)" "$TMPDIR/rg/"
for v in 1.15.9 1.15.10 1.15.11 1.15.12 1.15.13 1.15.14; do
  mkdir -p "$TMPDIR/vscode-ripgrep-cache-$v"
  tar czf "$TMPDIR/vscode-ripgrep-cache-$v/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$TMPDIR/rg" rg
done
[ -f "$ROOT/package.json" ] || echo '{"name":"vscode-test-host","private":true}' > "$ROOT/package.json"
echo "installing code-server@$VERSION into .vscode-test (1-2 minutes)..."
npm_config_nodedir=/usr npm_config_yes=true npm_config_unsafe_perm=true \
  npm i --prefix "$ROOT" --no-audit --no-fund --loglevel=error "code-server@$VERSION"
test -f "$SERVER"
echo "code-server@$VERSION installed"
