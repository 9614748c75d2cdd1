"""The whole public surface of azure.servicemanagement.ServiceManagementService 0.20.8 is ours.

Enumerates the old class (and its base) with ``inspect``: every public method must exist on our
client with the same parameter names, order, kinds and defaults. Module names old scripts import
must exist too. Out of scope: the SQL/Service Bus/Website/Scheduler services (other classes).
"""

from __future__ import annotations

import inspect
from typing import Any

import azure.common
import azure.servicemanagement as old_package
import pytest
from azure.servicemanagement import ServiceManagementService as Old

import airflow_sm_provider.client as ours_package
from airflow_sm_provider.client import AsyncServiceManagementClient, ServiceManagementService

OLD_METHODS = sorted(n for n, _ in inspect.getmembers(Old, inspect.isfunction) if not n.startswith("_"))


def _shape(func: Any) -> list[tuple[str, Any, Any]]:
    params = []
    for p in inspect.signature(func).parameters.values():
        default = p.default
        if callable(default):
            default = ("callable", getattr(default, "__name__", repr(default)))
        params.append((p.name, p.kind, default))
    return params


def test_the_old_class_has_107_public_methods() -> None:
    assert len(OLD_METHODS) == 107


@pytest.mark.parametrize("name", OLD_METHODS)
def test_method_present_with_the_same_signature(name: str) -> None:
    ours = getattr(ServiceManagementService, name, None)
    assert ours is not None, f"{name} is missing"
    assert _shape(ours) == _shape(getattr(Old, name))


@pytest.mark.parametrize("name", ["list_role_sizes", "upgrade_deployment", "add_service_certificate"])
def test_async_client_has_the_operations_too(name: str) -> None:
    ours = getattr(AsyncServiceManagementClient, name)
    assert inspect.iscoroutinefunction(ours)
    assert _shape(ours) == _shape(getattr(Old, name))


def test_constructor_accepts_the_old_keywords() -> None:
    params = inspect.signature(ServiceManagementService).parameters
    for name in ("subscription_id", "cert_file", "host", "request_session", "timeout"):
        assert name in params
    assert params["subscription_id"].default is None


@pytest.mark.parametrize(
    "name",
    [
        "MANAGEMENT_HOST",
        "X_MS_VERSION",
        "AZURE_MANAGEMENT_CERTFILE",
        "AZURE_MANAGEMENT_SUBSCRIPTIONID",
        "get_certificate_from_publish_settings",
        "AzureAsyncOperationHttpError",
    ],
)
def test_module_names_old_code_imports(name: str) -> None:
    old = getattr(old_package, name)
    ours = getattr(ours_package, name)
    if isinstance(old, (str, int)):
        assert ours == old
    else:
        assert callable(ours)


def test_old_error_names_are_aliases_of_ours() -> None:
    from airflow_sm_provider.client import errors

    for name in (
        "AzureHttpError",
        "AzureMissingResourceHttpError",
        "AzureConflictHttpError",
        "AzureException",
    ):
        assert hasattr(azure.common, name)
        assert getattr(ours_package, name) is getattr(errors, name)
    assert ours_package.AzureMissingResourceHttpError is errors.NotFoundError
    assert ours_package.AzureConflictHttpError is errors.ConflictError
    assert issubclass(errors.NotFoundError, ours_package.AzureHttpError)
