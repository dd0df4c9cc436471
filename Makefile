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

# Benchmarks print figures; they are not tests. SAMPLES: the shared Daily Papers months.
SAMPLES ?= ../shared/data/hf-daily-papers
bench: install services
	@command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
	$(BIN)/python bench/ranking.py --papers-file $(SAMPLES)/2025-09.json
	$(BIN)/python bench/relevance.py --samples $(SAMPLES)
	$(BIN)/python bench/ingest.py --fresh $(SAMPLES)/2025-09.json
	$(BIN)/python bench/ingest.py $(SAMPLES)/2025-09.json
	$(BIN)/python bench/send.py --subscribers 100000
	$(BIN)/python bench/admin.py
	$(BIN)/python bench/http_load.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
