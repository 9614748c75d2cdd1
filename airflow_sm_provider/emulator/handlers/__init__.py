"""Handlers of the emulated ASM operations, one module per resource family.

Each module registers its handlers in :data:`common.HANDLERS` (route kind -> function) and the
completions of its asynchronous operations in :data:`common.COMPLETIONS`; ``service.py`` imports
them all through :func:`load`.
"""

from __future__ import annotations


def load() -> None:
    """Import every handler module so their registrations run."""
    from airflow_sm_provider.emulator.handlers import (  # noqa: F401
        account,
        affinity,
        certificates,
        deployments,
        disks,
        extensions,
        hosted,
        images,
        instances,
        networking,
        operations,
        storage,
        subscription,
        upgrades,
        vm_roles,
        vmimages,
        vms,
    )
