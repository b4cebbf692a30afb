#!/usr/bin/env bash
# Make .venv a Python 3.11–3.13 environment installed exactly from requirements.lock.
# A .venv built by another Python (or left broken by an interrupted try) is rebuilt, not reused.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

supported() { "$1" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' >/dev/null 2>&1; }

pick_python() {
  for candidate in ${PYTHON:-} python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && supported "$candidate"; then echo "$candidate"; return; fi
  done
  echo "Concilia needs Python 3.11, 3.12 or 3.13 (found none on PATH; set PYTHON=/path/to/python3.12)." >&2
  exit 1
}

if [ -e "$VENV" ] && ! supported "$VENV/bin/python"; then
  echo "Rebuilding $VENV: it was not made by a supported Python." >&2
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  "$(pick_python)" -m venv "$VENV"
fi

lock_hash=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$lock_hash" ]; then
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
  echo "$lock_hash" > "$VENV/.installed"
fi
