"""Constants of the classic Azure Service Management (ASM) wire protocol.

This is the only module the client (``airflow_sm_provider.client``) and the emulator
(``airflow_sm_provider.emulator``) share: both speak the protocol, neither may depend on
the other's code. Everything here is a fact of the wire format (``shared/asm-wire.md``),
never an implementation choice of either side -- except the group "Where a client is pointed
without arguments": names both sides must agree on to find each other (the environment variables
a client reads and the emulator prints, and the Airflow connection type). It imports nothing but
the standard library.
"""

from __future__ import annotations

from typing import Final

# --- XML -----------------------------------------------------------------------------------
NS: Final = "http://schemas.microsoft.com/windowsazure"
NS_I: Final = "http://www.w3.org/2001/XMLSchema-instance"

# --- HTTP ----------------------------------------------------------------------------------
DEFAULT_X_MS_VERSION: Final = "2014-10-01"
HEADER_VERSION: Final = "x-ms-version"
HEADER_REQUEST_ID: Final = "x-ms-request-id"
CONTENT_TYPE_XML: Final = "application/xml"
#: What azure-servicemanagement-legacy sends on every PUT/POST/DELETE; the real service accepted it.
CONTENT_TYPE_ATOM: Final = "application/atom+xml;type=entry;charset=utf-8"
RESPONSE_CONTENT_TYPE: Final = "application/xml; charset=utf-8"

# --- Management hosts (asm-wire.md section 1.5) ----------------------------------------------
PUBLIC_HOST: Final = "management.core.windows.net"
MANAGEMENT_HOSTS: Final[dict[str, str]] = {
    "public": PUBLIC_HOST,
    "azurecloud": PUBLIC_HOST,
    "china": "management.core.chinacloudapi.cn",
    "azurechinacloud": "management.core.chinacloudapi.cn",
    "usgovernment": "management.core.usgovcloudapi.net",
    "usgov": "management.core.usgovcloudapi.net",
    "azureusgovernment": "management.core.usgovcloudapi.net",
    "germany": "management.core.cloudapi.de",
    "azuregermancloud": "management.core.cloudapi.de",
}

# --- Where a client is pointed without arguments --------------------------------------------------
#: The constructor reads these when an argument is missing; the first two are the old SDK's, the
#: host pair is ours (docs/migrating.md). The emulator prints them for its endpoint (``emulator.env``).
ENV_SUBSCRIPTION_ID: Final = "AZURE_MANAGEMENT_SUBSCRIPTIONID"
ENV_CERTFILE: Final = "AZURE_MANAGEMENT_CERTFILE"
ENV_HOST: Final = "AZURE_MANAGEMENT_HOST"
ENV_CA_BUNDLE: Final = "AZURE_MANAGEMENT_CA_BUNDLE"
#: The Airflow connection type of the provider (get_provider_info, the hook, AIRFLOW_CONN_ values).
CONN_TYPE: Final = "azure_service_management"

# --- Asynchronous operations (section 2) -----------------------------------------------------
OP_IN_PROGRESS: Final = "InProgress"
OP_SUCCEEDED: Final = "Succeeded"
OP_FAILED: Final = "Failed"
OPERATION_STATUSES: Final = (OP_IN_PROGRESS, OP_SUCCEEDED, OP_FAILED)

# --- Deployments (section 4.3) ---------------------------------------------------------------
SLOT_PRODUCTION: Final = "Production"
SLOT_STAGING: Final = "Staging"
DEPLOYMENT_SLOTS: Final = (SLOT_PRODUCTION, SLOT_STAGING)

DEPLOYMENT_STATUSES: Final = (
    "Running",
    "Suspended",
    "RunningTransitioning",
    "SuspendedTransitioning",
    "Starting",
    "Suspending",
    "Deploying",
    "Deleting",
)
#: Values Update Deployment Status accepts.
SETTABLE_DEPLOYMENT_STATUSES: Final = ("Running", "Suspended")

#: Role instance states. On the wire "unknown" is spelled RoleStateUnknown (docs say Unknown).
INSTANCE_STATUSES: Final = (
    "RoleStateUnknown",
    "CreatingVM",
    "StartingVM",
    "CreatingRole",
    "StartingRole",
    "ReadyRole",
    "BusyRole",
    "StoppingRole",
    "StoppingVM",
    "DeletingVM",
    "StoppedVM",
    "RestartingRole",
    "CyclingRole",
    "FailedStartingRole",
    "FailedStartingVM",
    "UnresponsiveRole",
    "StoppedDeallocated",
    "Preparing",
)
INSTANCE_READY: Final = "ReadyRole"
#: Instance states from which a deployment will not become ready without intervention.
INSTANCE_FAILED_STATES: Final = ("FailedStartingRole", "FailedStartingVM")
POWER_STATES: Final = ("Starting", "Started", "Stopping", "Stopped", "Unknown")
POST_SHUTDOWN_ACTIONS: Final = ("Stopped", "StoppedDeallocated")
CHANGE_CONFIGURATION_MODES: Final = ("Auto", "Manual", "Simultaneous")

