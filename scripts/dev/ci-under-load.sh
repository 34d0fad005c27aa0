#!/usr/bin/env bash
# Runs .ci/run on fresh clean clones of HEAD, N times in a row, while one
# process spins on a core the whole time (this machine has two: the suite gets
# the other). Proves the suite waits for conditions rather than for time.
# Usage: bash scripts/dev/ci-under-load.sh [N=5] [workdir=/tmp/ci-load]
set -uo pipefail
runs=${1:-5}
work=${2:-/tmp/ci-load}
repo=$(cd "$(dirname "$0")/../.." && pwd)
rev=$(git -C "$repo" rev-parse HEAD)
mkdir -p "$work"
# one busy core for as long as the runs last
spinner=none
if [ "${NO_SPIN:-}" != 1 ]; then
  node -e 'for (;;) {}' &
  spinner=$!
  trap 'kill $spinner 2>/dev/null' EXIT
fi
echo "commit $rev, $runs clean-clone runs, spinner pid $spinner ($(nproc) cores)" | tee "$work/summary.txt"
for i in $(seq 1 "$runs"); do
  dir="$work/run-$i"
  rm -rf "$dir"
  git clone -q "$repo" "$dir" && git -C "$dir" checkout -q "$rev"
  start=$(date +%s)
  (cd "$dir" && CI=true bash .ci/run </dev/null >"$work/run-$i.log" 2>&1)
  rc=$?
  secs=$(( $(date +%s) - start ))
  line=$(grep -E "^vscode: [0-9]+ passed" "$work/run-$i.log" | tail -1)
  unit=$(grep -E "^# (pass|fail) " "$work/run-$i.log" | tr '\n' ' ')
  echo "run $i: rc $rc in ${secs}s; unit: ${unit}; ${line}" | tee -a "$work/summary.txt"
  # a failed run keeps its UI screenshots (the log already holds the extension's log for each failed step)
  if [ "$rc" != 0 ]; then
    for f in "$dir"/.vscode-test*/failures; do [ -d "$f" ] && cp -r "$f" "$work/run-$i-$(basename "$(dirname "$f")")-failures"; done
  fi
  rm -rf "$dir"
done
