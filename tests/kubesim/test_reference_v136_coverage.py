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
KNOWN_GAPS: dict[str, str] = {}


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
