# One entry point for every task; CI runs `make test` through .ci/run.
SHELL := /bin/bash
.DEFAULT_GOAL := synth

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAGE ?= dev
TEMPLATE := cdk.out/NtmTuning-$(STAGE).template.json

# Never let an AWS SDK look for credentials on an instance metadata endpoint.
export AWS_EC2_METADATA_DISABLED := true
# jsii prints an end-of-life banner on every start under Node.js 20; the README
# asks for Node.js 22 or newer and this keeps the output readable meanwhile.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# aws-cdk-lib's own template validation only warns and costs seconds per synth;
# `make test` runs cfn-lint on the template instead.
export CDK_VALIDATION := false

SDK2_VENV := build/sagemaker2-venv

.PHONY: install synth test lint bench bench-synth bench-recordio bench-workflow bench-cli-startup sdk-fixtures rehearse clean

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

synth: install
	npx cdk synth --quiet
	$(BIN)/python -m ntm_tune.template_summary $(TEMPLATE)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: bench-synth bench-recordio bench-workflow bench-cli-startup

bench-cli-startup: install
	$(BIN)/python benchmarks/bench_cli_startup.py --output docs/benchmarks.md

bench-workflow: install
	$(BIN)/python benchmarks/bench_workflow.py --output docs/benchmarks.md

bench-synth: install
	$(BIN)/python benchmarks/bench_synth.py --output docs/benchmarks.md

# The SageMaker Python SDK 2.x, the reference recordIO writer, conflicts with the
# project's pins (protobuf, packaging), so it gets a virtual environment of its own.
$(SDK2_VENV)/.installed:
	$(PYTHON) -m venv $(SDK2_VENV)
	$(SDK2_VENV)/bin/pip install --quiet --disable-pip-version-check sagemaker==2.257.7 numpy==2.4.6 scipy==1.17.1 numba==0.68.1 llvmlite==0.50.0
	touch $@

bench-recordio: install $(SDK2_VENV)/.installed
	SAGEMAKER_SUPPRESS_V2_WARNING=1 $(SDK2_VENV)/bin/python benchmarks/bench_recordio.py --output docs/benchmarks.md

sdk-fixtures: $(SDK2_VENV)/.installed
	SAGEMAKER_SUPPRESS_V2_WARNING=1 $(SDK2_VENV)/bin/python benchmarks/make_sdk_fixtures.py

# Rehearses exactly the template that `make synth` wrote; CORPUS=FILE picks another corpus.
rehearse: synth
	$(BIN)/ntm-tune rehearse --template $(TEMPLATE) $(if $(CORPUS),--corpus $(CORPUS))

clean:
	rm -rf cdk.out .pytest_cache
