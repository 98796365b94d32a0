# Fresh Cabinet: two commands on a fresh machine.
#   make run   — the cabinet on SQLite with demo data at http://127.0.0.1:8000
#   make test  — lint and the whole test suite (DATABASE_URL picks the database)

PYTHON ?= python3
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

run: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

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
