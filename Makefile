# Two set-up commands for users: `make demo` and `make test`. Both build .venv from the pinned
# constraints.txt first, so a fresh clone needs nothing but python3.11 and the package index.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv test lint typecheck pytest demo demo-ui bench soak lock clean docs-check cluster

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip==25.3"
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

# The optional extra `cluster` (Celery provider, Redis and PostgreSQL drivers), on top of the venv.
CLUSTER_STAMP := $(VENV)/.cluster-installed
$(CLUSTER_STAMP): $(STAMP)
	$(BIN)/pip install -q -c constraints.txt -e '.[test,cluster]'
	touch $(CLUSTER_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check airflow_sm_provider example_dags tests bench tools cluster
	$(BIN)/ruff format --check airflow_sm_provider example_dags tests bench tools cluster

typecheck: $(STAMP)
	$(BIN)/mypy

# Microsoft's Node.js ASM SDK (pinned in tests/node_sdk/package-lock.json) drives the emulator in
# tests/node_sdk; without npm that test is skipped locally and fails in CI.
NODE_SDK := tests/node_sdk/node_modules/.installed
$(NODE_SDK): tests/node_sdk/package.json tests/node_sdk/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/node_sdk --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: tests/node_sdk is skipped (install Node.js and npm)"; fi

# `slow` tests (long soak, 200 MB hostile bodies) run under `make soak`, not in CI's `make test`.
# The suite runs in PYTEST_WORKERS processes (pytest-xdist), one test file per process at a time: most
# tests wait on the emulator's asynchronous operations or on Airflow, so 3 processes keep 2 cores busy
# (measured: 18 min 50 s in one process, 9 min 32 s in three). Each process has its own emulator, Airflow
# home and metadata DB. `make pytest PYTEST_WORKERS=0` runs it in this process (pdb, -x, -k ...).
PYTEST_WORKERS ?= 3
pytest: $(STAMP) $(NODE_SDK)
	$(BIN)/pytest -q -p no:cacheprovider -m "not slow" --durations=15 -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# Every link in README/docs resolves; every runnable block in docs/ runs against a fresh emulator;
# docs/reference.md matches the code.
docs-check: $(STAMP)
	$(BIN)/python tools/docs_check.py

test: lint typecheck pytest docs-check

demo: $(STAMP)
	$(BIN)/python -m airflow_sm_provider.demo

demo-ui: $(STAMP)
	$(BIN)/python -m airflow_sm_provider.demo --ui

bench: $(STAMP)
	$(BIN)/python -m bench

# PostgreSQL + Redis + 2 Celery workers + 2 triggerers + scheduler + dag-processor + api-server +
# emulator on 127.0.0.1; runs the example DAGs, then tears it all down (docs/cluster.md).
cluster: $(CLUSTER_STAMP)
	$(BIN)/python -m cluster

soak: $(STAMP) $(CLUSTER_STAMP)
	$(BIN)/pytest -q -p no:cacheprovider -m slow tests

# Re-resolve the pins (needs the package index); commit the new constraints.txt.
lock:
	rm -rf .lockvenv && $(PY) -m venv .lockvenv
	.lockvenv/bin/pip install -q --upgrade "pip==25.3"
	.lockvenv/bin/pip install -q -e '.[test,cluster]'
	.lockvenv/bin/pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) .demo .bench
