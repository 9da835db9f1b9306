# The two commands a new user needs: `make run` (set up + run the yearly workflow on the bundled sample) and
# `make test`. Everything installs into .venv/ from the locked dependencies (uv.lock).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
export AIRFLOW_HOME ?= $(CURDIR)/airflow_home
export DISCLOSURE_DATA_DIR ?= $(CURDIR)/data
YEAR ?= 2020

.PHONY: install run test lint bench standalone clean

$(UV):
	python3 -m pip install --quiet --user uv==0.13.9 || python3 -m pip install --quiet uv==0.13.9

$(BIN)/disclosure: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --compile-bytecode
	@touch $@

install: $(BIN)/disclosure

run: install
	PATH=$(CURDIR)/$(BIN):$$PATH bash scripts/run-sample.sh $(YEAR)

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m benchmarks.run

standalone: install
	PATH=$(CURDIR)/$(BIN):$$PATH YEAR=$(YEAR) bash scripts/standalone.sh

clean:
	rm -rf $(VENV) data airflow_home
