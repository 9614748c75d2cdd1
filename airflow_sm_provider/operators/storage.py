"""Operators for classic storage accounts."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_sm_provider import protocol
from airflow_sm_provider._rendering import boolean, mapping, optional, text
from airflow_sm_provider.operators._arguments import argument
from airflow_sm_provider.operators._checks import (
    check_location,
    check_storage_name,
    check_text,
    choice,
    invalid,
    is_template,
)
from airflow_sm_provider.operators.base import (
    IF_EXISTS,
    IF_MISSING,
    AsmBaseOperator,
    AsmUpdateOperator,
    SettleProbe,
    diff,
    get_or_none,
)

if TYPE_CHECKING:
    from airflow_sm_provider.client import ServiceManagementClient

__all__ = [
    "AsmCreateStorageAccountOperator",
    "AsmDeleteStorageAccountOperator",
    "AsmRegenerateStorageKeysOperator",
    "AsmUpdateStorageAccountOperator",
]

#: The account types that replicate to a second region (what ``geo_replication_enabled`` asks for).
GEO_REDUNDANT = ("Standard_GRS", "Standard_RAGRS")
KEY_TYPES = ("Primary", "Secondary")


def _account_result(client: ServiceManagementClient, name: str, request_id: str | None, status: str) -> dict:
    """Names and endpoints only: the account keys are secrets and never go to XCom."""
    acct = get_or_none(client.get_storage_account_properties, name)
    props = getattr(acct, "storage_service_properties", None)
    return {
        "service_name": name,
        "url": getattr(acct, "url", ""),
        "endpoints": list(getattr(props, "endpoints", None) or []),
        "location": getattr(props, "location", ""),
        "affinity_group": getattr(props, "affinity_group", ""),
        "account_type": getattr(props, "account_type", ""),
        "account_status": getattr(props, "status", ""),
        "request_id": request_id,
        "status": status,
    }


class AsmCreateStorageAccountOperator(AsmBaseOperator):
    """Create a storage account (``<service_name>.blob.core.windows.net``), idempotently.

    :param service_name: 3-24 lowercase letters and digits, unique in Azure.
    :param account_label: display label (up to 100 characters); defaults to ``service_name``.
    :param description: free text (up to 1024 characters).
    :param location: region. Exactly one of ``location`` / ``affinity_group``.
    :param affinity_group: affinity group to place the account in.
    :param account_type: replication, e.g. "Standard_LRS" (the old SDK's default Standard_GRS).
    :param extended_properties: name/value pairs stored with the account.
    :param if_exists: "fail" (default) or "reuse" an account in the same place with the same type
        and label; a differing one is an error naming the fields.
    """

    service_name: str = argument(reader=text, templated=True)
    account_label: str | None = argument(None, reader=optional(text), templated=True)
    description: str | None = argument(None, reader=optional(text), templated=True)
    location: str | None = argument(None, reader=optional(text), templated=True)
    affinity_group: str | None = argument(None, reader=optional(text), templated=True)
    account_type: str = argument(
        "Standard_GRS", reader=choice(protocol.STORAGE_ACCOUNT_TYPES), templated=True
    )
    extended_properties: dict[str, str] | None = argument(None, reader=optional(mapping), templated=True)
    if_exists: str = argument("fail", reader=choice(IF_EXISTS), templated=True)
    operation_name = "create storage account"
    default_poll_interval = 15.0
    default_timeout = 1800.0

    def validate_inputs(self) -> None:
        check_storage_name("service_name", self.service_name)
        check_text("account_label", self.account_label, protocol.LABEL_MAX_CHARS)
        check_text("description", self.description, protocol.DESCRIPTION_MAX_CHARS)
        check_location(self.location, self.affinity_group)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        acct = get_or_none(client.get_storage_account_properties, self.service_name)
        if acct is None:
            return None
        what = f"Storage account {self.service_name!r}"
        props = acct.storage_service_properties
        differing = diff(
            {
                "location": (self.location or None, props.location or None),
                "affinity_group": (self.affinity_group or None, props.affinity_group or None),
                "account_type": (self.account_type, props.account_type),
                "account_label": (self.account_label or self.service_name, props.label),
            }
        )
        self.reuse_existing(what, differing, adopt=adopt)
        return {**_account_result(client, self.service_name, None, "Exists"), "reused": True}

    def settle_probe(self, client: ServiceManagementClient) -> SettleProbe | None:
        from airflow_sm_provider.client.polling import Probe, storage_created_condition

        name = self.service_name
        probe = Probe(
            f"storage account {name} Created",
            storage_created_condition,
            lambda: client.get_storage_account_properties(name),
        )
        return probe, None

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.create_storage_account(
            self.service_name,
            self.description,
            self.account_label or self.service_name,
            affinity_group=self.affinity_group or None,
            location=self.location or None,
            extended_properties=self.extended_properties,
            account_type=self.account_type,
        )

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {**_account_result(client, self.service_name, request_id, status), "reused": False}


class AsmDeleteStorageAccountOperator(AsmBaseOperator):
    """Delete a storage account and everything stored in it.

    :param service_name: the storage account.
    :param if_missing: "ignore" (default) or "fail" when it does not exist.
    """

    service_name: str = argument(reader=text, templated=True)
    if_missing: str = argument("ignore", reader=choice(IF_MISSING), templated=True)
    operation_name = "delete storage account"
    default_poll_interval = 15.0
    default_timeout = 1800.0

    def validate_inputs(self) -> None:
        check_storage_name("service_name", self.service_name)

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        if get_or_none(client.get_storage_account_properties, self.service_name) is not None:
            return None
        self.nothing_to_delete(f"Storage account {self.service_name!r}", adopt=adopt)
        return {"service_name": self.service_name, "request_id": None, "status": "Absent"}

    def submit(self, client: ServiceManagementClient) -> Any:
        return client.delete_storage_account(self.service_name)

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {"service_name": self.service_name, "request_id": request_id, "status": status}


class AsmUpdateStorageAccountOperator(AsmUpdateOperator):
    """Change a storage account's label, description, replication or extended properties.

    The account is read first; only what differs from it is sent, and when nothing differs no
    request is sent at all (``status`` "Unchanged", ``changed`` empty), so a re-run or a retry does
    not redo the update (a retry that finds the update of the try it follows done: "Succeeded",
    that try's ``changed``, ``by_previous_try`` True). Update Storage Account always carries the
    account type (the old SDK sent its default, Standard_GRS, when none was given): without
    ``account_type`` or ``geo_replication_enabled`` the account keeps its current type.

    :param service_name: the storage account.
    :param account_label: new label (up to 100 characters), or None to keep it.
    :param description: new description (up to 1024 characters), or None to keep it.
    :param account_type: new replication, e.g. "Standard_RAGRS", or None to keep it.
    :param geo_replication_enabled: the old SDK's (deprecated) switch: False asks for an account
        that does not replicate to a second region (a geo-redundant one becomes Standard_LRS), True
        for one that does (a locally redundant one becomes Standard_GRS); an account that already
        is what was asked for keeps its type. Contradicting ``account_type`` is an error.
    :param extended_properties: properties to add or overwrite; others are kept.
    """

    service_name: str = argument(reader=text, templated=True)
    account_label: str | None = argument(None, reader=optional(text), templated=True)
    description: str | None = argument(None, reader=optional(text), templated=True)
    account_type: str | None = argument(
        None, reader=optional(choice(protocol.STORAGE_ACCOUNT_TYPES)), templated=True
    )
    geo_replication_enabled: bool | None = argument(None, reader=optional(boolean), templated=True)
    extended_properties: dict[str, str] | None = argument(None, reader=optional(mapping), templated=True)
    operation_name = "update storage account"
    default_poll_interval = 5.0
    default_timeout = 600.0
    update_fields = (
        "account_label",
        "description",
        "account_type",
        "geo_replication_enabled",
        "extended_properties",
    )
    _account_type: str = ""  # the account's type (set by ``check_existing``)

    def validate_inputs(self) -> None:
        super().validate_inputs()
        check_storage_name("service_name", self.service_name)
        check_text("account_label", self.account_label, protocol.LABEL_MAX_CHARS)
        check_text("description", self.description, protocol.DESCRIPTION_MAX_CHARS)
        geo, wanted = self.geo_replication_enabled, self.account_type
        if is_template(geo) or is_template(wanted) or geo is None or wanted is None:
            return
        if (wanted in GEO_REDUNDANT) != geo:
            invalid(
                "geo_replication_enabled",
                f"{geo} contradicts account_type {self.account_type!r}; give only account_type",
            )

    def _wanted_type(self, current: str) -> str:
        """The account type to send: the one asked for, else what the switch asks, else the current."""
        if self.account_type is not None:
            return self.account_type
        geo = self.geo_replication_enabled
        if geo is None or (current in GEO_REDUNDANT) == geo:
            return current
        return "Standard_GRS" if geo else "Standard_LRS"

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        acct = client.get_storage_account_properties(self.service_name)
        props: Any = acct.storage_service_properties
        if props is None:  # the client's model allows it (a keys answer has none); this read has them
            from airflow_sm_provider.client.errors import InvalidResponseError

            raise InvalidResponseError(
                f"get_storage_account_properties({self.service_name!r}): the answer has no "
                "StorageServiceProperties; nothing can be compared, so nothing was sent"
            )
        self._account_type = props.account_type
        current_props = acct.extended_properties or {}
        changed_props = {
            k: v for k, v in (self.extended_properties or {}).items() if current_props.get(k) != str(v)
        }
        differing = diff(
            {
                "account_label": (self.account_label, props.label),
                "description": (self.description, props.description),
                "account_type": (self._wanted_type(props.account_type), props.account_type),
                "extended_properties": (changed_props or None, {}),
            }
        )
        if not self.changes(f"Storage account {self.service_name!r}", differing, adopt=adopt):
            return self.build_result(client, None, self.unchanged_status)
        return None

    def submit(self, client: ServiceManagementClient) -> Any:
        changed = set(self._changed)
        return client.update_storage_account(
            self.service_name,
            self.description if "description" in changed else None,
            self.account_label if "account_label" in changed else None,
            extended_properties=self.extended_properties if "extended_properties" in changed else None,
            account_type=self._wanted_type(self._account_type),
        )

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        return {
            **_account_result(client, self.service_name, request_id, status),
            "changed": list(self._changed),
            "by_previous_try": self._by_previous_try,
        }


class AsmRegenerateStorageKeysOperator(AsmBaseOperator):
    """Regenerate one access key of a storage account (key rotation).

    The keys are secrets: the new key (and the old one) never reach the logs, XCom, the rendered
    templates or an exception. The XCom value says which key was regenerated and when; a later task
    reads the new key itself (``get_storage_account_keys``) to hand it to its consumers. Both keys
    the task sees are masked in Airflow's logs.

    Regenerating is not idempotent (each request changes the key again), and a retry must not
    rotate a key twice: before sending, the task keeps a fingerprint of the current key (the first
    16 hex digits of its SHA-256, which tells nothing about the key) in the task state store; a
    retry of a try that was interrupted after sending compares it with the key it finds and sends
    nothing when the key already changed.

    That guard needs the task state store, so ``durable=False`` (which switches the store off) is
    refused while the DAG file is parsed (``InvalidInputError`` naming ``durable``): without it a retry
    could rotate the key twice, invalidating the key consumers were just switched to. Keep
    ``durable=True`` (the default); ``default_args={"durable": False}`` is refused the same way.

    :param service_name: the storage account.
    :param key_type: "Primary" or "Secondary": the key to regenerate (rotate the one your
        consumers do not use right now, then switch them over).
    """

    service_name: str = argument(reader=text, templated=True)
    key_type: str = argument(reader=choice(KEY_TYPES), templated=True)
    operation_name = "regenerate storage key"
    default_poll_interval = 5.0
    default_timeout = 600.0
    _fingerprint: str = ""  # of the key before this try (or the interrupted one) sent the request
    _at: float = 0.0  # when the key was regenerated (by an interrupted try: when it was sent)
    _by_previous_try: bool = False

    def validate_inputs(self) -> None:
        check_storage_name("service_name", self.service_name)
        if self.durable is not True:
            invalid(
                "durable",
                "durable=False cannot be used to regenerate a key: the fingerprint that stops a retry "
                "from rotating the key twice is kept in the task state store; keep durable=True (the "
                "default)",
            )

    def _current_fingerprint(self, client: ServiceManagementClient) -> str:
        keys = _masked(_keys_answer(client.get_storage_account_keys, self.service_name))
        return _fingerprint(getattr(keys, self.key_type.lower()))

    def check_existing(self, client: ServiceManagementClient, *, adopt: bool) -> dict[str, Any] | None:
        current = self._current_fingerprint(client)
        if adopt and self._fingerprint and current != self._fingerprint:
            self.log.info(
                "A previous try already regenerated the %s key of %r; not regenerating it again.",
                self.key_type,
                self.service_name,
            )
            self._by_previous_try = True
            return self.build_result(client, None, protocol.OP_SUCCEEDED)
        self._fingerprint = current
        self._at = time.time()
        return None

    def submitted_facts(self) -> dict[str, Any]:
        return {"fingerprint": self._fingerprint, "at": self._at}

    def restore_facts(self, facts: Mapping[str, Any]) -> None:
        self._fingerprint = str(facts.get("fingerprint") or "")
        self._at = float(facts.get("at") or 0.0)

    def submit(self, client: ServiceManagementClient) -> Any:
        # The answer holds the new keys: masked at once, and it goes no further.
        _masked(_keys_answer(client.regenerate_storage_account_keys, self.service_name, self.key_type))
        self._at = time.time()
        self.log.info("Regenerated the %s key of storage account %r.", self.key_type, self.service_name)
        return None  # a synchronous call: no request id to wait on

    def build_result(self, client: ServiceManagementClient, request_id: str | None, status: str) -> Any:
        at = self._at or time.time()
        return {
            "service_name": self.service_name,
            "key_type": self.key_type,
            "regenerated_at": datetime.fromtimestamp(at, timezone.utc).isoformat(timespec="seconds"),
            "by_previous_try": self._by_previous_try,
            "request_id": request_id,
            "status": status,
        }


def _keys_answer(call: Any, *args: Any) -> Any:
    """The ``StorageServiceKeys`` of a call that answers with the keys (the client never quotes a
    malformed keys answer: its operations are marked ``secret_answer``)."""
    from airflow_sm_provider.client.errors import InvalidResponseError

    keys = call(*args).storage_service_keys
    if keys is None:  # the client's model allows it (a properties answer has none)
        raise InvalidResponseError(f"{call.__name__}: the answer has no StorageServiceKeys")
    return keys


def _masked(keys: Any) -> Any:
    """Mask an account's keys (a ``StorageServiceKeys``) in Airflow's logs; return them."""
    from airflow_sm_provider._compat import mask_secret

    for secret in (keys.primary, keys.secondary):
        if secret:
            mask_secret(secret)
    return keys


def _fingerprint(key: str) -> str:
    """Tells one key from another and nothing about the key (a 64-bit prefix of its SHA-256)."""
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()[:16] if key else ""
