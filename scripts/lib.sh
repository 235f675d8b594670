# Shared helpers for the shell scripts in scripts/ (sourced, not executed).
# shellcheck shell=bash

# The repository root, whatever the caller's working directory.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT

die() {
  echo "error: $*" >&2
  exit 1
}

info() {
  echo "==> $*" >&2
}

# require_cmd NAME HINT: fail with HINT when NAME is not on PATH.
require_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed or not on PATH. $2"
}

# The container engine to use: $CONTAINER_ENGINE when set, else podman, else docker — whichever
# has a reachable engine (a docker CLI without a daemon does not count).
detect_engine() {
  if [ -n "${CONTAINER_ENGINE:-}" ]; then
    require_cmd "$CONTAINER_ENGINE" "CONTAINER_ENGINE=$CONTAINER_ENGINE was requested."
    echo "$CONTAINER_ENGINE"
    return
  fi
  local candidate
  for candidate in podman docker; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" info >/dev/null 2>&1; then
      echo "$candidate"
      return
    fi
  done
  die "no working container engine: install podman (https://podman.io) or docker and make sure" \
    "'podman info' or 'docker info' succeeds (set CONTAINER_ENGINE to choose one)."
}

# The project's virtualenv binaries (Taskfile passes VENV; default .venv in the repository).
venv_bin() {
  echo "${VENV:-$REPO_ROOT/.venv}/bin/$1"
}
