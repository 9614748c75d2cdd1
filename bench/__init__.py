"""``make bench``: the provider measured side by side with the old SDK and with the floor (issue 6).

Each section module (``percall``, ``large``, ``waiting``, ``parse``, ``e2e``) has a ``run()`` that
returns a :class:`bench.common.Section` (rows + notes); ``__main__`` runs them in order and writes
``docs/benchmarks.md``. Benchmarks are measurements, not tests: nothing here asserts on time.
"""
