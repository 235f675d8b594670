"""Kubernetes resource quantities: what each suffix multiplies by (e.g. "100m" is 0.1, "1Ki"
1024), and the one bounded parser of a request's quantities (validation and the builder).

The suffixes are shared with the embedded API server, which parses with a different grammar on
purpose (a request is held to the canonical form; the API server mirrors kube-apiserver's
lenient decoding to tell a 400 from a 422), but the suffixes mean the same.
"""

from __future__ import annotations

import re
from decimal import Decimal

SUFFIX_MULTIPLIERS: dict[str, Decimal] = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}

# The canonical form a request must use (Kubernetes' serialization: no sign, no "E3").
_REQUEST_QUANTITY = re.compile(
    r"(?P<number>[0-9]+(\.[0-9]*)?|\.[0-9]+)(?P<suffix>[KMGTPE]i|[numkMGTPE]|e[-+]?[0-9]+)?"
)
# Bounds, so parsing never overflows (Decimal raises past 10**999999) and a value always fits
# the int64 Kubernetes' scheduler and kubelet compute with.
MAX_QUANTITY_LENGTH = 64
MAX_QUANTITY = Decimal(2**63 - 1)
MIN_NONZERO_QUANTITY = Decimal("1e-9")  # 1n, the finest precision Kubernetes keeps
_QUANTITY_FORM = "must be a Kubernetes quantity such as 500m, 2, 128Mi or 1Gi"


class QuantityError(ValueError):
    """A request quantity that is malformed or out of range; the message says which."""


def parse_quantity(value: str) -> Decimal:
    """A request's resource quantity as a number (e.g. "100m" -> 0.1), within bounds."""
    if len(value) > MAX_QUANTITY_LENGTH:
        raise QuantityError(f"must be at most {MAX_QUANTITY_LENGTH} characters")
    match = _REQUEST_QUANTITY.fullmatch(value)
    if not match:
        raise QuantityError(_QUANTITY_FORM)
    number = Decimal(match["number"])
    suffix = match["suffix"] or ""
    if suffix.startswith("e"):
        exponent = int(suffix[1:])
        # Decide on the order of magnitude first: the product itself may not be computable.
        if number and number.adjusted() + exponent > MAX_QUANTITY.adjusted():
            raise QuantityError(_too_large())
        if number and number.adjusted() + exponent < MIN_NONZERO_QUANTITY.adjusted():
            raise QuantityError("must be at least 1n (1e-9)")
        quantity = number.scaleb(exponent)
    else:
        quantity = number * SUFFIX_MULTIPLIERS[suffix]
    if quantity > MAX_QUANTITY:
        raise QuantityError(_too_large())
    if 0 < quantity < MIN_NONZERO_QUANTITY:
        raise QuantityError("must be at least 1n (1e-9)")
    return quantity


def _too_large() -> str:
    return f"must be at most {MAX_QUANTITY} (2^63-1)"
