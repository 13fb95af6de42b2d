# Everything runs inside .venv, which the first target to need it creates from scratch.
# Nothing has to be installed by hand beyond Python 3.10+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed-stamp
export UV_COMPILE_BYTECODE := 1
export PYTHONDONTWRITEBYTECODE :=

.PHONY: help venv demo test lint typecheck unit slow lock clean

help:
	@echo "make demo   run the example DAGs end to end against the fake Qovery API"
	@echo "make test   lint, type-check and run the whole test suite"
	@echo "make slow   the slower system checks (the demo through Airflow's CLI)"

venv: $(STAMP)

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
	$(UV) pip install --quiet -p $(BIN)/python -c requirements/constraints.txt -e ".[dev]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python dags_examples/_demo.py

lint: $(STAMP)
	$(BIN)/ruff check qovery_airflow tests dags_examples
	$(BIN)/ruff format --check qovery_airflow tests dags_examples

typecheck: $(STAMP)
	$(BIN)/mypy qovery_airflow

unit: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

test: lint typecheck unit

slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

lock:
	$(UV) pip compile -q -p $(BIN)/python --extra dev pyproject.toml -o requirements/constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .demo
