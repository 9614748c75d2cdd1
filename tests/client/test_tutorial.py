"""Every Python snippet of the seed tutorial runs against the emulator through our client.

The snippets are read from ``shared/seed/*.txt`` at test time, not copied. Only these edits are made
(all outside the API surface): the import lines point at ``airflow_sm_provider.client``; the
constructor line becomes ``sms = <our client>`` (host and CA of the emulator); placeholders such as
``'URL_for_.cspkg_file'`` become real values; and two obvious typos are fixed:
``base64.b64encode(open(...,'rb'))`` -> ``...read()``, and ``update_deployment_status(...)`` -> ``sms.``.
The Windows certificate-store snippet and the shell (openssl) lines are not Python and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_sm_provider.client import OperationHandle, ServiceManagementClient

SEED_DIR = Path("/work/shared/seed")
SEEDS = sorted(SEED_DIR.glob("*.txt")) if SEED_DIR.is_dir() else []
FAST = {"timeout": 120, "poll_interval": 0.05}
CSCFG = (
    '<ServiceConfiguration serviceName="myhostedservice" xmlns="http://schemas.microsoft.com/ServiceHosting/'
    '2008/10/ServiceConfiguration"><Role name="WebRole1"><Instances count="1"/></Role></ServiceConfiguration>'
)

# Run order: the tutorial deletes the cloud service before deploying to it; we delete it last.
ORDER = [
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


def adapt(code: str, cscfg_path: str, image_name: str) -> str:
    code = re.sub(
        r"^from azure(\.servicemanagement)? import \*$",
        "from airflow_sm_provider.client import *",
        code,
        flags=re.M,
    )
    code = code.replace("sms = ServiceManagementService(subscription_id, certificate_path)", "sms = _sms")
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


@pytest.fixture
def sms(asm_emulator: Any) -> Iterator[ServiceManagementClient]:
    asm_emulator.clear_faults()
    ep = asm_emulator.endpoint
    with ServiceManagementClient(
        ep["subscription_id"], ep["client_pem"], ep["host"], ep["ca_cert"]
    ) as client:
        yield client


class Recorder:
    """``sms`` as the snippets see it: our client, remembering the operations each snippet started so
    the harness can let them finish before the next snippet (a reader would look at the portal in
    between; e.g. the tutorial deletes a VM deployment and its cloud service back to back)."""

    def __init__(self, client: ServiceManagementClient) -> None:
        self._client = client
        self.pending: list[OperationHandle] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if isinstance(result, OperationHandle):
                self.pending.append(result)
            return result

        return call

    def settle(self) -> None:
        while self.pending:
            self.pending.pop(0).wait(**FAST)


@pytest.mark.skipif(not SEEDS, reason="the seed tutorial is not available")
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_every_tutorial_snippet_runs(
    seed: Path, sms: ServiceManagementClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cscfg = tmp_path / "ServiceConfiguration.cscfg"
    cscfg.write_text(CSCFG)
    names = {img.name for img in sms.list_os_images()}
    wanted = "OpenLogic__OpenLogic-CentOS-62-20120531-zh-tw-30GB.vhd"
    image = wanted if wanted in names else sorted(n for n in names if "CentOS" in n or "Linux" in n or n)[0]
    blocks = sections(seed.read_text(encoding="utf-8"))
    recorder = Recorder(sms)
    ns: dict[str, Any] = {
        "_sms": recorder,
        "subscription_id": sms.subscription_id,
        "certificate_path": "unused",
    }
    ran = []
    for section in ORDER:
        for code in blocks.get(section, []):
            if section == "MoveDeployments":  # the tutorial assumes v2 was deployed to staging meanwhile
                sms.create_deployment(
                    "myhostedservice",
                    "staging",
                    "v2",
                    "https://a.blob.core.windows.net/p/v2.cspkg",
                    "v2",
                    CSCFG,
                ).wait(**FAST)
            if section == "DeleteCloudService":  # its deployments must go first (the tutorial says so)
                sms.delete_deployment("myhostedservice", "v2").wait(**FAST)
            exec(compile(adapt(code, str(cscfg), image), f"{seed.name}:{section}", "exec"), ns)
            recorder.settle()
            ran.append(section)
    assert set(ORDER) <= set(ran)
    out = capsys.readouterr().out
    assert "Operation status: " in out and "Location: West US" in out and "Instance name: " in out
