"""Top-level test configuration.

Fixtures live beside the tests that use them (tests/emulator, tests/client, tests/airflow); the
emulator fixtures (`asm_emulator`, `asm_emulator_factory`) come from the pytest plugin that the
package registers (airflow_sm_provider.emulator.pytest_plugin). Nothing here imports Airflow: the
Airflow harness in tests/airflow/conftest.py sets AIRFLOW_HOME before Airflow is first imported.
"""

from pathlib import Path

import pytest

_TESTS = Path(__file__).parent

# Where the long tests are, longest first (measured per directory, see the Makefile's `pytest`): a real
# browser against a real api-server, then real DAG runs, then real foreign clients. `make test` runs
# files in this order over several processes (`--dist loadfile --no-loadscope-reorder`), so the long
# files start first and the many short client and emulator files fill the gaps at the end, instead of
# one 100 s browser test starting last and running alone.
_LONG_FIRST = ("ui/test_demo_ui.py", "ui", "airflow", "reliability", "go_sdk", "node_sdk", "libcloud")


def _rank(item: pytest.Item) -> int:
    try:
        where = Path(str(item.path)).relative_to(_TESTS).as_posix()
    except ValueError:  # an item outside tests/ (a pytester run's own files)
        return len(_LONG_FIRST)
    for rank, prefix in enumerate(_LONG_FIRST):
        if where == prefix or where.startswith(prefix + "/"):
            return rank
    return len(_LONG_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the files long-first (stable: within a rank, collection order is kept)."""
    items.sort(key=_rank)
