"""Every Python snippet of the seed tutorial runs against the emulator through our client, each
with only its import lines changed, after the environment was set once.

The snippets are read from ``shared/seed/*.txt`` at test time, not copied. The environment is what
``python -m airflow_sm_provider.emulator.env STATE_DIR`` prints (``AZURE_MANAGEMENT_HOST`` and
``AZURE_MANAGEMENT_CA_BUNDLE`` point the unchanged ``ServiceManagementService(subscription_id,
certificate_path)`` line at the emulator). Besides the import lines, only what a reader must fill
in is filled in: the Connect snippet's ``'<your_subscription_id>'`` / ``'<path_to_.pem_certificate>'``
and placeholders such as ``'URL_for_.cspkg_file'``; and two obvious typos are fixed (they fail with
any client): ``base64.b64encode(open(...,'rb'))`` -> ``...read()``, and ``update_deployment_status(``
-> ``sms.``. The Windows certificate-store snippet and the shell (openssl) lines are skipped.
Between snippets the harness lets the emulator finish what a snippet started (a reader would look
at the portal in between; e.g. the tutorial deletes a VM deployment and its cloud service back to
back).
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_sm_provider.client import ServiceManagementClient, TransportError
from airflow_sm_provider.emulator.env import environment

SEED_DIR = Path("/work/shared/seed")
SEEDS = sorted(SEED_DIR.glob("*.txt")) if SEED_DIR.is_dir() else []
FAST = {"timeout": 120, "poll_interval": 0.05}
CSCFG = (
    '<ServiceConfiguration serviceName="myhostedservice" xmlns="http://schemas.microsoft.com/ServiceHosting/'
    '2008/10/ServiceConfiguration"><Role name="WebRole1"><Instances count="1"/></Role></ServiceConfiguration>'
)

# Run order: the tutorial deletes the cloud service before deploying to it; we delete it last.
ORDER = [
    "Connect",
    "ListAvailableLocations",
    "CreateCloudService",
    "CreateDeployment",
    "UpdateDeployment",
    "MoveDeployments",
    "DeleteDeployment",
    "DeleteCloudService",
    "CreateStorageService",
    "DeleteStorageService",
    "CreateAffinityGroup",
    "DeleteAffinityGroup",
    "ListOperatingSystems",
    "CreateVMImage",
    "DeleteVMImage",
    "CreateVM",
    "DeleteVM",
]


def sections(text: str) -> dict[str, list[str]]:
    """Section anchor -> its tab-indented code blocks."""
    out: dict[str, list[str]] = {}
    current = ""
    block: list[str] = []

    def flush() -> None:
        if block and any(line.strip() for line in block):
            out.setdefault(current, []).append(
                "\n".join(line[1:] if line.startswith("\t") else line for line in block)
            )
        block.clear()

    for line in text.splitlines():
        anchor = re.match(r'## <a name="(\w+)">', line)
        if anchor:
            flush()
            current = anchor.group(1)
        elif line.startswith("\t"):
            block.append(line)
        elif not line.strip() and block:
            block.append("")
        else:
            flush()
    flush()
    return out


def adapt(code: str, endpoint: dict[str, Any], cscfg_path: str, image_name: str) -> str:
    code = re.sub(
        r"^from azure(\.servicemanagement)? import \*$",
        "from airflow_sm_provider.client import *",
        code,
        flags=re.M,
    )
    code = code.replace("'<your_subscription_id>'", repr(endpoint["subscription_id"]))
    code = code.replace("'<path_to_.pem_certificate>'", repr(endpoint["client_pem"]))
    code = code.replace("open('path_to_cscfg', 'rb'))", "open('path_to_cscfg', 'rb').read())")
    code = code.replace("result = update_deployment_status(", "result = sms.update_deployment_status(")
    code = code.replace("'path_to_cscfg'", repr(cscfg_path))
    code = code.replace("'URL_for_.cspkg_file'", "'https://account.blob.core.windows.net/pkgs/app.cspkg'")
    code = code.replace(
        "'url_to_storage_blob_for_source_image_vhd'",
        "'https://account.blob.core.windows.net/vhds/mycentos.vhd'",
    )
    code = code.replace(
        "'url_to_target_storage_blob_for_vm_hd'", "'https://account.blob.core.windows.net/vhds/myvm.vhd'"
    )
    code = code.replace("'OpenLogic__OpenLogic-CentOS-62-20120531-zh-tw-30GB.vhd'", repr(image_name))
    return code


def runnable(code: str) -> bool:
    """Python blocks only: not the Windows certificate-store snippet nor the openssl shell lines."""
    return not code.lstrip().startswith("`") and "CURRENT_USER" not in code


@pytest.fixture
def tutorial_env(asm_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment, set once, exactly as ``emulator.env`` prints it."""
    asm_emulator.clear_faults()
    env = environment(asm_emulator.endpoint, conn_id=None)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def settle(emulator: Any, deadline_s: float = 120.0) -> None:
    """Until no operation of the emulator is in progress (reading its state advances its clock)."""
    end = time.monotonic() + deadline_s
    while any(op["status"] == "InProgress" for op in emulator.app.admin_state()["operations"]):
        assert time.monotonic() < end, "an operation the tutorial started never finished"
        time.sleep(0.05)


