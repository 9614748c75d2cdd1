"""The deployment bodies declare each shared element once (review finding 8): Configuration, Mode,
PackageUrl (and the flags two bodies share) are one ``F`` each, used by every body that sends them,
with one parameter declaration each, so their tag, attribute and check cannot drift apart. The
requests themselves are unchanged (test_wire_legacy compares them with the old SDK's).
"""

from __future__ import annotations

from collections import defaultdict

from airflow_sm_provider.client.operations import deployments

SHARED = ("Configuration", "Mode", "PackageUrl", "TreatWarningsAsError", "Force")


def test_each_shared_element_is_one_declaration() -> None:
    fields = defaultdict(set)
    params = defaultdict(set)
    for op in deployments.OPS:
        names = {f.attr for f in op.body.fields} if op.body is not None else set()
        for f in op.body.fields if op.body is not None else ():
            if f.tag in SHARED:
                fields[f.tag].add(id(f))
        for p in op.params:
            if p.name in names and p.name in {f.attr for f in op.body.fields if f.tag in SHARED}:
                params[(p.name, p.default)].add(id(p))
    assert set(fields) == set(SHARED)
    assert {tag: len(ids) for tag, ids in fields.items()} == dict.fromkeys(SHARED, 1)
    # mode is required in upgrade/rollback and defaults to "Auto" in change configuration: two.
    assert {key: len(ids) for key, ids in params.items()} == dict.fromkeys(params, 1)


def test_the_bodies_keep_their_documented_order() -> None:
    order = {op.name: [f.tag for f in op.body.fields] for op in deployments.OPS if op.body is not None}
    assert order["create_deployment"][:4] == ["Name", "PackageUrl", "Label", "Configuration"]
    assert order["upgrade_deployment"][:3] == ["Mode", "PackageUrl", "Configuration"]
    assert order["change_deployment_configuration"][:3] == ["Configuration", "TreatWarningsAsError", "Mode"]
    assert order["rollback_update_or_upgrade"] == ["Mode", "Force"]
