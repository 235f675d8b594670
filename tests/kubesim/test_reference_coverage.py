"""Which test covers each captured kube-apiserver exchange and each "notable fact" of
``shared/k8s-reference/README.md``, and a guard that a new capture cannot go untested silently.

Captures are replayed over HTTP by name (``wire_helpers.replay`` / ``reference``); a capture
counts as covered when a test module other than this one names it. Modules, abbreviated:
W = test_reference_writes, L = test_reference_lists, D = test_reference_delete,
M = test_reference_misc, R = test_reference_replays, C = test_reference_controllers,
F = test_faults, K = test_kubectl, S = test_selectors_and_cron.

Captures -> tests
  01-07 discovery .................. M discovery_lists_what_is_served, R discovery_documents_*;
                                     07 (v1beta1) R batch_v1beta1_is_gone (deviation a)
  10-16, 16b, 17 create/defaults ... W create_defaults_*, invalid_jobs_*, C job_with_a_63_*,
                                     C job_status_after_the_controller_starts_it
  18-25 get/put/patch .............. R get_of_a_missing_job, W put_*, patch_variants
  30-39 list/paging/selectors ...... L paging_*, bad_continue_tokens, stale_continue_*,
                                     R each_page_of_a_selected_list, unselected_page_*,
                                     inconsistent_continue_*
  40-49b lifecycle ................. C parallel_job_lifecycle (48e: the events.k8s.io/v1 view)
  50-53 backoffLimit 0 ............. C failed_pod_with_backoff_limit_zero_fails_the_job
  54-58c activeDeadlineSeconds ..... C active_deadline_* (deviation b)
  60-66 suspend/resume ............. C suspend_resume_and_suspend_again
  70-73 ttlSecondsAfterFinished .... C ttl_after_finished_deletes_job_and_pods
  80-87b delete .................... D (every test), follow-up GETs replayed in the same tests
  90-98 watch ...................... L watch_*, R watch_*, too_old_*, bookmarks_*
  A0-A9, AA CronJob ................ W cronjob_create_defaults, invalid_cron_*,
                                     C cronjob_runs_a_job_and_records_it, R cronjob_table;
                                     AA R batch_v1beta1_is_gone (deviation a)
  B0-B4 pods/log ................... M pod_logs_before_a_node_runs_the_pod, R pod_logs_*
  B5-BC dry run .................... W dry_run_create_stores_nothing, R dry_run_create_*,
                                     D delete_dry_runs
  C0-CM misc ....................... M paths_outside_the_resources, kubectl_get_tables,
                                     W create_errors_*, unknown_fields_*, generate_name_*,
                                     server_side_apply_*, status_subresource_*,
                                     R put_updates, cronjob_table, anonymous_403_and_bad_token_401
  D0-D7b indexed, retry ............ C indexed_job, failed_pod_is_replaced_*
  E0 events ........................ C events_of_the_namespace

Notable facts -> tests
   1 Status objects, reasons/codes ...... every assert_same_status replay (W, L, D, M, R)
   2 details.kind plural vs Kind ......... assert_same_status compares details exactly
   3 404 text vs Status .................. M paths_outside_the_resources
   4 Invalid messages .................... W invalid_jobs_are_rejected_with_upstream_causes
   5 64-char name, truncated pod names ... W invalid_jobs_*, generated_names_*, C job_with_a_63_*
   6 unknown fields, namespaces, kinds ... W create_errors_before_validation, unknown_fields_*
                                           (current default fieldValidation=Warn adds a
                                           Warning header that 1.24 did not send)
   7 anonymous 403 / bad token 401 ....... R anonymous_403_and_bad_token_401 (was deviation c)
   8 resourceVersion, generation ......... W put_updates_and_bumps_generation_*, patch_variants
   9 Job defaulting ...................... W create_defaults_*, job_without_labels_*
  10 CronJob defaulting .................. W cronjob_create_defaults
  11 managedFields ....................... not recorded (deviation d); SSA ownership in W
  12 omitted zero fields ................. C shapes (active/succeeded vanish), W defaults
  13 patch content types, SSA, status .... W patch_variants, server_side_apply_*, status_*
  14 pods of the job controller .......... C parallel_job_lifecycle (NEWER_POD lists 1.27+)
  15 Job status progression .............. C parallel_job_lifecycle
  16 failure conditions .................. C failed_pod_*, failed_pod_is_replaced_*
  17 deadline not enforced on time ....... C active_deadline_* (deviation b)
  18 suspend ............................. C suspend_resume_and_suspend_again
  19 Indexed Job ......................... C indexed_job
  20 Events .............................. C _assert_events in every controller test, E0
  21 continue tokens, remainingItemCount . L paging_*, R each_page_*, unselected_page_*
  22 bad / expired continue .............. L bad_continue_tokens, stale_continue_*, R 34e
  23 Job field selectors ................. L field_and_label_selectors, R unselected_page_*
  24 Table output ........................ M kubectl_get_tables, R cronjob_table
  25 watch framing, timeoutSeconds ....... L watch_*, R watch_*
  26 too-old RV as ERROR event, 410 list . L watch_from_a_compacted_*, R too_old_*
  27 BOOKMARK shape and timing ........... R watch_sees_*_then_bookmarks, bookmarks_while_*,
                                           watch_corner_cases (idle: none)
  28 RV 0 / unset / future ............... R watch_corner_cases
  29 DELETED carries the last state ...... C ttl_after_finished_* (foregroundDeletion)
  30 Background/Foreground/Orphan ........ D background_*, foreground_*, orphan_*
  31 Job DELETE orphans by default, TTL .. D orphan_and_optionless_*, C ttl_*
  32 DELETE body beats query ............. D delete_dry_runs
  33 deletecollection, UID precondition .. D deletecollection_*, delete_errors
  34 dryRun create ....................... W dry_run_create_stores_nothing, R dry_run_*
  35 pods/log 204 / 400 / 404 ............ M pod_logs_*, R pod_logs_of_unscheduled_*
  36 CronJob Jobs and status ............. C cronjob_runs_a_job_and_records_it
  37 batch/v1beta1 ....................... R batch_v1beta1_is_gone (deviation a)

Deliberate deviations (current Kubernetes, or the embedded server's purpose)
  a batch/v1beta1 is not served: removed in Kubernetes 1.25.
  b activeDeadlineSeconds is enforced on time: the controller requeues the Job for its deadline
    as current releases do, instead of waiting for an unrelated pod update (56a/56c).
  c (withdrawn) no authentication: requests now authenticate (admin token in the kubeconfig,
    ServiceAccount tokens, anonymous) and RBAC authorizes them, as in the v1.36 captures.
  d managedFields are not recorded (server-side apply keeps ownership internally).
  Also current behaviour rather than 1.24: batch.kubernetes.io/* labels and selector,
  podReplacementPolicy, condition reasons, cronjob-scheduled-timestamp annotation, the
  Timezone/Status Table columns, the unknown-field Warning header.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from .wire_helpers import REFERENCE_DIR, UPSTREAM_REFERENCE_DIR, VENDORED_REFERENCE_DIR

HERE = Path(__file__).resolve().parent

# Captures no test replays yet, each with why. A gap that gets closed must leave this list
# (the second test fails otherwise), so it cannot go stale.
KNOWN_GAPS: dict[str, str] = {}


def _capture_names() -> list[str]:
    names = sorted(path.stem for path in REFERENCE_DIR.glob("*.json"))
    assert names, f"no captures in {REFERENCE_DIR}"
    return names


def _names_tests_use(captures: list[str]) -> set[str]:
    """Captures some test module names the way ``reference()`` finds them: the first file
    (sorted) whose name starts with a string constant of the test code."""
    constants: set[str] = set()
    for module in HERE.rglob("*.py"):
        if module.name == Path(__file__).name:
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
    used: set[str] = set()
    for constant in constants:
        if not re.fullmatch(r"[0-9A-E][0-9A-Za-z]?[a-e]?-[a-z0-9-]+", constant):
            continue
        matching = [name for name in captures if name.startswith(constant)]
        if matching:
            used.add(matching[0])
    return used


def test_every_capture_is_replayed_by_some_test() -> None:
    captures = _capture_names()
    used = _names_tests_use(captures)
    untested = [name for name in captures if name not in used and name not in KNOWN_GAPS]
    assert untested == [], f"captures no test replays (add a fidelity test): {untested}"


def test_known_gaps_are_still_gaps() -> None:
    captures = _capture_names()
    used = _names_tests_use(captures)
    assert sorted(set(KNOWN_GAPS) - set(captures)) == [], "a known gap names no capture"
    closed = sorted(set(KNOWN_GAPS) & used)
    assert closed == [], f"now covered, remove from KNOWN_GAPS: {closed}"


def test_every_notable_fact_is_mapped_to_a_test() -> None:
    readme = (REFERENCE_DIR / "README.md").read_text()
    facts = [int(number) for number in re.findall(r"^(\d+)\. ", readme, flags=re.MULTILINE)]
    assert facts == list(range(1, len(facts) + 1)) and facts
    table = __doc__ or ""
    mapped = {int(n) for n in re.findall(r"^\s{1,3}(\d{1,2}) \S", table, flags=re.MULTILINE)}
    assert mapped == set(facts)


def test_vendored_captures_match_the_upstream_set() -> None:
    """The copy in tests/kubesim/reference must follow the shared capture set it came from:
    a new or changed capture there has to be vendored (and then covered, see above)."""
    if not UPSTREAM_REFERENCE_DIR.is_dir():
        pytest.skip(f"no upstream capture set beside this checkout ({UPSTREAM_REFERENCE_DIR})")
    upstream = {p.name: p.read_bytes() for p in UPSTREAM_REFERENCE_DIR.iterdir() if p.is_file()}
    vendored = {p.name: p.read_bytes() for p in VENDORED_REFERENCE_DIR.iterdir() if p.is_file()}
    assert sorted(vendored) == sorted(upstream)
    changed = [name for name in upstream if upstream[name] != vendored[name]]
    assert not changed, f"vendored captures differ from upstream: {changed}"
