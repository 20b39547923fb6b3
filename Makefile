# wargabot: two commands for a newcomer, `make run` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
PY      = $(VENV)/bin/python
BIN     = $(VENV)/bin

.PHONY: run test lint format bench bench-dtsen goldens clean redis-server test-servers db desk serve worker \
	fault-test lock container-test podman

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed db ## chat with the bot in this terminal, on embedded defaults
	$(BIN)/wargabot chat

db: $(VENV)/.installed ## create or update the database of cases (DATABASE_URL, default var/wargabot.db)
	$(BIN)/wargabot db upgrade

desk: $(VENV)/.installed db ## the office desk on DESK_HOST:DESK_PORT, default http://127.0.0.1:8090
	$(BIN)/wargabot desk

test: $(VENV)/.installed redis-server test-servers ## install what the tests need and run them
	$(BIN)/pytest

test-servers: ## the desk's tests start PostgreSQL and drive chromium: Debian's, installed when missing
	@missing=""; \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	  [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	  [ -z "$$missing" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "The tests need:$$missing (sudo apt-get install$$missing)" >&2; exit 1; fi; }

redis-server: ## the tests start a real redis-server of their own; install Debian's when missing
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq redis-server; \
	  else echo "The tests need redis-server: sudo apt-get install redis-server" >&2; exit 1; fi; }

# The container test's tools: Debian's podman with runc, netavark, aardvark-dns, iptables and
# catatonit (compose.yaml's `init: true`), and debootstrap for the local stand-ins of the base
# images (no Docker Hub here).
PODMAN_PACKAGES = podman runc netavark aardvark-dns iptables catatonit debootstrap
DOCKERFILE ?= Dockerfile

$(VENV)/.container: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev,container]'
	touch $@

podman: ## install what the container test needs from Debian, when missing
	@missing=$$(for p in $(PODMAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends $$missing; \
	  else echo "The container test needs:" $$missing "(sudo apt-get install ...)" >&2; exit 1; fi; fi

# Builds the image (from DOCKERFILE, to try another one) and runs the compose stack with podman,
# checks it and takes it down with its volumes. The base images are built once and kept.
container-test: $(VENV)/.container podman ## build the image, run and check the compose stack
	DOCKERFILE=$(abspath $(DOCKERFILE)) $(BIN)/pytest -m container -vv -s tests/container

lint: $(VENV)/.installed ## ruff (lint + format check), mypy, and the layers of bot/ (lint-imports)
	$(BIN)/ruff check bot tests benchmarks migrations
	$(BIN)/ruff format --check bot tests benchmarks migrations
	$(BIN)/mypy bot benchmarks tests migrations
	$(BIN)/lint-imports

format: $(VENV)/.installed
	$(BIN)/ruff format bot tests benchmarks migrations
	$(BIN)/ruff check --fix bot tests benchmarks migrations

serve: $(VENV)/.installed db ## the web service (webhooks) on HOST:PORT, default 127.0.0.1:8080
	$(BIN)/wargabot serve

worker: $(VENV)/.installed db ## deliver submitted dossiers to the office inbox (needs REDIS_URL)
	$(BIN)/wargabot worker

fault-test: $(VENV)/.installed redis-server ## the outbox, the conversations and the office's notices while processes are killed
	$(PY) -m tests.delivery.fault_outbox --dossiers 200 --kills 10 --bounces 3
	$(PY) -m tests.runtime.fault_turns --citizens 40 --web-kills 10 --worker-kills 5 --redis-restarts 1
	$(PY) -m tests.loop.fault_notices --cases 40 --web-kills 8 --worker-kills 8

bench: $(VENV)/.installed ## engine steps per second for a text answer
	$(BIN)/wargabot bench engine

bench-dtsen: $(VENV)/.installed ## import a 1,000,000-row DTSEN list: CSV and XLSX, SQLite and PostgreSQL
	$(BIN)/wargabot bench dtsen

goldens: $(VENV)/.installed ## rewrite the golden transcripts from the current engine
	$(BIN)/pytest tests/engine/test_transcripts.py --update-goldens

lock: ## pin the runtime dependencies the Docker image installs (requirements.lock)
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e .
	{ echo "# Runtime dependencies of wargabot, pinned for the Docker image."; \
	  echo "# Generated by \`make lock\` (Python $$(.lock-venv/bin/python -c 'import platform; print(platform.python_version())'), clean venv, no dev extras): do not edit."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; \
	  sed -n '/^# Needed on older Python/,$$p' requirements.lock; } > requirements.lock.new
	mv requirements.lock.new requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .lock-venv .pytest_cache .mypy_cache .ruff_cache
