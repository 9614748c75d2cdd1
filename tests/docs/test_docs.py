"""The docs stay true to the code.

* docs/reference.md is what tools/gen_reference.py generates now, and every __init__ argument of every
  hook, operator, sensor and trigger has a ``:param`` description;
* every error quoted in docs/troubleshooting.md is still what the client says, reproduced here
  against the emulator;
* the link checker of tools/docs_check.py finds broken links and anchors (and the docs have none).

The runnable blocks themselves run in ``make docs-check`` (python tools/docs_check.py).
"""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import docs_check  # noqa: E402
import gen_reference  # noqa: E402


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_reference_is_generated_from_current_code() -> None:
    text, problems = gen_reference.render()
    assert problems == []
    assert (REPO / "docs" / "reference.md").read_text() == text, "run: python tools/gen_reference.py"


def test_reference_lists_every_public_operator_sensor_and_trigger() -> None:
    text = (REPO / "docs" / "reference.md").read_text()
    found = gen_reference.discover()
    assert found["operators"] and found["sensors"] and found["triggers"] and found["hooks"]
    for classes in found.values():
        for cls in classes:
            assert f"### `{cls.__name__}`" in text
            for param in gen_reference.own_init_params(cls):
                assert f"| `{param.name}` |" in text, (cls.__name__, param.name)


def test_reference_reports_an_undocumented_argument() -> None:
    class Undocumented:
        """No params here.

        :param known: documented.
        """

        def __init__(self, known: int, hidden: str = "x") -> None: ...

    problems: list[str] = []
    gen_reference.render_class(Undocumented, problems, kind="operators")
    assert any("'hidden' has no :param" in p for p in problems)
    assert not any("'known'" in p for p in problems)


def test_link_checker_finds_broken_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs_check, "REPO", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "b.md").write_text("# Title\n\n## The `x` part: one, two\n")
    page = tmp_path / "docs" / "a.md"
    page.write_text(
        "[ok](b.md#the-x-part-one-two) [ok2](#local) [bad](missing.md) [bad2](b.md#nope)\n"
        "[out](../../etc/passwd) [web](https://example.com) `[code](nope.md)`\n\n## Local\n"
        "```\n[in a block](nope.md)\n```\n"
    )
    errors = docs_check.check_links([page])
    assert len(errors) == 3, errors
    assert any("missing.md" in e for e in errors)
    assert any("#nope" in e for e in errors)
    assert any("leaves the repository" in e for e in errors)


def test_docs_links_resolve() -> None:
    assert docs_check.check_links(docs_check.doc_files()) == []


# --- troubleshooting.md quotes real messages ---------------------------------------------------------
def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from testpki import cert_pem, key_pem, make_cert, rsa_key

    d = tmp_path_factory.mktemp("certs")
    subj = ["-subj", "/CN=docs"]
    _openssl("req", "-x509", "-nodes", "-days", "30", "-newkey", "rsa:2048", *subj,
             "-keyout", "mycert.key", "-out", "mycert.crt", cwd=d)  # fmt: skip
    _openssl("req", "-x509", "-nodes", "-days", "30", "-newkey", "rsa:1024", *subj,
             "-keyout", "weak.key", "-out", "weak.crt", cwd=d)  # fmt: skip
    _openssl("req", "-x509", "-nodes", "-days", "30", "-newkey", "rsa:2048", *subj,
             "-keyout", "other.key", "-out", "other.crt", cwd=d)  # fmt: skip
    _openssl("x509", "-in", "mycert.crt", "-outform", "der", "-out", "mycert.cer", cwd=d)
    _openssl("pkcs12", "-export", "-in", "mycert.crt", "-inkey", "mycert.key", "-out", "mycert.pfx",
             "-passout", "pass:right", cwd=d)  # fmt: skip
    (d / "mycert.pem").write_bytes((d / "mycert.crt").read_bytes() + (d / "mycert.key").read_bytes())
    (d / "weak.pem").write_bytes((d / "weak.crt").read_bytes() + (d / "weak.key").read_bytes())
    (d / "mismatch.pem").write_bytes((d / "mycert.crt").read_bytes() + (d / "other.key").read_bytes())
    now = datetime.datetime.now(datetime.timezone.utc)
    key = rsa_key()
    cert = make_cert(
        key,
        "expired",
        not_before=now - datetime.timedelta(days=60),
        not_after=now - datetime.timedelta(days=1),
    )
    (d / "expired.pem").write_bytes(cert_pem(cert) + key_pem(key))
    return d


