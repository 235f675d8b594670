"""``kubesim``: serve the simulated Kubernetes API on loopback until Ctrl-C.

kubesim --port 6443 --kubeconfig /tmp/kubesim.kubeconfig --clock-speed 60
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from kubesim.cluster import run_standalone


def build_parser(prog: str = "kubesim") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Run the simulated Kubernetes API (for kubectl and the client)."
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    parser.add_argument("--kubeconfig", type=Path, help="where to write its kubeconfig")
    parser.add_argument(
        "--clock-speed", type=float, default=1.0, help="run time this many times faster"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.clock_speed <= 0:
        print("kubesim: --clock-speed must be positive")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    run_standalone(port=args.port, kubeconfig_path=args.kubeconfig, clock_speed=args.clock_speed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
