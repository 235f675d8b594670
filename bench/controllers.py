"""How fast the controllers and the simulated kubelet turn Jobs over.

    python -m bench.controllers --jobs 200 --clock-speed 100

Creates N one-pod Jobs on an in-process embedded cluster and reports the real time until all of
them are Complete, and the CPU the idle cluster uses afterwards.
"""

from __future__ import annotations

import argparse
import resource
import time

from kubesim.cluster import EmbeddedCluster


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _complete(job: dict[str, object]) -> bool:
    status = job.get("status") or {}
    conditions = status.get("conditions") if isinstance(status, dict) else None
    return any(c.get("type") == "Complete" for c in conditions or [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.controllers")
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--clock-speed", type=float, default=100.0)
    parser.add_argument("--schema-validation", choices=("all", "sample", "off"), default="off")
    parser.add_argument("--timeout", type=float, default=300.0, help="real seconds")
    parser.add_argument("--idle-seconds", type=float, default=2.0, help="idle CPU sample length")
    args = parser.parse_args(argv)
    with EmbeddedCluster(
        clock_speed=args.clock_speed, schema_validation=args.schema_validation
    ) as cluster:
        started = time.monotonic()
        for number in range(args.jobs):
            manifest = {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": f"bench-{number}"},
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "main", "image": "busybox:1.36"}],
                        }
                    }
                },
            }
            cluster.api.create("jobs", "default", manifest)
        created = time.monotonic()
        done = 0
        while done < args.jobs and time.monotonic() - started < args.timeout:
            time.sleep(0.05)
            done = sum(_complete(j) for j in cluster.api.list("jobs", "default")["items"])
        finished = time.monotonic()
        cpu_before = _cpu_seconds()
        time.sleep(args.idle_seconds)
        idle_cpu = _cpu_seconds() - cpu_before
    total = finished - started
    print(
        f"{done}/{args.jobs} Jobs Complete at clock speed {args.clock_speed:g} "
        f"(schema validation {args.schema_validation}): created in {created - started:.2f} s, "
        f"all Complete after {total:.2f} s real ({done / total:.0f} Jobs/s); "
        f"idle CPU afterwards {idle_cpu / max(args.idle_seconds, 1e-9) * 100:.2f} %"
    )
    return 0 if done == args.jobs else 1


if __name__ == "__main__":
    raise SystemExit(main())
