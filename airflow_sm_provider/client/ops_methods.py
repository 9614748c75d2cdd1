"""Storage, affinity group, OS image and VM methods of ``ServiceManagementClient`` (a mixin).

Split from ``service.py`` only to keep files short; the plumbing (``_run``, ``_submit``,
``_exists``) lives in the client. Reconciliation rules for the non-idempotent creates are in each
method's docstring (see ``service.py`` for the general scheme).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

from airflow_sm_provider.client import ops_resources as orc
from airflow_sm_provider.client.configsets import (
    ConfigurationSet,
    LinuxConfigurationSet,
    WindowsConfigurationSet,
)
from airflow_sm_provider.client.handle import OperationHandle
from airflow_sm_provider.client.models import (
    AffinityGroup,
    AvailabilityResponse,
    DataVirtualHardDisk,
    OSImage,
    OSVirtualHardDisk,
    PersistentVMRole,
    StorageService,
)
from airflow_sm_provider.client.ops_base import Call
from airflow_sm_provider.client.transport import ApiResponse

T = TypeVar("T")
State = Literal["applied", "absent", "unknown"]


class ResourceMethods:
    # --- provided by the client ---------------------------------------------------------------------
    def _run(self, call: Call[T]) -> T:
        raise NotImplementedError

    def _submit(
        self, call: Call[ApiResponse], reconcile: Callable[[], State] | None = None
    ) -> OperationHandle:
        raise NotImplementedError

    def _exists(self, read: Callable[[], T]) -> T | None:
        raise NotImplementedError

    def get_deployment_by_name(self, service_name: str, deployment_name: str) -> Any:
        raise NotImplementedError

    # --- storage ------------------------------------------------------------------------------------------
    def list_storage_accounts(self) -> list[StorageService]:
        return self._run(orc.list_storage_accounts())

    def get_storage_account_properties(self, service_name: str) -> StorageService:
        return self._run(orc.get_storage_account_properties(service_name))

    def get_storage_account_keys(self, service_name: str) -> StorageService:
        return self._run(orc.get_storage_account_keys(service_name))

    def check_storage_account_name_availability(self, service_name: str) -> AvailabilityResponse:
        return self._run(orc.check_storage_account_name_availability(service_name))

    def create_storage_account(  # noqa: PLR0917 -- the old SDK's positional API
        self,
        service_name: str,
        description: str | None,
        label: str,
        affinity_group: str | None = None,
        location: str | None = None,
        geo_replication_enabled: bool | None = None,
        extended_properties: dict[str, str] | None = None,
        account_type: str = "Standard_GRS",
    ) -> OperationHandle:
        """Reconcile: the account exists with our label -> applied; 404 -> send again."""
        call = orc.create_storage_account(
            service_name,
            description,
            label,
            affinity_group,
            location,
            geo_replication_enabled,
            extended_properties,
            account_type,
        )

        def reconcile() -> State:
            acct = self._exists(lambda: self.get_storage_account_properties(service_name))
            if acct is None:
                return "absent"
            return "applied" if acct.storage_service_properties.label == label else "unknown"

        return self._submit(call, reconcile)

    def delete_storage_account(self, service_name: str) -> OperationHandle:
        return self._submit(orc.delete_storage_account(service_name))

    # --- affinity groups ------------------------------------------------------------------------------------
    def list_affinity_groups(self) -> list[AffinityGroup]:
        return self._run(orc.list_affinity_groups())

    def get_affinity_group_properties(self, affinity_group_name: str) -> AffinityGroup:
        return self._run(orc.get_affinity_group_properties(affinity_group_name))

    def create_affinity_group(
        self, name: str, label: str, location: str, description: str | None = None
    ) -> OperationHandle:
        """Reconcile: the group exists with our label and location -> applied; 404 -> send again."""
        call = orc.create_affinity_group(name, label, location, description)

        def reconcile() -> State:
            group = self._exists(lambda: self.get_affinity_group_properties(name))
            if group is None:
                return "absent"
            return "applied" if group.label == label and group.location == location else "unknown"

        return self._submit(call, reconcile)

    def delete_affinity_group(self, affinity_group_name: str) -> OperationHandle:
        return self._submit(orc.delete_affinity_group(affinity_group_name))

    # --- OS images ------------------------------------------------------------------------------------------
    def list_os_images(self) -> list[OSImage]:
        return self._run(orc.list_os_images())

    def get_os_image(self, image_name: str) -> OSImage:
        return self._run(orc.get_os_image(image_name))

    def add_os_image(self, label: str, media_link: str, name: str, os: str) -> OperationHandle:
        """Reconcile: an image ``name`` with our media link exists -> applied; 404 -> send again."""
        call = orc.add_os_image(label, media_link, name, os)

        def reconcile() -> State:
            image = self._exists(lambda: self.get_os_image(name))
            if image is None:
                return "absent"
            return "applied" if image.media_link == media_link else "unknown"

        return self._submit(call, reconcile)

    def delete_os_image(self, image_name: str, delete_vhd: bool = False) -> OperationHandle:
        return self._submit(orc.delete_os_image(image_name, delete_vhd))

    # --- virtual machines ---------------------------------------------------------------------------
    def get_role(self, service_name: str, deployment_name: str, role_name: str) -> PersistentVMRole:
        return self._run(orc.get_role(service_name, deployment_name, role_name))

    def create_virtual_machine_deployment(  # noqa: PLR0917 -- the old SDK's positional API
        self,
        service_name: str,
        deployment_name: str,
        deployment_slot: str,
        label: str,
        role_name: str,
        system_config: LinuxConfigurationSet | WindowsConfigurationSet | None,
        os_virtual_hard_disk: OSVirtualHardDisk | None,
        network_config: ConfigurationSet | None = None,
        availability_set_name: str | None = None,
        data_virtual_hard_disks: Sequence[DataVirtualHardDisk] | None = None,
        role_size: str | None = None,
        role_type: str = "PersistentVMRole",
        virtual_network_name: str | None = None,
        resource_extension_references: Any = None,
        provision_guest_agent: bool | None = None,
        vm_image_name: str | None = None,
        media_location: str | None = None,
        dns_servers: Sequence[Any] | None = None,
        reserved_ip_name: str | None = None,
    ) -> OperationHandle:
        """Reconcile: deployment ``deployment_name`` holds ``role_name`` -> applied; 404 -> resend."""
        call = orc.create_virtual_machine_deployment(
            service_name,
            deployment_name,
            deployment_slot,
            label,
            role_name,
            system_config,
            os_virtual_hard_disk,
            network_config,
            availability_set_name,
            data_virtual_hard_disks,
            role_size,
            role_type,
            virtual_network_name,
            resource_extension_references,
            provision_guest_agent,
            vm_image_name,
            media_location,
            dns_servers,
            reserved_ip_name,
        )

        def reconcile() -> State:
            dep = self._exists(lambda: self.get_deployment_by_name(service_name, deployment_name))
            if dep is None:
                return "absent"
            roles = {r.role_name.lower() for r in dep.role_list}
            return "applied" if role_name.lower() in roles else "unknown"

        return self._submit(call, reconcile)

    def start_role(self, service_name: str, deployment_name: str, role_name: str) -> OperationHandle:
        return self._submit(orc.start_role(service_name, deployment_name, role_name))

    def restart_role(self, service_name: str, deployment_name: str, role_name: str) -> OperationHandle:
        return self._submit(orc.restart_role(service_name, deployment_name, role_name))

    def shutdown_role(
        self, service_name: str, deployment_name: str, role_name: str, post_shutdown_action: str = "Stopped"
    ) -> OperationHandle:
        return self._submit(orc.shutdown_role(service_name, deployment_name, role_name, post_shutdown_action))
