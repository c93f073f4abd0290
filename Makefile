# fedcat developer commands. `make run` and `make test` work on a fresh machine with python3 >= 3.11.
# Every target creates .venv and installs the project first when needed.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Written after a successful install; pip runs again only when pyproject.toml is newer.
STAMP := $(VENV)/.fedcat-installed
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist processes for `make test` (`TEST_WORKERS=0 make test` runs in one process).
TEST_WORKERS ?= auto
export HOST PORT VENV

.DEFAULT_GOAL := help
.PHONY: help install run test test-slow check lint migrate demo bench clean clean-data prod load fuzz

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	@echo "Installing fedcat and its dependencies into $(VENV) ..."
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the project (done by every target when needed)

migrate: $(STAMP) ## apply database migrations
	$(PY) manage.py migrate --noinput

demo: migrate ## load the demo data and accounts (idempotent) and print how to log in
	$(PY) manage.py load_demo --url http://$(HOST):$(PORT)

run: demo ## migrate, load the demo, start the site on HOST:PORT and one Celery worker
	@bash scripts/run.sh

test: $(STAMP) ## run the test suite without the `slow` tests, one process per core (ARGS="-k demo" passes options to pytest)
	$(PY) -m pytest -n $(TEST_WORKERS) $(ARGS)

test-slow: $(STAMP) ## run only the `slow` tests: fuzzing, fault injection, prod.sh, 200,000-file blocks
	$(PY) -m pytest -m slow $(ARGS)

lint: $(STAMP) ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: lint test test-slow ## lint, format check, then all the tests (what CI runs)

bench: $(STAMP) ## dataset-creation benchmark, throwaway SQLite unless DATABASE_URL (ARGS="--count 10000")
	$(PY) bench/create_datasets.py $(ARGS)

prod: $(STAMP) ## gunicorn + Celery worker + beat on local PostgreSQL/Redis, DEBUG off (scripts/prod.sh)
	@bash scripts/prod.sh

load: $(STAMP) ## 50 users for 60 s against prod.sh on a new database fedcat_load (ARGS="--url URL" for a running site)
	$(PY) bench/load.py $(ARGS)

fuzz: $(STAMP) ## schemathesis on the SciCat and PaNOSC APIs of a throwaway site, >= 5,000 requests (ARGS=...)
	$(PY) bench/fuzz.py $(ARGS)

clean: ## remove caches (keeps .venv and the data in var/)
	rm -rf .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

clean-data: ## delete var/ (database, broker queue, secret key, demo passwords)
	rm -rf var
