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

import contextlib
import fcntl
import json
import os
import secrets
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .faults import FaultInjector
    from .server import EmulatorServer

__all__ = ["Emulator", "ServiceLike", "StateDirInUseError", "read_endpoint"]

ENDPOINT_FILE = "endpoint.json"
IDENTITY_FILE = "identity.json"
#: Held (``flock``, exclusive) by the emulator serving the state directory, for its whole life.
LOCK_FILE = "emulator.lock"


class StateDirInUseError(OSError):
    """Another emulator (process or in-process) is serving this state directory."""


class ServiceLike(Protocol):
    """What the emulator needs from the service logic (``service.ServiceApp``) beyond ``http.App``."""

    def register_certificate(self, subscription_id: str, thumbprint: str) -> None: ...
    def close(self) -> None: ...


AppFactory = Callable[[Path, float], Any]  # (state_dir, speed) -> App & ServiceLike


def _default_app_factory(state_dir: Path, speed: float) -> Any:
    from .service import ServiceApp

    return ServiceApp(state_dir, speed=speed)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Atomic, owner-only (0600): endpoint.json and identity.json hold the admin token."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _identity(state_dir: Path) -> dict[str, str]:
    """The state directory's own subscription id (a GUID) and admin token, made once, then reused
    on every restart (so a client or script that read endpoint.json keeps working across restarts)."""
    path = state_dir / IDENTITY_FILE
    data: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if "subscription_id" in data and "admin_token" in data:
        return data
    state_dir.mkdir(parents=True, exist_ok=True)
    data.setdefault("subscription_id", str(uuid.uuid4()))
    data.setdefault("admin_token", secrets.token_urlsafe(24))
    _write_json(path, data)
    return data


def default_subscription_id(state_dir: Path) -> str:
    """The state directory's own subscription id: a GUID made once, then reused on every restart."""
    return _identity(state_dir)["subscription_id"]


def read_endpoint(state_dir: str | os.PathLike[str]) -> dict[str, str]:
    """The ``endpoint.json`` an emulator wrote into ``state_dir``."""
    return dict(json.loads((Path(state_dir) / ENDPOINT_FILE).read_text()))


def _holder(state_dir: Path) -> str:
    """`` (pid N, host H:P)``: the emulator holding ``state_dir``, as far as its files tell."""
    parts = []
    with contextlib.suppress(OSError, ValueError):
        parts.append(f"pid {int((state_dir / LOCK_FILE).read_text().strip())}")
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        parts.append(f"host {read_endpoint(state_dir)['host']}")
    return f" ({', '.join(parts)})" if parts else ""


