#!/usr/bin/env bash
# Runs the end-to-end tests (pytest -m e2e) against the kind cluster: the service runs on this
# machine with the cluster's kubeconfig; the jobs run in the cluster with the project image.
#
#   scripts/e2e.sh [PYTEST_ARGS...]
#
# Prerequisites: a kind cluster with the image loaded (`task kind:up kind:load`, or `task dev`).
# Environment: KIND_CLUSTER (jobscheduler), IMAGE (jobscheduler:dev, used by the test jobs).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

cluster="${KIND_CLUSTER:-jobscheduler}"
require_cmd kind "Install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
if [ "$(detect_engine)" = podman ]; then export KIND_EXPERIMENTAL_PROVIDER=podman; fi
clusters="$(kind get clusters 2>/dev/null)" || die "'kind get clusters' failed: is the engine running?"
grep -qx "$cluster" <<<"$clusters" \
  || die "kind cluster '$cluster' does not exist: run 'task kind:up kind:load' (or 'task dev') first."

kubeconfig="$(mktemp)"
trap 'rm -f "$kubeconfig"' EXIT
kind get kubeconfig --name "$cluster" >"$kubeconfig"

export JOBSCHEDULER_E2E_KUBECONFIG="$kubeconfig"
export JOBSCHEDULER_E2E_IMAGE="${IMAGE:-jobscheduler:dev}"
"$(venv_bin pytest)" -m e2e tests/e2e "$@"
