"""``python -m airflow_sm_provider.emulator``: run the emulator as a process.

The contract with scripts and the pytest subprocess fixture: exactly ONE line on stdout, the JSON of
``DIR/endpoint.json``, printed (and flushed) only once the server accepts connections, so a caller can
block on ``readline()`` instead of polling a port. Logs go to stderr. SIGTERM/SIGINT stop it cleanly
(in-flight requests finish, the state database is closed) and the exit code is 0.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any

from . import Emulator


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a TCP port is a number 0-65535 (0: a free one), got {text!r}")
    return port


def _log_level(text: str) -> str:
    level = text.upper()
    if not isinstance(logging.getLevelName(level), int):
        raise argparse.ArgumentTypeError(f"unknown log level {text!r} (DEBUG, INFO, WARNING, ERROR)")
    return level


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_sm_provider.emulator",
        description="Local emulator of the classic Azure Service Management (ASM) endpoint.",
    )
    parser.add_argument(
        "--state-dir", required=True, help="certificates, endpoint.json and the state database"
    )
    parser.add_argument("--port", type=_port, default=0, help="TCP port; 0 picks a free one (default)")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--speed", type=float, default=20.0, help="divide the real operation durations by this (default 20)"
    )
    parser.add_argument("--faults", help="fault profile: a JSON file or a built-in name ('chaos')")
    parser.add_argument("--seed", type=int, default=0, help="seed for fault rates (default 0)")
    parser.add_argument(
        "--register-cert",
        action="append",
        default=[],
        metavar="PEM",
        help="authorise this certificate on the --subscription given next to it (repeatable)",
    )
    parser.add_argument(
        "--subscription", action="append", default=[], metavar="ID", help="subscription for --register-cert"
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        metavar="RPS",
        help="requests per second per subscription (burst max(1, RPS)); over it 429 TooManyRequests",
    )
    parser.add_argument(
        "--admin-token",
        default=None,
        help="token the admin API requires (default: one made for the state directory, in endpoint.json)",
    )
    parser.add_argument(
        "--log-level", type=_log_level, default="WARNING", help="stderr log level (default WARNING)"
    )
    # Test hook: "module:callable" building the App from (state_dir, speed) instead of ServiceApp.
    parser.add_argument("--app", help=argparse.SUPPRESS)
    return parser


def _load_factory(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if len(args.register_cert) != len(args.subscription):
        parser.error("give exactly one --subscription for each --register-cert")
    if not (math.isfinite(args.speed) and args.speed > 0):
        parser.error("--speed must be a positive number")
    if os.path.exists(args.state_dir) and not os.path.isdir(args.state_dir):
        parser.error(f"--state-dir {args.state_dir!r} is not a directory")
    if args.rate_limit is not None and not args.rate_limit >= 0:
        parser.error("--rate-limit must be a number >= 0 (0: no limit)")
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    emulator = Emulator(
        args.state_dir,
        port=args.port,
        bind=args.bind,
        speed=args.speed,
        seed=args.seed,
        faults=args.faults,
        register=list(zip(args.register_cert, args.subscription, strict=True)),
        app_factory=_load_factory(args.app) if args.app else None,
        rate_limit=args.rate_limit or None,
        admin_token=args.admin_token,
    )
    try:
        emulator.start()
    except (OSError, ValueError) as exc:
        print(f"emulator: cannot start: {exc}", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(json.dumps(emulator.endpoint, sort_keys=True) + "\n")
        sys.stdout.flush()
        while not stop.wait(3600):
            pass
    finally:
        emulator.stop()
    return 0
