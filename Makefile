# Two commands matter: `make demo` (the handler against the bundled Wickr emulator) and `make test` (everything CI runs).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# Python 3.13 (the Lambda runtime) where pyenv has it, else the machine's python3.
PYTHON := $(shell PYENV_VERSION=3.13.0 python3 -c 'import sys; print(sys.executable)' 2>/dev/null || command -v python3)

.PHONY: demo test lint typecheck template validate checkov unit integration bench build clean dev

$(BIN)/.installed: requirements-dev.txt src/requirements.txt constraints-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints-dev.txt
	# The project itself, editable and without further dependencies (all pinned above): the `reinviter` command.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

dev: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/python -m scripts.demo

LINT_PATHS := src reinviter_cli tests wickr_emulator scripts $(wildcard bench)

lint: $(BIN)/.installed
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: $(BIN)/.installed
	$(BIN)/mypy --strict src reinviter_cli

template: $(BIN)/.installed validate checkov
	$(BIN)/cfn-lint template.yaml

# checkov in its own venv too (about 100 packages, 40 s to install): a new finding fails `make test`. Every skipped
# check carries its reason in the resource's Metadata in template.yaml. --skip-download: no call to its vendor's API.
CHECKOV_VERSION := 3.2.533
CHECKOV_VENV := .venv-checkov

$(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	touch $@

checkov: $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --skip-download --compact --quiet

# SAM CLI lives in its own venv: it pins its own boto3 range, which must not move the project's pins in .venv.
# The stamp names the version, so bumping SAM_CLI_VERSION reinstalls. `sam validate --lint` needs neither network
# nor an account: dummy credentials, telemetry off, and SAM's config dir kept in the venv with a last version check
# in 2100, so its weekly "newer version?" call to PyPI never happens.
SAM_CLI_VERSION := 1.170.0
SAM_VENV := .venv-sam
SAM_ENV := AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing \
	AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0 \
	__SAM_CLI_APP_DIR=$(CURDIR)/$(SAM_VENV)/app

$(SAM_VENV)/.installed-$(SAM_CLI_VERSION):
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_CLI_VERSION)
	mkdir -p $(SAM_VENV)/app
	echo '{"lastVersionCheck": 4102444800.0}' > $(SAM_VENV)/app/metadata.json
	touch $@

validate: $(SAM_VENV)/.installed-$(SAM_CLI_VERSION)
	$(SAM_ENV) $(SAM_VENV)/bin/sam validate --lint --template template.yaml --region us-east-1

# The deployable zip, built without Docker for arm64 (build/reinviter.zip).
build:
	$(PYTHON) scripts/build_artifact.py

test: lint typecheck template
	$(BIN)/python -m pytest

format: $(BIN)/.installed
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

bench: $(BIN)/.installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam build .pytest_cache .mypy_cache .ruff_cache
