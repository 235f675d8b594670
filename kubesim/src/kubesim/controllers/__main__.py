"""Run the simulated kubelet (and optionally the controllers) against any API server.

    python -m kubesim.controllers --kubeconfig ~/.kube/config

A control plane with no nodes (kube-apiserver + kube-controller-manager, as in the reference
captures) then sees its pods scheduled, run and finished, like with KWOK.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from types import FrameType

from kubernetes import config as kube_config

from kubesim.clock import ScaledClock
from kubesim.clusterapi.rest import RestClusterAPI
from kubesim.controllers import CONTROLLERS as ALL_CONTROLLERS
from kubesim.controllers import ControllerManager

CONTROLLERS = tuple(name for name in ALL_CONTROLLERS if name != "kubelet")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubesim.controllers")
    parser.add_argument("--kubeconfig", help="kubeconfig file (default: the usual lookup)")
    parser.add_argument(
        "--controllers",
        default="",
        help=f"comma-separated controllers to run as well: {','.join(CONTROLLERS)} "
        "(leave empty when the cluster runs kube-controller-manager)",
    )
    parser.add_argument("--no-kubelet", action="store_true", help="do not simulate pods")
    args = parser.parse_args(argv)
    wanted = {name for name in args.controllers.split(",") if name}
    unknown = wanted - set(CONTROLLERS)
    if unknown:
        parser.error(f"unknown controllers: {', '.join(sorted(unknown))}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    client = kube_config.new_client_from_config(config_file=args.kubeconfig)
    manager = ControllerManager(
        RestClusterAPI(client),
        ScaledClock(),  # speed 1: the wall clock
        job="job" in wanted,
        cronjob="cronjob" in wanted,
        ttl="ttl" in wanted,
        garbage_collector="garbage-collector" in wanted,
        namespace="namespace" in wanted,
        kubelet=not args.no_kubelet,
    )
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stop)
    manager.start()
    print(f"simulating pods on {client.configuration.host} (Ctrl-C stops)", flush=True)
    done.wait()
    manager.stop()
    client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
