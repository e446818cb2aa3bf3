# Two commands do all set-up on a fresh machine:
#   make run   - create .venv, install, ingest corpora/demo, serve API + UI on http://127.0.0.1:8000
#   make test  - install dev extras (and Chromium for the browser tests), run the whole suite
# Re-running is fast: installs are skipped while pyproject.toml is unchanged, ingest skips unchanged files.

PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)
DEVSTAMP:= $(STAMP)-dev
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1

.PHONY: run test install install-dev ingest serve browser mpnet eval bench clean

run: install ingest serve

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PY) not found)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(DEVSTAMP): $(STAMP)
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

install: $(STAMP)
install-dev: $(DEVSTAMP)

ingest: install
	$(BIN)/ethos ingest corpora/demo

serve: install
	$(BIN)/ethos serve

# Debian's Chromium drives the browser tests (Playwright cannot download its own browser here).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install-dev browser
	$(BIN)/python -X faulthandler -m pytest

mpnet: install
	$(BIN)/ethos models mpnet

eval: install
	$(BIN)/ethos eval

clean:
	rm -rf data test-artifacts .pytest_cache
