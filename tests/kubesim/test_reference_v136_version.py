"""``/version`` against the v1.36 capture (I0): the fields 1.24 lacked."""

from __future__ import annotations

from .wire_helpers import HttpClient, assert_same_shape, replay_v136


def test_version_has_the_emulation_and_compatibility_fields(http: HttpClient) -> None:
    response, captured = replay_v136(http, "I0-version")
    want = captured["response"]["body"]
    assert response.status == 200
    got = response.json
    assert_same_shape(got, want)
    assert (got["major"], got["minor"]) == (want["major"], want["minor"]) == ("1", "36")
    assert (got["emulationMajor"], got["emulationMinor"]) == ("1", "36")
    assert (got["minCompatibilityMajor"], got["minCompatibilityMinor"]) == ("1", "35")
    assert got["gitVersion"].startswith("v1.36.")
