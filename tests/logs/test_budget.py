"""How kept text is cut to its budget, and why a keep can never outgrow its ConfigMap."""

from __future__ import annotations

import pytest

from jobscheduler.config import KEPT_LOGS_MAX_TOTAL_BYTES, ConfigError, load_settings
from jobscheduler.service import keptlogs
from jobscheduler.service.keptlogs import KeptPod, tail_text

JOB = {"metadata": {"name": "job-1", "namespace": "default", "uid": "uid-1"}}


def test_the_tail_starts_at_a_whole_line_when_the_cut_leaves_one() -> None:
    assert tail_text(b"first\nsecond\nthird\n", 10) == ("third\n", 13)
    assert tail_text(b"first\nsecond\nthird\n", 13) == ("second\nthird\n", 6)
    assert tail_text(b"short\n", 64) == ("short\n", 0)


def test_one_line_longer_than_the_budget_keeps_its_end() -> None:
    assert tail_text(b"x" * 100 + b"END", 5) == ("xxEND", 98)


def test_a_cut_never_splits_a_character_nor_grows_past_the_budget() -> None:
    text, dropped = tail_text("ééé".encode(), 5)  # two bytes each: the cut lands mid-é
    assert (text, dropped) == ("éé", 2)
    # Bytes that are not UTF-8 are stored as U+FFFD (3 bytes each): counted as stored.
    text, _ = tail_text(b"\xff" * 10, 7)
    assert text == "\ufffd\ufffd" and len(text.encode()) <= 7


def test_settings_refuse_a_budget_one_configmap_cannot_hold() -> None:
    defaults = load_settings()
    assert defaults.kept_logs_bytes_per_pod * defaults.kept_logs_max_pods == 512 * 1024
    with pytest.raises(ConfigError, match="KEPT_LOGS_BYTES_PER_POD x KEPT_LOGS_MAX_PODS"):
        load_settings(kept_logs_bytes_per_pod=128 * 1024, kept_logs_max_pods=8)
    fits = load_settings(kept_logs_bytes_per_pod=KEPT_LOGS_MAX_TOTAL_BYTES, kept_logs_max_pods=1)
    assert fits.kept_logs_max_pods == 1


def _pod(name: str, created: str) -> KeptPod:
    return KeptPod(name, created, "Succeeded", "2026-01-01T00:00:00Z", "finished", 0, name)


def test_only_the_newest_pods_are_kept() -> None:
    pods = [_pod("job-1-c", "3"), _pod("job-1-a", "1"), _pod("job-1-b", "2")]
    assert [pod.name for pod in keptlogs.newest(pods, 2)] == ["job-1-b", "job-1-c"]


def test_kept_logs_read_back_only_from_the_jobs_own_configmap() -> None:
    pods = [_pod("job-1-a", "1")]
    configmap = keptlogs.build_configmap(JOB, pods)
    assert keptlogs.kept_pods(configmap, "uid-1") == pods
    # A Job of the same name made again: the old one's logs are not its logs.
    assert keptlogs.kept_pods(configmap, "uid-2") is None
    # A ConfigMap someone else made with that name (no service labels) is never served.
    foreign = {**configmap, "metadata": {**configmap["metadata"], "labels": {}}}
    assert keptlogs.kept_pods(foreign, "uid-1") is None
