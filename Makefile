# Two commands matter: `make demo` (the handler against the bundled Wickr emulator) and `make test` (everything CI runs).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# Python 3.13 (the Lambda runtime) where pyenv has it, else the machine's python3.
PYTHON := $(shell PYENV_VERSION=3.13.0 python3 -c 'import sys; print(sys.executable)' 2>/dev/null || command -v python3)

.PHONY: demo test lint typecheck template unit integration bench build clean dev

$(BIN)/.installed: requirements-dev.txt src/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

dev: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/python -m scripts.demo

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests wickr_emulator bench scripts
	$(BIN)/ruff format --check src tests wickr_emulator bench scripts

typecheck: $(BIN)/.installed
	$(BIN)/mypy --strict src

template: $(BIN)/.installed
	$(BIN)/cfn-lint template.yaml

test: lint typecheck template
	$(BIN)/python -m pytest

format: $(BIN)/.installed
	$(BIN)/ruff format src tests wickr_emulator bench scripts
	$(BIN)/ruff check --fix src tests wickr_emulator bench scripts

bench: $(BIN)/.installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .aws-sam build .pytest_cache .mypy_cache .ruff_cache
