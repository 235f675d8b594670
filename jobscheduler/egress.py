"""The egress guard: which URLs a probe or webhook job may reach (the SSRF defence).

One module serves both sides. At ScheduleJob the handlers call ``EgressPolicy.check_url``
(no I/O: syntax, scheme, allowlist, literal addresses). In the job's pod the runners call
``EgressPolicy.connect_address``, which resolves the name once, checks every answer and
returns the one address the runner then connects to (HTTP with the Host header and TLS SNI
set to the name, gRPC with its authority set), so a second lookup cannot answer differently
(DNS rebinding). Redirects are off unless asked for, and each hop goes through the same
checks.

Policy: a host must be in the allowlist (exact names, ``*.example.com`` for subdomains,
``*`` for any host), and every address it stands for must be public unless it lies in an
allowed CIDR: private, loopback, link-local, shared, reserved and cloud-metadata addresses
(169.254.169.254, fd00:ec2::254, ...) are refused otherwise, including when hidden in an
IPv4-mapped, IPv4-compatible, 6to4 or NAT64 IPv6 address. Numeric hosts must be canonical
dotted-decimal IPv4 or bracketed IPv6: ``2130706433``, ``0177.0.0.1`` and ``0x7f.1`` are read
differently by different resolvers, so they are refused rather than guessed at. Standard
library only: it runs in the job image.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# (host, port) -> the addresses the name stands for, as text.
Resolver = Callable[[str, int], list[str]]

ALLOWED_HOSTS_ENV = "EGRESS_ALLOWED_HOSTS"
ALLOWED_CIDRS_ENV = "EGRESS_ALLOWED_CIDRS"
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2048
MAX_REDIRECTS = 5

# Names of cloud metadata services; refused unless listed exactly (a "*" does not admit them).
METADATA_NAMES = frozenset(
    {"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "metadata.azure.com"}
)
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_URL = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<rest>[/?#].*)?")
_DOTTED_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}")
_NUMBER = re.compile(r"[0-9]+|0x[0-9a-f]*")


class EgressDenied(ValueError):
    """The URL (or an address it leads to) is not one jobs may reach; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked URL: scheme, host (lowercase, no trailing dot), port and the rest."""

    scheme: str
    host: str
    port: int
    path: str  # path, query and fragment as written ("/" when empty)
    address: IPAddress | None  # the host when it is a literal address

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if isinstance(self.address, ipaddress.IPv6Address) else self.host
        default = DEFAULT_PORTS.get(self.scheme)
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}{self.path}"


def parse_url(url: str, schemes: Iterable[str]) -> Target:
    """``url`` taken apart strictly; EgressDenied for anything a parser could read two ways."""
    allowed = tuple(schemes)
    if len(url) > MAX_URL_LENGTH:
        raise EgressDenied(f"must be at most {MAX_URL_LENGTH} characters")
    if any(ord(c) <= 32 or ord(c) >= 127 or c == "\\" for c in url):
        raise EgressDenied("must not contain spaces, control characters, backslashes or non-ASCII")
    match = _URL.fullmatch(_lower_scheme(url))
    if match is None:
        raise EgressDenied(f"must be a URL such as {allowed[0]}://host:port/")
    scheme, authority = match["scheme"], match["authority"]
    if scheme not in allowed:
        raise EgressDenied(f"scheme must be one of {', '.join(allowed)} (got {scheme!r})")
    if "@" in authority:
        raise EgressDenied("must not contain user information (user:password@)")
    host, port = _split_authority(authority, scheme)
    address = _literal_address(host)
    host = _hostname(host) if address is None else str(address)
    return Target(scheme, host, port, match["rest"] or "/", address)


def _lower_scheme(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return scheme.lower() + sep + rest


def _split_authority(authority: str, scheme: str) -> tuple[str, int]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise EgressDenied("has an unclosed [ in its host")
        host, tail = authority[: end + 1], authority[end + 1 :]
    else:
        host, _, port_text = authority.partition(":")
        tail = f":{port_text}" if ":" in authority else ""
    if not host or host == "[]":
        raise EgressDenied("must name a host")
    if not tail:
        if scheme not in DEFAULT_PORTS:
            raise EgressDenied(f"{scheme}:// needs a port (host:port)")
        return host, DEFAULT_PORTS[scheme]
    port_text = tail.removeprefix(":")
    if not tail.startswith(":") or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise EgressDenied("port must be a number 1..65535")
    return host, int(port_text)


def _literal_address(host: str) -> IPAddress | None:
    if host.startswith("["):
        inner = host[1:-1]
        if "%" in inner:
            raise EgressDenied("IPv6 zone identifiers are not allowed")
        try:
            return ipaddress.IPv6Address(inner)
        except ValueError:
            raise EgressDenied(f"{host} is not an IPv6 address") from None
    name = host.lower().removesuffix(".")
    last = name.rsplit(".", 1)[-1]
    if _NUMBER.fullmatch(last):
        # What the URL standard treats as an IPv4 address: only the one spelling everybody
        # reads alike is accepted.
        if not _DOTTED_DECIMAL.fullmatch(name) or any(int(p) > 255 for p in name.split(".")):
            raise EgressDenied(
                f"{host} is a numeric host in an ambiguous form: write IPv4 addresses as four "
                "decimal numbers without leading zeros (e.g. 192.0.2.10)"
            )
        return ipaddress.IPv4Address(name)
    return None


def _hostname(host: str) -> str:
    name = host.lower()
    if name.endswith("."):
        name = name[:-1]  # the same name written as absolute; one spelling for the allowlist
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise EgressDenied(
            f"{host!r} is not a valid host name (letters, digits and hyphens; internationalised "
            "names in their xn-- form)"
        )
    return name


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(address))
    return None


def address_class(address: IPAddress) -> str | None:
    """Why ``address`` is not public (None when it is)."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a reserved address"
    return None


