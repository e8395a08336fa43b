# The two commands of the README: `make up` runs LSAT Studio, `make test` runs every test.
# Both create ./.venv on first use. TORCH_PACKAGE pins the CPU build that ships on the project's
# machines; on a CUDA machine use e.g. `make up TORCH_PACKAGE=torch`.
PYTHON ?= python3
VENV ?= .venv
TORCH_PACKAGE ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: up test lint install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet "$(TORCH_PACKAGE)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

up: $(VENV)/.installed
	$(BIN)/lsat up

test: $(VENV)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
