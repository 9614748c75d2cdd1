"""mypy sees ``OperationFailedError.status_code`` as what it holds: ``int | str | None``.

It holds the failed operation's HTTP status (an ``int``, from ``OperationHandle.wait()``), the
operation's status text (``'Failed'`` / ``'InProgress'``, from the ported
``wait_for_operation_status``, as the old SDK's ``AzureAsyncOperationHttpError``), or None (the
operators' failures). Declared ``Any``, ``exc.status_code + 1`` and ``exc.status_code.upper()``
type-checked and failed at run time; each must be an error until narrowed. Checked by
``mypy_snippet`` (the project's mypy config).
"""

from __future__ import annotations

from pathlib import Path

from mypy_snippet import check_snippet

SNIPPET = """
from airflow_sm_provider.client import AzureAsyncOperationHttpError, OperationFailedError


def read(exc: OperationFailedError, old: AzureAsyncOperationHttpError) -> None:
    reveal_type(exc.status_code)  # T: int | str | None
    reveal_type(old.status_code)  # T: int | str | None
    exc.status_code + 1  # E
    exc.status_code.upper()  # E
    if isinstance(exc.status_code, int):
        reveal_type(exc.status_code)  # T: int
        exc.status_code + 1
    elif isinstance(exc.status_code, str):
        reveal_type(exc.status_code)  # T: str
    OperationFailedError("m", 502)
    OperationFailedError("m", "InProgress")
    OperationFailedError("m", None)
    OperationFailedError("m", 1.5)  # E
"""


def test_mypy_types_the_status_code_of_a_failed_operation(tmp_path: Path) -> None:
    check_snippet(SNIPPET, tmp_path, "typed_error")
