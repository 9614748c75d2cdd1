"""A client from an emulator's endpoint: its ``endpoint.json`` path or the mapping a script holds.

``client.compat.endpoint_kwargs`` is the one place that knows which endpoint keys a client needs
(demo, cluster and bench build their clients through it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_sm_provider.client import ServiceManagementClient
from airflow_sm_provider.client.compat import endpoint_kwargs
from airflow_sm_provider.client.errors import InvalidInputError
from airflow_sm_provider.emulator import ENDPOINT_FILE


def test_a_mapping_and_the_file_give_the_same_client_and_it_talks_mtls(asm_emulator: Any) -> None:
    ep = asm_emulator.endpoint
    from_file = endpoint_kwargs(Path(asm_emulator.state_dir) / ENDPOINT_FILE)
    assert endpoint_kwargs(ep) == from_file
    assert endpoint_kwargs(str(Path(asm_emulator.state_dir) / ENDPOINT_FILE)) == from_file
    with ServiceManagementClient(**endpoint_kwargs(ep)) as client:
        assert client.subscription_id == ep["subscription_id"]
        client.list_locations()  # a real request over mutual TLS, with the endpoint's CA and certificate


def test_a_mapping_missing_keys_is_refused_by_name_before_any_request() -> None:
    with pytest.raises(InvalidInputError) as caught:
        endpoint_kwargs({"subscription_id": "x", "host": "127.0.0.1:1"})
    assert caught.value.field == "endpoint"
    assert "client_pem, ca_cert" in str(caught.value)


def test_neither_a_path_nor_a_mapping_is_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"endpoint\.json or its content as a mapping"):
        endpoint_kwargs(42)  # type: ignore[arg-type]


def test_a_file_that_is_not_an_object_names_the_path(tmp_path: Path) -> None:
    bad = tmp_path / ENDPOINT_FILE
    bad.write_text("[1, 2]")
    with pytest.raises(InvalidInputError, match="no JSON object") as caught:
        endpoint_kwargs(bad)
    assert caught.value.field == "path"
