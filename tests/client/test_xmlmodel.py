"""The one-declaration rule of ``client/xmlmodel.py``: a model's fields are its XML mapping."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

from airflow_sm_provider.client import (
    configsets,
    models_catalog,
    models_compute,
    models_media,
    models_network,
    models_storage,
    models_subscription,
)
from airflow_sm_provider.client.xmlmap import B64, BOOL, DICT, INT, LIST, MODEL, STR, STRLIST, build, spec_of
from airflow_sm_provider.client.xmlmodel import fields_of, pascal, subset, view, xml_field, xml_model

MODULES = (configsets, models_catalog, models_compute, models_media, models_network, models_storage)
MODELS = [
    obj
    for module in (*MODULES, models_subscription)
    for obj in vars(module).values()
    if inspect.isclass(obj) and obj.__module__ == module.__name__ and "__xml__" in vars(obj)
]


@xml_model
class Leaf:
    text: str = ""


@xml_model("Root")
class Sample:
    plain_text: str = ""
    count: int = 0
    flag: bool | None = None
    leaf: Leaf = dataclasses.field(default_factory=Leaf)
    leaves: list[Leaf] = dataclasses.field(default_factory=list)
    names: list[str] = xml_field(item="Name", default_factory=list)
    props: dict[str, str] = dataclasses.field(default_factory=dict)
    label: str = xml_field(kind=B64, default="")
    size_in_gb: int = xml_field("SizeInGB", write=False, default=0)
    local_only: str = xml_field(skip=True, default="")


def test_every_model_maps_each_field_once() -> None:
    """No attribute is left off the mapping by accident, none is mapped twice."""
    assert len(MODELS) > 40
    for cls in MODELS:
        attrs = [f.attr for f in spec_of(cls).fields]
        assert len(attrs) == len(set(attrs)), cls
        not_xml = {"role_type"} if cls is configsets.ConfigurationSet else set()
        assert set(attrs) == {f.name for f in dataclasses.fields(cls)} - not_xml, cls


def test_tag_kind_and_order_come_from_the_declaration() -> None:
    spec = spec_of(Sample)
    assert spec.root == "Root"
    got = [(f.tag, f.attr, f.kind, f.model) for f in spec.fields]
    assert got == [
        ("PlainText", "plain_text", STR, None),
        ("Count", "count", INT, None),
        ("Flag", "flag", BOOL, None),
        ("Leaf", "leaf", MODEL, Leaf),
        ("Leaves", "leaves", LIST, Leaf),
        ("Names", "names", STRLIST, None),
        ("Props", "props", DICT, None),
        ("Label", "label", B64, None),
        ("SizeInGB", "size_in_gb", INT, None),
    ]
    assert not spec.fields[-1].write
    assert "local_only" in {f.name for f in dataclasses.fields(Sample)}  # still a dataclass field


def test_wire_order_keeps_the_positional_order() -> None:
    @xml_model(wire_order="second first")
    class Pair:
        first: str | None = None
        second: str | None = None
        server_side: str = xml_field(write=False, default="")

    assert list(inspect.signature(Pair).parameters) == ["first", "second", "server_side"]
    assert build(spec_of(Pair), Pair("1", "2")).endswith(b"<Second>2</Second><First>1</First></Pair>")


def test_wire_order_must_name_each_written_field_once() -> None:
    with pytest.raises(TypeError, match="wire_order must name each written field exactly once"):

        @xml_model(wire_order="first")
        class Pair:
            first: str = ""
            second: str = ""


def test_an_ambiguous_annotation_asks_for_the_kind() -> None:
    with pytest.raises(TypeError, match=r"Bad\.things: cannot tell the XML kind .* xml_field\(kind="):

        @xml_model
        class Bad:
            things: list[Any] = dataclasses.field(default_factory=list)


def test_subset_view_and_fields_of_reuse_the_model_fields() -> None:
    body = subset(models_storage.AffinityGroup, "label", "description", root="UpdateAffinityGroup")
    assert [(f.tag, f.kind, f.write) for f in body.fields] == [
        ("Label", B64, True),
        ("Description", STR, True),
    ]
    assert fields_of(models_catalog.OSImage, "eula")[0].write  # read-only in the model, sent here
    with pytest.raises(TypeError, match="has no XML fields"):
        fields_of(models_catalog.OSImage, "no_such_field")
    disk_view = view(models_media.DataDiskConfiguration, "host_caching")
    assert issubclass(disk_view, models_media.DataDiskConfiguration)
    assert build(spec_of(disk_view), disk_view(name="d", host_caching="ReadOnly")).endswith(
        b"<HostCaching>ReadOnly</HostCaching></DataDiskConfiguration>"
    )


def test_pascal() -> None:
    assert pascal("affinity_group") == "AffinityGroup"
    assert pascal("lun") == "Lun"
