# Two commands for a newcomer: `make run` and `make test`. Everything else is set-up they share.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app "app:create_app()"
CHROMIUM := /usr/bin/chromium
# Another apt process (unattended-upgrades, a parallel install) may hold the dpkg lock: wait for
# it, up to ten minutes, instead of failing the build.
APT_GET := apt-get -o DPkg::Lock::Timeout=600

.PHONY: run test setup vendor catalogues i18n db chromium nginx bench clean

run: setup db
	$(BIN)/python wsgi.py

# Two pytest workers (pytest-xdist), each with its own SQLite file, live server and Chromium, and
# on PostgreSQL its own database beside TEST_DATABASE_URL's (test_gw0, test_gw1), dropped after;
# files in the order tests/conftest.py gives (the longest first). Bytecode is cached even where
# PYTHONDONTWRITEBYTECODE is set: each worker would otherwise redo pytest's assertion rewriting
# of ~300 plugin modules (5 s).
test: setup chromium nginx
	$(BIN)/ruff check .
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== the same tests on PostgreSQL ($$TEST_DATABASE_URL) =="; \
	  YISHI_TEST_DB=postgres PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n 2 --dist loadfile \
	    --no-loadscope-reorder tests/integration; \
	else \
	  echo "TEST_DATABASE_URL is not set: the PostgreSQL pass is skipped (see .ci/run)."; \
	fi

setup: $(VENV)/.installed vendor catalogues

# The compiled catalogues (messages.mo, not kept in git) from app/translations/*/LC_MESSAGES/messages.po.
catalogues: $(VENV)/.installed
	$(BIN)/python -m app.core.catalogue compile --stale

# After changing texts for people: extract them (app/translations/messages.pot), update every
# language's messages.po (the Chinese source filled in by itself), compile. Then translate what
# `python -m app.core.catalogue check` lists as missing (docs/translations.md).
i18n: $(VENV)/.installed
	$(BIN)/python -m app.core.catalogue update
	-$(BIN)/python -m app.core.catalogue check

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Browser libraries come from npm and are served from our own origin, never from a CDN.
vendor: node_modules/.installed
	mkdir -p app/static/vendor
	cp node_modules/socket.io-client/dist/socket.io.min.js app/static/vendor/
	cp node_modules/jsqr/dist/jsQR.js app/static/vendor/

db: setup
	mkdir -p instance
	$(FLASK) db upgrade heads
	$(FLASK) seed-demo --if-empty

# Browser tests drive Debian's Chromium; install it when missing and we are allowed to.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    $(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq chromium >/dev/null; \
	  else \
	    echo "No $(CHROMIUM) and no root: browser tests will be skipped."; \
	  fi; \
	fi

# The deployment tests put deploy/nginx's configuration in front of two processes; nginx-light is
# enough (the daemon is never started as a service: the tests run their own on a free port).
nginx:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's nginx-light for the deployment tests..."; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    $(APT_GET) install -y -qq nginx-light >/dev/null 2>&1 || \
	      { $(APT_GET) update -qq && $(APT_GET) install -y -qq nginx-light >/dev/null; }; \
	  else \
	    echo "No nginx and no root: the nginx tests will be skipped."; \
	  fi; \
	fi

# The full run takes about a quarter of an hour on 2 cores; `make bench QUICK=1` runs every bench
# small, to see it work end to end (its figures replace nothing in docs/benchmarks.md).
bench: setup
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) node_modules app/static/vendor .pytest_cache
