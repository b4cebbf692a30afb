# The README's two commands: `make demo` (set up and start the demo) and `make test` (the whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
# The demo office is small: a company with one closed case already has a public page there. Its WhatsApp
# messages go to the console as the generic template (placeholder SIDs: nothing is sent anywhere).
DEMO_ENV := MFA_REQUIRED_FOR_STAFF=0 PUBLIC_MIN_CLOSED_CASES=1 \
	WHATSAPP_CONTENT_SIDS='{"*": {"es-ar": "HX00000000000000000000000000demo", "en": "HX0000000000000000000000000demoen"}}'

.PHONY: demo test install lint messages screenshots lock upgrade

# Python 3.11–3.13, everything from requirements.lock (hashes checked); a wrong or broken .venv is rebuilt.
install:
	VENV=$(VENV) scripts/venv.sh
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

demo: install
	$(PY) manage.py migrate --noinput -v0
	$(DEMO_ENV) $(PY) manage.py seed_demo
	$(DEMO_ENV) $(PY) manage.py seed_demo_cases
	$(DEMO_ENV) $(PY) manage.py refresh_reporting --full
	@echo "Concilia is starting on http://127.0.0.1:8000 (e-mails are printed here)."
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# The suite runs in one process per core, at most four (pytest-xdist; PYTEST_WORKERS=0 runs it in this
# one). Each has its own test database and Redis databases (config/env.py: env_redis_url).
# pytest exits 5 when no test ran: that is a failure here.
PYTEST_WORKERS ?= auto
test: install
	@DJANGO_ENV=test $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --maxprocesses=4 $(PYTEST_ARGS); rc=$$?; \
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

# Screenshots of the running demo (start `make demo` in another terminal first), desktop and phone,
# into test-artifacts/screens/. BASE=http://host:port to point elsewhere.
BASE ?= http://127.0.0.1:8000
DEMO_PASSWORD := concilia-demo-2026
screenshots: install
	$(PY) scripts/screenshots.py --base $(BASE) --out test-artifacts/screens \
		--anon / /cuenta/login/ /cuenta/signup/ \
		--login consumidora@demo.concilia.ar $(DEMO_PASSWORD) / /reclamos/ /mis-datos/ \
		--login apoderado@electrosur.demo.concilia.ar $(DEMO_PASSWORD) / /reclamos/ \
		--login admision@demo.concilia.ar $(DEMO_PASSWORD) / /reclamos/ \
		--login supervisora@demo.concilia.ar $(DEMO_PASSWORD) /

# The lock: `make lock` after changing pyproject.toml; `make upgrade` takes the newest releases
# that pyproject.toml allows. Both resolve for Python 3.11–3.13 on every platform (uv --universal).
LOCK := $(VENV)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes -q -o requirements.lock
lock: install
	$(LOCK)
upgrade: install
	$(LOCK) --upgrade
