# wargabot: two commands for a newcomer, `make run` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
PY      = $(VENV)/bin/python
BIN     = $(VENV)/bin

.PHONY: run test lint format bench goldens clean redis-server serve worker fault-test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed ## chat with the bot in this terminal, on embedded defaults
	$(BIN)/wargabot chat

test: $(VENV)/.installed redis-server ## install what the tests need and run them
	$(BIN)/pytest

redis-server: ## the tests start a real redis-server of their own; install Debian's when missing
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq redis-server; \
	  else echo "The tests need redis-server: sudo apt-get install redis-server" >&2; exit 1; fi; }

lint: $(VENV)/.installed ## ruff (lint + format check) and mypy on bot/
	$(BIN)/ruff check bot tests
	$(BIN)/ruff format --check bot tests
	$(BIN)/mypy bot

format: $(VENV)/.installed
	$(BIN)/ruff format bot tests
	$(BIN)/ruff check --fix bot tests

serve: $(VENV)/.installed ## the web service (webhooks) on HOST:PORT, default 127.0.0.1:8080
	$(BIN)/wargabot serve

worker: $(VENV)/.installed ## deliver submitted dossiers to the office inbox (needs REDIS_URL)
	$(BIN)/wargabot worker

fault-test: $(VENV)/.installed redis-server ## 200 dossiers, worker SIGKILLed 10 times, mail server bounced
	$(PY) -m tests.fault_outbox --dossiers 200 --kills 10 --bounces 3

bench: $(VENV)/.installed ## engine steps per second for a text answer
	$(BIN)/wargabot bench engine

goldens: $(VENV)/.installed ## rewrite the golden transcripts from the current engine
	$(BIN)/pytest tests/test_transcripts.py --update-goldens

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
