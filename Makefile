# The two commands: `make run` (the site with demo data) and `make test` (the whole suite).
SHELL := /bin/bash
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The site's address for links in emails; `make run` serves there and prints it with the demo logins.
# Set it yourself when people reach the site another way (a proxy, HOST=0.0.0.0, another machine).
SITE_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test test-fast setup pytest demo bench lint production

setup:
	@scripts/setup

run: setup
	$(PY) manage.py migrate --noinput -v 0
	SITE_BASE_URL=$(SITE_BASE_URL) $(PY) manage.py seed_demo
	SITE_BASE_URL=$(SITE_BASE_URL) scripts/run-dev $(HOST):$(PORT)

test: setup pytest

# The suite alone, against whatever DATABASE_URL says (SQLite by default).
pytest:
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest -q

# The suite without the slow tests (browser journeys, served processes, database restarts).
test-fast: setup
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest -q -m "not slow"

# The production profile: production settings, PostgreSQL, Redis, whitenoise, gunicorn (scripts/serve-production).
production: setup
	scripts/serve-production

bench: setup
	bench/run_all

# What CI checks before the tests (and the pre-commit hooks run): lint, format, import contracts.
lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
