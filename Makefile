# Fresh Cabinet: two commands on a fresh machine.
#   make run   — the cabinet on SQLite with demo data at http://127.0.0.1:8000 (PORT=8001 make run
#                for another port), and a background-task worker next to it
#   make test  — lint and the whole test suite (DATABASE_URL picks the database)

PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint format clean messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The worker runs in the background of the same shell (reloading on code changes, as
# runserver does); the trap stops it whenever the shell ends — Ctrl+C, or runserver
# exiting on its own (a port in use) — so no worker outlives `make run`.
run: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	trap 'exit 130' INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Kazakh and English catalogues (README «Languages»): update, then translate the
# new entries in locale/*/LC_MESSAGES/django.po, then run this again to compile.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l kk -l en --ignore=.venv --ignore=benchmarks --ignore=tests --ignore=staticfiles --ignore=test-output
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=benchmarks

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output