STORAGE_ACCOUNT_TYPES: Final = (
    "Standard_LRS",
    "Standard_ZRS",
    "Standard_GRS",
    "Standard_RAGRS",
    "Premium_LRS",
)
OS_TYPES: Final = ("Linux", "Windows")

# --- Limits (sections 4.2, 4.4) ----------------------------------------------------------------
LABEL_MAX_CHARS: Final = 100
DESCRIPTION_MAX_CHARS: Final = 1024
STORAGE_NAME_MIN: Final = 3
STORAGE_NAME_MAX: Final = 24
#: DNS label: letters, digits, hyphens; starts with a letter, ends with a letter or digit.
#: Length bounds are unverified in the sources; we use DNS's 63 and require at least 1 char.
SERVICE_NAME_MAX: Final = 63
EXTENDED_PROPERTIES_MAX: Final = 50
EXTENDED_PROPERTY_NAME_MAX: Final = 64
EXTENDED_PROPERTY_VALUE_MAX: Final = 255

# --- Error codes (section 3.2) ------------------------------------------------------------------
ERR_FORBIDDEN: Final = "ForbiddenError"
ERR_AUTHENTICATION_FAILED: Final = "AuthenticationFailed"  # the docs' name for the same 403
ERR_SUBSCRIPTION_DISABLED: Final = "SubscriptionDisabled"
ERR_NOT_FOUND: Final = "ResourceNotFound"
ERR_CONFLICT: Final = "ConflictError"
ERR_BAD_REQUEST: Final = "BadRequest"
ERR_INVALID_XML: Final = "InvalidXmlRequest"
ERR_MISSING_VERSION: Final = "MissingOrIncorrectVersionHeader"
ERR_MISSING_QUERY: Final = "MissingOrInvalidRequiredQueryParameter"
ERR_INVALID_VERB: Final = "InvalidHttpVerb"
ERR_TOO_MANY_REQUESTS: Final = "TooManyRequests"
ERR_INTERNAL: Final = "InternalError"
ERR_OPERATION_TIMED_OUT: Final = "OperationTimedOut"
ERR_SERVER_BUSY: Final = "ServerBusy"
ERR_TEMPORARY_REDIRECT: Final = "TemporaryRedirect"
ERR_STORAGE_NAME_NOT_VALID: Final = "StorageAccountNameNotValid"

AUTH_ERROR_CODES: Final = (ERR_FORBIDDEN, ERR_AUTHENTICATION_FAILED)

# Real messages, quoted from recorded responses and issues (sections 1.4, 2.3, 3.3).
MSG_FORBIDDEN: Final = (
    "The server failed to authenticate the request. "
    "Verify that the certificate is valid and is associated with this subscription."
)
MSG_SUBSCRIPTION_DISABLED: Final = "The subscription is in a disabled state."
MSG_EXCLUSIVE_ACCESS: Final = (
    "Windows Azure is currently performing an operation on this deployment that requires exclusive access."
)
MSG_CONFLICT_GENERIC: Final = "A conflict occurred to prevent the operation from completing."
MSG_DNS_TAKEN: Final = "The specified DNS name is already taken."
MSG_HOSTED_SERVICE_NOT_FOUND: Final = "The hosted service does not exist."
MSG_DEPLOYMENT_NOT_FOUND: Final = "No deployments were found."
MSG_AFFINITY_GROUP_NOT_FOUND: Final = "The affinity group does not exist."
MSG_IMAGE_NOT_FOUND: Final = "The image with the specified name does not exist."
MSG_STORAGE_NOT_FOUND_FMT: Final = "The storage account '{name}' was not found."
MSG_HOSTED_SERVICE_NAME_TAKEN: Final = "A hosted service with the specified name already exists."
MSG_STORAGE_NAME_TAKEN_FMT: Final = "A storage account named '{name}' already exists in the subscription."
MSG_THROTTLED: Final = "The request is being throttled."
MSG_INTERNAL: Final = "The server encountered an internal error. Please retry the request."
MSG_SERVER_BUSY: Final = (
    "The server (or an internal component) is currently unavailable to receive requests. "
    "Please retry your request."
)


def is_exclusive_access_conflict(status: int, code: str | None, message: str | None) -> bool:
    """True for the 409 that means "another operation holds this deployment; retry later".

    Clients must match on the code and a stable fragment, not the whole text: a later variant of
    the message embeds the blocking request id (asm-wire.md section 2.3).
    """
    return (
        status == 409
        and code == ERR_CONFLICT
        and message is not None
        and "requires exclusive access" in message
    )
