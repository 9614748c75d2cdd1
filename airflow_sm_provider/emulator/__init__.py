"""A local, protocol-faithful emulator of the classic Azure Service Management (ASM) endpoint.

In-process use (tests, the demo)::

    from airflow_sm_provider.emulator import Emulator

    with Emulator("/tmp/asm", speed=200) as emu:
        emu.endpoint["host"]  # "127.0.0.1:PORT"

The same thing as a process: ``python -m airflow_sm_provider.emulator --state-dir DIR``.

This module stays cheap to import (the pytest plugin imports it in every test session): the TLS
stack and the service logic are imported only when an emulator starts.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .faults import FaultInjector
    from .server import EmulatorServer

__all__ = ["Emulator", "ServiceLike", "read_endpoint"]

ENDPOINT_FILE = "endpoint.json"
IDENTITY_FILE = "identity.json"


class ServiceLike(Protocol):
    """What the emulator needs from the service logic (``service.ServiceApp``) beyond ``http.App``."""

    def register_certificate(self, subscription_id: str, thumbprint: str) -> None: ...
    def close(self) -> None: ...


AppFactory = Callable[[Path, float], Any]  # (state_dir, speed) -> App & ServiceLike


def _default_app_factory(state_dir: Path, speed: float) -> Any:
    from .service import ServiceApp

    return ServiceApp(state_dir, speed=speed)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def default_subscription_id(state_dir: Path) -> str:
    """The state directory's own subscription id: a GUID made once, then reused on every restart."""
    path = state_dir / IDENTITY_FILE
    if path.exists():
        return str(json.loads(path.read_text())["subscription_id"])
    state_dir.mkdir(parents=True, exist_ok=True)
    sub = str(uuid.uuid4())
    _write_json(path, {"subscription_id": sub})
    return sub


def read_endpoint(state_dir: str | os.PathLike[str]) -> dict[str, str]:
    """The ``endpoint.json`` an emulator wrote into ``state_dir``."""
    return dict(json.loads((Path(state_dir) / ENDPOINT_FILE).read_text()))


class Emulator:
    """An emulator running in this process (server threads + service logic).

    ``faults``: a built-in profile name (``"chaos"``), a JSON profile path, or a list of rule dicts.
    ``register``: extra ``(certificate PEM path, subscription id)`` pairs to authorise.
    ``app_factory``: replaces the service logic (tests of the network layer use a stub).
    """

    def __init__(
        self,
        state_dir: str | os.PathLike[str],
        *,
        port: int = 0,
        bind: str = "127.0.0.1",
        speed: float = 20.0,
        seed: int = 0,
        faults: str | os.PathLike[str] | list[dict[str, Any]] | None = None,
        register: Iterable[tuple[str | os.PathLike[str], str]] = (),
        app_factory: AppFactory | None = None,
    ) -> None:
        self.state_dir = Path(state_dir).absolute()
        self.port = port
        self.bind = bind
        self.speed = speed
        self.seed = seed
        self.faults_spec = faults
        self.register = [(Path(pem), sub) for pem, sub in register]
        self._app_factory = app_factory or _default_app_factory
        self.app: Any = None
        self.server: EmulatorServer | None = None
        self._endpoint: dict[str, str] | None = None

    # --- life cycle -----------------------------------------------------------------------------
    def start(self) -> Emulator:
        from . import certs
        from .faults import FaultInjector, load_profile
        from .server import WILDCARD_BINDS, EmulatorServer

        if self.server is not None:
            raise RuntimeError("emulator already started")
        local = ("127.0.0.1", "localhost", *WILDCARD_BINDS)
        extra = () if self.bind in local else (self.bind,)
        paths = certs.ensure_certificates(self.state_dir, extra_hosts=extra)
        subscription_id = default_subscription_id(self.state_dir)
        rules = self.faults_spec
        if rules is not None and not isinstance(rules, list):
            rules = load_profile(rules)
        injector = FaultInjector(seed=self.seed, rules=rules)

        app = self._app_factory(self.state_dir, self.speed)
        try:
            app.register_certificate(subscription_id, paths.thumbprint)
            for pem, sub in self.register:
                app.register_certificate(sub, certs.thumbprint_of_pem(pem.read_bytes()))
            server = EmulatorServer(
                app,
                cert_file=paths.server_cert,
                key_file=paths.server_key,
                bind=self.bind,
                port=self.port,
                faults=injector,
            )
            server.start()
        except BaseException:
            app.close()
            raise
        self.app, self.server = app, server
        host = server.host
        self._endpoint = {
            "host": host,
            "subscription_id": subscription_id,
            "client_pem": str(paths.client_pem),
            "client_cert": str(paths.client_cert),
            "client_key": str(paths.client_key),
            "ca_cert": str(paths.ca_cert),
            "thumbprint": paths.thumbprint,
            "admin_url": f"https://{host}/__admin__/",
        }
        _write_json(self.state_dir / ENDPOINT_FILE, self._endpoint)
        return self

    def stop(self) -> None:
        """Stop serving (in-flight requests finish) and close the service state. Idempotent."""
        server, app = self.server, self.app
        self.server = self.app = None
        if server is not None:
            server.stop()
        if app is not None:
            app.close()

    def __enter__(self) -> Emulator:
        return self.start() if self.server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- accessors --------------------------------------------------------------------------------
    @property
    def endpoint(self) -> dict[str, str]:
        """The ``endpoint.json`` content: host, subscription_id, client_pem, ca_cert, thumbprint, ..."""
        if self._endpoint is None:
            raise RuntimeError("emulator not started")
        return dict(self._endpoint)

    @property
    def faults(self) -> FaultInjector:
        if self.server is None:
            raise RuntimeError("emulator not started")
        return self.server.faults

    def add_faults(self, *rules: dict[str, Any]) -> list[dict[str, Any]]:
        """Add fault rules at run time (same as ``POST /__admin__/faults``); returns them with ids."""
        return [r.to_dict() for r in self.faults.add(list(rules))]

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Forget all resources and operations (subscriptions and certificates stay) and all faults."""
        self.clear_faults()
        self.app.reset()

    def register_certificate(self, pem: str | os.PathLike[str] | bytes, subscription_id: str) -> str:
        """Authorise a certificate (PEM path or bytes) on a subscription; returns its thumbprint."""
        from .certs import thumbprint_of_pem

        data = pem if isinstance(pem, bytes) else Path(pem).read_bytes()
        thumb = thumbprint_of_pem(data)
        self.app.register_certificate(subscription_id, thumb)
        return thumb
