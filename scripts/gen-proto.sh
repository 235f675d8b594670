#!/usr/bin/env bash
# Regenerates the Python stubs in jobscheduler/api from proto/. The generated files are committed
# so `pip install` needs no protoc; CI runs this with --check to catch stubs that drifted.
# proto/google/rpc/status.proto is a verbatim copy of googleapis' file, there so protoc and buf
# resolve the import offline; only jobscheduler.proto is generated (google.rpc's Python module
# comes from the googleapis-common-protos package at run time).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
out=jobscheduler/api
check=0
[ "${1:-}" = "--check" ] && check=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" -m grpc_tools.protoc -I proto \
  --python_out="$tmp" --pyi_out="$tmp" --grpc_python_out="$tmp" \
  proto/jobscheduler/jobscheduler.proto
# protoc's Python output imports by proto path; the stubs live in jobscheduler.api instead.
sed -i 's/^from jobscheduler import jobscheduler_pb2/from jobscheduler.api import jobscheduler_pb2/' \
  "$tmp/jobscheduler/jobscheduler_pb2_grpc.py"
for f in jobscheduler_pb2.py jobscheduler_pb2.pyi jobscheduler_pb2_grpc.py; do
  if [ $check = 1 ]; then
    if ! cmp -s "$tmp/jobscheduler/$f" "$out/$f"; then
      echo "generated $out/$f is out of date: run scripts/gen-proto.sh" >&2
      exit 1
    fi
  else
    cp "$tmp/jobscheduler/$f" "$out/$f"
  fi
done
[ $check = 1 ] && echo "generated stubs are up to date" || echo "generated stubs written to $out"
