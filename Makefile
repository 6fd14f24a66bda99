# The one way to set up, run, check, test and measure portal.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run serve test check bench install clean tmux postgresql

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

# One server for thin clients (`portal --server http://127.0.0.1:8765`); PORTAL_DATABASE_URL picks
# PostgreSQL (postgresql+psycopg://...) over the embedded SQLite file.
serve: $(STAMP)
	$(BIN)/portal db upgrade --quiet
	$(BIN)/portal demo seed --if-empty --quiet
	$(BIN)/portal serve

check: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(STAMP) check tmux postgresql
	$(BIN)/python -m pytest -q -rs -p no:cacheprovider

# The end-to-end test drives portal in tmux: install it when missing and we may (root with apt-get);
# otherwise that test skips and says why.
tmux:
	@command -v tmux >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 \
		|| DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null 2>&1 \
		|| { apt-get update -qq >/dev/null 2>&1 \
			&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null 2>&1; } \
		|| echo "tmux could not be installed: the end-to-end test will skip"

# The PostgreSQL tests start a throwaway server (initdb + pg_ctl): install Debian's postgresql when
# missing and we may; otherwise those tests skip and say why.
postgresql:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 \
		|| DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 \
		|| { apt-get update -qq >/dev/null 2>&1 \
			&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1; } \
		|| echo "postgresql could not be installed: the PostgreSQL tests will skip"

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache dist build
