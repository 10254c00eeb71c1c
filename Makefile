# Relay — every target installs what it needs first.
PYTHON_VERSION := 3.12
UV := python3 -m uv
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup run demo test test-ci lint typecheck frontend seed clean

setup: ## Install Python packages (locked) into .venv
	@python3 -m pip --version >/dev/null 2>&1 || (echo "python3 with pip is required" && exit 1)
	python3 -m pip install --quiet "uv==0.13.8"
	$(UV) sync --frozen

run: setup ## Start Relay on the embedded defaults with a seeded demo case
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) -m daphne -b 127.0.0.1 -p 8000 relay.asgi:application

test: setup ## Run the whole test suite
	$(PY) -m pytest

lint: setup ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy relay relay_client

clean:
	rm -rf var .venv frontend/node_modules frontend/dist
