"""Adding a job type touches the three places README's "Adding a job type" names, and the new
type is then served end to end: ScheduleJob, GetJobStatus, ListJobs, ListJobTypes, and the
``jobs`` CLI with the type's own flags and status rows.

The proto edit is made at test time on a copy (the shipped proto stays as it is), the stubs are
regenerated from it, and the scenario runs in its own process with those stubs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROTO = REPO / "proto" / "jobscheduler" / "jobscheduler.proto"
SCENARIO = Path(__file__).parent / "newtype" / "scenario.py"

# Place 1 of 3: the proto (config and details messages, one case in each oneof).
ECHO_MESSAGES = """
message EchoJobConfig {
  string text = 1;
  int32 repeat = 2;
}

message EchoJobDetails {
  string text = 1;
  int32 repeat = 2;
}
"""


def edited_proto(text: str) -> str:
    text = text.replace(
        "    ContainerJobConfig container_job = 11;\n",
        "    ContainerJobConfig container_job = 11;\n    EchoJobConfig echo_job = 90;\n",
    )
    text = text.replace(
        "    ContainerJobDetails container_details = 21;\n",
        "    ContainerJobDetails container_details = 21;\n    EchoJobDetails echo_details = 90;\n",
    )
    assert text.count("echo_") == 2, "the proto's oneofs moved: update this edit"
    return text + ECHO_MESSAGES


def test_a_new_job_type_in_three_places_is_served_end_to_end(tmp_path: Path) -> None:
    proto_dir = tmp_path / "proto" / "jobscheduler"
    proto_dir.mkdir(parents=True)
    (proto_dir / "jobscheduler.proto").write_text(edited_proto(PROTO.read_text()))
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    subprocess.run(
        # The shipped proto/ second: the files the proto imports (google/rpc/status.proto).
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{tmp_path / 'proto'}",
         f"-I{REPO / 'proto'}", f"--python_out={stubs}", str(proto_dir / "jobscheduler.proto")],
        check=True,
    )  # fmt: skip
    # Places 2 and 3, the handler module and the registry line, are in newtype/.
    done = subprocess.run(
        [sys.executable, str(SCENARIO), str(stubs)],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])

    code, out = seen["schedule"]
    assert code == 0 and out.startswith("job-echo1 "), out
    code, out = seen["schedule_by_flag"]  # --text is the echo type's alone: it names the type
    assert code == 0 and out.startswith("job-echo2 "), out
    code, out = seen["status"]
    assert code == 0
    assert re.search(r"^Type: +echo$", out, re.MULTILINE), out
    assert re.search(r"^Echo: +hello x3$", out, re.MULTILINE), out
    code, out = seen["list"]
    assert code == 0 and "job-echo1" in out and "job-echo2" in out
    code, out = seen["bad"]
    assert code == 1
    assert "INVALID_ARGUMENT" in out and "echo_job.repeat: must be between 1 and 10" in out
    assert seen["details"] == {"text": "hello", "repeat": 3, "job_type": "echo"}
    assert seen["types"] == ["container", "echo", "health-check", "timer", "webhook"]
    assert seen["listed"] == ["job-echo1", "job-echo2"]


def test_readme_names_the_three_places() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Adding a job type", 1)[1].split("\n### ", 1)[0]
    for place in (
        "proto/jobscheduler/jobscheduler.proto",
        "jobscheduler/jobtypes/",
        "build_registry",
    ):
        assert place in section, place
    for gone in ("cli/jobs.py", "cli/output.py"):
        assert gone not in section, f"{gone} needs no edit for a new job type"
