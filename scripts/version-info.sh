#!/usr/bin/env bash
# What a build embeds as version information, derived from git with a fallback outside git.
#
#   scripts/version-info.sh            print VERSION, GIT_COMMIT, GIT_DIRTY, BUILD_DATE (KEY=VALUE)
#   scripts/version-info.sh --write    also write jobscheduler/_build_info.py (read by
#                                      jobscheduler/version.py; gitignored)
#
# Each value can be given in the environment under the same name; the container build passes them
# as build args because .git is not in the build context. BUILD_DATE honours SOURCE_DATE_EPOCH for
# reproducible builds.
#
# VERSION: the tag (v1.2.3 -> 1.2.3) on a tagged commit; `1.2.3+4.gabc1234` four commits after it;
# `<BASE_VERSION>+gabc1234` with no tag (BASE_VERSION in jobscheduler/version.py); `.dirty` is
# appended to the local part when the tracked tree has uncommitted changes; outside git, the
# version in PKG-INFO (an unpacked sdist), else BASE_VERSION. setuptools builds the wheel's
# metadata version from the same scheme (jobscheduler/version.py), so both always agree.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

write=0
case "${1:-}" in
  "") ;;
  --write) write=1 ;;
  -h | --help)
    sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "version-info.sh: unknown argument '$1' (use --write or --help)" >&2
    exit 2
    ;;
esac

# The base of untagged versions: BASE_VERSION in jobscheduler/version.py (which pyproject.toml's
# dynamic version reads too).
base_version() {
  local v=""
  if [ -f jobscheduler/version.py ]; then
    v="$(sed -n 's/^BASE_VERSION *= *"\([^"]*\)".*/\1/p' jobscheduler/version.py | head -n 1)"
  fi
  echo "${v:-0.0.0+unknown}"
}

# Outside git: an unpacked sdist keeps the version it was made with (PKG-INFO), else the base.
release_version() {
  local v=""
  if [ -f PKG-INFO ]; then
    v="$(sed -n 's/^Version: *//p' PKG-INFO | head -n 1)"
  fi
  echo "${v:-$(base_version)}"
}

in_git=0
if command -v git >/dev/null 2>&1 && git rev-parse --is-inside-work-tree >/dev/null 2>&1 \
  && git rev-parse --verify -q HEAD >/dev/null; then
  in_git=1
fi

git_commit() {
  if [ $in_git = 1 ]; then git rev-parse HEAD; else echo unknown; fi
}

git_dirty() {
  # Untracked files do not count: generated, gitignored files (like _build_info.py) must not make
  # every build dirty.
  if [ $in_git = 1 ] && [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    echo true
  else
    echo false
  fi
}

derive_version() {
  local dirty=$1 short base local_part describe
  if [ $in_git = 0 ]; then
    release_version
    return
  fi
  short="$(git rev-parse --short=7 HEAD)"
  if describe="$(git describe --tags --long --match 'v[0-9]*' 2>/dev/null)"; then
    # v1.2.3-4-gabc1234 -> tag v1.2.3, distance 4
    local distance="${describe%-g*}"
    distance="${distance##*-}"
    base="${describe%-*-g*}"
    base="${base#v}"
    if [ "$distance" = 0 ]; then local_part=""; else local_part="$distance.g$short"; fi
  else
    base="$(base_version)"
    local_part="g$short"
  fi
  if [ "$dirty" = true ]; then local_part="${local_part:+$local_part.}dirty"; fi
  echo "$base${local_part:++$local_part}"
}

build_date() {
  if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
    date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ
  else
    date -u +%Y-%m-%dT%H:%M:%SZ
  fi
}

GIT_DIRTY="${GIT_DIRTY:-$(git_dirty)}"
GIT_COMMIT="${GIT_COMMIT:-$(git_commit)}"
VERSION="${VERSION:-$(derive_version "$GIT_DIRTY")}"
BUILD_DATE="${BUILD_DATE:-$(build_date)}"

# The values end up in Python source and OCI labels: accept only what they can legitimately be.
check() {
  local name=$1 value=$2 pattern=$3
  if ! [[ $value =~ $pattern ]]; then
    echo "version-info.sh: invalid $name '$value' (must match $pattern)" >&2
    exit 2
  fi
}
check VERSION "$VERSION" '^[0-9A-Za-z][0-9A-Za-z.+_-]*$'
check GIT_COMMIT "$GIT_COMMIT" '^([0-9a-f]{7,40}|unknown)$'
check GIT_DIRTY "$GIT_DIRTY" '^(true|false)$'
check BUILD_DATE "$BUILD_DATE" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})$'

printf 'VERSION=%s\nGIT_COMMIT=%s\nGIT_DIRTY=%s\nBUILD_DATE=%s\n' \
  "$VERSION" "$GIT_COMMIT" "$GIT_DIRTY" "$BUILD_DATE"

if [ $write = 1 ]; then
  target=jobscheduler/_build_info.py
  if [ "$GIT_DIRTY" = true ]; then py_dirty=True; else py_dirty=False; fi
  cat >"$target" <<PY
"""Build information embedded by scripts/version-info.sh --write. Generated: do not edit."""

VERSION = "$VERSION"
GIT_COMMIT = "$GIT_COMMIT"
GIT_DIRTY = $py_dirty
BUILD_DATE = "$BUILD_DATE"
PY
  echo "wrote $target" >&2
fi
