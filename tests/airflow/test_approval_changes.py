"""What an approval body says changed in the ``.cscfg`` (``operators._approval.cscfg_changes``):
parsed with the client's hardened parser, secrets hidden, namespaces and comments tolerated."""

from __future__ import annotations

from airflow_sm_provider.operators._approval import cscfg_changes

NS = "http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration"


def _cscfg(count: int, colour: str, password: str, *, ns: bool = True) -> str:
    xmlns = f' xmlns="{NS}"' if ns else ""
    return (
        f'<ServiceConfiguration serviceName="svc"{xmlns}><!-- a comment --><Role name="Web">'
        f'<Instances count="{count}"/><ConfigurationSettings>'
        f'<Setting name="Colour" value="{colour}"/><Setting name="DbPassword" value="{password}"/>'
        "</ConfigurationSettings></Role></ServiceConfiguration>"
    )


def test_changed_counts_and_settings_are_listed_and_secrets_hidden() -> None:
    lines = cscfg_changes(_cscfg(2, "blue", "s3cret-1"), _cscfg(3, "green", "s3cret-2"))
    assert lines == [
        "Web/Colour: blue -> green",
        "Web/DbPassword: (hidden) -> (hidden)",
        "Web/instances: 2 -> 3",
    ]
    assert not any("s3cret" in line for line in lines)


def test_without_namespace_too_and_nothing_when_equal() -> None:
    assert cscfg_changes(_cscfg(2, "blue", "x", ns=False), _cscfg(2, "red", "x", ns=False)) == [
        "Web/Colour: blue -> red"
    ]
    assert cscfg_changes(_cscfg(2, "blue", "x"), _cscfg(2, "blue", "x")) == []


def test_a_doctype_or_broken_body_is_not_parsed() -> None:
    """An entity-expansion body is refused by the hardened parser: its settings are not read."""
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<ServiceConfiguration><Role name="Web"><Instances count="&b;"/></Role></ServiceConfiguration>'
    )
    assert cscfg_changes(_cscfg(2, "blue", "x"), bomb) == [
        "Web/Colour: blue -> (none)",
        "Web/DbPassword: (hidden) -> (hidden)",
        "Web/instances: 2 -> (none)",
    ]
    assert cscfg_changes("<not xml", "") == []


def test_a_base64_configuration_is_read_like_its_xml() -> None:
    """``configuration`` may be given as base64 (validation.configuration accepts it)."""
    import base64

    new = base64.b64encode(_cscfg(3, "green", "x").encode()).decode()
    expected = ["Web/Colour: blue -> green", "Web/instances: 2 -> 3"]
    assert cscfg_changes(_cscfg(2, "blue", "x"), new) == expected
