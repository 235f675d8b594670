"""Job templates through the real gRPC server, the service and the cluster (kubesim)."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.jobtypes.metadata import TEMPLATE_LABEL

from .support import HOOKS, body, from_template, webhook_template

MERGE = "application/merge-patch+json"


def _namespace(cluster: Any) -> str:
    return str(getattr(cluster, "namespace", "default"))


def _configmap(cluster: Any, name: str) -> dict[str, Any]:
    return dict(cluster.api.get("configmaps", _namespace(cluster), name))


def test_create_get_list_delete(client: JobSchedulerClient, cluster: Any) -> None:
    created = client.create_job_template(webhook_template(description="daily report"))
    assert created.name == "report" and created.version
    assert created.namespace == _namespace(cluster)
    stored = _configmap(cluster, "report")
    assert stored["metadata"]["labels"][TEMPLATE_LABEL] == "report"
    assert "{{region}}" in stored["data"]["request.json"]  # kept as written, for kubectl edit

    got = client.get_job_template("report")
    assert got.description == "daily report"
    assert [p.name for p in got.parameters] == ["region", "host", "payload", "attempts", "follow"]
    assert got.body["webhook_job"]["url"] == "https://{{host}}/report?region={{region}}"

    client.create_job_template(webhook_template("other"))
    assert [t.name for t in client.list_job_templates().templates] == ["other", "report"]

    assert client.delete_job_template("report").deleted
    with pytest.raises(JobSchedulerRpcError) as missing:
        client.get_job_template("report")
    assert missing.value.code is grpc.StatusCode.NOT_FOUND


def test_create_twice_is_already_exists_unless_replaced(client: JobSchedulerClient) -> None:
    first = client.create_job_template(webhook_template())
    with pytest.raises(JobSchedulerRpcError) as twice:
        client.create_job_template(webhook_template())
    assert twice.value.code is grpc.StatusCode.ALREADY_EXISTS
    replaced = client.create_job_template(webhook_template(description="v2"), replace=True)
    assert replaced.description == "v2" and replaced.version != first.version


def test_a_configmap_the_service_did_not_label_is_no_template(
    client: JobSchedulerClient, cluster: Any
) -> None:
    namespace = _namespace(cluster)
    cluster.api.create(
        "configmaps",
        namespace,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "app-settings", "namespace": namespace},
            "data": {"request.json": "{}", "password": "hunter2"},
        },
    )
    for call in (
        lambda: client.get_job_template("app-settings"),
        lambda: client.delete_job_template("app-settings"),
        lambda: client.schedule_job(from_template("app-settings")),
    ):
        with pytest.raises(JobSchedulerRpcError) as refused:
            call()
        assert refused.value.code is grpc.StatusCode.NOT_FOUND
        assert "hunter2" not in refused.value.message
    with pytest.raises(JobSchedulerRpcError) as replaced:
        client.create_job_template(webhook_template("app-settings"), replace=True)
    assert replaced.value.code is grpc.StatusCode.NOT_FOUND
    assert _configmap(cluster, "app-settings")["data"]["password"] == "hunter2"
    assert client.list_job_templates().templates == []


def test_schedule_from_a_template_and_read_which_made_it(
    client: JobSchedulerClient, cluster: Any
) -> None:
    template = client.create_job_template(webhook_template())
    reply = client.schedule_job(
        from_template("report", "report-eu", region="eu", attempts="5", follow="true")
    )
    info = client.get_job_status(reply.job_id).job_info
    assert (info.template_name, info.template_version) == ("report", template.version)
    assert info.name == "report for eu"
    assert info.labels["region"] == "eu"
    assert info.webhook_details.url == f"https://{HOOKS}/report?region=eu"
    job = cluster.api.get("jobs", _namespace(cluster), "report-eu")
    config = json.loads(job["metadata"]["annotations"]["jobscheduler.io/config"])
    assert config["max_attempts"] == 5 and config["follow_redirects"] is True

    # A retry with the same job_id and the same parameters is the same job.
    retried = client.schedule_job(
        from_template("report", "report-eu", region="eu", attempts="5", follow="true")
    )
    assert retried.message == "already scheduled by an identical request"

    # Editing the template (as kubectl edit would) never changes a job already made; the same
    # job_id now resolves to a different request.
    client.create_job_template(
        webhook_template(tree={"labels": {"region": "edited"}}), replace=True
    )
    again = client.get_job_status("report-eu").job_info
    assert again.labels["region"] == "eu" and again.template_version == template.version
    with pytest.raises(JobSchedulerRpcError) as changed:
        client.schedule_job(from_template("report", "report-eu", region="eu", attempts="5"))
    assert changed.value.code is grpc.StatusCode.ALREADY_EXISTS


def test_fields_beside_the_template_are_merged_over_it(client: JobSchedulerClient) -> None:
    client.create_job_template(webhook_template())
    request = from_template("report", "merged", region="us")
    request.name = "my own name"
    request.labels["team"] = "data"
    reply = client.schedule_job(request)
    assert reply.job_info.name == "my own name"
    assert dict(reply.job_info.labels) == {"region": "us", "team": "data"}


def test_schedule_jobs_items_from_templates(client: JobSchedulerClient) -> None:
    client.create_job_template(webhook_template())
    results = client.schedule_jobs(
        [from_template("report", "batch-eu", region="eu"), from_template("report", region="xx")]
    )
    assert isinstance(results[0], pb.ScheduleJobResponse)
    assert results[0].job_info.template_name == "report"
    error = results[1]
    assert isinstance(error, JobSchedulerRpcError)
    assert [v.field for v in error.violations] == ['requests[1].template.parameters["region"]']


def _violations(client: JobSchedulerClient, request: pb.ScheduleJobRequest) -> dict[str, str]:
    with pytest.raises(JobSchedulerRpcError) as refused:
        client.schedule_job(request)
    assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
    return {v.field: v.description for v in refused.value.violations}


def test_parameter_errors_name_the_parameter(client: JobSchedulerClient, cluster: Any) -> None:
    client.create_job_template(webhook_template())
    found = _violations(
        client,
        from_template("report", attempts="many", follow="yes", colour="red"),
    )
    assert set(found) == {
        'template.parameters["region"]',
        'template.parameters["attempts"]',
        'template.parameters["follow"]',
        'template.parameters["colour"]',
    }
    assert "required" in found['template.parameters["region"]']
    assert "int" in found['template.parameters["attempts"]']
    assert "bool" in found['template.parameters["follow"]']
    assert "not a parameter" in found['template.parameters["colour"]']
    allowed = _violations(client, from_template("report", region="mars"))
    assert "one of: eu, us" in allowed['template.parameters["region"]']
    # A value the job type refuses is named by the parameter that carried it.
    refused = _violations(client, from_template("report", region="eu", attempts="99"))
    assert "webhook_job.max_attempts" in refused['template.parameters["attempts"]']
    hosts = _violations(client, from_template("report", region="eu", host="evil.example.net"))
    assert 'template.parameters["host"]' in hosts
    assert cluster.api.list("jobs", _namespace(cluster))["items"] == []


def test_scheduling_errors_without_a_template(client: JobSchedulerClient) -> None:
    with pytest.raises(JobSchedulerRpcError) as missing:
        client.schedule_job(from_template("nope"))
    assert missing.value.code is grpc.StatusCode.NOT_FOUND
    client.create_job_template(webhook_template())
    request = from_template("report", region="eu")
    request.timer_job.duration_seconds = 5
    assert "timer_job" in _violations(client, request)
    assert "template.name" in _violations(client, from_template("Not_A_Name"))


def test_template_definition_errors(client: JobSchedulerClient) -> None:
    def refused(template: pb.JobTemplate) -> dict[str, str]:
        with pytest.raises(JobSchedulerRpcError) as error:
            client.create_job_template(template)
        assert error.value.code is grpc.StatusCode.INVALID_ARGUMENT
        return {v.field: v.description for v in error.value.violations}

    param = pb.TemplateParameter
    assert "template.body" in refused(pb.JobTemplate(name="empty"))
    assert "template.name" in refused(webhook_template("Bad Name"))
    found = refused(
        pb.JobTemplate(
            name="bad",
            body=body(
                {
                    "job_id": "fixed",
                    "webhook_job": {"url": "{{url}}", "headers": {"{{key}}": "v"}},
                    "name": "{{undeclared}}",
                }
            ),
            parameters=[
                param(name="url", required=True, default_value="https://x"),
                param(name="key"),
                param(name="unused"),
                param(name="n", type=param.TYPE_INT, default_value="ten"),
                param(name="1st"),
            ],
        )
    )
    assert "caller's" in found["template.body.job_id"]
    assert "field names" in found["template.body.webhook_job.headers.{{key}}"]
    assert "names no parameter" in found["template.body.name"]
    assert "not used" in found["template.parameters[2]"]
    assert "no default" in found["template.parameters[0].default_value"]
    assert "int" in found["template.parameters[3].default_value"]
    assert "template.parameters[4].name" in found
    unknown = refused(pb.JobTemplate(name="typo", body=body({"webhok_job": {}})))
    assert "not a ScheduleJobRequest" in unknown["template.body"]


def test_a_template_beyond_the_configmap_limit_names_the_body(client: JobSchedulerClient) -> None:
    big = webhook_template(tree={"annotations": {f"k{i}": "x" * 1000 for i in range(1100)}})
    with pytest.raises(JobSchedulerRpcError) as refused:
        client.create_job_template(big)
    assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in refused.value.violations] == ["template.body"]
    assert "1 MiB" in refused.value.violations[0].description


def test_a_template_broken_by_an_edit_is_failed_precondition(
    client: JobSchedulerClient, cluster: Any
) -> None:
    client.create_job_template(webhook_template())
    namespace = _namespace(cluster)
    cluster.api.patch(
        "configmaps",
        namespace,
        "report",
        {"data": {"request.json": '{"webhook_job": {"url": "{{nobody}}"}}'}},
        MERGE,
    )
    with pytest.raises(JobSchedulerRpcError) as broken:
        client.schedule_job(from_template("report", region="eu"))
    assert broken.value.code is grpc.StatusCode.FAILED_PRECONDITION
    assert "nobody" in broken.value.message
    cluster.api.patch(
        "configmaps", namespace, "report", {"data": {"request.json": "{not json"}}, MERGE
    )
    with pytest.raises(JobSchedulerRpcError) as unparsable:
        client.get_job_template("report")
    assert unparsable.value.code is grpc.StatusCode.FAILED_PRECONDITION
    client.create_job_template(webhook_template("intact"))
    listed = {t.name: t.description for t in client.list_job_templates().templates}
    assert listed["intact"] == "" and "not usable" in listed["report"]
