#!/usr/bin/env bash
# Run the benchmark matrix; arguments go to `python -m bench.run` (see bench/README.md).
# The interpreter: $PYTHON, else the active virtualenv's, else .venv/bin/python, else python3.
set -euo pipefail
cd "$(dirname "$0")/.."
py="${PYTHON:-}"
if [[ -z "$py" ]]; then
  if [[ -n "${VIRTUAL_ENV:-}" ]]; then
    py="$VIRTUAL_ENV/bin/python"
  elif [[ -x .venv/bin/python ]]; then
    py=.venv/bin/python
  else
    py=python3
  fi
fi
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 2; }
exec "$py" -m bench.run "$@"
