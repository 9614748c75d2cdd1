"""pytest fixtures for the ASM emulator (auto-registered through the ``pytest11`` entry point).

Users' own DAG tests get a real HTTPS ASM endpoint with no setup::

    def test_my_dag(asm_emulator):
        ep = asm_emulator.endpoint   # host, subscription_id, client_pem, ca_cert, ...

and, with ``pytest --asm-airflow-home``, a migrated Airflow home (``asm_airflow``; the helpers behind
it are ``airflow_sm_provider.testing``, which needs no pytest).

Importing this module must stay cheap (it loads in every pytest session of every project that has the
provider installed): nothing heavy is imported until a fixture is used.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# Re-exported for tests (``from ...pytest_plugin import admin_session``); defined without pytest.
from airflow_sm_provider._processes import emulator_command
from airflow_sm_provider.emulator.sessions import admin_session, legacy_session
from airflow_sm_provider.testing import OPTION, AirflowTestHome, use_airflow_home

if TYPE_CHECKING:
    from . import Emulator

__all__ = [
    "EmulatorProcess",
    "admin_session",
    "asm_airflow",
    "asm_emulator",
    "asm_emulator_factory",
    "legacy_session",
]

ASM_EMULATOR_SPEED = 200.0


class EmulatorProcess:
    """An emulator run as a child process through the CLI (for kill -9 and SIGTERM tests)."""

    def __init__(self, state_dir: Path, args: list[str], env: dict[str, str] | None = None) -> None:
        self.state_dir = state_dir
        self.args = args
        self.env = env
        self.proc: subprocess.Popen[str] | None = None
        self.endpoint: dict[str, str] = {}

    def start(self, timeout: float = 30.0) -> EmulatorProcess:
        cmd = emulator_command(self.state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.state_dir / "emulator.log"  # a file, not a pipe: a chatty child never blocks
        with log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [*cmd, *self.args], stdout=subprocess.PIPE, stderr=log, text=True, env=self.env
            )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # printed only once the server accepts connections
        if not line:
            self.proc.wait(timeout)
            raise RuntimeError(f"emulator exited with {self.proc.returncode}: {log_path.read_text()[-2000:]}")
        self.endpoint = json.loads(line)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL (kill -9): no clean-up runs in the emulator."""
        assert self.proc is not None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(15)

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            self.terminate()
        except subprocess.TimeoutExpired:
            self.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _cli_args(
    port: int, speed: float, seed: int, faults: str | None, rate_limit: float | None = None
) -> list[str]:
    args = ["--port", str(port), "--speed", str(speed), "--seed", str(seed)]
    if rate_limit:
        args += ["--rate-limit", str(rate_limit)]
    return [*args, "--faults", faults] if faults else args


@pytest.fixture(scope="session")
def asm_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One in-process emulator for the whole session (speed 200, its own state dir)."""
    from . import Emulator

    emulator = Emulator(tmp_path_factory.mktemp("asm-emulator"), speed=ASM_EMULATOR_SPEED)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def asm_emulator_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Any]]:
    """Make emulators: ``factory(subprocess=False, state_dir=None, **kwargs)``.

    In-process (default) returns a started :class:`Emulator` (kwargs: speed, seed, faults, port,
    app_factory, rate_limit, ...). With ``subprocess=True`` returns a started :class:`EmulatorProcess`
    (kwargs: port, speed, seed, faults, rate_limit, extra_args, env) that can be ``kill()``-ed and
    ``start()``-ed again. Pass ``state_dir`` to restart on an existing directory. All are stopped at the end.
    """
    from . import Emulator

    made: list[Emulator | EmulatorProcess] = []

    def factory(*, subprocess: bool = False, state_dir: str | Path | None = None, **kwargs: Any) -> Any:
        directory = Path(state_dir) if state_dir else tmp_path_factory.mktemp("asm-emu")
        if subprocess:
            extra = list(kwargs.pop("extra_args", []))
            env = kwargs.pop("env", None)
            args = _cli_args(
                kwargs.pop("port", 0),
                kwargs.pop("speed", ASM_EMULATOR_SPEED),
                kwargs.pop("seed", 0),
                kwargs.pop("faults", None),
                kwargs.pop("rate_limit", None),
            )
            if kwargs:
                raise TypeError(f"unsupported subprocess options: {sorted(kwargs)}")
            proc = EmulatorProcess(directory, [*args, *extra], env)
            made.append(proc)
            return proc.start()
        kwargs.setdefault("speed", ASM_EMULATOR_SPEED)
        emulator = Emulator(directory, **kwargs)
        made.append(emulator)
        return emulator.start()

    try:
        yield factory
    finally:
        for item in reversed(made):
            with contextlib.suppress(Exception):
                item.stop()


# --- a migrated Airflow home for DAG tests: --asm-airflow-home and asm_airflow (docs/testing.md) ------
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        OPTION,
        action="store_true",
        default=False,
        help="airflow-sm-provider: run the tests in a new, migrated temporary Airflow home "
        "(fixture asm_airflow).",
    )


_prepared: list[AirflowTestHome] = []


def pytest_configure(config: pytest.Config) -> None:
    # Before collection, so before any test module imports Airflow.
    if config.getoption(OPTION, default=False) and not _prepared:
        _prepared.append(use_airflow_home())


def pytest_unconfigure(config: pytest.Config) -> None:
    while _prepared:
        shutil.rmtree(_prepared.pop().home, ignore_errors=True)


@pytest.fixture(scope="session")
def asm_airflow() -> Iterator[AirflowTestHome]:
    """The migrated temporary Airflow home of this pytest run (needs ``--asm-airflow-home``)."""
    if not _prepared:
        if "airflow.settings" in sys.modules:
            pytest.fail(
                f"asm_airflow needs pytest {OPTION} (or it in addopts): Airflow was imported before "
                "the fixture ran and already read its configuration."
            )
        _prepared.append(use_airflow_home())
    yield _prepared[0]
