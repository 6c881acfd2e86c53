#!/usr/bin/env bash
# Run every test (unit, interop with the real sops/task/kubectl/yamllint, TUI pilot + snapshots,
# simulated bootstrap). Extra arguments go to pytest.
source "$(dirname "$0")/_venv.sh"
cd "$ROOT"
set +e
python -m pytest -n 2 -p no:cacheprovider "$@"
rc=$?
set -e
[ "$rc" -eq 5 ] && { echo "no tests were collected" >&2; exit 1; }
exit "$rc"
