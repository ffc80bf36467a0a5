# The two commands a newcomer needs: `make run` and `make test`.
VENV   := .venv
BIN    := $(VENV)/bin
PYTHON ?= python3
STAMP  := $(VENV)/.installed

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## serve the demo on http://127.0.0.1:8000 (SQLite, emails on the console)
	$(BIN)/undersign db upgrade
	$(BIN)/undersign demo
	$(BIN)/undersign serve --host 127.0.0.1 --port 8000

test: $(STAMP)  ## the whole suite; PostgreSQL, Redis and browser tests run when available
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check server tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format server tests bench
	$(BIN)/ruff check --fix .

bench: $(STAMP)  ## load tests against PostgreSQL and Redis; see bench/README.md
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