@dataclass(frozen=True)
class EgressPolicy:
    allowed_hosts: tuple[str, ...] = ()
    allowed_cidrs: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, hosts: str | Iterable[str], cidrs: str | Iterable[str]) -> EgressPolicy:
        """From comma-separated text (the environment) or lists; ValueError on a bad entry."""
        host_items = _items(hosts)
        for item in host_items:
            pattern = item.removeprefix("*.")
            if item != "*" and _literal_address_or_none(pattern) is None:
                _hostname(pattern)
        networks = tuple(ipaddress.ip_network(item, strict=False) for item in _items(cidrs))
        return cls(tuple(h.lower().removesuffix(".") for h in host_items), networks)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EgressPolicy:
        return cls.parse(env.get(ALLOWED_HOSTS_ENV, ""), env.get(ALLOWED_CIDRS_ENV, ""))

    def to_env(self) -> dict[str, str]:
        return {
            ALLOWED_HOSTS_ENV: ",".join(self.allowed_hosts),
            ALLOWED_CIDRS_ENV: ",".join(str(n) for n in self.allowed_cidrs),
        }

    # ---- checks --------------------------------------------------------------------------

    def check_url(self, url: str, schemes: Iterable[str]) -> Target:
        """The static checks (no lookup): syntax, scheme, allowlist, literal addresses."""
        target = parse_url(url, schemes)
        if target.address is not None:
            self.check_address(target.address)
            if not (
                "*" in self.allowed_hosts
                or target.host in self.allowed_hosts
                or self._in_allowed_cidr(target.address)
            ):
                raise EgressDenied(f"{target.host} is not in the egress allowlist")
            return target
        if not self._host_allowed(target.host):
            raise EgressDenied(f"{target.host} is not in the egress allowlist")
        return target

    def check_address(self, address: IPAddress) -> None:
        if self._in_allowed_cidr(address):
            return
        for candidate in (embedded_ipv4(address), address):
            if candidate is not None and (problem := address_class(candidate)):
                raise EgressDenied(f"{address} is {problem}, which jobs may not reach")

    def connect_address(self, target: Target, resolve: Resolver | None = None) -> IPAddress:
        """The one address to connect to: looked up once, every answer checked."""
        if target.address is not None:
            self.check_address(target.address)
            return target.address
        answers = (resolve or system_resolver)(target.host, target.port)
        if not answers:
            raise EgressDenied(f"{target.host} has no address")
        addresses = []
        for answer in answers:
            try:
                address = ipaddress.ip_address(answer.split("%", 1)[0])
            except ValueError:
                raise EgressDenied(f"{target.host} resolved to {answer!r}") from None
            try:
                self.check_address(address)
            except EgressDenied as denied:
                raise EgressDenied(f"{target.host} resolves to {denied}") from None
            addresses.append(address)
        return addresses[0]

    def _in_allowed_cidr(self, address: IPAddress) -> bool:
        return any(address.version == n.version and address in n for n in self.allowed_cidrs)

    def _host_allowed(self, host: str) -> bool:
        if host in self.allowed_hosts:
            return True
        if host in METADATA_NAMES or host == "localhost" or host.endswith(".localhost"):
            return False  # only an exact entry admits these
        for pattern in self.allowed_hosts:
            if pattern == "*":
                return True
            if pattern.startswith("*.") and host.endswith(pattern[1:]):
                return True
        return False


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise EgressDenied(f"cannot resolve {host}: {error.strerror}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _items(value: str | Iterable[str]) -> list[str]:
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [part.strip() for part in parts if part.strip()]


def _literal_address_or_none(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
