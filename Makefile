# Everything installs into ./.venv from pyproject.toml, pinned by constraints.txt (tested versions).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test test-scale bench lint

$(BIN)/.installed: pyproject.toml constraints.txt
	@# The browser tests drive Debian's Chromium (Playwright cannot download its own here); CJK fonts for the pages.
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium fonts-noto-cjk)
	fc-list 2>/dev/null | grep -q "Noto Sans CJK" || (apt-get update && apt-get install -y fonts-noto-cjk)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# ical.js (Thunderbird's calendar parser), run by node from the calendar tests beside the Python parsers.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

install: $(BIN)/.installed node_modules/.package-lock.json

## The seed scenario: load examples/chuxiong.yaml, plan 8 weeks, then run everything (Ctrl-C stops).
run: install
	$(BIN)/dutyflow demo
	$(BIN)/dutyflow up

## The whole test suite (SQLite, the real PostgreSQL on 127.0.0.1:5432, Prefect, SMTP and HTTP peers).
## Three workers on two cores: about a fifth of the time a test waits for a server, a subprocess or Chromium,
## and the third worker fills it (docs/testing.md). Bytecode is cached even where the machine turns it off:
## the flow, CLI and server subprocesses then compile the project once, not each (and compileall does it
## first on both cores, so that the three workers do not each compile it at once in a fresh clone). The same for
## the pricing sweep's machine code (numba's cache, about 4 s once).
test: install
	$(BIN)/ruff check .
	$(BIN)/python -m compileall -q -j 2 roster flows notifications nrp bench
	$(BIN)/python -c "from roster.solver.linedp import warm; warm()"
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n 3 --dist loadgroup

## The scale-out test (not part of `make test`): two Prefect API replicas on PostgreSQL + Redis, one services
## process, two process workers; machine loss mid-run loses no effect (docs/orchestration.md).
test-scale: install
	$(BIN)/pytest tests_scale -x -v

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
