# warroom: `make run` serves the example organisation; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export WARROOM_CONFIG ?= examples/org
# Two workers match the 2-core machine; override with `make test PYTEST_ARGS=`.
PYTEST_ARGS ?= -n 2

.PHONY: run test fuzz lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-deps: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.test-deps: $(VENV)/.run-deps
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

run: $(VENV)/.run-deps
	$(BIN)/warroom serve --example-data

test: $(VENV)/.test-deps
	$(BIN)/pytest $(PYTEST_ARGS)

# The schemathesis conformance run on SQLite and PostgreSQL alone (`make test` runs it too,
# bounded); `make fuzz FUZZ_MAX_TIME=1200` keeps fuzzing each engine for that many seconds.
FUZZ_MAX_TIME ?=
fuzz: $(VENV)/.test-deps
	WARROOM_FUZZ_MAX_TIME=$(FUZZ_MAX_TIME) $(BIN)/pytest -n 0 -p no:cacheprovider tests/e2e/test_api_conformance.py

lint: $(VENV)/.test-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src tests

bench: $(VENV)/.test-deps
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) warroom.db warroom.db-wal warroom.db-shm .warroom