def _lock_state_dir(state_dir: Path) -> int:
    """The fd of an exclusive ``flock`` on ``DIR/emulator.lock`` (which then holds our pid). The kernel
    drops it when the process dies, even by ``kill -9``, so a restart after a crash is never refused.
    StateDirInUseError, touching nothing else, if another emulator holds it."""
    fd = os.open(state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StateDirInUseError(
            f"state directory {state_dir} is in use by another emulator{_holder(state_dir)}; "
            "stop it first or use another state directory"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _unlock(fd: int) -> None:
    # LOCK_UN before close: a process forked meanwhile (Airflow's task runner next to an in-process
    # emulator) shares the lock and would otherwise keep it until it exits.
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


class Emulator:
    """An emulator running in this process (server threads + service logic).

    ``faults``: a built-in profile name (``"chaos"``), a JSON profile path, or a list of rule dicts.
    ``register``: extra ``(certificate PEM path, subscription id)`` pairs to authorise.
    ``app_factory``: replaces the service logic (tests of the network layer use a stub).
    ``rate_limit``: requests per second per subscription (burst max(1, rate)); over it, 429
    TooManyRequests with Retry-After. None: no limit. Changeable at run time (``set_rate_limit``).
    ``admin_token``: the token ``/__admin__/*`` requires (header ``X-Emulator-Admin-Token``); by
    default one made for the state directory and kept in it. It is in ``endpoint["admin_token"]``.

    One emulator per state directory: from ``start()`` to ``stop()`` it holds a lock on it, and
    ``start()`` on a directory another emulator serves raises StateDirInUseError (an OSError).
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
        rate_limit: float | None = None,
        admin_token: str | None = None,
    ) -> None:
        self.state_dir = Path(state_dir).absolute()
        self.port = port
        self.bind = bind
        self.speed = speed
        self.seed = seed
        self.faults_spec = faults
        self.register = [(Path(pem), sub) for pem, sub in register]
        self._app_factory = app_factory or _default_app_factory
        self.rate_limit = rate_limit
        self.admin_token = admin_token
        self.app: Any = None
        self.server: EmulatorServer | None = None
        self._endpoint: dict[str, str] | None = None
        self._lock_fd: int | None = None

    # --- life cycle -----------------------------------------------------------------------------
    def start(self) -> Emulator:
        from . import certs
        from .faults import FaultInjector, load_profile
        from .server import WILDCARD_BINDS, EmulatorServer, listen

        if self.server is not None:
            raise RuntimeError("emulator already started")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0-65535, got {self.port}")
        # Arguments first: a bad fault profile or certificate to register fails before anything is
        # written (a typo must not leave a freshly minted CA and keys behind in the state dir).
        rules = self.faults_spec
        if rules is not None and not isinstance(rules, list):
            rules = load_profile(rules)
        injector = FaultInjector(seed=self.seed, rules=rules)
        registered = [(sub, certs.thumbprint_of_pem(pem.read_bytes())) for pem, sub in self.register]
        if self.state_dir.exists() and not self.state_dir.is_dir():
            raise NotADirectoryError(f"state directory {self.state_dir} is not a directory")
        # Then the state dir's lock (if the dir exists) and the port, so that neither an emulator
        # already serving the dir nor a port in use leaves anything written or changed.
        lock_fd = _lock_state_dir(self.state_dir) if self.state_dir.is_dir() else None
        listener = None
        try:
            listener = listen(self.bind, self.port)
            if lock_fd is None:
                self.state_dir.mkdir(parents=True, exist_ok=True)
                lock_fd = _lock_state_dir(self.state_dir)
            local = ("127.0.0.1", "localhost", *WILDCARD_BINDS)
            extra = () if self.bind in local else (self.bind,)
            paths = certs.ensure_certificates(self.state_dir, extra_hosts=extra)
            identity = _identity(self.state_dir)
            subscription_id = identity["subscription_id"]
            token = self.admin_token or identity["admin_token"]

            app = self._app_factory(self.state_dir, self.speed)
            try:
                app.register_certificate(subscription_id, paths.thumbprint)
                for sub, thumbprint in registered:
                    app.register_certificate(sub, thumbprint)
                server = EmulatorServer(
                    app,
                    cert_file=paths.server_cert,
                    key_file=paths.server_key,
                    bind=self.bind,
                    port=self.port,
                    faults=injector,
                    admin_token=token,
                    rate_limit=self.rate_limit,
                )
                server.start(listener)
            except BaseException:
                app.close()
                raise
        except BaseException:
            if listener is not None:
                listener.close()
            if lock_fd is not None:
                _unlock(lock_fd)
            raise
        self._lock_fd = lock_fd
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
            "admin_token": token,
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
        lock_fd, self._lock_fd = self._lock_fd, None
        if lock_fd is not None:
            _unlock(lock_fd)

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

    def add_faults(self, *rules: dict[str, Any] | list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add fault rules at run time, as ``POST /__admin__/faults`` does; returns them with ids.

        Takes one rule, several, or lists of rules (``add_faults(rule)``, ``add_faults(r1, r2)``,
        ``add_faults([r1, r2])``); all are validated before any is added."""
        flat: list[dict[str, Any]] = []
        for item in rules:
            if isinstance(item, dict):
                flat.append(item)
            elif isinstance(item, list | tuple) and all(isinstance(r, dict) for r in item):
                flat.extend(item)
            else:
                raise TypeError(f"a fault rule is a dict (or a list of dicts), got {type(item).__name__}")
        return [r.to_dict() for r in self.faults.add(flat)]

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_rate_limit(self, rps: float | None) -> None:
        """Requests per second per subscription from now on (None or 0: no limit)."""
        if self.server is None:
            raise RuntimeError("emulator not started")
        self.server.limiter.set(rps)

    @property
    def stats(self) -> dict[str, Any]:
        """``GET /__admin__/stats``: requests, throttled, by_operation, by_status, by_subscription."""
        if self.server is None:
            raise RuntimeError("emulator not started")
        return self.server.stats.snapshot()

    def set_health(self, service: str, health: str | int | None, **where: Any) -> dict[str, Any]:
        """Run-time health of a deployment's application, as ``POST /__admin__/health`` does:
        ``set_health("svc", "unhealthy", slot="staging", path="api/status", upgrade_domain=2)``;
        ``health=None`` removes that override."""
        rule = {"service": service, "health": health, **where}
        method = "DELETE" if health is None else "POST"
        return dict(self.app.health_rules(method, rule))

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
