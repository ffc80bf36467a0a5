# The two commands a newcomer needs: `make run` and `make test`.
VENV   := .venv
BIN    := $(VENV)/bin
PYTHON ?= python3
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast lock lint format bench clean

# Exactly the versions requirements.lock pins (pip itself, the service's dependencies and the
# dev tools), then the project without its dependencies. `make lock` regenerates the lock.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Pins runtime + the `dev` extra for this Python (3.11), keeping the pins it can keep;
# `make lock LOCKFLAGS=--upgrade` moves everything to the newest allowed by pyproject.toml.
lock: $(STAMP)  ## regenerate requirements.lock from pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --extra dev --strip-extras \
		--allow-unsafe --no-emit-options $(LOCKFLAGS) --output-file requirements.lock pyproject.toml

# `make run PORT=9000` serves elsewhere; the links in emails follow (unless UNDERSIGN_BASE_URL
# is set already), since the mailer that writes them inherits the server's environment.
PORT ?= 8000
run: $(STAMP)  ## serve the demo on http://127.0.0.1:$(PORT) (SQLite, emails on the console)
	$(BIN)/undersign db upgrade
	$(BIN)/undersign demo
	UNDERSIGN_BASE_URL="$${UNDERSIGN_BASE_URL:-http://127.0.0.1:$(PORT)}" \
		$(BIN)/undersign serve --host 127.0.0.1 --port $(PORT)

test: $(STAMP)  ## the whole suite; PostgreSQL, Redis and browser tests run when available
	$(BIN)/pytest

test-fast: $(STAMP)  ## the suite less the tests marked slow (browser, subprocesses, the wheel)
	$(BIN)/pytest -m "not slow"

lint: $(STAMP) lint-js
	$(BIN)/ruff check .
	$(BIN)/ruff format --check server tests bench
	$(BIN)/mypy

# ESLint for frontend/, from the npm registry at the versions package-lock.json pins;
# node_modules is laid anew whenever the lock file (or package.json) is newer than it.
NODE_STAMP := node_modules/.installed

$(NODE_STAMP): package.json package-lock.json
	npm ci --silent
	touch $(NODE_STAMP)

.PHONY: lint-js
lint-js: $(NODE_STAMP)  ## ESLint over frontend/ (widget, page scripts, the admin page's modules)
	npx eslint frontend

format: $(STAMP)
	$(BIN)/ruff format server tests bench
	$(BIN)/ruff check --fix .

# Mutation testing, by hand only (not in `make test`, not in CI): mutmut changes identity,
# tokens, validation and signing one edit at a time and runs their focused tests on SQLite
# ([tool.mutmut] in pyproject.toml); a change no test notices is listed as survived.
# mutmut 3 takes a package only from ./src, so it works in mutants/, where src links to server.
# One worker leaves the other core free; a second run retests only what changed.
MUTATE_LINKS := pyproject.toml tests frontend alembic.ini

.PHONY: mutate
mutate: $(STAMP)  ## mutation testing of identity, tokens, validation and signing (slow)
	mkdir -p mutants
	ln -sfn ../server mutants/src
	for name in $(MUTATE_LINKS); do ln -sfn ../$$name mutants/$$name; done
	cd mutants && UNDERSIGN_TEST_DATABASE_URL= UNDERSIGN_TEST_REDIS_URL= UNDERSIGN_TEST_CHROMIUM= \
		../$(BIN)/mutmut run --max-children 1 && \
		../$(BIN)/mutmut results

bench: $(STAMP)  ## load tests against PostgreSQL and Redis; see bench/README.md
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
