"""Every capture of ``shared/k8s-reference-v1.36`` is replayed by some test, and the vendored copy
follows the upstream set.

A capture counts as covered when a test module calls ``reference_v136`` or ``replay_v136`` with a
literal naming it (its file name or a unique prefix ending at a dash), or lists that literal in a
module-level constant whose name ends in ``_V136`` (for parametrized tests). Where v1.36 and
v1.24 disagree, the embedded cluster follows v1.36 and the v1.24 test says why it changed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .wire_helpers import UPSTREAM_REFERENCE_V136_DIR, VENDORED_REFERENCE_V136_DIR

HERE = Path(__file__).resolve().parent
_CALLS = {"reference_v136", "replay_v136"}

# Captures no test replays yet, each with why. A gap that gets closed must leave this list
# (test_known_v136_gaps_are_still_gaps fails otherwise), so it cannot go stale.
KNOWN_GAPS: dict[str, str] = {
    # A-D, H, I: pod QoS, Job defaults, suspend/resume, completion, watches, /version
    "A1-pod-qos-besteffort-201": "not replayed yet",
    "A2-pod-qos-burstable-requests-only-201": "not replayed yet",
    "A3-pod-qos-guaranteed-201": "not replayed yet",
    "A4-pod-qos-limits-only-201": "not replayed yet",
    "A5-pod-status-patch-qosclass-change-422": "not replayed yet",
    "A6-pod-status-patch-running-200": "not replayed yet",
    "B1-job-create-minimal-201": "not replayed yet",
    "B2-job-create-indexed-201": "not replayed yet",
    "B3-job-indexed-get-after-controller": "not replayed yet",
    "B4-job-indexed-pods-list": "not replayed yet",
    "B5-job-minimal-get-after-controller": "not replayed yet",
    "B6-job-create-no-labels-201": "not replayed yet",
    "C1-suspend-job-create-201": "not replayed yet",
    "C2-suspend-job-pod-patch-running": "not replayed yet",
    "C3-suspend-job-running-before-suspend": "not replayed yet",
    "C4-suspend-job-patch-suspend-true": "not replayed yet",
    "C5-suspend-job-suspended-settled": "not replayed yet",
    "C5b-suspend-job-pods-after-suspend": "not replayed yet",
    "C6-suspend-job-patch-resume": "not replayed yet",
    "C7-suspend-job-resumed-settled": "not replayed yet",
    "C8-suspend-job-events": "not replayed yet",
    "D1-complete-job-create-201": "not replayed yet",
    "D2-complete-job-pod-before": "not replayed yet",
    "D3-complete-job-pod-patch-running": "not replayed yet",
    "D4-complete-job-pod-patch-succeeded": "not replayed yet",
    "D5-complete-job-get-complete": "not replayed yet",
    "D6-complete-job-pod-after": "not replayed yet",
    "D7-complete-job-events": "not replayed yet",
    "H1-watch-jobs-bookmarks-70s": "not replayed yet",
    "H2-watchlist-sendinitialevents": "not replayed yet",
    "H3-watchlist-no-rv-param": "not replayed yet",
    "H4-watchlist-rv0": "not replayed yet",
    "I0-version": "not replayed yet",
    # E: authentication, authorization reviews, RBAC, discovery
    # F, G: ConfigMaps (ownership, GC, size limit) and Leases
}


def _capture_names() -> list[str]:
    names = sorted(path.stem for path in VENDORED_REFERENCE_V136_DIR.glob("*.json"))
    assert names, f"no captures in {VENDORED_REFERENCE_V136_DIR}"
    return names


def _literals_tests_use() -> set[str]:
    literals: set[str] = set()
    for module in HERE.rglob("*.py"):
        if module.name == Path(__file__).name:
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                literals.update(
                    arg.value
                    for arg in node.args[:2]
                    if called in _CALLS
                    and isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                )
            elif isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id.endswith("_V136")
                for target in node.targets
            ):
                literals.update(
                    item.value
                    for item in ast.walk(node.value)
                    if isinstance(item, ast.Constant) and isinstance(item.value, str)
                )
    return literals


def _covered(captures: list[str]) -> set[str]:
    covered: set[str] = set()
    for literal in _literals_tests_use():
        matching = [name for name in captures if name.startswith(literal)]
        if len(matching) == 1 and (literal == matching[0] or literal.endswith("-")):
            covered.add(matching[0])
    return covered


def test_every_v136_capture_is_replayed_by_some_test() -> None:
    captures = _capture_names()
    covered = _covered(captures)
    untested = [name for name in captures if name not in covered and name not in KNOWN_GAPS]
    assert untested == [], f"v1.36 captures no test replays (add a fidelity test): {untested}"


def test_known_v136_gaps_are_still_gaps() -> None:
    captures = _capture_names()
    assert sorted(set(KNOWN_GAPS) - set(captures)) == [], "a known gap names no capture"
    closed = sorted(set(KNOWN_GAPS) & _covered(captures))
    assert closed == [], f"now covered, remove from KNOWN_GAPS: {closed}"


def test_vendored_v136_captures_match_the_upstream_set() -> None:
    if not UPSTREAM_REFERENCE_V136_DIR.is_dir():
        pytest.skip(f"no upstream capture set beside this checkout ({UPSTREAM_REFERENCE_V136_DIR})")
    upstream = {
        p.name: p.read_bytes() for p in UPSTREAM_REFERENCE_V136_DIR.iterdir() if p.is_file()
    }
    vendored = {
        p.name: p.read_bytes() for p in VENDORED_REFERENCE_V136_DIR.iterdir() if p.is_file()
    }
    assert sorted(vendored) == sorted(upstream)
    changed = [name for name in upstream if upstream[name] != vendored[name]]
    assert not changed, f"vendored v1.36 captures differ from upstream: {changed}"
