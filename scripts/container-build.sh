#!/usr/bin/env bash
# Builds the container image with podman or docker (auto-detected; CONTAINER_ENGINE overrides),
# embedding the version information scripts/version-info.sh derives from git.
#
#   scripts/container-build.sh [IMAGE]     (default jobscheduler:dev; extra args: EXTRA_BUILD_ARGS)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

image="${1:-${IMAGE:-jobscheduler:dev}}"
engine="$(detect_engine)"
cd "$REPO_ROOT"

build_args=()
while IFS= read -r line; do
  build_args+=(--build-arg "$line")
done < <(scripts/version-info.sh)

info "building $image with $engine (${build_args[*]})"
# shellcheck disable=SC2086  # EXTRA_BUILD_ARGS is a list of words on purpose
"$engine" build -f Containerfile -t "$image" "${build_args[@]}" ${EXTRA_BUILD_ARGS:-} .
info "built $image; run it: $engine run --rm -p 50054:50054 $image serve --embedded-cluster"
