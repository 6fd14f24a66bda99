# The one way to set up, run, check, test and measure portal.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check bench install clean tmux

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

test: $(STAMP) check tmux
	$(BIN)/python -m pytest -q -rs -p no:cacheprovider

# The end-to-end test drives portal in tmux: install it when missing and we may (root with apt-get);
# otherwise that test skips and says why.
tmux:
	@command -v tmux >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 \
		|| DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null 2>&1 \
		|| { apt-get update -qq >/dev/null 2>&1 \
			&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null 2>&1; } \
		|| echo "tmux could not be installed: the end-to-end test will skip"

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache dist build
