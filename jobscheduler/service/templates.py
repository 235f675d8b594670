"""Job templates: named, parameterised ScheduleJobRequests kept as ConfigMaps.

Each template is a ConfigMap in its namespace, named as the template and labelled
``jobscheduler.io/template`` (with the managed-by label), so ``kubectl get configmaps -l
jobscheduler.io/template`` lists them and ``kubectl edit`` changes them. A ConfigMap without
those labels is never read as a template. Because an edit can bypass this service, a template
is checked again every time it is read for scheduling.

Scheduling from a template resolves it into a full ScheduleJobRequest (``templatebody``: the
parameters go into values only), which then takes the normal validate -> build -> submit path;
the job keeps the resolved request, so later edits never change jobs already made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format

from jobscheduler import errors, requestctx
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.errors import FieldViolation, InvalidArgument
from jobscheduler.jobtypes.metadata import (
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    TEMPLATE_ANNOTATION,
    TEMPLATE_LABEL,
    TEMPLATE_VERSION_ANNOTATION,
)
from jobscheduler.kube import JobReader, KubeGateway
from jobscheduler.kube.resources import CONFIGMAPS
from jobscheduler.kubesyntax import dns_label
from jobscheduler.service import pagetoken, templatebody
from jobscheduler.service.jobinfo import parse_time
from jobscheduler.service.requests import (
    effective_page_size,
    namespace_violations,
    page_size_violations,
)

JSON = dict[str, Any]
DESCRIPTION_KEY = "description"
BODY_KEY = "request.json"
PARAMETERS_KEY = "parameters.json"
# Kubernetes refuses a ConfigMap whose data exceeds 1 MiB.
MAX_CONFIGMAP_BYTES = 1024 * 1024
_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE},{TEMPLATE_LABEL}"


@dataclass(frozen=True)
class Resolved:
    """A ScheduleJobRequest made from a template, and what the job records about it."""

    request: pb.ScheduleJobRequest
    template_name: str
    template_version: str
    filled: templatebody.Filled
    caller_fields: frozenset[str]

    def readdress(self, violations: list[FieldViolation]) -> list[FieldViolation]:
        """Violations of the resolved request, named by what its caller set."""
        return templatebody.readdress(
            violations, self.filled, set(self.caller_fields), self.template_name, "template"
        )

    def annotate(self, manifest: JSON) -> None:
        annotations = manifest.setdefault("metadata", {}).setdefault("annotations", {})
        annotations[TEMPLATE_ANNOTATION] = self.template_name
        annotations[TEMPLATE_VERSION_ANNOTATION] = self.template_version


class TemplateStore:
    def __init__(self, gateway: KubeGateway, reader: JobReader, settings: Settings) -> None:
        self._gateway = gateway
        self._reader = reader
        self._default_namespace = settings.k8s_namespace

    # ---- the RPCs -----------------------------------------------------------------------

    def create(self, req: pb.CreateJobTemplateRequest) -> pb.JobTemplate:
        template = req.template
        violations = _name_violations(template.name, "template.name")
        violations += namespace_violations(req.namespace)
        if template.namespace and template.namespace != (req.namespace or self._default_namespace):
            violations.append(
                FieldViolation("template.namespace", "must be empty or the request's namespace")
            )
        violations += templatebody.definition_violations(template, "template")
        if violations:
            raise InvalidArgument(violations)
        namespace = req.namespace or self._default_namespace
        configmap = _to_configmap(template, namespace)
        size = sum(len(value.encode()) for value in configmap["data"].values())
        if size > MAX_CONFIGMAP_BYTES:
            raise InvalidArgument(
                [
                    FieldViolation(
                        "template.body",
                        f"the template takes {size} bytes and a ConfigMap holds at most "
                        f"{MAX_CONFIGMAP_BYTES} (1 MiB)",
                    )
                ]
            )
        try:
            stored = self._gateway.create(CONFIGMAPS, namespace, configmap)
        except errors.AlreadyExists:
            if not req.replace:
                raise errors.AlreadyExists(
                    f"a ConfigMap named {template.name!r} already exists in namespace "
                    f"{namespace!r}; set replace to replace a template"
                ) from None
            stored = self._replace(namespace, configmap)
        except errors.NotFound:
            raise errors.NotFound(f"namespace {namespace!r} not found") from None
        return from_configmap(stored)

    def _replace(self, namespace: str, configmap: JSON) -> JSON:
        name = configmap["metadata"]["name"]
        existing = self._read(namespace, name)  # NOT_FOUND for a ConfigMap that is no template
        # The resourceVersion makes the patch fail (ABORTED) if someone edited it meanwhile.
        patch = {
            "metadata": {"resourceVersion": existing["metadata"]["resourceVersion"]},
            "data": configmap["data"],
        }
        return self._gateway.patch(CONFIGMAPS, namespace, name, patch)

    def get(self, req: pb.GetJobTemplateRequest) -> pb.JobTemplate:
        namespace, name = self._address(req.name, req.namespace)
        return from_configmap(self._read(namespace, name))

    def list(self, req: pb.ListJobTemplatesRequest) -> pb.ListJobTemplatesResponse:
        violations = namespace_violations(req.namespace) + page_size_violations(req.page_size)
        if violations:
            raise InvalidArgument(violations)
        namespace = req.namespace or self._default_namespace
        filters = pagetoken.fingerprint("templates", namespace)
        token = pagetoken.decode(req.page_token, filters)
        page = self._reader.list(
            CONFIGMAPS,
            namespace,
            label_selector=_SELECTOR,
            limit=effective_page_size(req.page_size),
            continue_token=token.k8s_continue,
        )
        templates = [_listed(item) for item in page.get("items") or [] if _is_template(item)]
        next_continue = (page.get("metadata") or {}).get("continue") or ""
        next_token = pagetoken.encode(pagetoken.PageToken(next_continue), filters)
        return pb.ListJobTemplatesResponse(
            templates=templates, next_page_token=next_token if next_continue else ""
        )

    def delete(self, req: pb.DeleteJobTemplateRequest) -> pb.DeleteJobTemplateResponse:
        namespace, name = self._address(req.name, req.namespace)
        existing = self._read(namespace, name)
        metadata = existing["metadata"]
        try:
            self._gateway.delete(
                CONFIGMAPS,
                namespace,
                name,
                preconditions={
                    "uid": metadata["uid"],
                    "resourceVersion": metadata["resourceVersion"],
                },
            )
        except errors.NotFound:
            raise _not_found(namespace, name) from None
        return pb.DeleteJobTemplateResponse(deleted=True)

    # ---- scheduling from a template -----------------------------------------------------

    def resolve(self, req: pb.ScheduleJobRequest) -> Resolved:
        """The full request ``req`` asks for through its ``template``, or InvalidArgument with
        violations named by what the caller set (``template.parameters["region"]``)."""
        ref = req.template
        violations = _name_violations(ref.name, "template.name")
        violations += namespace_violations(req.namespace)
        if case := req.WhichOneof("job_config"):
            violations.append(
                FieldViolation(case, "comes from the template: leave it out with `template`")
            )
        if violations:
            raise InvalidArgument(violations)
        namespace = req.namespace or self._default_namespace
        configmap = self._read(namespace, ref.name)
        template = from_configmap(configmap)
        if problems := templatebody.definition_violations(template, "template"):
            listed = "; ".join(f"{v.field}: {v.description}" for v in problems)
            raise errors.FailedPrecondition(
                f"job template {ref.name!r} is not valid (was it edited outside the service?): "
                f"{listed}"
            )
        values, violations = templatebody.parameter_values(
            template, ref.parameters, "template.parameters"
        )
        if violations:
            raise InvalidArgument(violations)
        params = {p.name: p for p in template.parameters}
        filled = templatebody.fill(json_format.MessageToDict(template.body), params, values)
        try:
            resolved = templatebody.parse_request(filled.tree)
        except json_format.ParseError as exc:
            raise InvalidArgument(
                [FieldViolation("template.parameters", f"do not make a ScheduleJobRequest: {exc}")]
            ) from None
        beside = pb.ScheduleJobRequest()
        beside.CopyFrom(req)
        beside.ClearField("template")
        resolved.MergeFrom(beside)
        caller_fields = {f.name for f, _ in beside.ListFields()}
        check = requestctx.check_resolved_request.get()
        found = check(resolved) if check is not None else []
        if found:
            raise InvalidArgument(
                templatebody.readdress(found, filled, caller_fields, ref.name, "template")
            )
        return Resolved(resolved, ref.name, template.version, filled, frozenset(caller_fields))

    def _read(self, namespace: str, name: str) -> JSON:
        try:
            configmap = self._gateway.get(CONFIGMAPS, namespace, name)
        except errors.NotFound:
            raise _not_found(namespace, name) from None
        if not _is_template(configmap):
            raise _not_found(namespace, name)
        return configmap

    def _address(self, name: str, namespace: str) -> tuple[str, str]:
        violations = _name_violations(name, "name") + namespace_violations(namespace)
        if violations:
            raise InvalidArgument(violations)
        return namespace or self._default_namespace, name


def _name_violations(name: str, field: str) -> list[FieldViolation]:
    if not name:
        return [FieldViolation(field, "is required")]
    problem = dns_label(name)
    return [FieldViolation(field, problem)] if problem else []


def _not_found(namespace: str, name: str) -> errors.NotFound:
    return errors.NotFound(f"job template {name!r} not found in namespace {namespace!r}")


def _is_template(configmap: JSON) -> bool:
    metadata = configmap.get("metadata") or {}
    labels = metadata.get("labels") or {}
    return labels.get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE and labels.get(
        TEMPLATE_LABEL
    ) == metadata.get("name")


def _listed(configmap: JSON) -> pb.JobTemplate:
    """One template of a listing: one an edit broke is listed by name with why, so the others
    stay listable (using it answers FAILED_PRECONDITION)."""
    try:
        return from_configmap(configmap)
    except errors.FailedPrecondition as exc:
        metadata = configmap.get("metadata") or {}
        return pb.JobTemplate(
            name=metadata.get("name", ""),
            namespace=metadata.get("namespace", ""),
            version=metadata.get("resourceVersion", ""),
            description=f"(not usable) {exc.message}",
        )


def _to_configmap(template: pb.JobTemplate, namespace: str) -> JSON:
    # Filled with nothing: placeholders stay, and Struct's doubles that are whole numbers are
    # written as integers, as a person editing the ConfigMap would write them.
    body = templatebody.fill(json_format.MessageToDict(template.body), {}, {}).tree
    parameters = [
        json_format.MessageToDict(p, preserving_proto_field_name=True) for p in template.parameters
    ]
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": template.name,
            "namespace": namespace,
            "labels": {MANAGED_BY_LABEL: MANAGED_BY_VALUE, TEMPLATE_LABEL: template.name},
        },
        "data": {
            DESCRIPTION_KEY: template.description,
            BODY_KEY: json.dumps(body, indent=2, sort_keys=True) + "\n",
            PARAMETERS_KEY: json.dumps(parameters, indent=2) + "\n",
        },
    }


def from_configmap(configmap: JSON) -> pb.JobTemplate:
    """The template a labelled ConfigMap holds. Data that no longer parses (an edit outside the
    service) is FAILED_PRECONDITION naming the key, never INTERNAL."""
    metadata = configmap.get("metadata") or {}
    data = configmap.get("data") or {}
    name = metadata.get("name", "")
    template = pb.JobTemplate(
        name=name,
        namespace=metadata.get("namespace", ""),
        description=data.get(DESCRIPTION_KEY, ""),
        version=metadata.get("resourceVersion", ""),
    )
    created = parse_time(metadata.get("creationTimestamp"))
    if created is not None:
        template.create_time.FromDatetime(created)
    try:
        template.body.update(json.loads(data.get(BODY_KEY) or "{}"))
        for item in json.loads(data.get(PARAMETERS_KEY) or "[]"):
            json_format.ParseDict(item, template.parameters.add())
    except (ValueError, TypeError, AttributeError, json_format.ParseError) as exc:
        raise errors.FailedPrecondition(
            f"job template {name!r} holds data that does not parse ({BODY_KEY} must be a JSON "
            f"object, {PARAMETERS_KEY} a JSON list of parameters): {exc}"
        ) from None
    return template
