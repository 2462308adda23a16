# The two commands a newcomer needs:   make demo   ·   make test
# Both create .venv/ and install what they need (Python packages from pyproject.toml, Debian packages
# through scripts/system-deps.sh) on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo demo-data test test-fast lint bench serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

## Build the bundled demo client: build/demo/site/ and build/demo/demo-handover.pdf
demo: $(STAMP)
	./scripts/system-deps.sh
	$(BIN)/handover build demo

## Regenerate clients/demo/snapshot/, exports/ and history/ by syncing the seed (tests/fixtures/demo/) from the fake APIs
demo-data: $(STAMP)
	$(BIN)/python scripts/regenerate-demo.py

## The whole test suite, slow end-to-end tests (real MkDocs, WeasyPrint, Chromium) included
test: $(STAMP)
	./scripts/system-deps.sh --test
	./scripts/install-n8n.sh >/dev/null
	./scripts/check-install.sh
	$(BIN)/pytest

## Quick loop while editing: everything but the slow end-to-end builds and the real-n8n tests
# Three workers on two cores: many quick tests wait on loopback servers and timeouts, and work stealing
# keeps both cores busy while one of them waits.
test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow and not n8n" -n 3 --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check generator tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/diagrams.py
	$(BIN)/python benchmarks/build.py
	$(BIN)/python benchmarks/n8n_sync.py
	$(BIN)/python benchmarks/make_sync.py --window 6

serve: $(STAMP)
	$(BIN)/handover serve demo

clean:
	rm -rf build
