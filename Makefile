# Two commands on a fresh machine:
#   make demo   builds the demo atlas and map (synthetic data) into maps/
#   make test   runs the whole test suite (installs headless Chromium for the browser tests)
# Both bootstrap a local virtual environment in .venv from pyproject.toml.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean help

help:
	@echo "make demo   build the demo atlas into maps/ (synthetic data)"
	@echo "make test   run the whole test suite"
	@echo "make bench  run the benchmarks in benchmarks/"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fragmap run --config fragmap.toml

test: $(STAMP)
	@bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest -n 2 --dist loadgroup

bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) maps/*.html maps/atlas data/private
