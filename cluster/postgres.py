"""The metadata database: Debian's PostgreSQL 15 server in a throwaway data directory.

``initdb`` and ``pg_ctl`` refuse to run as root, so when the driver is root they run as an
unprivileged user (Debian's ``postgres`` if the package created it, else a system user
``asmcluster`` created here). The server listens on 127.0.0.1 only (no Unix socket), with a random
password (scram-sha-256) for a superuser ``airflow``, and ``fsync=off``: the data is thrown away.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from airflow_sm_provider._processes import free_port
from cluster.procs import wait_for_port

BIN = Path(os.environ.get("ASM_CLUSTER_PG_BIN", "/usr/lib/postgresql/15/bin"))
FALLBACK_USER = "asmcluster"


def _server_user() -> pwd.struct_passwd | None:
    """The user to run the server as; None when the driver itself is not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", FALLBACK_USER):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", FALLBACK_USER],
        check=True,
    )
    return pwd.getpwnam(FALLBACK_USER)


class Postgres:
    """``start()`` / ``stop()`` / ``restart()`` / ``destroy()`` one throwaway server."""

    def __init__(self) -> None:
        if not (BIN / "pg_ctl").exists():
            raise RuntimeError(f"PostgreSQL server not found in {BIN}: apt-get install -y postgresql")
        self.user = _server_user()
        self.port = free_port()
        self.password = secrets.token_hex(16)
        self.root = Path(tempfile.mkdtemp(prefix="asm-cluster-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.pgid: int | None = None
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        os.chmod(self.root, 0o700)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://airflow:{self.password}@127.0.0.1:{self.port}/airflow"

    def _run(self, *argv: str, session: bool = False) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(self.root)}
        return subprocess.run(
            argv,
            env=env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            start_new_session=session,
            **kwargs,  # type: ignore[call-overload]
        )

    def init(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self.user is not None:
            os.chown(pwfile, self.user.pw_uid, self.user.pw_gid)
        try:
            out = self._run(
                str(BIN / "initdb"), "-D", str(self.data), "-U", "airflow", f"--pwfile={pwfile}",
                "--auth=scram-sha-256", "-E", "UTF8", "--locale=C",
            )  # fmt: skip
        finally:
            pwfile.unlink()
        if out.returncode:
            raise RuntimeError(f"initdb failed: {out.stdout[-2000:]} {out.stderr[-2000:]}")
        opts = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": "''",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{k} = {v}\n" for k, v in opts.items())

    def start(self) -> None:
        """``pg_ctl start -w``, in a new session so the postmaster's group can be killed as one."""
        out = self._run(
            str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "start", session=True
        )
        if out.returncode:
            raise RuntimeError(f"pg_ctl start failed: {out.stdout} {out.stderr} {self.tail()}")
        self.pgid = os.getpgid(self.postmaster_pid())
        wait_for_port(self.port, 30)

    def create_database(self) -> None:
        import psycopg2

        con = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="airflow", password=self.password, dbname="postgres"
        )
        try:
            con.autocommit = True
            with con.cursor() as cur:
                cur.execute("CREATE DATABASE airflow")
        finally:
            con.close()

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self, mode: str = "fast") -> None:
        out = self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
        if out.returncode and self.running():
            self.kill()

    def restart(self, down_seconds: float = 0.0) -> float:
        """Stop (fast: every connection is cut), stay down ``down_seconds``, start; returns the downtime."""
        t0 = time.monotonic()
        self.stop()
        time.sleep(down_seconds)
        self.start()
        return time.monotonic() - t0

    def running(self) -> bool:
        try:
            os.kill(self.postmaster_pid(), 0)
        except (OSError, ValueError):
            return False
        return True

    def kill(self) -> None:
        if self.pgid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pgid, signal.SIGKILL)

    def tail(self, chars: int = 2000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def destroy(self) -> None:
        """Stop the server if it runs and delete the data directory."""
        with contextlib.suppress(Exception):
            if self.data.exists() and self.running():
                self.stop("immediate")
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)
