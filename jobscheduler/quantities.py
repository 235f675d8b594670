"""What each Kubernetes resource-quantity suffix multiplies by (e.g. "100m" is 0.1, "1Ki" 1024).

Shared by request validation (jobtypes) and the embedded API server: they parse with different
grammars on purpose (a request is held to the canonical form; the API server mirrors
kube-apiserver's lenient decoding to tell a 400 from a 422), but the suffixes mean the same.
"""

from __future__ import annotations

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