# case -> (certificate file, client kwargs, sentence quoted in troubleshooting.md)
CASES: dict[str, tuple[str | None, dict[str, Any], str]] = {
    "unknown CA": (
        None,
        {"ca_bundle": None},
        "the server's certificate is not signed by a trusted CA; set ca_bundle to the CA that signed it "
        "(for the emulator: its ca_cert from endpoint.json).",
    ),
    "not uploaded": (
        "mycert.pem",
        {},
        "Check that the management certificate's .cer was uploaded to this subscription and that the "
        "subscription id is right.",
    ),
    "1024-bit": ("weak.pem", {}, "the RSA key has 1024 bits; OpenSSL 3 refuses keys under 2048 bits"),
    "expired": ("expired.pem", {}, "the certificate expired on"),
    "wrong password": (
        "mycert.pfx",
        {"password": "wrong"},
        "could not be opened: the PKCS#12 password is wrong (or the file is corrupt); check the password "
        "given (connection field 'password', or password=)",
    ),
    "key mismatch": (
        "mismatch.pem",
        {},
        "the private key does not belong to the certificate (they come from different key pairs); put "
        "the matching key and certificate together",
    ),
    "cer without key": (
        "mycert.cer",
        {},
        "holds a certificate but no private key. A .cer file is the public part you upload to Azure;",
    ),
    "not running": (None, {"host": "127.0.0.1:9"}, "connection refused. Is the host right, and is the"),
}


@pytest.mark.parametrize("case", CASES)
def test_troubleshooting_quotes_the_real_message(case: str, certs: Path, asm_emulator: Any) -> None:
    from airflow_sm_provider.client import RetryPolicy, ServiceManagementClient

    ep = asm_emulator.endpoint
    cert_file, overrides, sentence = CASES[case]
    kwargs: dict[str, Any] = {"host": ep["host"], "ca_bundle": ep["ca_cert"]}
    kwargs["retry"] = RetryPolicy(max_attempts=1)  # "not running" would retry for ~20 s
    kwargs.update(overrides)
    cert = str(certs / cert_file) if cert_file else ep["client_pem"]
    with (
        pytest.raises(Exception) as info,  # the message is what is checked
        ServiceManagementClient(ep["subscription_id"], cert, **kwargs) as sms,
    ):
        sms.get_subscription()
    assert sentence in _flat(str(info.value)), str(info.value)
    doc = _flat((REPO / "docs" / "troubleshooting.md").read_text())
    assert sentence in doc, f"docs/troubleshooting.md no longer quotes: {sentence}"


def test_the_rolling_upgrade_block_prints_what_the_page_says_at_the_page_s_speed(
    asm_emulator_factory: Any, tmp_path: Path
) -> None:
    """docs/emulator.md runs its emulator at --speed 20; docs-check runs the block at 200. The block
    must wait on the condition it prints, not sleep a time right only at one speed."""
    _, blocks = docs_check.scan(REPO / "docs" / "emulator.md")
    index = next(i for i, b in enumerate(blocks) if "walk_upgrade_domain" in b.text and "run" in b.flags)
    block, printed = blocks[index], blocks[index + 1]
    assert printed.lang == "text"
    emulator = asm_emulator_factory(speed=20)
    env = docs_check.block_env(emulator.state_dir)
    result = subprocess.run(
        [sys.executable, "-c", block.text], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == printed.text
