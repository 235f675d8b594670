"""Parameters fill values only: no value can add a field, a container, a volume or a pod field.

Each attempt is resolved by the service's own code and then built into the manifest a direct
request would make; the manifest must have exactly the shape of the same template filled with
a harmless value, with the attempt as one string where the parameter goes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.protobuf import json_format

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.jobtypes import BuildContext, build_registry
from jobscheduler.jobtypes.manifest import build_manifest
from jobscheduler.service import templatebody

from .support import body

Param = pb.TemplateParameter
TEMPLATE = pb.JobTemplate(
    name="probe",
    body=body(
        {
            "name": "run {{value}}",
            "container_job": {
                "image": "busybox",
                "args": ["echo", "{{value}}"],
                "env": {"VALUE": "{{value}}"},
            },
        }
    ),
    parameters=[Param(name="value", required=True)],
)
ATTEMPTS = [
    'x", "command": ["sh", "-c", "curl evil"], "y": "',
    '"}]}, "volumes": [{"hostPath": {"path": "/"}}], "x": [{"',
    "}}{{value}}{{",
    "{{value}}",
    "a\nb: c\n  privileged: true\nhostNetwork: true",
    '{"securityContext": {"privileged": true}}',
    "- name: sidecar\n  image: evil\n",
    "\\1 \\g<0> $1 ${value}",
    "\x00\u2028'\"`",
]


def _resolve(value: str) -> pb.ScheduleJobRequest:
    values, violations = templatebody.parameter_values(TEMPLATE, {"value": value}, "p")
    assert violations == []
    params = {p.name: p for p in TEMPLATE.parameters}
    filled = templatebody.fill(json_format.MessageToDict(TEMPLATE.body), params, values)
    return templatebody.parse_request(filled.tree)


def _manifest(req: pb.ScheduleJobRequest) -> dict[str, Any]:
    registry = build_registry()
    handler = registry.by_request_field("container_job")
    assert handler is not None
    ctx = BuildContext(job_id="job-1", namespace="default", settings=Settings())
    return build_manifest(req, handler, ctx, request_hash="h")


def _shape(tree: Any) -> Any:
    """The manifest's structure (keys, list lengths) with every string value blanked."""
    if isinstance(tree, dict):
        return {key: _shape(value) for key, value in tree.items()}
    if isinstance(tree, list):
        return [_shape(item) for item in tree]
    return "" if isinstance(tree, str) else tree


def test_the_template_definition_is_valid() -> None:
    assert templatebody.definition_violations(TEMPLATE, "template") == []


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_a_value_is_one_string_wherever_it_goes(attempt: str) -> None:
    req = _resolve(attempt)
    assert req.name == f"run {attempt}"
    assert list(req.container_job.args) == ["echo", attempt]
    assert dict(req.container_job.env) == {"VALUE": attempt}
    assert list(req.container_job.command) == []
    assert req.container_job.image == "busybox"
    assert _shape(_manifest(req)) == _shape(_manifest(_resolve("harmless")))


def test_a_whole_placeholder_of_an_int_or_bool_becomes_a_number_or_boolean() -> None:
    params = {
        "n": Param(name="n", type=Param.TYPE_INT),
        "b": Param(name="b", type=Param.TYPE_BOOL),
    }
    tree = {"a": "{{n}}", "b": "{{b}}", "c": "n={{n}} b={{b}}", "d": 5.0}
    filled = templatebody.fill(tree, params, {"n": "42", "b": "true"})
    assert filled.tree == {"a": 42, "b": True, "c": "n=42 b=true", "d": 5}
    assert filled.reached == {"a": {"n"}, "b": {"b"}, "c": {"n", "b"}}


WEBHOOK_PARAMS = {
    "msg": Param(name="msg"),
    "count": Param(name="count", type=Param.TYPE_INT),
    "urgent": Param(name="urgent", type=Param.TYPE_BOOL),
}
JSON_BODY = '{"text": "alert: {{msg}}", "count": {{count}}, "urgent": {{urgent}}, "tag": {{msg}}}'


def _webhook_body(text: str, values: dict[str, str]) -> str:
    tree = {"webhook_job": {"url": "https://hooks.example.com/x", "body": text}}
    filled = templatebody.fill(tree, WEBHOOK_PARAMS, values)
    body_text: str = filled.tree["webhook_job"]["body"]
    return body_text


@pytest.mark.parametrize("attempt", [*ATTEMPTS, 'x", "admin": true, "y": "'])
def test_a_value_in_a_json_webhook_body_is_one_json_string(attempt: str) -> None:
    """The receiver parses the body: a quote in a message must not add a key to it."""
    sent = json.loads(_webhook_body(JSON_BODY, {"msg": attempt, "count": "3", "urgent": "true"}))
    assert sent == {"text": f"alert: {attempt}", "count": 3, "urgent": True, "tag": attempt}


def test_a_webhook_body_that_is_not_json_is_filled_as_text() -> None:
    assert _webhook_body("hello {{msg}}!", {"msg": 'a "b"'}) == 'hello a "b"!'
    # Starts like JSON but is not: filled as text, as it was written.
    assert _webhook_body("{not json {{msg}}", {"msg": "x"}) == "{not json x"
