# Sourced by scripts/run and scripts/test: make .venv and install the
# project with what it needs. Idempotent, and quick when nothing changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating $VENV"
    "$PY" -m venv "$VENV"
fi
# Reinstall only when pyproject.toml changed since the last install.
STAMP="$VENV/.installed-$(sha1sum "$ROOT/pyproject.toml" | cut -c1-12)"
if [ ! -f "$STAMP" ]; then
    echo "Installing dacc-gui and its dependencies into $VENV (log: $VENV/install.log)"
    if ! { "$VENV/bin/python" -m pip install --disable-pip-version-check --upgrade pip &&
           "$VENV/bin/python" -m pip install --disable-pip-version-check -e "$ROOT[test]"; } \
           > "$VENV/install.log" 2>&1; then
        tail -n 30 "$VENV/install.log" >&2
        echo "Installing failed; the whole log is in $VENV/install.log" >&2
        exit 1
    fi
    rm -f "$VENV"/.installed-*
    touch "$STAMP"
fi
