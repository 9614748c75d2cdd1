"""``python -m airflow_sm_provider.emulator.env STATE_DIR``: the environment that points clients at
an emulator, printed as shell ``export`` lines (or JSON with ``--json``).

Why: an old script ports by changing its import line; with these set once it reaches the emulator
unchanged (the client's constructor reads them only when an argument is missing), and Airflow finds
the connection in ``AIRFLOW_CONN_<ID>``. Printed on request, never applied: nothing in the client
reads an endpoint file unless asked (``from_endpoint``). Only paths and ids are printed; the key
stays in its 0600 file.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_sm_provider import protocol
from airflow_sm_provider.emulator import read_endpoint


def connection_json(endpoint: Mapping[str, Any], **extra: Any) -> str:
    """An Airflow connection (``AIRFLOW_CONN_<ID>`` JSON) for the emulator of ``endpoint``."""
    extras = {
        "subscription_id": endpoint["subscription_id"],
        "certificate_path": endpoint["client_pem"],
        "ca_bundle": endpoint["ca_cert"],
        **extra,
    }
    return json.dumps({"conn_type": protocol.CONN_TYPE, "host": endpoint["host"], "extra": extras})


def environment(endpoint: Mapping[str, Any], conn_id: str | None = "asm_default") -> dict[str, str]:
    """The client's four variables and, unless ``conn_id`` is None, ``AIRFLOW_CONN_<CONN_ID>``."""
    env = {
        protocol.ENV_SUBSCRIPTION_ID: str(endpoint["subscription_id"]),
        protocol.ENV_CERTFILE: str(endpoint["client_pem"]),
        protocol.ENV_HOST: str(endpoint["host"]),
        protocol.ENV_CA_BUNDLE: str(endpoint["ca_cert"]),
    }
    if conn_id:
        env[f"AIRFLOW_CONN_{conn_id.upper()}"] = connection_json(endpoint)
    return env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_sm_provider.emulator.env",
        description="Print the environment that points ASM clients and Airflow at an emulator.",
    )
    parser.add_argument("state_dir", help="the emulator's --state-dir (it holds endpoint.json)")
    parser.add_argument("--conn-id", default="asm_default", help="Airflow connection id (asm_default)")
    parser.add_argument("--no-conn", action="store_true", help="leave out AIRFLOW_CONN_<ID>")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of export lines")
    args = parser.parse_args(argv)
    if not args.no_conn and not re.fullmatch(r"[A-Za-z0-9_]+", args.conn_id):
        # AIRFLOW_CONN_<ID> must be a shell name: letters, digits, underscores.
        parser.error(f"--conn-id {args.conn_id!r}: use letters, digits and underscores (e.g. asm_emu)")
    try:
        endpoint = read_endpoint(args.state_dir)
    except (OSError, ValueError) as exc:
        print(f"emulator.env: no endpoint.json in {args.state_dir!r}: {exc}", file=sys.stderr)
        return 2
    env = environment(endpoint, None if args.no_conn else args.conn_id)
    if args.json:
        print(json.dumps(env))
    else:
        for name, value in env.items():
            print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
