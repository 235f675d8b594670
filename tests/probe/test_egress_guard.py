"""The egress guard refuses every way of spelling or reaching an address jobs may not reach."""

from __future__ import annotations

import ipaddress

import pytest

from jobscheduler.egress import EgressDenied, EgressPolicy, parse_url

ANY_PUBLIC = EgressPolicy.parse("*", "")
HTTP = ("http", "https")


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",  # decimal
        "http://0177.0.0.1/",  # octal
        "http://0x7f.1/",  # hex, short form
        "http://0x7f000001/",
        "http://127.1/",
        "http://127.000.000.001/",
    ],
)
def test_numeric_hosts_in_ambiguous_forms_are_refused(url: str) -> None:
    with pytest.raises(EgressDenied, match="ambiguous"):
        ANY_PUBLIC.check_url(url, HTTP)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped
        ("http://[::127.0.0.1]/", "loopback"),  # IPv4-compatible
        ("http://[64:ff9b::a00:1]/", "private"),  # NAT64 of 10.0.0.1
        ("http://[2002:a9fe:a9fe::]/", "metadata"),  # 6to4 of 169.254.169.254
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://169.254.1.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://100.64.0.1/", "reserved"),
    ],
)
def test_addresses_that_are_not_public_are_refused(url: str, why: str) -> None:
    with pytest.raises(EgressDenied, match=why):
        ANY_PUBLIC.check_url(url, HTTP)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://localhost./",
        "http://LOCALHOST/",
        "http://api.localhost/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://metadata.google.internal./",
        "http://metadata/",
    ],
)
def test_local_and_metadata_names_need_an_exact_entry_even_with_a_wildcard(url: str) -> None:
    with pytest.raises(EgressDenied, match="not in the egress allowlist"):
        ANY_PUBLIC.check_url(url, HTTP)
    host = parse_url(url, HTTP).host
    assert EgressPolicy.parse(host, "").check_url(url, HTTP).host == host


def test_trailing_dots_and_case_do_not_escape_the_allowlist() -> None:
    policy = EgressPolicy.parse("api.example.com,*.hooks.example.org", "")
    assert policy.check_url("https://API.example.com./x", HTTP).host == "api.example.com"
    assert policy.check_url("https://a.hooks.example.org/", HTTP).host == "a.hooks.example.org"
    for url in (
        "https://example.com/",
        "https://api.example.com.evil.net/",
        "https://hooks.example.org/",  # *.domain means its subdomains
        "https://evilhooks.example.org/",
    ):
        with pytest.raises(EgressDenied, match="allowlist"):
            policy.check_url(url, HTTP)


@pytest.mark.parametrize(
    "url",
    [
        "http://allowed.example@127.0.0.1/",
        "http://user:pw@allowed.example/",
        "http://allowed.example\\@127.0.0.1/",
        "http://allowed.example /",
        "http://allowed.example/\r\nHost: evil",
        "http://[::1%25eth0]/",
        "http://allowed.example:0/",
        "http://allowed.example:99999/",
        "ftp://allowed.example/",
        "//allowed.example/",
        "http:///path",
    ],
)
def test_userinfo_and_malformed_urls_are_refused(url: str) -> None:
    policy = EgressPolicy.parse("allowed.example", "")
    with pytest.raises(EgressDenied):
        policy.check_url(url, HTTP)


def test_an_allowed_cidr_admits_an_address_otherwise_refused() -> None:
    policy = EgressPolicy.parse("127.0.0.1", "127.0.0.0/8")
    assert policy.check_url("http://127.0.0.1:8080/", HTTP).port == 8080
    with pytest.raises(EgressDenied, match="private"):
        policy.check_url("http://10.0.0.1/", HTTP)


def test_empty_allowlist_reaches_nothing() -> None:
    with pytest.raises(EgressDenied, match="allowlist"):
        EgressPolicy().check_url("https://example.com/", HTTP)


def test_a_name_that_resolves_to_a_private_address_is_refused() -> None:
    policy = EgressPolicy.parse("hooks.example.com", "")
    target = policy.check_url("https://hooks.example.com/", HTTP)
    with pytest.raises(EgressDenied, match=r"resolves to 10\.0\.0\.7 is a private"):
        policy.connect_address(target, lambda host, port: ["93.184.215.14", "10.0.0.7"])
    with pytest.raises(EgressDenied, match="loopback"):
        policy.connect_address(target, lambda host, port: ["::ffff:127.0.0.1"])


def test_the_address_to_connect_to_is_the_one_checked() -> None:
    policy = EgressPolicy.parse("hooks.example.com", "")
    target = policy.check_url("https://hooks.example.com/", HTTP)
    address = policy.connect_address(target, lambda host, port: ["8.8.8.8"])
    assert address == ipaddress.ip_address("8.8.8.8")


def test_policy_travels_through_the_environment_unchanged() -> None:
    policy = EgressPolicy.parse("a.example, *.b.example", "10.0.0.0/8,fd00::/8")
    assert EgressPolicy.from_env(policy.to_env()) == policy


@pytest.mark.parametrize("entry", ["bad host", "http://x", "a..b"])
def test_a_bad_allowlist_entry_is_refused(entry: str) -> None:
    with pytest.raises(ValueError):
        EgressPolicy.parse(entry, "")
