"""Operators for reserved IP addresses (a static public VIP kept across deployments).

A reserved IP is created in a region, associated with a deployment (it becomes the deployment's
VIP), disassociated (the deployment gets a fresh VIP, the address stays reserved) and deleted once
no deployment uses it. Each operator reads the reserved IP first and sends nothing when its goal is
already reached, so a retried or re-run task does not redo its work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import optional, text
from airflow_sm_provider.operators._arguments import DeclaredArguments, argument
from airflow_sm_provider.operators._checks import check_name, check_region, check_text, choice
from airflow_sm_provider.operators.base import IF_EXISTS, IF_MISSING, AsmBaseOperator, diff, get_or_none
from airflow_sm_provider.operators.deployment import _DeploymentTargetMixin

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient

__all__ = [
    "AsmAssociateReservedIpOperator",
    "AsmCreateReservedIpOperator",
    "AsmDeleteReservedIpOperator",
    "AsmDisassociateReservedIpOperator",
]


def _ip_result(ip: Any, name: str, status: str, request_id: str | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "address": getattr(ip, "address", ""),
        "location": getattr(ip, "location", ""),
        "label": getattr(ip, "label", ""),
        "in_use": bool(getattr(ip, "in_use", False)),
        "service_name": getattr(ip, "service_name", ""),
        "deployment_name": getattr(ip, "deployment_name", ""),
        "request_id": request_id,
        "status": status,
    }


def _user(ip: Any) -> tuple[str, str] | None:
    """``(cloud service, deployment)`` using the reserved IP, or None when it is free."""
    if not getattr(ip, "in_use", False) and not getattr(ip, "service_name", ""):
        return None
    return ip.service_name, ip.deployment_name


def _same(a: str, b: str) -> bool:
    """Cloud service and deployment names are case-insensitive in ASM."""
    return a.lower() == b.lower()


def _in_use_error(what: str, user: tuple[str, str], fix: str) -> NoReturn:
    from airflow_sm_provider.client.errors import ConflictError

    raise ConflictError(
        f"{what} is in use by deployment {user[1]!r} of cloud service {user[0]!r}; {fix}",
        code=protocol.ERR_CONFLICT,
        before_request=True,
    )


class AsmCreateReservedIpOperator(AsmBaseOperator):
    """Reserve a public IP address in a region, idempotently.

    :param name: the reserved IP's name, unique in the subscription.
    :param location: region, e.g. "West US" (a reserved IP can only serve deployments there).
    :param ip_label: display label (up to 100 characters); none when not given.
    :param if_exists: "fail" (default) or "reuse" a reserved IP with the same location (and label
        when given); a differing one is an error naming the fields.
    """

    name: str = argument(reader=text, templated=True)
    location: str = argument(reader=text, templated=True)
    ip_label: str | None = argument(None, reader=optional(text), templated=True)
    if_exists: str = argument("fail", reader=choice(IF_EXISTS), templated=True)
    operation_name = "create reserved IP"
    default_poll_interval = 5.0
    default_timeout = 600.0

    def validate_inputs(self) -> None:
        check_name("name", self.name)
        check_region("location", self.location)
        check_text("ip_label", self.ip_label, protocol.LABEL_MAX_CHARS)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        ip = get_or_none(client.get_reserved_ip_address, self.name)
        if ip is None:
            return None
        what = f"Reserved IP {self.name!r}"
        differing = diff({"location": (self.location, ip.location), "ip_label": (self.ip_label, ip.label)})
        self.reuse_existing(what, differing, adopt=adopt)
        return {**_ip_result(ip, self.name, "Exists"), "reused": True}

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.create_reserved_ip_address(self.name, self.ip_label, self.location)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        ip = get_or_none(client.get_reserved_ip_address, self.name)
        return {**_ip_result(ip, self.name, status, request_id), "reused": False}


class AsmDeleteReservedIpOperator(AsmBaseOperator):
    """Release a reserved IP address.

    A reserved IP still associated with a deployment is not deleted: the task reads it, sends no
    request, and fails with a ``ConflictError`` ("Not sent (ConflictError): ...") naming the cloud
    service and deployment; disassociate it first (``AsmDisassociateReservedIpOperator``) or
    delete that deployment.

    :param name: the reserved IP.
    :param if_missing: "ignore" (default) or "fail" when it does not exist.
    """

    name: str = argument(reader=text, templated=True)
    if_missing: str = argument("ignore", reader=choice(IF_MISSING), templated=True)
    operation_name = "delete reserved IP"
    default_poll_interval = 5.0
    default_timeout = 600.0

    def validate_inputs(self) -> None:
        check_name("name", self.name)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        ip = get_or_none(client.get_reserved_ip_address, self.name)
        what = f"Reserved IP {self.name!r}"
        if ip is None:
            self.nothing_to_delete(what, adopt=adopt)
            return {"name": self.name, "request_id": None, "status": "Absent"}
        user = _user(ip)
        if user is not None:
            _in_use_error(
                what,
                user,
                "disassociate it first (AsmDisassociateReservedIpOperator) or delete that deployment",
            )
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.delete_reserved_ip_address(self.name)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {"name": self.name, "request_id": request_id, "status": status}


class _ReservedIpAssociation(_DeploymentTargetMixin, DeclaredArguments):
    """What associating and disassociating share: the reserved IP, the deployment, the read (a
    plain mixin, as ``_cscfg.CscfgConfigurationMixin``, so each operator lists the arguments).

    The deployment is named (``deployment_name``) or found in a slot (``deployment_slot``), exactly
    one of the two, as ``AsmChangeDeploymentConfigurationOperator`` takes them: a slot is read
    before anything else, and an empty slot fails before any request."""

    name: str = argument(reader=text, templated=True)
    service_name: str = argument(reader=text, templated=True)
    deployment_name: str | None = argument(None, reader=optional(text), templated=True)
    deployment_slot: str | None = argument(None, reader=optional(text), templated=True)
    virtual_ip_name: str | None = argument(None, reader=optional(text), templated=True)
    default_poll_interval = 5.0
    default_timeout = 900.0
    #: The deployment, by name: ``deployment_name``, or the one in ``deployment_slot`` (``read_ip``).
    _deployment: str = ""
    #: An empty ``deployment_slot`` is the goal reached (disassociate), not an error (associate).
    empty_slot_holds_none: ClassVar[bool] = False

    def validate_inputs(self) -> None:
        super().validate_inputs()
        check_name("name", self.name)
        self._check_target()
        check_name("virtual_ip_name", self.virtual_ip_name, required=False)

    def read_ip(self, client: ServiceManagementClient) -> tuple[Any, tuple[str, str] | None, bool]:
        """The reserved IP (its 404 is raised), who uses it, and whether that is our deployment
        (resolved first when given by slot; an empty slot raises ``NotFoundError`` before any
        request, unless ``empty_slot_holds_none``: then no deployment is ours)."""
        if self.deployment_name:
            self._deployment = self.deployment_name
        else:
            dep = self._find(client)
            if dep is None and not self.empty_slot_holds_none:
                from airflow_sm_provider.client.errors import NotFoundError

                raise NotFoundError(
                    f"{self._describe()} does not exist: the slot is empty, so there is no deployment to "
                    "take the reserved IP; nothing was sent",
                    code=protocol.ERR_NOT_FOUND,
                    before_request=True,
                )
            self._deployment = str(dep.name) if dep is not None else ""
        ip = client.get_reserved_ip_address(self.name)
        user = _user(ip)
        ours = (
            bool(self._deployment)
            and user is not None
            and _same(user[0], self.service_name)
            and _same(user[1], self._deployment)
        )
        return ip, user, ours

    def target_text(self) -> str:
        """The deployment meant, for messages: by name, or by slot (with what the slot holds)."""
        where = f" of cloud service {self.service_name!r}"
        if self.deployment_name:
            return f"deployment {self.deployment_name!r}{where}"
        slot = str(self.deployment_slot).lower()
        if self._deployment:
            return f"deployment {self._deployment!r} (in the {slot} slot){where}"
        return f"the {slot} slot{where} (empty)"

    def submit_args(self) -> tuple[str, str, str, str | None]:
        return self.name, self.service_name, self._deployment, self.virtual_ip_name

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        ip = get_or_none(client.get_reserved_ip_address, self.name)
        return _ip_result(ip, self.name, status, request_id)


class AsmAssociateReservedIpOperator(_ReservedIpAssociation, AsmBaseOperator):
    """Make a reserved IP the public VIP of a deployment.

    Already associated with that deployment: nothing is sent (``status`` "Associated"). Associated
    with another deployment: the task sends nothing and fails with a ``ConflictError`` naming it.

    :param name: the reserved IP.
    :param service_name: the cloud service of the deployment.
    :param deployment_name: the deployment; or give ``deployment_slot`` instead (a swap moves slots,
        not names: by name, the IP follows the build; by slot, whatever the slot holds now).
    :param deployment_slot: "production" or "staging", resolved to the deployment in it (read first).
    :param virtual_ip_name: the deployment's additional VIP to take the address, if not the main one.
    """

    operation_name = "associate reserved IP"

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        ip, user, ours = self.read_ip(client)
        what = f"Reserved IP {self.name!r}"
        if ours:
            self.log.info(
                "%s is already associated with deployment %r; nothing to send.", what, self._deployment
            )
            return _ip_result(ip, self.name, "Associated")
        if user is not None:
            _in_use_error(what, user, "disassociate it there first (AsmDisassociateReservedIpOperator)")
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.associate_reserved_ip_address(*self.submit_args())


class AsmDisassociateReservedIpOperator(_ReservedIpAssociation, AsmBaseOperator):
    """Take a reserved IP off a deployment (the deployment gets a new VIP; the IP stays reserved).

    Not associated with any deployment: nothing is sent (``status`` "NotAssociated"; so too when
    ``deployment_slot`` is empty and the IP is free). Associated with another deployment than the one
    named (or in the slot): the task sends nothing and fails with a ``ConflictError`` naming it (a
    DAG that frees an IP for deletion must not leave it in use).

    :param name: the reserved IP.
    :param service_name: the cloud service of the deployment.
    :param deployment_name: the deployment it is associated with; or give ``deployment_slot``.
    :param deployment_slot: "production" or "staging", resolved to the deployment in it (read first).
    :param virtual_ip_name: the deployment's additional VIP holding the address, if not the main one.
    """

    operation_name = "disassociate reserved IP"
    empty_slot_holds_none = True

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        ip, user, ours = self.read_ip(client)
        what = f"Reserved IP {self.name!r}"
        if user is None:
            self.log.info("%s is not associated with any deployment; nothing to send.", what)
            return _ip_result(ip, self.name, "NotAssociated")
        if not ours:
            _in_use_error(
                what,
                user,
                f"not by {self.target_text()}: nothing was changed",
            )
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.disassociate_reserved_ip_address(*self.submit_args())
