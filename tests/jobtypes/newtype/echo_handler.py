"""A throwaway job type, as README "Adding a job type" says to write one: prints a text.

Imported only by ``scenario.py``, in a process whose ``jobscheduler_pb2`` was generated from
the proto with the echo messages added (``test_adding_a_job_type.py`` does that edit).
"""

from __future__ import annotations

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.errors import FieldViolation
from jobscheduler.jobtypes.base import (
    CONTAINER_NAME,
    JSON,
    BuildContext,
    CliFlag,
    Handler,
    stored_config,
)


class EchoHandler(Handler[pb.EchoJobConfig, pb.EchoJobDetails]):  # type: ignore[name-defined]
    name = "echo"
    request_field = "echo_job"
    details_field = "echo_details"
    config_message = pb.EchoJobConfig  # type: ignore[attr-defined]
    details_message = pb.EchoJobDetails  # type: ignore[attr-defined]
    description = "Prints a text, some times."
    field_descriptions = {"text": "What to print.", "repeat": "How often, 1..10."}
    required_fields = frozenset({"text"})
    cli_flags = (
        CliFlag("--text", "text", "what to print", metavar="TEXT"),
        CliFlag("--repeat", "repeat", "how often", metavar="N"),
    )

    def validate(self, config: pb.EchoJobConfig, path: str) -> list[FieldViolation]:  # type: ignore[name-defined]
        violations = []
        if not config.text:
            violations.append(FieldViolation(f"{path}.text", "is required"))
        if not 0 <= config.repeat <= 10:
            violations.append(FieldViolation(f"{path}.repeat", "must be between 1 and 10"))
        return violations

    def build_container(self, config: pb.EchoJobConfig, ctx: BuildContext) -> JSON:  # type: ignore[name-defined]
        return {
            "name": CONTAINER_NAME,
            "image": "busybox:1.36",
            "command": ["sh", "-c", 'for i in $(seq "$REPEAT"); do echo "$TEXT"; done'],
            "env": [
                {"name": "REPEAT", "value": str(config.repeat or 1)},
                {"name": "TEXT", "value": config.text},
            ],
        }

    def read_details(self, manifest: JSON) -> pb.EchoJobDetails:  # type: ignore[name-defined]
        config = stored_config(manifest, pb.EchoJobConfig)  # type: ignore[attr-defined]
        return pb.EchoJobDetails(text=config.text, repeat=config.repeat or 1)  # type: ignore[attr-defined]

    def detail_rows(self, details: pb.EchoJobDetails) -> list[tuple[str, str]]:  # type: ignore[name-defined]
        return [("Echo", f"{details.text} x{details.repeat}")]
