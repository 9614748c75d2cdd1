"""Model-typed parameters refuse other objects before any request (review finding 1).

The parameters are enumerated from the operation table (``ModelType.of`` on each annotation), not
listed by hand: a new model-typed parameter is covered as soon as its entry exists. For each one,
a wrong object (text, a dict, a list of text, a list holding a dict) must raise
``InvalidInputError`` naming the parameter, and nothing may be sent; what the old SDK 0.20.8
accepted (any iterable for a list, None where the annotation allows it) still goes through.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from legacy_wire import ours_client, sample_args

from airflow_sm_provider.client import DnsServer, OSVirtualHardDisk
from airflow_sm_provider.client.errors import InvalidInputError, InvalidResponseError
from airflow_sm_provider.client.operation import ModelType
from airflow_sm_provider.client.operations import OPERATIONS

MODEL_PARAMS = [
    (name, index, p.name, model)
    for name, op in sorted(OPERATIONS.items())
    for index, p in enumerate(op.params)
    if (model := ModelType.of(p.type)) is not None
]
IDS = [f"{name}.{param}" for name, _, param, _ in MODEL_PARAMS]


def _call(name: str, args: list[Any]) -> list[Any]:
    """Call ``name`` on a capturing client; the requests it sent (the canned empty answer of a
    read may fail to parse: the request is what counts)."""
    client, transport = ours_client()
    with contextlib.suppress(InvalidResponseError):
        getattr(client, name)(*args)
    return transport.sent


def _wrong_values(model: ModelType) -> list[Any]:
    if model.many:
        return ["x", {"name": "dns1"}, ["1.1.1.1"], [{"media_link": "https://a/b.vhd"}], 7]
    return ["x", {"media_link": "https://a/b.vhd"}, ["x"], 7, object()]


def test_the_table_has_model_typed_parameters() -> None:
    """The walk below covers something: single models, lists of models, unions, required ones."""
    params = {param for _, _, param, _ in MODEL_PARAMS}
    assert {"os_virtual_hard_disk", "data_virtual_hard_disks", "dns_servers", "system_config"} <= params
    assert any(m.many for *_, m in MODEL_PARAMS) and any(not m.optional for *_, m in MODEL_PARAMS)
    assert any(len(m.classes) > 1 for *_, m in MODEL_PARAMS)


@pytest.mark.parametrize(("name", "index", "param", "model"), MODEL_PARAMS, ids=IDS)
def test_a_wrong_object_is_refused_before_sending(
    name: str, index: int, param: str, model: ModelType
) -> None:
    good = list(sample_args(OPERATIONS[name])[0])
    for wrong in _wrong_values(model):
        args = [*good[:index], wrong, *good[index + 1 :]]
        client, transport = ours_client()
        with pytest.raises(InvalidInputError) as err:
            getattr(client, name)(*args)
        assert err.value.field == param, (wrong, err.value)
        assert param in err.value.message and "from airflow_sm_provider.client import" in err.value.message
        assert transport.sent == [], f"{name} sent a request with {param}={wrong!r}"


@pytest.mark.parametrize(("name", "index", "param", "model"), MODEL_PARAMS, ids=IDS)
def test_none_is_refused_only_where_the_annotation_forbids_it(
    name: str, index: int, param: str, model: ModelType
) -> None:
    args = list(sample_args(OPERATIONS[name])[0])
    args[index] = None
    if model.optional:
        try:
            _call(name, args)
        except InvalidInputError as exc:  # another rule (e.g. "a disk or an image") may still apply
            assert exc.field != param or "or vm_image_name" in exc.message
        return
    client, transport = ours_client()
    with pytest.raises(InvalidInputError) as err:
        getattr(client, name)(*args)
    assert err.value.field == param and transport.sent == []


@pytest.mark.parametrize(
    ("name", "index", "param", "model"),
    [m for m in MODEL_PARAMS if m[3].many],
    ids=[i for i, m in zip(IDS, MODEL_PARAMS, strict=True) if m[3].many],
)
def test_a_tuple_or_generator_works_for_a_list_as_in_the_old_sdk(
    name: str, index: int, param: str, model: ModelType
) -> None:
    args = list(sample_args(OPERATIONS[name])[0])
    as_list = _call(name, args)
    for other in (tuple(args[index]), (item for item in args[index])):
        args[index] = other
        assert _call(name, args) == as_list


def test_the_reported_cases() -> None:
    """The three inputs of the review: each refused with the field named, nothing sent."""
    good = list(sample_args(OPERATIONS["create_virtual_machine_deployment"])[0])
    names = [p.name for p in OPERATIONS["create_virtual_machine_deployment"].params]

    def refused(param: str, value: Any) -> InvalidInputError:
        args = list(good)
        args[names.index(param)] = value
        client, transport = ours_client()
        with pytest.raises(InvalidInputError) as err:
            client.create_virtual_machine_deployment(*args)
        assert transport.sent == []
        return err.value

    assert refused("os_virtual_hard_disk", "x").field == "os_virtual_hard_disk"
    assert "dns_servers[0] is a str" in refused("dns_servers", ["1.1.1.1"]).message
    assert refused("data_virtual_hard_disks", [{"lun": 1}]).field == "data_virtual_hard_disks"


def test_subclasses_of_a_model_are_accepted() -> None:
    class MyDisk(OSVirtualHardDisk):
        pass

    model = ModelType.of("OSVirtualHardDisk | None")
    assert model is not None
    disk = MyDisk("img1", "https://acct.blob.core.windows.net/vhds/os.vhd")
    assert model.check(disk, "os_virtual_hard_disk") is disk
    listed = ModelType.of("Sequence[DnsServer] | None")
    assert listed is not None and listed.check((DnsServer("d", "1.1.1.1"),), "dns_servers") == [
        DnsServer("d", "1.1.1.1")
    ]


@pytest.mark.parametrize(
    "annotation", ["str", "str | None", "Sequence[str]", "dict[str, str] | None", "OSImage | str"]
)
def test_annotations_that_are_not_only_models_get_no_model_check(annotation: str) -> None:
    assert ModelType.of(annotation) is None


def _unattend(content: str) -> Any:
    from airflow_sm_provider.client import (
        AdditionalUnattendContent,
        ComponentSetting,
        UnattendComponent,
        UnattendPass,
    )

    component = UnattendComponent()
    component.component_name = "Microsoft-Windows-Shell-Setup"
    component.component_settings.append(ComponentSetting("AutoLogon", content))
    unattend_pass = UnattendPass()
    unattend_pass.pass_name = "oobeSystem"
    unattend_pass.components.append(component)
    content_set = AdditionalUnattendContent()
    content_set.passes.append(unattend_pass)
    return content_set


@pytest.mark.parametrize("where", ["user_password", "content"])
def test_a_control_character_in_a_nested_model_field_is_refused_by_name(where: str) -> None:
    """lxml's bare ValueError used to escape from the writer; now the field is named, the value
    (a password) is not quoted, and nothing is sent."""
    from airflow_sm_provider.client import LinuxConfigurationSet, WindowsConfigurationSet

    secret = "Pa\x01ss-secret"
    if where == "user_password":
        system = LinuxConfigurationSet("host", "user", secret, True)
    else:
        system = WindowsConfigurationSet("host", "P@ssw0rd-1")
        system.additional_unattend_content = _unattend(secret)
    sms, sent = ours_client()
    disk = OSVirtualHardDisk("img", "https://a.blob.core.windows.net/vhds/x.vhd")
    with pytest.raises(InvalidInputError) as caught:
        sms.create_virtual_machine_deployment("svc", "dep", "production", "l", "r", system, disk)
    assert str(caught.value.field).endswith(where) and "secret" not in str(caught.value)
    assert sent.sent == []
