"""The ``ca_bundle`` file is read once per client, and what was read is what is trusted.

Before: ``_ca_only_context`` read the file to check it holds no private key, then handed its PATH
to OpenSSL, which opened it again: two reads per client (sync and async), and the bytes checked
were not necessarily the bytes trusted (the file may change between them). The count comes from
the kernel (inotify), so OpenSSL's own ``fopen`` is seen too; the client then talks to the
emulator over mutual TLS, trusting exactly that bundle.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from airflow_sm_provider.client import AsyncServiceManagementClient, ServiceManagementClient
from airflow_sm_provider.client.credentials import load_credentials
from airflow_sm_provider.client.errors import InvalidInputError

IN_OPEN, IN_CLOSE_NOWRITE = 0x20, 0x10

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


@contextmanager
def opens_of(path: Path) -> Iterator[Callable[[], int]]:
    """Count the opens of ``path`` by this process and its libraries (inotify; identical
    consecutive events are merged, so closes are watched too to keep each open distinct)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK)
    assert fd >= 0, os.strerror(ctypes.get_errno())
    counted = [0]

    def drain() -> int:
        while True:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                return counted[0]
            offset = 0
            while offset < len(data):
                _wd, mask, _cookie, length = struct.unpack_from("iIII", data, offset)
                offset += 16 + length
                counted[0] += bool(mask & IN_OPEN)

    try:
        assert libc.inotify_add_watch(fd, os.fsencode(path), IN_OPEN | IN_CLOSE_NOWRITE) >= 0
        yield drain
    finally:
        os.close(fd)


@pytest.fixture
def own_ca(asm_emulator: Any, tmp_path: Path) -> Path:
    """A private copy of the emulator's CA (no other test opens it while we count)."""
    return Path(shutil.copy(asm_emulator.endpoint["ca_cert"], tmp_path / "ca.pem"))


def _kwargs(asm_emulator: Any, ca: Path) -> dict[str, Any]:
    ep = asm_emulator.endpoint
    return {
        "subscription_id": ep["subscription_id"],
        "certificate": ep["client_pem"],
        "host": ep["host"],
        "ca_bundle": ca,
    }


def test_the_sync_client_reads_its_ca_bundle_once(asm_emulator: Any, own_ca: Path) -> None:
    with opens_of(own_ca) as opens:
        with ServiceManagementClient(**_kwargs(asm_emulator, own_ca)) as sms:
            built = opens()
            assert sms.list_locations()  # the handshake trusts that bundle
        assert (built, opens()) == (1, 1)


def test_the_async_client_reads_its_ca_bundle_once(asm_emulator: Any, own_ca: Path) -> None:
    async def run() -> tuple[int, int]:
        with opens_of(own_ca) as opens:
            async with AsyncServiceManagementClient(**_kwargs(asm_emulator, own_ca)) as client:
                built = opens()
                assert await client.list_locations()
            return built, opens()

    assert asyncio.run(run()) == (1, 1)


def test_text_around_the_certificates_is_ignored_as_openssl_ignores_it(
    asm_emulator: Any, own_ca: Path
) -> None:
    """Bundles carry comments (``# Issuer: CN=...``, sometimes not ASCII): trusted as before."""
    own_ca.write_bytes("# Issuer: CN=Főtanúsítvány\n".encode() + own_ca.read_bytes() + b"\ntrailing\n")
    with ServiceManagementClient(**_kwargs(asm_emulator, own_ca)) as sms:
        assert sms.list_locations()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssls_trusted_certificate_form_is_trusted_as_before(asm_emulator: Any, own_ca: Path) -> None:
    """``BEGIN TRUSTED CERTIFICATE`` (``openssl x509 -trustout``): OpenSSL reads it from a file."""
    trusted = own_ca.with_name("trusted.pem")
    subprocess.run(
        ["openssl", "x509", "-in", own_ca, "-trustout", "-addtrust", "serverAuth", "-out", trusted],
        check=True,
    )
    assert trusted.read_bytes().startswith(b"-----BEGIN TRUSTED CERTIFICATE-----")
    with ServiceManagementClient(**_kwargs(asm_emulator, trusted)) as sms:
        assert sms.list_locations()


@pytest.mark.parametrize("content", [b"", b"# only a comment\n", b"-----BEGIN CERTIFICATE-----\nAAAA\n"])
def test_a_bundle_without_a_certificate_is_refused_naming_it(
    asm_emulator: Any, tmp_path: Path, content: bytes
) -> None:
    bundle = tmp_path / "empty.pem"
    bundle.write_bytes(content)
    creds = load_credentials(asm_emulator.endpoint["client_pem"])
    for ca in (bundle, str(bundle)):
        with pytest.raises(InvalidInputError) as info:
            creds.ssl_context(ca_bundle=ca, verify=True)
        assert info.value.field == "ca_bundle" and "no usable PEM certificate" in info.value.message
