"""Run the simulated kubelet (and optionally the controllers) against any API server.

    python -m kubesim.controllers --kubeconfig ~/.kube/config

A control plane with no nodes (kube-apiserver + kube-controller-manager, as in the reference
captures) then sees its pods scheduled, run and finished, like with KWOK. The simulated node
serves the kubelet's log endpoint over HTTPS on ``--node-ip`` (an address the API server can
reach; loopback by default, right for a control plane on this machine), so ``kubectl logs``
works through the API server as with a real node.
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
from kubesim.controllers import ControllerManager, KubeletServing

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
    parser.add_argument(
        "--node-ip",
        default="127.0.0.1",
        help="address the node advertises and the API server connects to for pod logs",
    )
    parser.add_argument(
        "--kubelet-port",
        type=int,
        default=0,
        help="port of the kubelet's HTTPS API (default 0: a free port; the node advertises "
        "the port it got, so the API server finds it either way)",
    )
    parser.add_argument(
        "--kubelet-bind-address",
        default="",
        help="address the kubelet's HTTPS API listens on (default: --node-ip; 0.0.0.0 for all)",
    )
    parser.add_argument(
        "--no-kubelet-server", action="store_true", help="do not serve the kubelet's HTTPS API"
    )
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
        kubelet_serving=None
        if args.no_kubelet_server
        else KubeletServing(
            bind_address=args.kubelet_bind_address or args.node_ip,
            port=args.kubelet_port,
            advertise_address=args.node_ip,
        ),
    )
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stop)
    manager.start()
    print(f"simulating pods on {client.configuration.host} (Ctrl-C stops)", flush=True)
    if manager.kubelet_endpoint is not None:
        endpoint = manager.kubelet_endpoint
        print(f"kubelet API (pod logs) on https://{endpoint.address}:{endpoint.port}", flush=True)
    done.wait()
    manager.stop()
    client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
