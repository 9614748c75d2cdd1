"""Arguments declared on the operator class (``operators/_arguments.py``) behave as a written ``__init__``.

Airflow reads an operator's ``__init__`` signature: ``default_args`` fill only the parameters it lists,
missing required ones are reported by name, and ``partial()`` / ``expand()`` reject arguments no
``__init__`` of the class takes. These tests hold the declared arguments to that, with real Airflow.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import pytest
from harness import START

from airflow_sm_provider.operators.certificates import AsmDeleteServiceCertificateOperator
from airflow_sm_provider.operators.role_instances import AsmRebootRoleInstanceOperator
from airflow_sm_provider.operators.storage import AsmDeleteStorageAccountOperator
from airflow_sm_provider.operators.upgrade import AsmRollbackUpgradeOperator, AsmUpgradeDeploymentOperator


def _dag(**kwargs: Any) -> Any:
    from airflow.sdk import DAG

    return DAG("declared_arguments", schedule=None, start_date=START, catchup=False, **kwargs)


def test_the_signature_lists_the_declared_arguments() -> None:
    params = inspect.signature(AsmDeleteServiceCertificateOperator.__init__).parameters
    assert list(params) == ["self", "service_name", "thumbprint", "thumbalgorithm", "if_missing", "kwargs"]
    assert params["service_name"].default is inspect.Parameter.empty
    assert params["thumbalgorithm"].default == "sha1" and params["if_missing"].default == "ignore"
    assert params["if_missing"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["service_name"].annotation == "str"
    # A subclass that declares an inherited argument again (another default) lists it too.
    rollback = inspect.signature(AsmRollbackUpgradeOperator.__init__).parameters
    assert rollback["if_missing"].default == "ignore"


def test_default_args_fill_declared_arguments_and_explicit_ones_win() -> None:
    with _dag(default_args={"if_missing": "fail", "thumbalgorithm": "sha256"}):
        op = AsmDeleteServiceCertificateOperator(task_id="d", service_name="svc", thumbprint="AB12")
        mine = AsmDeleteServiceCertificateOperator(
            task_id="e", service_name="svc", thumbprint="AB12", if_missing="ignore"
        )
    assert (op.if_missing, op.thumbalgorithm, op.thumbprint) == ("fail", "sha256", "AB12")
    assert mine.if_missing == "ignore"
    # Arguments declared on a base class (the deployment action's) are filled as well.
    with _dag(default_args={"deployment_slot": "staging"}):
        reboot = AsmRebootRoleInstanceOperator(task_id="r", service_name="svc", role_instance_name="W_IN_0")
    assert reboot.deployment_slot == "staging"


def test_a_missing_required_argument_is_named() -> None:
    with _dag(), pytest.raises(TypeError, match="'thumbprint'"):
        AsmDeleteServiceCertificateOperator(task_id="d", service_name="svc")


def test_a_bad_choice_fails_at_construction_naming_the_argument() -> None:
    from airflow_sm_provider.client.errors import InvalidInputError

    with _dag(), pytest.raises(InvalidInputError, match="if_missing"):
        AsmDeleteStorageAccountOperator(task_id="d", service_name="store1", if_missing="maybe")


def test_expand_takes_declared_arguments_and_refuses_unknown_ones() -> None:
    with _dag():
        mapped = AsmDeleteServiceCertificateOperator.partial(task_id="m", service_name="svc").expand(
            thumbprint=["AB", "CD"]
        )
        assert mapped.expand_input.value == {"thumbprint": ["AB", "CD"]}
        with pytest.raises(TypeError, match="thumbprints"):
            AsmDeleteServiceCertificateOperator.partial(task_id="n", service_name="svc").expand(
                thumbprints=["AB"]
            )


def test_templated_arguments_are_template_fields_and_readers_are_field_readers() -> None:
    cls = AsmDeleteStorageAccountOperator
    assert tuple(cls.template_fields) == (
        "asm_conn_id",
        "poll_interval",
        "timeout",
        "service_name",
        "if_missing",
    )
    assert {"service_name", "if_missing", "asm_conn_id"} <= set(cls.all_field_readers())


def test_the_deprecated_configuration_path_warns_at_the_dag_line() -> None:
    from airflow.exceptions import AirflowProviderDeprecationWarning

    with _dag(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AsmUpgradeDeploymentOperator(
            task_id="u",
            service_name="svc",
            deployment_slot="production",
            package_url="https://acct.blob.core.windows.net/p/app.cspkg",
            deployment_label="r2",
            configuration_path=__file__,
        )
    deprecations = [w for w in caught if issubclass(w.category, AirflowProviderDeprecationWarning)]
    assert len(deprecations) == 1 and deprecations[0].filename == __file__


def test_arguments_of_a_plain_mixin_and_of_each_declaring_class_are_collected() -> None:
    """Only Airflow's own classes are skipped when the arguments are collected (they declare none):
    a plain mixin of ours (not ``DeclaredArguments``) still contributes its arguments, a subclass's
    redeclaration wins, and every instance gets them with their defaults."""
    from airflow_sm_provider._rendering import text
    from airflow_sm_provider.operators._arguments import argument
    from airflow_sm_provider.operators.base import AsmBaseOperator

    class PlainMixin:
        colour: str = argument("blue", reader=text, templated=True)

    class Painter(PlainMixin, AsmBaseOperator):
        size: int = argument(3)

        def submit(self, client: Any) -> Any:
            return None

    class BigPainter(Painter):
        size: int = argument(10)

    params = inspect.signature(Painter.__init__).parameters
    assert list(params)[1:3] == ["colour", "size"] and params["colour"].annotation == "str"
    assert list(Painter.declared_arguments()) == ["colour", "size"]
    assert list(BigPainter.own_arguments()) == ["size"]
    assert "colour" in Painter.template_fields and "colour" in Painter.field_readers
    with _dag():
        painted = BigPainter(task_id="p")
    assert (painted.colour, painted.size) == ("blue", 10)
