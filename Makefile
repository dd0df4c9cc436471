# Paperboy: `make run` serves the product, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What running needs, and what developing needs on top of it (tests, linters, browser).
RUNTIME_STAMP := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-runtime run test lock lock-check check-wheel lint format bench services browser clean

install: $(STAMP)
install-runtime: $(RUNTIME_STAMP)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Exact versions from the lock files (scripts/lock.sh), then Paperboy itself, editable.
$(RUNTIME_STAMP): pyproject.toml setup.py requirements/runtime.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements/runtime.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(RUNTIME_STAMP)

$(STAMP): pyproject.toml setup.py requirements/dev.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(RUNTIME_STAMP) $(STAMP)

# Rewrite the lock files after changing pyproject.toml's dependencies.
lock: install
	bash scripts/lock.sh

# `paperboy run` migrates before it serves.
run: install-runtime
	$(BIN)/paperboy run --host $(HOST) --port $(PORT)

# Services and the browser the tests talk to: started or installed when missing.
services:
	@bash scripts/test-services.sh

test: install services lint lock-check check-wheel
	$(BIN)/python -m pytest

# The lock files match pyproject.toml.
lock-check: install
	bash scripts/lock.sh --check

# The wheel, installed into a fresh venv outside the checkout, serves the product.
check-wheel: install
	bash scripts/check-wheel.sh

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
	$(BIN)/python bench/site.py --samples $(SAMPLES)
	$(BIN)/python bench/metrics.py
	$(BIN)/python bench/http_load.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
