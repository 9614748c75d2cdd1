"""Every list the client returns answers to the old SDK's wrapper attribute, and is still a list.

The old SDK 0.20.8 returned wrapper objects (``sms.list_hosted_services().hosted_services``,
``deployment.role_list.roles``); ours are ``xmlmap.AliasList``s, real lists that also answer to
that name. The truth is read from the OLD SDK, never from a list written here: its
``servicemanagementservice.py`` says which model class each public read parses into
(``_perform_get(path, HostedServices)``), and instantiating the old classes says which are
wrappers, under which attribute and of which item class (``legacy_wire.old_wrapper``).
``test_parse_legacy.py`` feeds the same synthesised responses to both clients and checks the
wrapper attributes of every result; the emulator test below does it over real mutual TLS.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import json
import pickle
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.servicemanagement import ServiceManagementService as OldService
from azure.servicemanagement import models as old_models
from azure.servicemanagement import servicemanagementservice as old_service_module
from legacy_wire import old_wrapper, wrapper_mismatches

import airflow_sm_provider.client as client_package
from airflow_sm_provider.client import ServiceManagementClient
from airflow_sm_provider.client.operations import OPERATIONS
from airflow_sm_provider.client.xmlmap import LIST, AliasList, alias_list, empty, list_name_of, spec_of
from airflow_sm_provider.emulator.sessions import legacy_session


def _perform_get_classes() -> dict[str, str]:
    """Old public method -> the class name its ``_perform_get(path, Class, ...)`` parses into."""
    source = Path(old_service_module.__file__).read_text(encoding="utf-8-sig")
    with warnings.catch_warnings():  # its docstrings hold invalid escapes ("\m")
        warnings.simplefilter("ignore", DeprecationWarning)
        tree = ast.parse(source)
    (service,) = (
        n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ServiceManagementService"
    )
    out: dict[str, str] = {}
    for fn in service.body:
        if not isinstance(fn, ast.FunctionDef) or fn.name.startswith("_"):
            continue
        for node in ast.walk(fn):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "_perform_get"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Name)
            ):
                out[fn.name] = node.args[1].id
    return out


OLD_READS = _perform_get_classes()
OLD_LIST_READS = {
    name: wrapped
    for name, cls_name in OLD_READS.items()
    if (wrapped := old_wrapper(getattr(old_models, cls_name)())) is not None
}


def test_the_old_sdk_walk_finds_the_list_reads() -> None:
    # Guards the walk itself: if parsing the old source found nothing, every check below would pass.
    assert len(OLD_READS) >= 30 and len(OLD_LIST_READS) >= 15
    assert OLD_LIST_READS["list_hosted_services"] == ("hosted_services", old_models.HostedService)
    assert OLD_LIST_READS["list_os_images"] == ("images", old_models.OSImage)


@pytest.mark.parametrize("name", sorted(OLD_LIST_READS))
def test_each_old_list_read_is_a_list_of_the_same_items_under_the_same_name(name: str) -> None:
    attr, old_item = OLD_LIST_READS[name]
    op = OPERATIONS[name]
    assert op.many and op.result is not None, f"{name}: the old SDK returns a list, ours does not"
    assert op.result.__name__ == old_item.__name__
    assert list_name_of(op.result) == attr
    parsed = empty_list_of(op.result)
    assert isinstance(parsed, list) and getattr(parsed, attr) is parsed


def empty_list_of(model: type) -> Any:
    """What ``parse_list`` gives for an empty collection of ``model``."""
    from lxml import etree

    from airflow_sm_provider.client.xmlmap import parse_list

    return parse_list(etree.Element("Empty"), model)


def _old_model_pairs() -> Iterator[tuple[type, type]]:
    """(old result class, our model) for every model reachable from the old reads' results.

    Starts at each read's result class (a wrapper's item class for list reads) and follows the
    attributes of fresh old instances: nested models and the item classes of nested wrappers.
    Polymorphic lists add their other item classes (``LinuxConfigurationSet`` ...) by our name.
    """
    start: list[tuple[type, type]] = []
    for name, cls_name in OLD_READS.items():
        op = OPERATIONS[name]
        old_cls = getattr(old_models, cls_name)
        wrapped = old_wrapper(old_cls())
        if op.result is not None:
            start.append((wrapped[1] if wrapped else old_cls, op.result))
    seen: set[tuple[type, type]] = set()
    while start:
        old_cls, ours = start.pop()
        if (old_cls, ours) in seen:
            continue
        seen.add((old_cls, ours))
        yield old_cls, ours
        fields = {f.attr: f for f in spec_of(ours).fields}
        for attr, value in vars(old_cls()).items():
            f = fields.get(attr)
            if f is None or f.model is None:
                continue
            wrapped = old_wrapper(value)
            if wrapped is not None:
                start.append((wrapped[1], f.model))
            elif isinstance(value, old_models.WindowsAzureData):
                start.append((type(value), f.model))
            for poly in (f.poly or {}).values():
                if hasattr(old_models, poly.__name__):
                    start.append((getattr(old_models, poly.__name__), poly))


OLD_MODEL_PAIRS = sorted(_old_model_pairs(), key=lambda p: (p[0].__name__, p[1].__name__))


def test_the_model_walk_reaches_the_nested_wrappers() -> None:
    names = {ours.__name__ for _, ours in OLD_MODEL_PAIRS}
    assert {"Deployment", "RoleInstance", "PersistentVMRole", "ConfigurationSet", "SSH", "WinRM"} <= names


@pytest.mark.parametrize("pair", OLD_MODEL_PAIRS, ids=lambda p: f"{p[0].__name__}-{p[1].__name__}")
def test_each_nested_old_wrapper_is_a_list_under_the_same_name(pair: tuple[type, type]) -> None:
    old_cls, ours = pair
    fields = {f.attr: f for f in spec_of(ours).fields}
    for attr, value in vars(old_cls()).items():
        wrapped = old_wrapper(value)
        if wrapped is None or attr not in fields:  # a field ours lacks: test_parse_legacy's business
            continue
        list_attr, old_item = wrapped
        f = fields[attr]
        assert f.kind == LIST and f.model is not None, f"{ours.__name__}.{attr} is not a list of models"
        assert f.model.__name__ == old_item.__name__
        assert list_name_of(f.model) == list_attr, f"{ours.__name__}.{attr}: old .{list_attr}"
        for made in (empty(ours), ours()):  # as parsed from an absent element, and as built in Python
            value_ours = getattr(made, attr)
            assert isinstance(value_ours, list) and getattr(value_ours, list_attr) is value_ours


# --- the lists stay lists ------------------------------------------------------------------------------
def test_an_alias_list_is_a_real_list_in_every_way_new_code_uses() -> None:
    hosted = alias_list("hosted_services", ["a", "b"])
    assert isinstance(hosted, list) and hosted == ["a", "b"] and hosted == ["a", "b"]
    assert hosted.hosted_services is hosted and len(hosted) == 2 and hosted[1] == "b"
    assert repr(hosted) == "['a', 'b']" and json.dumps(hosted) == '["a", "b"]'
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(hosted, protocol=protocol))
        assert back == hosted and back.hosted_services is back and type(back) is type(hosted)
    for copied in (copy.copy(hosted), copy.deepcopy(hosted), hosted[:] and type(hosted)(hosted)):
        assert copied == hosted and copied.hosted_services is copied
    with pytest.raises(AttributeError):
        hosted.roles
    assert not hasattr(hosted, "__dict__")  # no per-list storage: the name is the class's


def test_models_keep_their_lists_through_asdict_pickle_and_copy() -> None:
    dep = empty(client_package.Deployment)
    dep.role_list.append(empty(client_package.Role))
    for again in (pickle.loads(pickle.dumps(dep)), copy.deepcopy(dep)):
        assert again == dep and again.role_list.roles is again.role_list and len(again.role_list) == 1
    as_dict = dataclasses.asdict(dep)
    assert as_dict["role_list"].roles == as_dict["role_list"] and isinstance(as_dict["role_list"], list)
    json.dumps(as_dict)


def test_lists_of_text_stay_plain_lists_as_the_old_sdks_were() -> None:
    # the old SDK's _scalar_list_of (Location.available_services) was a list, not a wrapper
    assert type(empty(client_package.Location).available_services) is list
    assert type(client_package.Location().available_services) is list


def test_one_subclass_per_name() -> None:
    assert type(alias_list("roles")) is type(alias_list("roles"))
    assert type(alias_list("roles")) is not type(alias_list("deployments"))
    assert issubclass(type(alias_list("roles")), AliasList)
    with pytest.raises(TypeError):
        alias_list("append")  # would hide list.append


# --- both clients against the emulator, over real mutual TLS -----------------------------------------------
PKG = "https://account.blob.core.windows.net/packages/app.cspkg"
CFG = (
    '<ServiceConfiguration serviceName="{svc}" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/'
    'ServiceConfiguration"><Role name="WebRole1"><Instances count="2"/></Role></ServiceConfiguration>'
)


def test_both_clients_against_the_emulator_give_the_same_lists_under_the_same_names(
    asm_emulator: Any,
) -> None:
    ep = asm_emulator.endpoint
    session = legacy_session(ep)
    old = OldService(ep["subscription_id"], host=ep["host"], request_session=session)
    with ServiceManagementClient(
        ep["subscription_id"], ep["client_pem"], ep["host"], ca_bundle=ep["ca_cert"]
    ) as sms:
        svc = "oldlists" + ep["subscription_id"][:8]
        sms.create_hosted_service(svc, svc, location="West US").wait(poll_interval=0.05)
        sms.create_deployment(svc, "production", "v1", PKG, "v1", CFG.format(svc=svc), True).wait(
            poll_interval=0.05
        )
        calls: list[tuple[str, tuple[Any, ...]]] = [
            (name, ()) for name in sorted(OLD_LIST_READS) if not OPERATIONS[name].params
        ]
        calls += [
            ("get_deployment_by_slot", (svc, "production")),
            ("get_hosted_service_properties", (svc, True)),
        ]
        checked = 0
        try:
            for name, args in calls:
                mismatches, n = wrapper_mismatches(getattr(old, name)(*args), getattr(sms, name)(*args), name)
                assert mismatches == []
                checked += n
        finally:
            sms.delete_hosted_service(svc, True).wait(poll_interval=0.05)
            session.close()
    # the top-level lists, role_instance_list, role_list, input endpoints, deployments, ...
    assert checked >= len(calls) + 4


def test_assigning_the_old_wrapper_attribute_replaces_the_contents() -> None:
    """Old code assigned the wrapper's list (``net.input_endpoints.input_endpoints = [...]``,
    ``deployment.role_list.roles = [role]``); the old SDK took it, so must we."""
    from azure.servicemanagement import ConfigurationSet as OldSet
    from azure.servicemanagement import ConfigurationSetInputEndpoint as OldEndpoint

    from airflow_sm_provider.client import ConfigurationSet, ConfigurationSetInputEndpoint, Deployment, Role

    old = OldSet()
    old.input_endpoints.input_endpoints = [OldEndpoint("ssh", "tcp", "22", "22")]
    new = ConfigurationSet()
    endpoints = new.input_endpoints
    new.input_endpoints.input_endpoints = [ConfigurationSetInputEndpoint("ssh", "tcp", "22", "22")]
    assert [e.name for e in new.input_endpoints] == [e.name for e in old.input_endpoints] == ["ssh"]
    assert new.input_endpoints is endpoints and new.input_endpoints.input_endpoints is endpoints
    deployment = Deployment()
    deployment.role_list.roles = (r for r in [Role(role_name="web")])  # any iterable, as it was iterated
    assert [r.role_name for r in deployment.role_list] == ["web"]
    deployment.role_list.roles = []
    assert deployment.role_list == []


_NAMING_SCRIPT = r"""
import pickle, sys, threading
from airflow_sm_provider.client import xmlmap
# 1. a pickle of the previous format (no class name) read before any model is imported
early = pickle.loads(pickle.dumps(xmlmap.alias_list("roles", [1])))
# 2. a pickle carrying a wrong name must not name the class for good either
xmlmap.alias_list("role_instances", [], "Stale")
import airflow_sm_provider.client as client
print(client.RoleList.__name__, client.RoleInstanceList.__name__, type(early) is client.RoleList)
print(pickle.loads(pickle.dumps(client.RoleList)) is client.RoleList)
# 3. threads making their first lists at once get one class per alias
sys.setswitchinterval(1e-6)
made = {}
def make(i):
    for k in range(200):
        made.setdefault(k, set()).add(xmlmap.alias_list_type(f"zz_alias_{k}"))
threads = [threading.Thread(target=make, args=(i,)) for i in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
print(max(len(v) for v in made.values()))
"""


def test_a_pickled_name_never_renames_a_class_and_threads_share_one_class() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _NAMING_SCRIPT], capture_output=True, text=True, timeout=120, check=True
    ).stdout.split("\n")
    assert out[:3] == ["RoleList RoleInstanceList True", "True", "1"], out


def test_assigning_none_empties_the_list_and_text_is_refused() -> None:
    from airflow_sm_provider.client import ConfigurationSet, ConfigurationSetInputEndpoint

    net = ConfigurationSet()
    net.input_endpoints.append(ConfigurationSetInputEndpoint("ssh", "tcp", "22", "22"))
    net.input_endpoints.input_endpoints = None
    assert net.input_endpoints == []
    with pytest.raises(TypeError, match="not text"):
        net.input_endpoints.input_endpoints = "ssh"
