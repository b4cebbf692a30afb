# The README's two commands: `make demo` (set up and start the demo) and `make test` (the whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
DEMO_ENV := MFA_REQUIRED_FOR_STAFF=0

.PHONY: demo test install lint messages screenshots

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

demo: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_demo_cases
	@echo "Concilia is starting on http://127.0.0.1:8000 (e-mails are printed here)."
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# pytest exits 5 when no test ran: that is a failure here.
test: install
	@DJANGO_ENV=test $(VENV)/bin/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "No test ran: that is a failure."; exit 1; fi; exit $$rc

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	DJANGO_ENV=test $(PY) manage.py makemigrations --check --dry-run

# Regenerate the catalogues after changing strings (then translate the new es_AR entries).
messages: install
	$(PY) manage.py makemessages -l es_AR -l en --ignore=.venv --ignore=node_modules --ignore=staticfiles --no-obsolete
	$(PY) manage.py makemessages -d djangojs -l es_AR -l en --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=static/vendor --no-obsolete
