# Two set-up commands for users: `make demo` and `make test`. Both build .venv from the pinned
# constraints.txt first, so a fresh clone needs nothing but python3.11 and the package index.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv test lint typecheck pytest demo bench soak lock clean docs-check

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip==25.3"
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check airflow_sm_provider example_dags tests bench tools
	$(BIN)/ruff format --check airflow_sm_provider example_dags tests bench tools

typecheck: $(STAMP)
	$(BIN)/mypy

# `slow` tests (long soak, 200 MB hostile bodies) run under `make soak`, not in CI's `make test`.
pytest: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider -m "not slow" --durations=15 $(PYTEST_ARGS)

# Every link in README/docs resolves; every runnable block in docs/ runs against a fresh emulator;
# docs/reference.md matches the code.
docs-check: $(STAMP)
	$(BIN)/python tools/docs_check.py

test: lint typecheck pytest docs-check

demo: $(STAMP)
	$(BIN)/python -m airflow_sm_provider.demo

bench: $(STAMP)
	$(BIN)/python -m bench

soak: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider -m slow tests

# Re-resolve the pins (needs the package index); commit the new constraints.txt.
lock:
	rm -rf .lockvenv && $(PY) -m venv .lockvenv
	.lockvenv/bin/pip install -q --upgrade "pip==25.3"
	.lockvenv/bin/pip install -q -e '.[test]'
	.lockvenv/bin/pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) .demo .bench
