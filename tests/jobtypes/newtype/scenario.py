"""Run in its own process by ``test_adding_a_job_type.py``: serve the echo type end to end.

argv: the directory holding the regenerated ``jobscheduler/jobscheduler_pb2.py``. Prints one
JSON object with what each step showed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import sys
from pathlib import Path


def use_generated_stubs(directory: Path) -> None:
    """The regenerated module stands in for jobscheduler.api.jobscheduler_pb2 (loaded before
    anything imports the shipped one, so the descriptor pool holds only the edited file)."""
    import jobscheduler.api  # noqa: PLC0415  (the package's __init__ imports no stubs)

    name = "jobscheduler.api.jobscheduler_pb2"
    spec = importlib.util.spec_from_file_location(
        name, directory / "jobscheduler" / "jobscheduler_pb2.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    jobscheduler.api.jobscheduler_pb2 = module  # type: ignore[attr-defined]


def main() -> None:
    use_generated_stubs(Path(sys.argv[1]))
    # Everything below imports the edited stubs.
    from jobscheduler.api import jobscheduler_pb2 as pb  # noqa: PLC0415
    from jobscheduler.cli.jobs import add_jobs_parser  # noqa: PLC0415
    from jobscheduler.client import JobSchedulerClient  # noqa: PLC0415
    from jobscheduler.config import Settings  # noqa: PLC0415
    from jobscheduler.edge.server import Server  # noqa: PLC0415
    from jobscheduler.jobtypes import HandlerRegistry  # noqa: PLC0415
    from jobscheduler.jobtypes.container import ContainerHandler  # noqa: PLC0415
    from jobscheduler.jobtypes.healthcheck import HealthCheckHandler  # noqa: PLC0415
    from jobscheduler.jobtypes.timer import TimerHandler  # noqa: PLC0415
    from jobscheduler.jobtypes.webhook import WebhookHandler  # noqa: PLC0415
    from jobscheduler.kube import KubeGateway  # noqa: PLC0415
    from jobscheduler.logs import configure_logging  # noqa: PLC0415
    from jobscheduler.service import JobService  # noqa: PLC0415
    from kubesim import EmbeddedCluster  # noqa: PLC0415
    from tests.jobtypes.newtype.echo_handler import EchoHandler  # noqa: PLC0415

    # build_registry() with its one new line.
    registry = HandlerRegistry()
    registry.register(TimerHandler())
    registry.register(ContainerHandler())
    registry.register(HealthCheckHandler())
    registry.register(WebhookHandler())
    registry.register(EchoHandler())
    registry.check_against_proto()

    configure_logging("info", "json", stream=io.StringIO())  # stdout is the CLI's alone
    results: dict[str, object] = {}
    cluster = EmbeddedCluster()
    cluster.start()
    client = cluster.api_client()
    settings = Settings(in_cluster=False)
    service = JobService(
        settings, KubeGateway(client, settings), registry=registry, clock=cluster.clock
    )
    server = Server(service, host="127.0.0.1", port=0, metrics_port=None)
    server.start()
    target = f"127.0.0.1:{server.port}"
    try:
        parser = argparse.ArgumentParser(prog="jobscheduler")
        add_jobs_parser(parser.add_subparsers(), registry)

        def cli(*argv: str) -> tuple[int, str]:
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                args = parser.parse_args([*argv, "--server", target])
                code = args.handler(args)
            return code, out.getvalue()

        results["schedule"] = cli(
            "jobs", "schedule", "echo", "--text", "hello", "--repeat", "3", "--job-id", "job-echo1"
        )
        results["schedule_by_flag"] = cli(
            "jobs", "schedule", "--text", "hi", "--job-id", "job-echo2"
        )
        results["status"] = cli("jobs", "status", "job-echo1")
        results["list"] = cli("jobs", "list", "--type", "echo")
        results["bad"] = cli("jobs", "schedule", "echo", "--text", "x", "--repeat", "11")
        with JobSchedulerClient(target) as grpc_client:
            reply = grpc_client.get_job_status("job-echo1", "")
            results["details"] = {
                "text": reply.job_info.echo_details.text,
                "repeat": reply.job_info.echo_details.repeat,
                "job_type": reply.job_info.job_type,
            }
            results["types"] = [t.name for t in grpc_client.list_job_types().job_types]
            listed = grpc_client.list_jobs(pb.ListJobsRequest(job_types=["echo"]))
            results["listed"] = sorted(job.job_id for job in listed.jobs)
    finally:
        server.stop(grace=0)
        service.stop()
        client.close()
        cluster.stop()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
