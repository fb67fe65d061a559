#!/usr/bin/env bash
# Runs the commands of a runbook, so that runbooks cannot rot.
#
# Every fenced block whose info string is "bash runbook" is executed, in order, in one bash
# session with `set -euo pipefail`; other blocks (unit files, sample output) are documentation.
# Usage: run_runbook.sh RUNBOOK.md   (the caller exports the variables the runbook uses)
set -euo pipefail
runbook=$1
script=$(mktemp)
trap 'rm -f "$script"' EXIT
{
  echo 'set -euo pipefail'
  awk '
    /^```bash runbook[[:space:]]*$/ { inside = 1; n++; printf "echo \"--- %s block %d (line %d)\" >&2\n", FILENAME, n, NR; next }
    /^```/ && inside { inside = 0; next }
    inside { print }
  ' "$runbook"
} >"$script"
blocks=$(grep -c '^```bash runbook' "$runbook" || true)
if [[ $blocks -eq 0 ]]; then
  echo "run_runbook: $runbook has no 'bash runbook' blocks" >&2
  exit 1
fi
echo "run_runbook: running $blocks block(s) of $runbook" >&2
bash "$script"
echo "run_runbook: $runbook: all $blocks block(s) succeeded" >&2
