# The two commands of the README: `make run` (demo service on SQLite) and `make test` (the suite).
# Both create .venv and install on first use; only Python >= 3.11 is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= sqlite

.PHONY: install run serve test test-pg lint format openapi check-openapi client check-client check-migrations clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## migrate ./pool.db, load demo data, serve on http://127.0.0.1:8000
	$(BIN)/pool demo
	$(BIN)/pool serve

test: $(STAMP)  ## the whole suite; DB=postgres runs it on PostgreSQL
	POOL_TEST_DB=$(DB) $(BIN)/python -m pytest $(ARGS)

test-pg:
	$(MAKE) test DB=postgres

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: $(STAMP)  ## regenerate openapi/openapi.json from the app
	$(BIN)/python scripts/export_openapi.py

check-openapi: $(STAMP)
	$(BIN)/python scripts/export_openapi.py --check

client: $(STAMP)  ## regenerate openapi/openapi.json, then the Python client in openapi/client/
	$(BIN)/python scripts/generate_client.py

check-client: $(STAMP)  ## the committed client matches the committed document
	$(BIN)/python scripts/generate_client.py --check

check-migrations: $(STAMP)  ## the models and the migrations agree (SQLite; DATABASE_URL= for another)
	$(BIN)/python scripts/check_migrations.py $(DATABASE_URL)

clean:
	rm -rf $(VENV) pool.db pool.db-wal pool.db-shm
