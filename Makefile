# Relay — every target installs what it needs first, and says what it does.
#
#   make run    start Relay on http://127.0.0.1:8000 with a seeded demo case
#   make demo   run the scripted exchange against the running server
#   make test   the whole test suite
#   make lint   ruff and mypy
#   make messages  regenerate the translation catalogue template, relay/locale/django.pot
UV := python3 -m uv
VENV := .venv
PY := $(VENV)/bin/python
SERVER ?= http://127.0.0.1:8000
CHROMIUM := /usr/bin/chromium

.PHONY: help setup frontend chromium migrate seed run demo test lint messages bench check-deploy clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  make \1\t/'

setup: ## Install the locked Python packages into .venv (uv sync --frozen)
	@echo "==> Installing Python packages from uv.lock"
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==0.13.8"
	$(UV) sync --frozen

frontend: ## Build the browser client into frontend/dist (npm ci + npm run build)
	@if [ -f frontend/package.json ]; then \
		echo "==> Building the browser client"; \
		cd frontend && npm ci --no-audit --no-fund && npm run build; \
	else \
		echo "==> No frontend/package.json: no browser client to build"; \
	fi

chromium: ## Make sure Debian's Chromium is installed for the browser tests
	@if [ -x $(CHROMIUM) ]; then \
		echo "==> Chromium found at $(CHROMIUM)"; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "==> Installing Debian's Chromium for the browser tests"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update && apt-get install -y chromium; \
	else \
		echo "The browser tests need Debian's Chromium at $(CHROMIUM)."; \
		echo "Install it with: sudo apt-get install -y chromium   (then run make test again)"; \
		exit 1; \
	fi

migrate: setup ## Create or update the database (SQLite in var/ unless DATABASE_URL is set)
	@mkdir -p var
	$(PY) manage.py migrate --noinput

seed: migrate ## Seed the demo hub (idempotent) and print its demo accounts
	$(PY) manage.py seed_demo

run: setup frontend seed ## Start Relay on http://127.0.0.1:8000 with the seeded demo case, and its worker
	@echo "==> Relay is starting on http://127.0.0.1:8000 with its background worker (Ctrl-C stops both)"
	@# No access log: it would keep participants' addresses (DESIGN §9). The worker runs
	@# reminders and other timed jobs (docs/worker.md); it stops when the server stops.
	@$(PY) manage.py worker & worker=$$!; \
		trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
		$(PY) -m relay.serve -b 127.0.0.1 -p 8000

demo: setup ## Run the scripted exchange against a running Relay (SERVER=...)
	$(PY) -m relay_client.demo --server $(SERVER)

test: setup frontend chromium ## Run the whole test suite
	@mkdir -p var
	cd frontend && node --test test/
	$(PY) -m pytest

lint: setup ## Check the code with ruff and mypy, and the import layers with import-linter
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy relay relay_client
	$(VENV)/bin/lint-imports

messages: setup ## Regenerate the catalogue template relay/locale/django.pot and update each language's django.po from it (needs gettext)
	cd relay && ../$(PY) ../manage.py makemessages --all --keep-pot --no-obsolete

bench: setup ## Quick benchmark against its own Daphne and two baselines (report in var/bench/)
	$(PY) -m bench --quick

check-deploy: setup ## Django's deployment checks with the production settings (example values for unset variables: deploy/check-deploy.env)
	@while IFS='=' read -r name value; do \
		case "$$name" in ''|'#'*) continue ;; esac; \
		if [ -n "$$(printenv "$$name")" ]; then \
			echo "==> $$name: from the environment"; \
		else \
			export "$$name=$$value"; \
			echo "==> $$name: not set, using the example $$value"; \
		fi; \
	done < deploy/check-deploy.env; \
	$(PY) manage.py check --deploy --fail-level WARNING --settings=relay.settings.production

clean: ## Remove the virtualenv, the local database and the browser build
	rm -rf var .venv frontend/node_modules frontend/dist
