"""The container job type: any image, command and arguments (the generic workload)."""

from __future__ import annotations

from jobscheduler import kubesyntax
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.errors import FieldViolation
from jobscheduler.jobtypes.base import (
    CONTAINER_NAME,
    JSON,
    BuildContext,
    CliFlag,
    Handler,
    pod_container,
    stored_config,
)
from jobscheduler.jobtypes.envvars import env_list, validate_env

MAX_ARGV_ITEMS = 1024
MAX_ARGV_BYTES = 128 * 1024


class ContainerHandler(Handler[pb.ContainerJobConfig, pb.ContainerJobDetails]):
    name = "container"
    request_field = "container_job"
    details_field = "container_details"
    config_message = pb.ContainerJobConfig
    details_message = pb.ContainerJobDetails
    description = "Runs a container image with the given command, arguments and environment."
    field_descriptions = {
        "image": "Container image to run (required).",
        "command": "Entrypoint override (default: the image's ENTRYPOINT).",
        "args": "Arguments (default: the image's CMD).",
        "env": "Environment variables.",
        "working_dir": "Working directory inside the container.",
    }
    required_fields = frozenset({"image"})  # a generic workload has no sensible default image
    cli_flags = (
        CliFlag("--image", "image", "the image to run", metavar="IMAGE"),
        CliFlag("--workdir", "working_dir", "working directory inside the container"),
        CliFlag("--env", "env", "environment variable (repeatable)", metavar="KEY=VALUE"),
        CliFlag("", "command", "command and arguments (after --)", metavar="COMMAND"),
    )

    def validate(self, config: pb.ContainerJobConfig, path: str) -> list[FieldViolation]:
        violations = []
        if not config.image:
            violations.append(FieldViolation(f"{path}.image", "is required"))
        elif problem := kubesyntax.image_reference(config.image):
            violations.append(FieldViolation(f"{path}.image", problem))
        for field in ("command", "args"):
            items = list(getattr(config, field))
            if len(items) > MAX_ARGV_ITEMS or sum(map(len, items)) > MAX_ARGV_BYTES:
                violations.append(
                    FieldViolation(
                        f"{path}.{field}",
                        f"at most {MAX_ARGV_ITEMS} items and {MAX_ARGV_BYTES} bytes",
                    )
                )
            for index, item in enumerate(items):
                if "\x00" in item:
                    violations.append(
                        FieldViolation(f"{path}.{field}[{index}]", "must not contain NUL")
                    )
        if "\x00" in config.working_dir or len(config.working_dir) > 4096:
            violations.append(
                FieldViolation(f"{path}.working_dir", "must be a path without NUL characters")
            )
        violations += validate_env(config.env, f"{path}.env")
        return violations

    def build_container(self, config: pb.ContainerJobConfig, ctx: BuildContext) -> JSON:
        container: JSON = {"name": CONTAINER_NAME, "image": config.image}
        if config.command:
            container["command"] = list(config.command)
        if config.args:
            container["args"] = list(config.args)
        if config.env:
            container["env"] = env_list(config.env)
        if config.working_dir:
            container["workingDir"] = config.working_dir
        return container

    def read_details(self, manifest: JSON) -> pb.ContainerJobDetails:
        config = stored_config(manifest, pb.ContainerJobConfig)
        container = pod_container(manifest)
        return pb.ContainerJobDetails(
            image=container.get("image", config.image),
            command=container.get("command", list(config.command)),
            args=container.get("args", list(config.args)),
            working_dir=container.get("workingDir", config.working_dir),
        )

    def detail_rows(self, details: pb.ContainerJobDetails) -> list[tuple[str, str]]:
        rows = [("Image", details.image)]
        if command := " ".join([*details.command, *details.args]):
            rows.append(("Command", command))
        return rows
