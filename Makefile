# Paperboy: `make run` serves the product, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format bench services browser clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/paperboy db upgrade
	$(BIN)/paperboy run

# Services and the browser the tests talk to: started or installed when missing.
services:
	@bash scripts/test-services.sh

test: install services lint
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check app workers tests bench migrations
	$(BIN)/ruff format --check app workers tests bench migrations
	$(BIN)/mypy app workers

format: install
	$(BIN)/ruff check --fix app workers tests bench migrations
	$(BIN)/ruff format app workers tests bench migrations

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