@pytest.mark.skipif(not SEEDS, reason="the seed tutorial is not available")
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_every_tutorial_snippet_runs(
    seed: Path,
    asm_emulator: Any,
    tutorial_env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ep = asm_emulator.endpoint
    cscfg = tmp_path / "ServiceConfiguration.cscfg"
    cscfg.write_text(CSCFG)
    with ServiceManagementClient() as harness:  # the environment alone points it at the emulator
        assert harness.host == ep["host"] and harness.subscription_id == ep["subscription_id"]
        names = {img.name for img in harness.list_os_images()}
        wanted = "OpenLogic__OpenLogic-CentOS-62-20120531-zh-tw-30GB.vhd"
        image = (
            wanted if wanted in names else sorted(n for n in names if "CentOS" in n or "Linux" in n or n)[0]
        )
        blocks = sections(seed.read_text(encoding="utf-8"))
        ns: dict[str, Any] = {}
        ran = []
        for section in ORDER:
            for code in filter(runnable, blocks.get(section, [])):
                if section == "MoveDeployments":  # the tutorial assumes v2 was deployed to staging meanwhile
                    harness.create_deployment(
                        "myhostedservice",
                        "staging",
                        "v2",
                        "https://a.blob.core.windows.net/p/v2.cspkg",
                        "v2",
                        CSCFG,
                    ).wait(**FAST)
                if section == "DeleteCloudService":  # its deployments must go first (the tutorial says so)
                    harness.delete_deployment("myhostedservice", "v2").wait(**FAST)
                exec(compile(adapt(code, ep, str(cscfg), image), f"{seed.name}:{section}", "exec"), ns)
                if "ServiceManagementService(" in code:  # the tutorial's own line, never edited
                    assert "sms = ServiceManagementService(subscription_id, certificate_path)" in code
                assert isinstance(ns["sms"], ServiceManagementClient) and ns["sms"].host == ep["host"]
                settle(asm_emulator)
                ran.append(section)
    assert set(ORDER) <= set(ran)
    out = capsys.readouterr().out
    assert "Operation status: " in out and "Location: West US" in out and "Instance name: " in out


def test_the_environment_names_the_emulator_and_an_argument_wins(tutorial_env: dict[str, str]) -> None:
    """An explicit host is never redirected by the environment, and then its CA variable is not used:
    the emulator's certificate is then checked against the system store and refused."""
    explicit = ServiceManagementClient(host=tutorial_env["AZURE_MANAGEMENT_HOST"])
    with explicit, pytest.raises(TransportError, match=r"(?i)certificate"):
        explicit.list_locations()
    with ServiceManagementClient(host="127.0.0.1:9") as other:  # nothing is sent
        assert other.host == "127.0.0.1:9"


def test_the_async_client_takes_the_same_environment(tutorial_env: dict[str, str]) -> None:
    from airflow_sm_provider.client import AsyncServiceManagementClient

    async def locations() -> list[str]:
        async with AsyncServiceManagementClient() as client:
            assert client.host == tutorial_env["AZURE_MANAGEMENT_HOST"]
            return [loc.name for loc in await client.list_locations()]

    assert "West US" in asyncio.run(locations())
