# Set up and serve the knowledge base, or set up and test it. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
UPSTREAM_PORT ?= 8001
# `make serve-proxy UPSTREAM_PORTS="8001 8002"`: one app server (gunicorn) on each port.
UPSTREAM_PORTS ?= $(UPSTREAM_PORT)

# `make run` is a local server over plain HTTP, with a per-checkout secret key
# (git-ignored) unless one is given.
run: export DJANGO_SECRET_KEY ?= $(shell test -s .secret_key || $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > .secret_key; cat .secret_key)
run: export DJANGO_HTTPS ?= 0

.PHONY: install run serve serve-proxy test e2e lint format bench load load-faults side-by-side

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Serving http://127.0.0.1:$(PORT)/ (admin: http://127.0.0.1:$(PORT)/admin/)"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Production serving: gunicorn, debug off. Needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS
# (see README); DJANGO_HTTPS=0 for plain HTTP on loopback (load tests).
serve: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	PORT=$(PORT) $(BIN)/gunicorn --config kbsite/gunicorn_conf.py kbsite.wsgi

# Production serving behind nginx (deploy/, needs Debian's nginx): nginx on HOST:PORT reads
# whole requests and answers, drops slow clients and serves static files; gunicorn listens on
# 127.0.0.1:UPSTREAM_PORT, or one app server on each of UPSTREAM_PORTS (these need a shared
# DJANGO_CACHE_URL). PROXY_ARGS="--certificate C --key K" makes nginx serve HTTPS.
serve-proxy: export DJANGO_BEHIND_PROXY ?= 1
serve-proxy: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python deploy/proxy.py --listen $(HOST):$(PORT) \
		$(foreach port,$(UPSTREAM_PORTS),--upstream 127.0.0.1:$(port)) $(PROXY_ARGS)

# The browser tests run once, on their own (`make e2e`), not in every database's run.
test: install
	$(BIN)/python -m pytest -m "not e2e"

# Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium, or KB_CHROMIUM),
# axe-core from npm. Screenshots, axe reports and print PDFs go to artifacts/.
e2e: install node_modules/.package-lock.json
	$(BIN)/python -m pytest -m e2e tests/e2e

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Speed at 1,000 / 10,000 / 100,000 measures on SQLite and PostgreSQL -> bench/results.md
bench: install
	$(BIN)/python bench/run.py
	HYPOTHESIS_PROFILE=bench $(BIN)/python -m pytest tests/test_hostile.py -q

# 50 clients reading mixed pages from two app servers behind nginx, on a copy of the
# 100,000-measure PostgreSQL benchmark database (`make bench` builds kb_bench_100000) and
# Redis, an editor saving through one server half way -> top of bench/results.md.
# LOAD_ARGS: more options (see bench/scale.py --help).
load: install
	$(BIN)/python bench/scale.py $(LOAD_ARGS)

# Faults: slow-header clients, then a 10 s database outage under load -> bench/results.md.
# It stops the PostgreSQL cluster: FAULT_ARGS="--postgres … --cluster …" for one of its own
# (see bench/load.py --help).
load-faults: install
	$(BIN)/python bench/load.py $(FAULT_ARGS)

# This site against Datasette (from PyPI, in bench/.datasette-venv) under wrk (Debian's), on
# copies of one 100,000-measure SQLite file, first and repeat visits -> bench/results.md.
# SIDE_BY_SIDE_ARGS: more options (see bench/side_by_side.py --help), e.g. --source FILE.
side-by-side: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y wrk)
	$(BIN)/python bench/side_by_side.py $(SIDE_BY_SIDE_ARGS)
