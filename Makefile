# Venuedesk: `make run` serves the app with demo data, `make test` runs the tests.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev migrate seed lint format check clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamps re-install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	DJANGO_DEBUG=true $(BIN)/python manage.py migrate --no-input

seed: migrate
	DJANGO_DEBUG=true VENUEDESK_SITE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py seed_demo

run: seed
	@echo ""
	@echo "  Venuedesk is starting on http://$(HOST):$(PORT)/"
	@echo "    staff pages:  http://$(HOST):$(PORT)/staff/  (dashboard, requests, calendar, front desk)"
	@echo "    staff admin:  http://$(HOST):$(PORT)/admin/"
	@echo "    API docs:     http://$(HOST):$(PORT)/api/docs/  (X-Api-Key: see 'Demo API key' above)"
	@echo "    customers:    the public booking forms listed above"
	@echo "  Log in with one of the demo users listed above."
	@echo ""
	DJANGO_DEBUG=true VENUEDESK_SITE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# SQLite unless DATABASE_URL is set. Django's test runner turns DEBUG off, so the
# tests need a secret key; this one is for tests only.
test: install-dev
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-insecure-key-for-tests-only} \
		$(BIN)/pytest -n auto $(PYTEST_ARGS)

# Benchmarks (bench/, README "Benchmarks"): PostgreSQL on 127.0.0.1:5432 and Redis needed.
# Seeds BENCH_DATABASE with BENCH_LINES space lines when it holds another size, then
# measures every scenario for BENCH_DURATION seconds against its baseline.
BENCH_LINES ?= 1000000
BENCH_DURATION ?= 8
BENCH_DATABASE ?= vd_bench
BENCH_PORT ?= 8310

bench: install
	BENCH_LINES=$(BENCH_LINES) BENCH_DURATION=$(BENCH_DURATION) BENCH_DATABASE=$(BENCH_DATABASE) \
		BENCH_PORT=$(BENCH_PORT) $(BIN)/python -m bench.run

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install-dev
	DJANGO_DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_DEBUG=true $(BIN)/python manage.py check

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache *.egg-info
	find . -name __pycache__ -prune -exec rm -rf {} +
