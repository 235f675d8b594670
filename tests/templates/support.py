"""Templates as tests write them, and the live stack they run against."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from google.protobuf import struct_pb2

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.service.templates import from_configmap

EXAMPLES = Path(__file__).resolve().parents[2] / "k8s" / "examples" / "templates"
HOOKS = "hooks.example.com"
Param = pb.TemplateParameter


def body(tree: dict[str, Any]) -> struct_pb2.Struct:
    value = struct_pb2.Struct()
    value.update(tree)
    return value


def webhook_template(name: str = "report", **overrides: Any) -> pb.JobTemplate:
    """A webhook template with a string, an int, a bool and a constrained parameter."""
    tree: dict[str, Any] = {
        "name": "report for {{region}}",
        "labels": {"region": "{{region}}"},
        "webhook_job": {
            "url": "https://{{host}}/report?region={{region}}",
            "body": "{{payload}}",
            "max_attempts": "{{attempts}}",
            "follow_redirects": "{{follow}}",
        },
    }
    tree.update(overrides.pop("tree", {}))
    params = [
        Param(name="region", required=True, allowed_values=["eu", "us"]),
        Param(name="host", default_value=HOOKS),
        Param(name="payload", default_value="{}"),
        Param(name="attempts", type=Param.TYPE_INT, default_value="3"),
        Param(name="follow", type=Param.TYPE_BOOL, default_value="false"),
    ]
    return pb.JobTemplate(name=name, body=body(tree), parameters=params, **overrides)


def example(file_name: str) -> pb.JobTemplate:
    """A shipped example (a ConfigMap manifest) as the JobTemplate it holds."""
    template = from_configmap(yaml.safe_load((EXAMPLES / file_name).read_text()))
    template.ClearField("namespace")
    return template


def from_template(name: str, job_id: str = "", **parameters: str) -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        job_id=job_id, template=pb.TemplateReference(name=name, parameters=parameters)
    )
