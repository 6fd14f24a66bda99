# The one way to set up, run, check, test and measure portal.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check bench serve install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,server]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/portal db upgrade --quiet
	$(BIN)/portal demo seed --if-empty --quiet
	$(BIN)/portal

check: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(STAMP) check
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m benchmarks

serve: $(STAMP)
	$(BIN)/portal db upgrade --quiet
	$(BIN)/portal demo seed --if-empty --quiet
	$(BIN)/portal serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache dist build
