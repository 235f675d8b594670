"""Who is calling: the user and groups Kubernetes knows them by."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class Identity:
    """An authenticated caller, as a TokenReview or a client certificate names them.

    ``via`` says how: "token", "certificate", or "none" (AUTH_MODE=none: nobody in
    particular, every caller is the same unauthenticated developer).
    """

    user: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    via: str = "token"

    @classmethod
    def from_user_info(cls, user: JSON) -> Identity:
        """From a TokenReview ``status.user`` (``username``, ``uid``, ``groups``, ``extra``)."""
        extra = user.get("extra") or {}
        return cls(
            user=str(user.get("username") or ""),
            groups=tuple(str(g) for g in user.get("groups") or ()),
            uid=str(user.get("uid") or ""),
            extra=tuple(sorted((str(k), tuple(str(v) for v in vs)) for k, vs in extra.items())),
        )

    @property
    def authenticated(self) -> bool:
        return self.via != "none"

    def key(self) -> str:
        """One string per distinct identity: caches, limits and page tokens are keyed by it."""
        return json.dumps([self.via, self.user, self.groups, self.uid, self.extra])

    def subject(self) -> JSON:
        """The subject fields of a SubjectAccessReview spec."""
        spec: JSON = {"user": self.user, "groups": list(self.groups)}
        if self.uid:
            spec["uid"] = self.uid
        if self.extra:
            spec["extra"] = {key: list(values) for key, values in self.extra}
        return spec


UNAUTHENTICATED_DEVELOPER = Identity(user="", via="none")
