"""Kubernetes label selectors, parsed once and matched against cached labels.

The subset the service and kubectl write: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``,
``k notin (a,b)``, ``k`` and ``!k``. Anything else is refused with ``None`` from ``parse`` so
the caller asks the API server instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SET_TERM = re.compile(r"^\s*([^\s!=(),]+)\s+(in|notin)\s+\(([^()]*)\)\s*$")
_EQUALITY_TERM = re.compile(r"^\s*([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)\s*$")
_EXISTS_TERM = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*$")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # "in", "notin", "exists", "!exists"
    values: frozenset[str] = frozenset()

    def matches(self, labels: dict[str, str]) -> bool:
        if self.operator == "exists":
            return self.key in labels
        if self.operator == "!exists":
            return self.key not in labels
        present = self.key in labels and labels[self.key] in self.values
        return present if self.operator == "in" else not present


def _terms(selector: str) -> list[str]:
    """Split on commas outside parentheses."""
    terms, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        terms.append(current)
    return terms


def parse(selector: str) -> list[Requirement] | None:
    requirements = []
    for term in _terms(selector):
        if match := _SET_TERM.match(term):
            key, operator, raw = match.groups()
            values = frozenset(v.strip() for v in raw.split(",") if v.strip())
            requirements.append(Requirement(key, operator, values))
        elif match := _EQUALITY_TERM.match(term):
            key, operator, value = match.groups()
            requirements.append(
                Requirement(key, "notin" if operator == "!=" else "in", frozenset({value}))
            )
        elif match := _EXISTS_TERM.match(term):
            negated, key = match.groups()
            requirements.append(Requirement(key, "!exists" if negated else "exists"))
        else:
            return None
    return requirements


def matches(requirements: list[Requirement], labels: dict[str, str]) -> bool:
    return all(requirement.matches(labels) for requirement in requirements)
