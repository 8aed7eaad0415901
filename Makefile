# SkillPulse: `make demo` runs the whole pipeline live, `make test` runs every test.
# Both set themselves up on a fresh machine (virtualenv, packages, Kafka jars, Chromium) and are
# quick when already set up.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-fast test-faults bench bench-faults browser lint clean help

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@# Bytecode of the project's own modules, as a regular install has it (an editable one leaves it to
	@# Python's first import, which PYTHONDONTWRITEBYTECODE=1 turns off: ~50 ms more per command start).
	$(BIN)/python -m compileall -q skillpulse schemas producers stream_processors batch dashboard >/dev/null
	@touch $(STAMP)

setup: $(STAMP)  ## Create .venv and install SkillPulse with its dev tools

demo: setup  ## Run SkillPulse live on the embedded defaults (skillpulse up, seeded, then a trickle); Ctrl-C stops
	$(BIN)/skillpulse demo --trickle 6/min

browser:  ## Install Debian's chromium + chromium-driver when missing (for the dashboard's browser test)
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update && $$SUDO apt-get install -y chromium chromium-driver; \
	fi

test: setup browser  ## Run every test (unit, real Kafka, chDB, headless Chromium)
	$(BIN)/pytest

test-fast: setup  ## Tests without the kafka, browser or slow markers: pure functions and in-process chDB
	$(BIN)/pytest -m "not kafka and not browser and not slow"

test-faults: setup  ## Only the fault-injection suite (kill -9, broker restart, outages, poison)
	$(BIN)/pytest -m faults

bench-faults: setup  ## Repeat fault scenarios (a) and (d) 20 times and print what survived (~30 min)
	$(BIN)/python bench/faults.py

bench: setup  ## Print the benchmark tables
	$(BIN)/python bench/enrich.py
	$(BIN)/python bench/produce_files.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/live.py

clean:  ## Remove local state (data/, plots/); keeps .venv
	rm -rf data plots reports
