"""Wire proof without a server: every operation sends what the old SDK 0.20.8 sends.

For each entry of the operation table the same call is made on the old client (its ``with_filter``
captures the ``HTTPRequest``) and on ours (a capturing ``transport=``); verb, path, query, body
(canonical XML) and x-ms-version must agree. Where the old SDK was wrong against asm-wire.md, the
difference is listed in ``DEVIATIONS`` with the reason, and asserted as such.
"""

from __future__ import annotations

from typing import Any

import pytest
from legacy_wire import (
    SUB,
    canonical_path,
    canonical_xml,
    old_captured,
    old_client,
    ours_captured,
    ours_client,
    sample_args,
)

from airflow_sm_provider.client.errors import InvalidResponseError
from airflow_sm_provider.client.operations import OPERATIONS

#: operation -> why our request differs from the old SDK's (asm-wire.md is the reference).
DEVIATIONS: dict[str, str] = {}
#: Bodies compared after dropping the old SDK's model-default elements (legacy_wire.OLD_DEFAULTS):
#: its VM models default to "" / False / 4 and its serializer writes every non-None value, so it
#: sends e.g. <SSH><PublicKeys/><KeyPairs/></SSH> and <LoadBalancedEndpointSetName/> nobody set.
#: We send only what the caller set; the service applies the same defaults.
VM_BODIES = {
    "add_role",
    "update_role",
    "create_virtual_machine_deployment",
    "capture_role",
    "update_vm_image",
}


def _old_request(name: str, old_args: tuple[Any, ...]) -> Any:
    old, seen = old_client()
    try:
        getattr(old, name)(*old_args)
    except Exception:  # parsing the empty canned answer; the request is what we compare
        if not seen:
            raise
    assert len(seen) == 1, f"the old SDK sent {len(seen)} requests for {name}"
    return old_captured(seen[0])


def _our_request(name: str, new_args: tuple[Any, ...]) -> Any:
    client, transport = ours_client()
    try:
        getattr(client, name)(*new_args)
    except InvalidResponseError:  # parsing the empty canned answer; the request is what we compare
        if not transport.sent:
            raise
    assert len(transport.sent) == 1, f"we sent {len(transport.sent)} requests for {name}"
    return ours_captured(transport.sent[0])


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_request_matches_the_old_sdk(name: str) -> None:
    new_args, old_args = sample_args(OPERATIONS[name])
    old = _old_request(name, old_args)
    new = _our_request(name, new_args)
    assert new.method == old.method
    assert canonical_path(new.path) == canonical_path(old.path), (new.path, old.path)
    assert new.x_ms_version == old.x_ms_version
    drop = name in VM_BODIES
    assert canonical_xml(new.body, drop_defaults=drop) == canonical_xml(old.body, drop_defaults=drop)


def test_list_subscriptions_is_above_the_subscription() -> None:
    new = _our_request("list_subscriptions", ())
    assert new.path == "/subscriptions" and SUB not in new.path
