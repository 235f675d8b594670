"""Who a request is from: ``UserInfo``, the anonymous user, and the static token table."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from kubesim.clusterapi import JSON

MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
CREDENTIAL_ID = "authentication.kubernetes.io/credential-id"


@dataclass(frozen=True)
class UserInfo:
    username: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> JSON:
        """``authentication.k8s.io/v1`` UserInfo; empty fields are omitted as upstream."""
        document: JSON = {"username": self.username}
        if self.uid:
            document["uid"] = self.uid
        if self.groups:
            document["groups"] = list(self.groups)
        if self.extra:
            document["extra"] = {key: list(values) for key, values in self.extra.items()}
        return document


ANONYMOUS = UserInfo("system:anonymous", groups=(UNAUTHENTICATED,))


def authenticated(user: UserInfo) -> UserInfo:
    """Every authenticated user is also in ``system:authenticated`` (upstream's group adder)."""
    if AUTHENTICATED in user.groups:
        return user
    return UserInfo(user.username, user.uid, (*user.groups, AUTHENTICATED), user.extra)


def parse_token_file(text: str) -> dict[str, UserInfo]:
    """kube-apiserver's ``--token-auth-file``: ``token,user,uid,"group1,group2"`` per line."""
    users: dict[str, UserInfo] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if len(row) < 3:
            raise ValueError(f"token file line {number}: want token,user,uid[,groups]")
        token, name, uid = (value.strip() for value in row[:3])
        groups = tuple(g.strip() for g in row[3].split(",") if g.strip()) if len(row) > 3 else ()
        users[token] = UserInfo(name, uid, groups)
    return users
