"""``jobscheduler jobs template create|get|list|delete``: job templates on a server.

``create -f FILE`` takes a template as a ConfigMap manifest (as shipped in
k8s/examples/templates/, YAML or JSON) or as a JobTemplate in protobuf JSON. Every command takes
``-o table|wide|json|yaml|name`` as the ``jobs`` commands do: ``json``/``yaml`` print the RPC's
answer, ``name`` one template name per line, ``wide`` adds the namespace and creation time.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, TextIO

import yaml
from google.protobuf import json_format

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.cli import output
from jobscheduler.cli.typeflags import UsageError
from jobscheduler.client import JobSchedulerClient

Command = Callable[[JobSchedulerClient, argparse.Namespace, TextIO], int | None]
TEMPLATE_COLUMNS = ("NAME", "VERSION", "PARAMETERS", "DESCRIPTION")
WIDE_COLUMNS = (*TEMPLATE_COLUMNS, "NAMESPACE", "CREATED")


def add_template_commands(
    commands: argparse._SubParsersAction[Any],
    command: Callable[
        [argparse._SubParsersAction[Any], str, Command, str], argparse.ArgumentParser
    ],
) -> None:
    """``command(subparsers, name, handler, help)`` adds one command with the common flags."""
    template = commands.add_parser("template", help="create, show, list and delete job templates")
    verbs = template.add_subparsers(dest="template_command", required=True, metavar="COMMAND")
    create = command(verbs, "create", _create, "create a job template from a file")
    create.add_argument("-f", "--file", required=True, help="the template ('-' for stdin)")
    create.add_argument("--replace", action="store_true", help="replace one of the same name")
    create.add_argument("--namespace", "-n", default="")
    for name, handler, text in (
        ("get", _get, "show one job template"),
        ("delete", _delete, "delete a job template (jobs made from it stay)"),
    ):
        parser = command(verbs, name, handler, text)
        parser.add_argument("name")
        parser.add_argument("--namespace", "-n", default="")
    listing = command(verbs, "list", _list, "list job templates")
    listing.add_argument("--namespace", "-n", default="")


def read_template(path: str) -> pb.JobTemplate:
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()  # noqa: SIM115
    except OSError as error:
        raise UsageError(f"--file: {error}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise UsageError(f"--file: not YAML or JSON: {error}") from None
    if not isinstance(document, dict):
        raise UsageError("--file: expected a ConfigMap or a JobTemplate object")
    try:
        if document.get("kind") == "ConfigMap":
            # The service's reading of a stored template (and the Kubernetes client it loads).
            from jobscheduler.service.templates import from_configmap  # noqa: PLC0415

            template = from_configmap(document)
            template.ClearField("version")
            template.ClearField("create_time")
            return template
        return json_format.ParseDict(document, pb.JobTemplate())
    except (errors.FailedPrecondition, json_format.ParseError) as error:
        raise UsageError(f"--file: {error}") from None


def _create(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    template = read_template(args.file)
    namespace = args.namespace or template.namespace
    created = client.create_job_template(template, namespace, replace=args.replace)
    _write(out, args, created)


def _get(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    _write(out, args, client.get_job_template(args.name, args.namespace))


def _delete(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    reply = client.delete_job_template(args.name, args.namespace)
    output.write_reply(
        out, reply, args.output, args.name, lambda: out.write(f"job template {args.name} deleted\n")
    )


def _list(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    templates: list[pb.JobTemplate] = []
    request = pb.ListJobTemplatesRequest(namespace=args.namespace)
    while True:
        page = client.list_job_templates(request)
        templates += page.templates
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    if args.output in output.MACHINE_FORMATS:
        output.write_message(out, pb.ListJobTemplatesResponse(templates=templates), args.output)
    elif args.output == "name":
        out.writelines(f"{t.name}\n" for t in templates)
    else:
        _write_table(out, templates, wide=args.output == "wide")


def _row(template: pb.JobTemplate, *, wide: bool) -> tuple[str, ...]:
    params = ",".join(p.name + ("*" if p.required else "") for p in template.parameters)
    row: tuple[str, ...] = (
        template.name,
        template.version,
        params or "-",
        template.description or "-",
    )
    if wide:
        row += (template.namespace or "-", output.format_time(template.create_time.seconds))
    return row


def _write_table(out: TextIO, templates: list[pb.JobTemplate], *, wide: bool) -> None:
    header = WIDE_COLUMNS if wide else TEMPLATE_COLUMNS
    output.write_table(out, header, [_row(t, wide=wide) for t in templates])


def _write(out: TextIO, args: argparse.Namespace, template: pb.JobTemplate) -> None:
    """One template (``get``, ``create``): its row and one line per parameter for people."""
    if args.output in output.MACHINE_FORMATS:
        output.write_message(out, template, args.output)
        return
    if args.output == "name":
        out.write(f"{template.name}\n")
        return
    _write_table(out, [template], wide=args.output == "wide")
    for param in template.parameters:
        kind = pb.TemplateParameter.Type.Name(param.type).removeprefix("TYPE_").lower()
        kind = "string" if kind == "unspecified" else kind
        facts = [kind, "required" if param.required else f"default {param.default_value!r}"]
        if param.allowed_values:
            facts.append("one of " + ", ".join(param.allowed_values))
        out.write(f"  {param.name} ({'; '.join(facts)}): {param.description}\n")
