"""``make cluster``: the provider on a real Airflow cluster on 127.0.0.1 (issue 14).

PostgreSQL (metadata DB), Redis (Celery broker), two Celery workers, two triggerers, a scheduler, a
dag-processor, an api-server and the ASM emulator, each its own process group, started from the
pinned packages and torn down on exit, Ctrl-C and failure. ``python -m cluster`` runs the example
DAGs through it; ``tests/cluster/`` drives the same :class:`cluster.stack.Stack` to inject faults.

Modules: ``procs`` (process groups, ports), ``postgres`` and ``redis`` (the two services),
``emulator`` (the emulator as a restartable child), ``stack`` (bring-up and teardown), ``api`` (the
REST calls to the api-server), ``releases`` (the example DAG runs), ``hostname`` (a per-process
hostname so a trigger's holder and a task's worker can be told apart on one machine).
"""
