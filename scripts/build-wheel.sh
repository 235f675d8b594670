#!/usr/bin/env bash
# Builds the wheel into dist/ with the version information baked in (jobscheduler/_build_info.py),
# then removes that file again so the editable development install keeps reporting live git state.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

python="$(venv_bin python)"
[ -x "$python" ] || die "$python not found: run 'task tools:install' first."

info_file=jobscheduler/_build_info.py
[ -e "$info_file" ] && die "$info_file already exists (from an interrupted build?); remove it first."
trap 'rm -f "$info_file"' EXIT
scripts/version-info.sh --write
rm -rf build
"$python" -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .
ls -1 dist/*.whl
