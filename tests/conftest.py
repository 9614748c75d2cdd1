"""Top-level test configuration.

Fixtures live beside the tests that use them (tests/emulator, tests/client, tests/airflow); the
emulator fixtures (`asm_emulator`, `asm_emulator_factory`) come from the pytest plugin that the
package registers (airflow_sm_provider.emulator.pytest_plugin). Nothing here imports Airflow: the
Airflow harness in tests/airflow/conftest.py sets AIRFLOW_HOME before Airflow is first imported.
"""
